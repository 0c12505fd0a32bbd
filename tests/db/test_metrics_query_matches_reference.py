"""The set-based SQL equals the record-by-record reference implementation, on generated ledgers.

Hypothesis builds small ledgers that stress the rules (several currencies, settled and unsettled
amounts, inquiries, won disputes, failed payouts, subscriptions with every status, intervals, coupons,
rebuilt and event states at the same instants, metered and tiered items billed by invoice lines
that end, go stale and tie at the same instants, prorations and draft or void invoices) and as-of days that include month ends, the 1st of
a month and leap days. Both implementations must produce identical aggregates, and the MRR
movements must reconcile.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from vaultra.db.metrics_query import ledger_aggregates
from vaultra.domain.metrics.periods import Periods
from vaultra.domain.metrics.records import (
    ChargeRecord,
    DisputeRecord,
    InvoiceLineRecord,
    Ledger,
    PayoutRecord,
    RefundRecord,
    StateRecord,
)
from vaultra.domain.mrr import Discount, Item
from vaultra_dev.reference_metrics import reference_aggregates

from tests.support.ledger_records import load_ledger, new_business

# Mid-month, month ends (31, 30, 28 and 29 days) and the 1st of a month, where the windows of
# the 12 months, the 30 days and the complete months meet the calendar.
AS_OF_DAYS = [
    date(2026, 11, 26),
    date(2026, 10, 31),
    date(2026, 4, 30),
    date(2026, 2, 28),
    date(2028, 2, 29),
    date(2026, 3, 1),
    date(2027, 1, 1),
]
CUSTOMERS = ["cus_a", "cus_b", "cus_c", "cus_d", "cus_e", "cus_f"]
DAY_S = 86_400


def relative(as_of: date, grid_s: int = 1) -> st.SearchStrategy[datetime]:
    """Instants around `as_of`: mostly its month and the one before, some within the year before
    (NRR's base, the 12-month series), some around the same quarter a year earlier (the
    year-on-year base, and sales just before it), some over the whole year before the complete
    months and the month before it (the seasonal pattern's year: 24 complete months of history
    and more), a few after D (which must be ignored). A coarse grid makes states coincide
    (same-instant tie-breaks, grouping)."""
    end = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) + timedelta(days=1)
    offsets = st.one_of(
        st.integers(-62 * DAY_S, 0),
        st.integers(-62 * DAY_S, 0),
        st.integers(-420 * DAY_S, 0),
        st.integers(-500 * DAY_S, -330 * DAY_S),
        st.integers(-800 * DAY_S, -330 * DAY_S),
        st.integers(-800 * DAY_S, -700 * DAY_S),  # where the 24 complete months begin
        st.integers(0, 3 * DAY_S),
    )
    return offsets.map(lambda s: end + timedelta(seconds=s // grid_s * grid_s))


currencies = st.sampled_from(["usd", "usd", "usd", "eur"])
amounts = st.integers(1, 500_000)


@st.composite
def charges(
    draw: st.DrawFn,
    moments: st.SearchStrategy[datetime],
    currencies: st.SearchStrategy[str] = currencies,
) -> list[ChargeRecord]:
    out = []
    for n in range(draw(st.integers(0, 25))):
        currency = draw(currencies)
        settled = draw(st.none() | amounts) if currency != "usd" else None
        out.append(
            ChargeRecord(
                id=f"ch_{n}",
                created=draw(moments),
                amount_captured=draw(amounts),
                currency=currency,
                customer_id=draw(st.none() | st.sampled_from(CUSTOMERS)),
                status=draw(st.sampled_from(["succeeded", "succeeded", "failed", "pending"])),
                captured=draw(st.booleans() | st.just(True)),
                settled_amount=settled,
                settled_currency="usd" if settled is not None else None,
            )
        )
    return out


@st.composite
def refunds(draw: st.DrawFn, moments: st.SearchStrategy[datetime]) -> list[RefundRecord]:
    out = []
    for n in range(draw(st.integers(0, 8))):
        currency = draw(currencies)
        settled = draw(st.none() | amounts) if currency != "usd" else None
        out.append(
            RefundRecord(
                id=f"re_{n}",
                created=draw(moments),
                amount=draw(amounts),
                currency=currency,
                status=draw(st.sampled_from(["succeeded", "pending", "failed", "canceled", None])),
                settled_amount=settled,
                settled_currency="usd" if settled is not None else None,
            )
        )
    return out


@st.composite
def disputes(draw: st.DrawFn, moments: st.SearchStrategy[datetime]) -> list[DisputeRecord]:
    out = []
    for n in range(draw(st.integers(0, 6))):
        currency = draw(currencies)
        settled = draw(st.none() | amounts) if currency != "usd" else None
        status = draw(
            st.sampled_from(
                [
                    "needs_response",
                    "under_review",
                    "won",
                    "lost",
                    "warning_needs_response",
                    "warning_closed",
                ]
            )
        )
        created = draw(moments)
        closed = (
            created + timedelta(days=draw(st.integers(1, 80)))
            if status in ("won", "lost")
            else None
        )
        out.append(
            DisputeRecord(
                f"dp_{n}",
                created,
                draw(amounts),
                currency,
                status,
                closed,
                settled,
                "usd" if settled is not None else None,
            )
        )
    return out


@st.composite
def payouts(draw: st.DrawFn, moments: st.SearchStrategy[datetime]) -> list[PayoutRecord]:
    found = []
    for n in range(draw(st.integers(0, 10))):
        arrival = draw(moments)
        status = draw(st.sampled_from(["paid", "paid", "paid", "failed", "pending", "canceled"]))
        # Every stored payout has its `created`, a few days before it arrives at the latest.
        created = arrival - timedelta(days=draw(st.integers(0, 5)))
        found.append(PayoutRecord(f"po_{n}", arrival, status, created))
    return found


intervals = st.sampled_from(["month", "month", "year", "week", "day"])
interval_counts = st.sampled_from([1, 1, 2, 3])
ITEMS_PER_SUBSCRIPTION = 3


def items(subscription: int) -> st.SearchStrategy[Item]:
    """Items of one subscription: ids from a small pool, so that its invoice lines bill them and
    one item keeps its id across states (a price change keeps the item)."""
    return st.builds(
        Item,
        unit_amount=st.none() | st.integers(0, 100_000),
        quantity=st.none() | st.integers(1, 20),
        interval=intervals,
        interval_count=interval_counts,
        usage_type=st.sampled_from(["licensed", "licensed", "metered"]),
        item_id=st.sampled_from(
            [None] + [f"si_{subscription}_{k}" for k in range(ITEMS_PER_SUBSCRIPTION)] * 3
        ),
    )


discounts = st.none() | st.builds(
    Discount,
    duration=st.sampled_from(["forever", "once", "repeating"]),
    percent_off=st.none()
    | st.sampled_from([Decimal(10), Decimal("33.33"), Decimal(50), Decimal(100)]),
    amount_off=st.none() | st.integers(1, 5_000),
)


STATUSES = st.sampled_from(
    [
        "active",
        "active",
        "active",
        "past_due",
        "trialing",
        "canceled",
        "unpaid",
        "incomplete",
        "paused",
    ]
)


STATE_CURRENCIES = st.sampled_from(["usd", "usd", "eur", None])


@st.composite
def states(
    draw: st.DrawFn,
    coarse_moments: st.SearchStrategy[datetime],
    currencies: st.SearchStrategy[str | None] = STATE_CURRENCIES,
    statuses: st.SearchStrategy[str] = STATUSES,
) -> list[StateRecord]:
    out = []
    for s in range(draw(st.integers(0, 7))):
        customer = draw(st.sampled_from(CUSTOMERS[:4]))
        currency = draw(currencies)
        for k in range(draw(st.integers(1, 6))):
            out.append(
                StateRecord(
                    subscription_id=f"sub_{s}",
                    customer_id=customer,
                    valid_from=draw(coarse_moments),
                    status=draw(statuses),
                    items=tuple(draw(st.lists(items(s), min_size=0, max_size=3))),
                    discount=draw(discounts),
                    currency=currency,
                    source=draw(st.sampled_from(["event", "snapshot", "reconstructed"])),
                    version_key=f"{draw(st.sampled_from(['evt_A', 'evt_b', 'reconstructed:in_1', '']))}{k}",
                )
            )
    return out


# A service period: a day, a week, a month of 28, 30 or 31 days, a year.
PERIOD_DAYS = [1, 7, 28, 30, 31, 365]


@st.composite
def invoice_lines(
    draw: st.DrawFn,
    coarse_moments: st.SearchStrategy[datetime],
    subscription_states: list[StateRecord],
) -> list[InvoiceLineRecord]:
    """Lines billing the generated subscriptions' items, mostly those their states have (and a
    few that bill nothing MRR reads: prorations, drafts and voids, licensed prices, a
    subscription without states, no item)."""
    subscriptions = sorted(
        {int(s.subscription_id.removeprefix("sub_")) for s in subscription_states}
    )
    held = {
        (s.subscription_id, i.item_id) for s in subscription_states for i in s.items if i.item_id
    }
    out = []
    for n in range(draw(st.integers(0, 20))):
        sub = draw(st.sampled_from([*subscriptions, *subscriptions, 7]))  # sub_7 has no states
        pool = [f"si_{sub}_{k}" for k in range(ITEMS_PER_SUBSCRIPTION)]
        present = [item for item in pool if (f"sub_{sub}", item) in held]
        end = draw(coarse_moments)
        start = end - timedelta(days=draw(st.sampled_from(PERIOD_DAYS)))
        out.append(
            InvoiceLineRecord(
                id=f"il_{n:02d}",
                subscription_id=draw(st.sampled_from([f"sub_{sub}"] * 5 + [None])),
                subscription_item_id=draw(st.sampled_from([None, *pool, *present * 6])),
                amount=draw(st.integers(0, 200_000)),
                # invoices created at the period's end or a little later: ties between lines
                # ending together are decided by the later invoice, then the line id
                created=end + timedelta(hours=draw(st.sampled_from([0, 0, 1, 30]))),
                period_start=draw(st.sampled_from([start] * 9 + [None])),
                period_end=draw(st.sampled_from([end] * 9 + [None])),
                interval=draw(st.sampled_from(["month", "month", "year", "week", "day", None])),
                interval_count=draw(interval_counts),
                unit_amount=draw(st.none() | st.none() | st.integers(1, 5_000)),
                usage_type=draw(st.sampled_from(["metered", "metered", "licensed", None])),
                proration=draw(st.sampled_from([False] * 7 + [True])),
                invoice_status=draw(
                    st.sampled_from(["paid"] * 4 + ["open", "uncollectible", "draft", "void"])
                ),
            )
        )
    return out


@st.composite
def cases(draw: st.DrawFn) -> tuple[Ledger, date]:
    as_of = draw(st.sampled_from(AS_OF_DAYS))
    moments, coarse = relative(as_of), relative(as_of, grid_s=4 * DAY_S)
    subscription_states = draw(states(coarse))
    ledger = Ledger(
        charges=tuple(draw(charges(moments))),
        refunds=tuple(draw(refunds(moments))),
        disputes=tuple(draw(disputes(moments))),
        payouts=tuple(draw(payouts(moments))),
        states=tuple(subscription_states),
        invoice_lines=tuple(draw(invoice_lines(coarse, subscription_states))),
        other_times=tuple(draw(st.lists(moments, max_size=3))),
        syncs=tuple(draw(st.lists(moments, max_size=4))),
    )
    return ledger, as_of


@st.composite
def cases_in_currencies(draw: st.DrawFn) -> tuple[Ledger, date]:
    """Subscriptions billed mostly in EUR and JPY (a zero-decimal currency), mostly active, beside
    sales in those currencies that settled in USD, or did not: MRR converted at Stripe's rates."""
    as_of = draw(st.sampled_from(AS_OF_DAYS))
    moments, coarse = relative(as_of), relative(as_of, grid_s=4 * DAY_S)
    foreign = st.sampled_from(["usd", "eur", "eur", "jpy", "jpy"])
    ledger = Ledger(
        charges=tuple(draw(charges(moments, foreign))),
        states=tuple(
            draw(states(coarse, foreign | st.none(), st.sampled_from(["active", "canceled"])))
        ),
    )
    return ledger, as_of


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases_in_currencies())
def test_mrr_converted_at_stripes_rates_equals_the_reference(
    engine: Engine, case: tuple[Ledger, date]
) -> None:
    assert_sql_equals_reference(engine, *case)


def assert_sql_equals_reference(engine: Engine, ledger: Ledger, as_of: date) -> None:
    """The engine's aggregates of `ledger` (account currency usd) are the reference's, and the
    month's MRR movements reconcile with the change in MRR."""
    periods = Periods(as_of)
    with engine.begin() as conn:
        business = new_business(conn)
        load_ledger(conn, business, ledger)
        from_sql = ledger_aggregates(conn, business, periods, "usd")
    assert from_sql == reference_aggregates(ledger, periods, "usd")
    m, mv = from_sql.mrr, from_sql.mrr.movements
    assert m.mrr_end - m.mrr_month_start == (
        mv.new + mv.expansion + mv.reactivation - mv.contraction - mv.churn
    )


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_sql_aggregates_equal_the_reference_implementation(
    engine: Engine, case: tuple[Ledger, date]
) -> None:
    assert_sql_equals_reference(engine, *case)
