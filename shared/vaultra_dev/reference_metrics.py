"""Reference implementation: aggregates from in-memory records, one record at a time.

It is written for clarity, not speed, and exists to cross-check the set-based SQL of
`vaultra.db.metrics_query` (the property tests feed both the same ledger). Every rule here is the
policy of docs/METRICS.md; keep the two in step.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from vaultra.domain.metrics.aggregates import (
    Aggregates,
    MonthTotals,
    MrrAggregates,
    MrrMovements,
    SettlementRate,
)
from vaultra.domain.metrics.periods import MONTHS_IN_YEAR, MONTHS_SCANNED, Periods, month_index
from vaultra.domain.metrics.records import (
    INQUIRY_STATUSES,
    VOID_REFUND_STATUSES,
    ChargeRecord,
    DisputeRecord,
    InvoiceLineRecord,
    Ledger,
    RefundRecord,
    StateRecord,
)
from vaultra.domain.mrr import BilledLine, billed_in_force, is_unpriced, subscription_mrr


def counts_as_sale(charge: ChargeRecord) -> bool:
    return charge.status == "succeeded" and charge.captured


def settled(
    amount: int, currency: str, settled_amount: int | None, settled_currency: str | None, to: str
) -> int | None:
    """The amount in `to`: as is in that currency, else Stripe's settled amount, else unknown."""
    if currency == to:
        return amount
    if settled_currency == to and settled_amount is not None:
        return settled_amount
    return None


def reference_aggregates(ledger: Ledger, periods: Periods, currency: str | None) -> Aggregates:
    cur = currency or ""
    end, month_start, trailing = periods.end, periods.month_start, periods.trailing_start
    rolling_month, year_start = periods.rolling_month_start, periods.year_start
    months = [[0, 0, 0] for _ in range(MONTHS_SCANNED)]
    gross_12m = unconverted_12m = charges_12m = gross_90d = charges_90d = charges_30d = 0
    # the 12 months before the complete months: scanned-month positions −12 … −1
    year_earlier = [0] * MONTHS_IN_YEAR
    per_party: dict[str, int] = defaultdict(int)
    purchases: dict[str, int] = defaultdict(int)  # customers' charges of the 12 months
    spent: dict[str, int] = defaultdict(int)
    by_currency: dict[str, int] = defaultdict(int)
    first_charge: datetime | None = None
    for c in ledger.charges:
        if not counts_as_sale(c) or c.created >= end:
            continue
        first_charge = c.created if first_charge is None else min(first_charge, c.created)
        idx = month_index(c.created, periods)
        amount = settled(c.amount_captured, c.currency, c.settled_amount, c.settled_currency, cur)
        if -MONTHS_IN_YEAR <= idx < 0:
            year_earlier[idx + MONTHS_IN_YEAR] += amount or 0
        if not 0 <= idx < MONTHS_SCANNED:
            continue
        months[idx][1] += 1
        if amount is None:
            months[idx][2] += 1
        else:
            months[idx][0] += amount
        if c.created >= trailing:
            charges_90d += 1
            gross_90d += amount or 0
        if c.created >= rolling_month:
            charges_30d += 1
        if c.created >= year_start:
            charges_12m += 1
            by_currency[c.currency] += c.amount_captured
            if c.customer_id is not None:
                purchases[c.customer_id] += 1
                spent[c.customer_id] += amount or 0
            if amount is None:
                unconverted_12m += 1
            else:
                gross_12m += amount
                per_party[c.customer_id or f"charge:{c.id}"] += amount

    refunded_month = refunded_90d = unconverted_refunds = 0
    for r in ledger.refunds:
        if r.status in VOID_REFUND_STATUSES or not (min(month_start, trailing) <= r.created < end):
            continue
        amount = _settled_refund(r, cur)
        if amount is None:
            unconverted_refunds += 1
            continue
        if r.created >= month_start:
            refunded_month += amount
        if r.created >= trailing:
            refunded_90d += amount

    disputes_month = disputed_month = won_month = disputes_90d = disputes_30d = 0
    inquiries = unconverted_d = 0
    for d in ledger.disputes:
        amount = _settled_dispute(d, cur)
        if d.status in INQUIRY_STATUSES:
            if month_start <= d.created < end:
                inquiries += 1
            continue
        if month_start <= d.created < end:
            disputes_month += 1
            if amount is None:
                unconverted_d += 1
            else:
                disputed_month += amount
        if trailing <= d.created < end:
            disputes_90d += 1
        if rolling_month <= d.created < end:
            disputes_30d += 1
        if d.status == "won" and d.closed_at is not None and month_start <= d.closed_at < end:
            won_month += amount or 0

    paid_90d = failed_90d = 0
    arrived = sorted(
        (p for p in ledger.payouts if p.arrival_date < end), key=lambda p: p.arrival_date
    )
    last_failure = max((p.arrival_date for p in arrived if p.status == "failed"), default=None)
    streak = sum(
        1
        for p in arrived
        if p.status == "paid" and (last_failure is None or p.arrival_date > last_failure)
    )
    for p in arrived:
        if p.arrival_date >= trailing:
            paid_90d += p.status == "paid"
            failed_90d += p.status == "failed"

    volumes = sorted(per_party.values(), reverse=True)
    times = [c.created for c in ledger.charges] + [r.created for r in ledger.refunds]
    times += [d.created for d in ledger.disputes] + list(ledger.other_times)
    times += [p.created for p in ledger.payouts if p.created is not None]
    times += [line.created for line in ledger.invoice_lines]  # their invoices'
    rates = settlement_rates(ledger.charges, year_start, end, cur)
    return Aggregates(
        currency=currency,
        months=tuple(MonthTotals(g, n, u) for g, n, u in months),
        gross_12m=gross_12m,
        gross_year_earlier_by_month=tuple(year_earlier),
        buyers_12m=len(purchases),
        repeat_buyers_12m=sum(1 for n in purchases.values() if n >= 2),
        repeat_volume_12m=sum(spent[c] for c, n in purchases.items() if n >= 2),
        unconverted_12m=unconverted_12m,
        charges_12m=charges_12m,
        gross_90d=gross_90d,
        charges_90d=charges_90d,
        charges_30d=charges_30d,
        refunded_month=refunded_month,
        refunded_90d=refunded_90d,
        unconverted_refunds=unconverted_refunds,
        disputes_month=disputes_month,
        disputed_amount_month=disputed_month,
        disputes_won_month_amount=won_month,
        disputes_90d=disputes_90d,
        disputes_30d=disputes_30d,
        inquiries_month=inquiries,
        unconverted_disputes=unconverted_d,
        payouts_paid_90d=paid_90d,
        payouts_failed_90d=failed_90d,
        payout_paid_streak=streak,
        last_payout_failure=last_failure,
        customers_12m=len(volumes),
        top1_12m=sum(volumes[:1]),
        top5_12m=sum(volumes[:5]),
        sum_squares_12m=sum(v * v for v in volumes),
        volume_by_currency_12m=dict(by_currency),
        first_charge=first_charge,
        data_through=max((t for t in times if t < end), default=None),
        last_synced=max((t for t in ledger.syncs if t < end), default=None),
        rates=rates,
        mrr=reference_mrr(ledger.states, periods, cur, ledger.invoice_lines, rates),
    )


def settlement_rates(
    charges: Iterable[ChargeRecord], start: datetime, end: datetime, currency: str
) -> dict[str, SettlementRate]:
    """Per foreign currency, the rate of its latest sale (by time, then id) in [start, end) that
    settled into `currency`: its settled amount for its amount."""
    latest: dict[str, ChargeRecord] = {}
    if not currency:
        return {}
    for c in charges:
        if (
            counts_as_sale(c)
            and start <= c.created < end
            and c.currency != currency
            and c.settled_currency == currency
            and c.settled_amount is not None
            and c.settled_amount > 0
            and c.amount_captured > 0
        ):
            best = latest.get(c.currency)
            if best is None or (c.created, c.id) > (best.created, best.id):
                latest[c.currency] = c
    return {
        cur: SettlementRate(c.settled_amount or 0, c.amount_captured, c.created)
        for cur, c in latest.items()
    }


def _settled_refund(r: RefundRecord, cur: str) -> int | None:
    return settled(r.amount, r.currency, r.settled_amount, r.settled_currency, cur)


def _settled_dispute(d: DisputeRecord, cur: str) -> int | None:
    return settled(d.amount, d.currency, d.settled_amount, d.settled_currency, cur)


# --- MRR ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A customer's MRR changing at one instant."""

    customer_id: str
    at: datetime
    before: int
    after: int
    had_mrr_before: bool


def chosen_states(states: Iterable[StateRecord], end: datetime) -> dict[str, list[StateRecord]]:
    """Each subscription's states before `end`, by the reading rules of docs/DATA_MODEL.md:
    rebuilt states only before the first event state; of several states at one instant, the one
    with the greatest version key."""
    by_sub: dict[str, list[StateRecord]] = defaultdict(list)
    for s in states:
        if s.valid_from < end:
            by_sub[s.subscription_id].append(s)
    chosen: dict[str, list[StateRecord]] = {}
    for sub, rows in by_sub.items():
        first_event = min((r.valid_from for r in rows if r.source == "event"), default=None)
        kept = [
            r
            for r in rows
            if r.source != "reconstructed" or first_event is None or r.valid_from < first_event
        ]
        last_at: dict[datetime, StateRecord] = {}
        for r in sorted(kept, key=lambda r: (r.valid_from, r.version_key)):
            last_at[r.valid_from] = r
        chosen[sub] = [last_at[t] for t in sorted(last_at)]
    return chosen


def billed_lines(lines: Iterable[InvoiceLineRecord]) -> dict[str, list[BilledLine]]:
    """Each subscription's invoice lines that bill a usage-priced item."""
    by_sub: dict[str, list[BilledLine]] = defaultdict(list)
    for line in lines:
        billed = line.billed()
        if billed is not None and line.subscription_id is not None:
            by_sub[line.subscription_id].append(billed)
    return by_sub


@dataclass(frozen=True)
class PricedInstant:
    """A subscription at an instant its MRR can change: the state in force and what its
    usage-priced items were last billed (monthly, by item id)."""

    at: datetime
    state: StateRecord
    billed: dict[str, Fraction]


def priced_history(
    rows: list[StateRecord], lines: list[BilledLine], end: datetime
) -> list[PricedInstant]:
    """One subscription's instants before `end`, from its first chosen state: where a state
    begins, where a billed line's period ends (its amount becomes the price), and where a line
    goes stale."""
    starts = [r.valid_from for r in rows]
    instants = set(starts) | {b.period_end for b in lines} | {b.stale_from for b in lines}
    out = []
    for at in sorted(t for t in instants if starts[0] <= t < end):
        state = rows[bisect_right(starts, at) - 1]
        out.append(PricedInstant(at, state, billed_in_force(lines, at)))
    return out


def customer_changes(
    histories: dict[str, list[PricedInstant]],
    currency: str,
    rates: dict[str, SettlementRate] | None = None,
) -> dict[str, list[Change]]:
    """Each customer's MRR changes in time order (instants where the total does not move are
    dropped), in `currency`: a state billed in another currency counts converted at that
    currency's settlement rate (one rate for every instant: constant currency), or not at all
    without one."""
    deltas: dict[tuple[str, datetime], int] = defaultdict(int)
    for history in histories.values():
        previous = 0
        for p in history:
            mrr = state_mrr(p.state, currency, p.billed, rates)
            deltas[(p.state.customer_id, p.at)] += mrr - previous
            previous = mrr
    per_customer: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for (customer, at), delta in deltas.items():
        if delta:
            per_customer[customer].append((at, delta))
    changes: dict[str, list[Change]] = {}
    for customer, points in per_customer.items():
        running, ever, out = 0, False, []
        for at, delta in sorted(points):
            out.append(Change(customer, at, running, running + delta, ever))
            running += delta
            ever = ever or running > 0
        changes[customer] = out
    return changes


def state_mrr(
    state: StateRecord,
    currency: str,
    billed: dict[str, Fraction],
    rates: dict[str, SettlementRate] | None = None,
) -> int:
    native = subscription_mrr(state.status, state.items, state.discount, billed)
    if state.currency is None or state.currency == currency:
        return native
    rate = (rates or {}).get(state.currency)
    return 0 if rate is None else rate.convert(native)


def mrr_at(changes: list[Change], instant: datetime) -> int:
    """A customer's MRR just before `instant`."""
    value = 0
    for change in changes:
        if change.at >= instant:
            break
        value = change.after
    return value


def classify(movements: dict[str, int], change: Change) -> None:
    before, after = change.before, change.after
    if before == 0 and after > 0:
        movements["reactivation" if change.had_mrr_before else "new"] += after
    elif before > 0 and after == 0:
        movements["churn"] += before
    elif after > before:
        movements["expansion"] += after - before
    else:
        movements["contraction"] += before - after


def reference_mrr(
    states: Iterable[StateRecord],
    periods: Periods,
    currency: str,
    invoice_lines: Iterable[InvoiceLineRecord] = (),
    rates: dict[str, SettlementRate] | None = None,
) -> MrrAggregates:
    states = list(states)
    end, month_start = periods.end, periods.month_start
    chosen = chosen_states(states, end)
    lines = billed_lines(invoice_lines)
    histories = {sub: priced_history(rows, lines.get(sub, []), end) for sub, rows in chosen.items()}
    changes = customer_changes(histories, currency, rates)
    # the three complete months before D's month: their starts, and the end of the last one
    boundaries = [periods.month_start_back(k) for k in (3, 2, 1, 0)]
    movements = {"new": 0, "expansion": 0, "contraction": 0, "churn": 0, "reactivation": 0}
    mrr_end = mrr_start = mrr_rolling = mrr_half_year = paying_end = paying_start = 0
    churned_month = 0
    base = retained = capped = 0
    starting = [0, 0, 0]
    churned = [0, 0, 0]
    for customer_changes_ in changes.values():
        for change in customer_changes_:
            if month_start <= change.at < end:
                classify(movements, change)
        at_end = mrr_at(customer_changes_, end)
        at_start = mrr_at(customer_changes_, month_start)
        mrr_end += at_end
        mrr_start += at_start
        mrr_rolling += mrr_at(customer_changes_, periods.rolling_month_start)
        mrr_half_year += mrr_at(customer_changes_, periods.half_year_start)
        paying_end += at_end > 0
        paying_start += at_start > 0
        churned_month += at_start > 0 and at_end == 0
        for k in range(3):
            if mrr_at(customer_changes_, boundaries[k]) > 0:
                starting[k] += 1
                churned[k] += mrr_at(customer_changes_, boundaries[k + 1]) == 0
        then = mrr_at(customer_changes_, periods.year_earlier_end)
        base += then
        if then > 0:
            retained += at_end
            capped += min(at_end, then)
    by_currency: dict[str, int] = defaultdict(int)
    unpriced = 0
    for history in histories.values():
        last = history[-1]
        state = last.state
        native = subscription_mrr(state.status, state.items, state.discount, last.billed)
        by_currency[state.currency or currency] += native
        unpriced += is_unpriced(state.status, state.items, last.billed)
    return MrrAggregates(
        mrr_end=mrr_end,
        mrr_month_start=mrr_start,
        mrr_rolling_month_start=mrr_rolling,
        mrr_half_year_start=mrr_half_year,
        paying_end=paying_end,
        paying_month_start=paying_start,
        churned_month=churned_month,
        movements=MrrMovements(**movements),
        starting_3m=(starting[0], starting[1], starting[2]),
        churned_3m=(churned[0], churned[1], churned[2]),
        mrr_year_earlier=base,
        retained_mrr=retained,
        retained_mrr_capped=capped,
        mrr_by_currency={c: a for c, a in by_currency.items() if a},
        unpriced_subscriptions=unpriced,
    )
