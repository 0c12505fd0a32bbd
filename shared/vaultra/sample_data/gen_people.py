"""Fake names for customers and businesses. Emails use the reserved example.com domain, so nothing
generated here can ever reach a real inbox."""

from __future__ import annotations

import random

_FIRST = (
    "Ava",
    "Ben",
    "Chloe",
    "Daniel",
    "Elena",
    "Felix",
    "Grace",
    "Hugo",
    "Isla",
    "Jonas",
    "Kira",
    "Liam",
    "Maya",
    "Noah",
    "Olivia",
    "Priya",
    "Quinn",
    "Rafael",
    "Sofia",
    "Theo",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Amara",
    "Mateo",
    "Hana",
    "Omar",
)
_LAST = (
    "Adams",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Müller",
    "Nguyen",
    "Okafor",
    "Patel",
    "Rossi",
    "Silva",
    "Tanaka",
    "Walsh",
    "Young",
    "Novak",
    "Kowalski",
    "Haddad",
    "Larsen",
)
_COMPANY_HEAD = (
    "Blue",
    "Bright",
    "North",
    "Iron",
    "Silver",
    "Cedar",
    "Harbor",
    "Summit",
    "Clear",
    "Swift",
    "Golden",
    "Quiet",
    "Rapid",
    "Pine",
    "Stone",
    "Lumen",
    "Orbit",
    "Atlas",
    "Nimbus",
    "Vertex",
)
_COMPANY_TAIL = (
    "Analytics",
    "Labs",
    "Logistics",
    "Health",
    "Studio",
    "Partners",
    "Robotics",
    "Foods",
    "Capital",
    "Systems",
    "Media",
    "Works",
    "Dental",
    "Legal",
    "Energy",
    "Design",
    "Bio",
    "Cloud",
)
_COMPANY_FORM = ("Inc.", "LLC", "Ltd", "Co.", "GmbH", "")


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def company_name(rng: random.Random) -> str:
    form = rng.choice(_COMPANY_FORM)
    name = f"{rng.choice(_COMPANY_HEAD)} {rng.choice(_COMPANY_TAIL)}"
    return f"{name} {form}" if form else name


def contact_email(rng: random.Random, number: int) -> str:
    """A unique address for the `number`-th customer, e.g. `maya.chen37@example.com`."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    local = f"{first}.{last}".lower().replace("ü", "u")
    return f"{local}{number}@example.com"


def email_for(name: str, number: int) -> str:
    local = name.lower().replace(" ", ".").replace("ü", "u")
    return f"{local}{number}@example.com"
