"""The four generated businesses, by name: messages and the API name them without loading the
generator."""

from __future__ import annotations

from typing import Literal, get_args

Archetype = Literal["steady_saas", "seasonal_ecommerce", "risky_merchant", "early_stage"]
ARCHETYPES: tuple[Archetype, ...] = get_args(Archetype)
