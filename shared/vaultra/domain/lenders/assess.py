"""Lender fit: each product's criteria against the metric set, ordered for a founder to read.

A product is *not a fit* when the mismatch is structural — the account settles in another currency
than the one of the product's market (every product with money thresholds lends in one market, in
its currency: an account settling elsewhere is outside it, whatever a conversion would say), or a
lender of subscription revenue meets an account without MRR — and more months or more sales will
not fix it soon. Otherwise each measurable criterion is met or listed with its gap: none unmet is *eligible*,
which means eligible as far as Vaultra can see; the rest is in `to_confirm`.
"""

from __future__ import annotations

from collections.abc import Mapping

from vaultra.domain.lenders.model import Gap, LenderFit, OfferEstimate, Status
from vaultra.domain.lenders.product import LenderProduct
from vaultra.domain.lenders.products import PRODUCTS
from vaultra.domain.metrics.formulas import MetricValue
from vaultra.domain.numbers import as_int

ESTIMATE_NOTE = "An estimate from the published rule, not an offer."
ESTIMATE_NOTE_NOT_YET = (
    "An estimate from the published rule for when the unmet criteria are met, not an offer."
)
NOT_A_FIT_NOTE = "No estimate: this product is not a fit for the account."

_RANK: dict[Status, int] = {"eligible": 0, "not_yet": 1, "not_a_fit": 2}


def assess_lenders(metrics: Mapping[str, MetricValue], currency: str | None) -> list[LenderFit]:
    """Every product in PRODUCTS: eligible first, then not yet (fewest unmet first), then not a
    fit; ties keep the order of PRODUCTS."""
    account_currency = currency.lower() if currency else None
    fits = [assess_product(p, metrics, account_currency) for p in PRODUCTS]
    return [
        fit
        for _, fit in sorted(
            enumerate(fits),
            key=lambda item: (
                _RANK[item[1].status],
                len(item[1].unmet) if item[1].status == "not_yet" else 0,
                item[0],
            ),
        )
    ]


def assess_product(
    product: LenderProduct, metrics: Mapping[str, MetricValue], currency: str | None
) -> LenderFit:
    structural = _structural_gaps(product, metrics, currency)
    if structural:
        # What else a lender would check is beside the point once the product cannot fit.
        return _fit(product, "not_a_fit", structural, (), None, NOT_A_FIT_NOTE)
    to_confirm = product.to_confirm + tuple(signal.note(metrics) for signal in product.signals)
    unmet: list[Gap] = []
    if product.currency is not None and currency is None:
        # No currency means no charge, balance or subscription yet: "not yet", not "not a fit".
        unmet.append(
            Gap(
                f"settles in {product.currency.upper()}",
                None,
                None,
                product.currency.upper(),
                "the account's currency is not known yet",
            )
        )
    for criterion in product.criteria:
        gap = criterion.check(metrics, product.currency)
        if gap is not None:
            unmet.append(gap)
    status: Status = "not_yet" if unmet else "eligible"
    if product.sizing is None:
        return _fit(product, status, tuple(unmet), to_confirm, None, product.no_sizing_note)
    estimate = product.sizing.estimate(metrics, currency)
    if isinstance(estimate, str):
        return _fit(product, status, tuple(unmet), to_confirm, None, estimate)
    note = ESTIMATE_NOTE if status == "eligible" else ESTIMATE_NOTE_NOT_YET
    return _fit(product, status, tuple(unmet), to_confirm, estimate, note)


def _structural_gaps(
    product: LenderProduct, metrics: Mapping[str, MetricValue], currency: str | None
) -> tuple[Gap, ...]:
    gaps: list[Gap] = []
    if product.currency is not None and currency is not None and currency != product.currency:
        need = product.currency.upper()
        gaps.append(
            Gap(
                f"settles in {need}",
                None,
                currency.upper(),
                need,
                f"{product.product} is for {product.market} businesses and its thresholds are in "
                f"{need}; this account settles in {currency.upper()}, so it is outside that "
                "market",
            )
        )
    if product.needs_subscription_revenue:
        mrr = as_int(metrics.get("mrr"))
        if mrr is None or mrr <= 0:
            seen = "has no MRR figure for" if mrr is None else "sees no MRR on"
            gaps.append(
                Gap(
                    "subscription revenue",
                    "mrr",
                    mrr,
                    "more than 0",
                    f"{product.lender} lends against subscription revenue, and Vaultra {seen} "
                    "this account",
                )
            )
    return tuple(gaps)


def _fit(
    product: LenderProduct,
    status: Status,
    unmet: tuple[Gap, ...],
    to_confirm: tuple[str, ...],
    offer: OfferEstimate | None,
    offer_note: str,
) -> LenderFit:
    return LenderFit(
        key=product.key,
        lender=product.lender,
        product=product.product,
        status=status,
        unmet=unmet,
        to_confirm=to_confirm,
        offer=offer,
        offer_note=offer_note,
        sources=product.sources,
        read_on=product.read_on,
    )
