"""The grounding check: every number an answer states must come from a tool result of that turn.

A founder acts on what the agent says ("your refund rate is 4.1 %"), so a number a model made up
is worse than no answer. The check reads every number in the answer, with the resolution it was
written at, and looks for a number in the turn's tool results (or the question itself) that it
could be a rounding of — in the unit the tools use or the one people write:

- amounts are stored in minor units: 2,000,000 (cents) may be written "$20,000" or "$20K";
- ratios are fractions: 0.0123 may be written "1.2 %" or "1.23%";
- "20K" and "1.5M" mean thousands and millions, rounded at their last digit.

What it does not check, on purpose: dates and years (they name a period, not a measure), numbers
glued to a word ("score-2", "#3", "gpt-4o"), list markers at the start of a line, and bare whole
numbers up to `SMALL` (counts of things in the answer itself: "3 recommendations", "step 2") —
the price of not flagging every sentence that counts.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

SMALL = 10
_NUMBER = re.compile(
    r"""
    (?<![\w.#/:@-])                 # not glued to a word, an id, a path or a version
    (?P<sign>[-−])?
    (?P<currency>[$€£])?
    (?P<digits>\d{1,3}(?:,\d{3})+|\d+)
    (?P<fraction>\.\d+)?
    (?P<unit>\s?%|\s?[kKmM]\b|\s?(?:thousand|million|billion)\b)?
    (?![\w-]*\d)                    # not the start of an id such as 2026-11-20 or v1.2.3
    """,
    re.VERBOSE,
)
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:T[\d:.+Z-]+)?\b")
_LIST_MARKER = re.compile(r"(?m)^\s*\d+[.)]\s")
_SCALE = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000, "billion": 10**9}


@dataclass(frozen=True)
class Stated:
    """A number as the answer wrote it: its text, value and the half-step it was rounded to."""

    text: str
    value: Decimal
    resolution: Decimal
    percent: bool
    money: bool = False


@dataclass(frozen=True)
class Grounding:
    stated: tuple[Stated, ...]
    ungrounded: tuple[Stated, ...]

    @property
    def ok(self) -> bool:
        return not self.ungrounded


def _numbers(text: str) -> Iterator[Stated]:
    """Every number written in `text`, with the half-step it was rounded to."""
    for match in _NUMBER.finditer(text):
        digits = match["digits"].replace(",", "")
        fraction = match["fraction"] or ""
        unit = (match["unit"] or "").strip().lower()
        try:
            value = Decimal(digits + fraction)
        except InvalidOperation:
            continue
        places = len(fraction) - 1 if fraction else 0
        scale = _SCALE.get(unit, 1)
        yield Stated(
            match.group(0).strip(),
            (-value if match["sign"] else value) * scale,
            Decimal(1).scaleb(-places) / 2 * scale,
            unit == "%",
            bool(match["currency"]),
        )


def stated_numbers(text: str) -> list[Stated]:
    """The numbers `text` states, skipping dates, list markers, numbers glued to words, years
    and small whole numbers."""
    found = []
    for stated in _numbers(_LIST_MARKER.sub(" ", _DATE.sub(" ", text))):
        bare = stated.resolution == Decimal("0.5") and not stated.percent and not stated.money
        if bare and (1900 <= stated.value <= 2100 or abs(stated.value) <= SMALL):
            continue
        found.append(stated)
    return found


def source_numbers(results: Iterable[Any]) -> set[Decimal]:
    """Every number in the tool results: numeric leaves, and numbers written inside strings
    (explanations say "0.65 %" or "$5K a month")."""
    numbers: set[Decimal] = set()
    for leaf in _leaves(results):
        if isinstance(leaf, bool):
            continue
        if isinstance(leaf, int | float | Decimal):
            try:
                numbers.add(Decimal(str(leaf)))
            except InvalidOperation:
                continue
        elif isinstance(leaf, str):
            # a source may hold any number, small ones and years included
            numbers.update(s.value / 100 if s.percent else s.value for s in _numbers(leaf))
    return numbers


def check(answer: str, results: Iterable[Any], question: str = "") -> Grounding:
    """Which of the answer's numbers no tool result (nor the question) supports."""
    sources = {abs(n) for n in source_numbers([*results, question])}
    # a percentage is a fraction × 100 (percentages written in the results' text were read as
    # fractions); an amount, or a bare number, is as written or minor units ÷ 100
    percent = sorted(n * 100 for n in sources)
    money = sorted({*sources, *(n / 100 for n in sources)})
    stated = stated_numbers(answer)
    ungrounded = tuple(s for s in stated if not _supported(s, percent if s.percent else money))
    return Grounding(tuple(stated), ungrounded)


def flag(answer: str, ungrounded: Iterable[Stated]) -> str:
    """The answer with each unsupported number marked for the reader."""
    for stated in {s.text for s in ungrounded}:
        answer = re.sub(rf"(?<![\w.]){re.escape(stated)}(?![\w])", f"{stated} [unverified]", answer)
    return answer


def _supported(stated: Stated, forms: list[Decimal]) -> bool:
    """Whether any of the sorted `forms` lies within the stated number's rounding."""
    margin = stated.resolution + Decimal("1e-9")
    first = bisect_left(forms, abs(stated.value) - margin)
    return first < len(forms) and forms[first] <= abs(stated.value) + margin


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _leaves(item)
    else:
        yield value
