"""A lender product's published criteria, as data (`products` holds the nine of them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from vaultra.domain.lenders.criteria import Criterion, Signal
from vaultra.domain.lenders.sizing import SizingRule


@dataclass(frozen=True)
class LenderProduct:
    """One product's published criteria as data; docs/LENDERS.md cites each number."""

    key: str
    lender: str
    product: str
    # The currency the published money thresholds are in: the currency of the product's market,
    # and so the only settlement currency of an account in it. None: no money threshold at all.
    currency: str | None
    market: str  # where the lender lends, in words: "US", "UK", "US, UK and Europe"
    criteria: tuple[Criterion, ...]
    to_confirm: tuple[str, ...]
    sources: tuple[str, ...]
    read_on: date
    # Lends against subscription revenue: an account without MRR is not a fit, not "not yet".
    needs_subscription_revenue: bool = False
    signals: tuple[Signal, ...] = ()  # favoured but unpublished: reported, never a criterion
    sizing: SizingRule | None = None
    no_sizing_note: str = ""  # why there is no estimate when `sizing` is None
