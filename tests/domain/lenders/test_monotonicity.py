"""Better metrics never move a product backwards: the property every criterion is built for.

From any profile, improving one metric — more months, more volume, more MRR or ARR, higher
retention, a known value where there was none, fewer disputes — never turns an eligible product
into not yet or not a fit, nor a not-yet product into not a fit, nor adds an unmet criterion to a
product that stays not yet.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from vaultra.domain.lenders import LenderFit, assess_lenders
from vaultra.domain.metrics.formulas import MetricValue

from tests.domain.lenders.profiles import MONTHS

RANK = {"eligible": 0, "not_yet": 1, "not_a_fit": 2}

# Values at and around every published line, so the boundaries are crossed often.
LINES = [0, 1, 99_999, 100_000, 299_999, 300_000, 499_999, 500_000, 999_999, 1_000_000]
LINES += [1_499_999, 1_500_000, 9_999_999, 10_000_000, 19_999_999, 20_000_000]

MONEY = ("gross_volume_12m", "gross_volume_90d", "mrr", "mrr_previous_month_end", "arr")
RATIOS = ("grr_12m", "nrr_12m")
OTHERS = ("months_of_history", "gross_volume_by_month_12m", "dispute_activity_ratio_90d")

known_money = st.sampled_from(LINES) | st.integers(0, 40_000_000)
known_months = st.sampled_from([2, 3, 5, 6, 8, 9, 23, 24]) | st.integers(0, 40)
known_series = st.lists(
    st.sampled_from(LINES) | st.integers(0, 3_000_000), min_size=12, max_size=12
).map(lambda values: dict(zip(MONTHS, values, strict=True)))
ratio = st.none() | st.decimals(Decimal(0), Decimal(2), places=6)
disputes = st.none() | st.decimals(Decimal(0), Decimal("0.2"), places=6)


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, MetricValue]:
    metrics: dict[str, MetricValue] = {key: draw(st.none() | known_money) for key in MONEY}
    metrics |= {key: draw(ratio) for key in RATIOS}
    metrics["months_of_history"] = draw(st.none() | known_months)
    metrics["gross_volume_by_month_12m"] = draw(st.none() | known_series)
    metrics["dispute_activity_ratio_90d"] = draw(disputes)
    return metrics


@st.composite
def improved(draw: st.DrawFn, metrics: dict[str, MetricValue]) -> dict[str, MetricValue]:
    """`metrics` with one metric made better, or made known where it was None."""
    key = draw(st.sampled_from([*MONEY, *RATIOS, *OTHERS]))
    old = metrics[key]
    better = dict(metrics)
    if key in MONEY or key == "months_of_history":
        if old is None:
            better[key] = draw(known_money if key in MONEY else known_months)
        else:
            assert isinstance(old, int)
            better[key] = old + draw(st.integers(1, 30_000_000))
    elif key in RATIOS:
        step = draw(st.decimals(Decimal("0.000001"), Decimal(1), places=6))
        assert old is None or isinstance(old, Decimal)
        better[key] = step if old is None else old + step
    elif key == "gross_volume_by_month_12m":
        if old is None:
            better[key] = draw(known_series)
        else:
            assert isinstance(old, dict)
            month = draw(st.sampled_from(MONTHS))
            better[key] = old | {month: old[month] + draw(st.integers(1, 3_000_000))}
    else:  # fewer disputes is better
        assert old is None or isinstance(old, Decimal)
        better[key] = Decimal(0) if old is None else old / 2
    return better


def by_key(fits: list[LenderFit]) -> dict[str, LenderFit]:
    return {fit.key: fit for fit in fits}


@settings(max_examples=400, deadline=None)
@given(
    data=st.data(),
    metrics=profiles(),
    currency=st.sampled_from(["usd", "gbp", "eur", None]),
)
def test_improving_one_metric_never_moves_a_product_backwards(
    data: st.DataObject, metrics: dict[str, MetricValue], currency: str | None
) -> None:
    better = data.draw(improved(metrics))

    before = by_key(assess_lenders(metrics, currency))
    after = by_key(assess_lenders(better, currency))

    for key, was in before.items():
        now = after[key]
        assert RANK[now.status] <= RANK[was.status], (key, was.unmet, now.unmet)
        if was.status == now.status == "not_yet":
            assert len(now.unmet) <= len(was.unmet), (key, was.unmet, now.unmet)
