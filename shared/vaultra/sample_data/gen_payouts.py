"""Payouts: the account's available balance swept to its bank account on the payout schedule, with
the occasional payout that bounces back (failed) or that the merchant cancels.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from vaultra.sample_data import gen_shapes as shapes
from vaultra.sample_data.gen_core import (
    DAY,
    HOUR,
    MINUTE,
    Obj,
    midnight,
    next_business_day,
    weekday_of,
)
from vaultra.sample_data.gen_money import Movement, Payments, World

PAYOUT_FAILURES = {
    "account_closed": "The bank account has been closed.",
    "no_account": "The bank account details on file are probably incorrect.",
    "invalid_account_number": "The bank account number appears to be invalid.",
    "could_not_process": "The bank could not process this payout.",
}

# A payout takes its amount from the balance; one that bounces or is canceled gives it back.
PAYOUT = Movement("payout", "payout", -1)
PAYOUT_FAILURE = Movement("payout_failure", "payout_reversal", 1)
PAYOUT_CANCEL = Movement("payout_cancel", "payout_reversal", 1)


@dataclass(frozen=True)
class PayoutPlan:
    schedule: str  # "daily" (every business day) | "weekly" (Mondays)
    failures: int = 0  # payouts that bounce back from the bank
    cancellations: int = 0  # manual payouts created and then canceled by the merchant


def run_payouts(world: World, payments: Payments, plan: PayoutPlan) -> None:
    """Sweeps the available balance to the bank on the schedule, day by day, until `now`.

    Funds become available on each balance transaction's `available_on`; a failed or canceled
    payout gives its amount back to the balance, to be paid out again later.
    """
    if not world.balance_transactions:
        return
    rng = world.rng
    first_day = min(t["available_on"] for t in world.balance_transactions)
    incoming: dict[int, int] = {}
    for txn in world.balance_transactions:
        incoming[txn["available_on"]] = incoming.get(txn["available_on"], 0) + txn["net"]
    failure_days = _spread_days(rng, first_day + 20 * DAY, world.now - 12 * DAY, plan.failures)
    cancel_days = _spread_days(rng, first_day + 35 * DAY, world.now - 6 * DAY, plan.cancellations)
    destination = world.ids.new("ba")
    balance, paused_until = 0, 0
    day = first_day
    while day + DAY <= world.now:
        balance += incoming.pop(day, 0)
        if cancel_days and day >= cancel_days[0] and balance > 10_000:
            cancel_days.pop(0)
            _canceled_manual_payout(world, payments, day, balance // 2, destination)
        if _is_payout_day(plan.schedule, day) and day >= paused_until and balance >= 100:
            fail = bool(failure_days) and day >= failure_days[0]
            if fail:
                failure_days.pop(0)
            created = day + rng.randrange(HOUR, 3 * HOUR)
            returned = _automatic_payout(world, payments, created, balance, destination, fail)
            balance = 0
            if returned is not None:
                # The bank bounced it: the money comes back, payouts pause until the merchant
                # fixes their bank details, and later payouts go to the new account.
                back_day, amount = returned
                incoming[back_day] = incoming.get(back_day, 0) + amount
                paused_until = back_day + rng.randint(2, 6) * DAY
                destination = world.ids.new("ba")
        day += DAY


def _is_payout_day(schedule: str, day: int) -> bool:
    weekday = weekday_of(day)
    return weekday == 0 if schedule == "weekly" else weekday < 5


def _spread_days(rng: random.Random, first: int, last: int, count: int) -> list[int]:
    """`count` days spread over [first, last], one in each of `count` equal stretches."""
    if count <= 0 or last <= first:
        return []
    stretch = (last - first) / count
    return [midnight(int(first + stretch * (i + rng.uniform(0.2, 0.8)))) for i in range(count)]


def _automatic_payout(
    world: World, payments: Payments, created: int, amount: int, destination: str, fail: bool
) -> tuple[int, int] | None:
    """Creates one automatic payout and plays it out; returns (day, amount) of funds returned to
    the balance when it fails."""
    rng, rec = world.rng, world.rec
    arrival = next_business_day(created + (1 if rng.random() < 0.7 else 2) * DAY)
    po = _new_payout(world, payments, created, amount, destination, arrival=arrival, automatic=True)
    in_transit = created + rng.randrange(20 * MINUTE, 4 * HOUR)
    if not world.fits(in_transit, 5):
        return None
    po["status"] = "in_transit"
    rec.emit("payout.updated", po, in_transit)
    if fail:
        failed_at = arrival + rng.randint(1, 3) * DAY + rng.randrange(8 * HOUR)
        if not world.fits(failed_at, 5):
            return None
        code = rng.choice(sorted(PAYOUT_FAILURES))
        back = payments.move(PAYOUT_FAILURE, po, failed_at, f"Payout failure ({code})")
        po.update(
            status="failed",
            failure_code=code,
            failure_message=PAYOUT_FAILURES[code],
            failure_balance_transaction=back["id"],
            reconciliation_status="not_applicable",
        )
        rec.emit("payout.failed", po, failed_at)
        return midnight(failed_at), amount
    paid_at = arrival + rng.randrange(6 * HOUR, 14 * HOUR)
    if world.fits(paid_at, 5):
        po.update(status="paid", reconciliation_status="completed")
        rec.emit("payout.paid", po, paid_at)
    return None


def _canceled_manual_payout(
    world: World, payments: Payments, day: int, amount: int, destination: str
) -> None:
    """A payout the merchant requested by hand and canceled before it left: it nets to zero."""
    rng, rec = world.rng, world.rec
    created = day + rng.randrange(10 * MINUTE, 50 * MINUTE)
    arrival = next_business_day(created + DAY)
    po = _new_payout(
        world, payments, created, amount, destination, arrival=arrival, automatic=False
    )
    canceled = created + rng.randrange(2 * MINUTE, 8 * MINUTE)
    payments.move(PAYOUT_CANCEL, po, canceled, "Payout cancellation")
    po["status"] = "canceled"
    rec.emit("payout.canceled", po, canceled, rec.api_request())


def _new_payout(
    world: World,
    payments: Payments,
    created: int,
    amount: int,
    destination: str,
    *,
    arrival: int,
    automatic: bool,
) -> Obj:
    """Creates a payout, taking its amount from the balance: either Stripe's scheduled sweep
    (`automatic`) or one the merchant asked for through the API, whose event carries the request."""
    rec = world.rec
    po = shapes.payout(
        world.ids.new("po"),
        created,
        amount=amount,
        currency=world.currency,
        arrival_date=arrival,
        automatic=automatic,
        destination=destination,
        balance_transaction="",
        livemode=world.livemode,
    )
    description = "STRIPE PAYOUT" if automatic else "Manual payout"
    po["balance_transaction"] = payments.move(PAYOUT, po, created, description)["id"]
    rec.add("payouts", po)
    rec.emit("payout.created", po, created, None if automatic else rec.api_request())
    return po


def finalize_balance_statuses(world: World) -> None:
    """Balance transactions have no events; their final `status` is simply as of `now`."""
    for txn in world.balance_transactions:
        txn["status"] = "available" if txn["available_on"] <= world.now else "pending"
