"""One subscription's life: creation (with a trial, a coupon, metered usage, a setup fee), what its
customer does between renewals (seat and plan changes with prorations, cancellation), and each
renewal with its invoice and collection. Also the profile and catalog types a SaaS is built from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from vaultra.sample_data import gen_shapes as shapes
from vaultra.sample_data.gen_billing import INCOMPLETE_WINDOW, Account, Billing, Dunning, Live
from vaultra.sample_data.gen_core import (
    DAY,
    HOUR,
    MINUTE,
    Obj,
    add_interval,
    add_months,
    chance,
    clone,
    pick,
)
from vaultra.sample_data.gen_money import World

MONTH = 30.44 * DAY


@dataclass(frozen=True)
class PlanSpec:
    tier: str  # product name
    interval: str | None  # None: a one-time price
    unit_amount: int
    usage_type: str = "licensed"


@dataclass(frozen=True)
class SaasProfile:
    plans: tuple[PlanSpec, ...]
    tiers: tuple[tuple[str, float], ...]  # licensed tiers, cheapest first, with signup weights
    intervals: tuple[tuple[str, float], ...]
    initial_customers: float  # customers who join in the first three weeks
    monthly_signups: float  # new customers in the first month; grows by `signup_growth`
    signup_growth: float
    seats_median: float = 6.0  # quantity is log-normal around it; 1 for flat-priced plans
    seats_spread: float = 0.8
    trial_share: float = 0.4
    trial_days: int = 14
    trial_conversion: float = 0.6
    monthly_churn: float = 0.025
    yearly_churn: float = 0.15
    immediate_cancel_share: float = 0.2
    seat_upgrade_rate: float = 0.05  # per month
    seat_downgrade_rate: float = 0.015
    tier_change_rate: float = 0.02
    renewal_failure_rate: float = 0.04
    first_payment_failure_rate: float = 0.03
    recovery_share: float = 0.65
    unpaid_share: float = 0.3
    coupon_share: float = 0.12
    early_adopter_coupon_share: float = 0.3  # forever coupon for the first months' signups
    metered_share: float = 0.1
    setup_fee_share: float = 0.1
    reactivation_share: float = 0.15
    deletion_share: float = 0.15
    refund_rate: float = 0.01
    personas: tuple[str, ...] = ()
    founding_customer: bool = False  # the very first customer pays on day one, no trial


@dataclass
class Choices:
    """What one customer's subscription will do; drawn at signup, overridden by personas."""

    tier: str
    interval: str
    quantity: int
    trial: bool = False
    converts: bool = True
    coupon: str | None = None
    metered: bool = False
    setup_fee: bool = False
    reactivates: bool = False
    first_payment_fails: bool = False
    churn_in_period: int | None = None  # forced voluntary churn during this period
    immediate_cancel: bool = False
    forced_changes: dict[int, str] = field(default_factory=dict)  # period -> change kind
    forced_dunning: Dunning | None = None  # how collection goes at renewal `dunning_period`
    dunning_period: int | None = None  # 0: at every renewal


@dataclass
class Catalog:
    prices: dict[tuple[str, str | None, str], Obj]  # (tier, interval, usage_type) -> price
    coupons: dict[str, Obj]  # "forever" | "once" | "repeating" | "amount_once"


class SubscriptionLife:
    """Plays subscriptions of one business, one at a time, from creation to end or `now`."""

    def __init__(
        self, world: World, billing: Billing, profile: SaasProfile, catalog: Catalog
    ) -> None:
        self.w = world
        self.billing = billing
        self.p = profile
        self.catalog = catalog

    def run(self, account: Account, at: int, ch: Choices) -> int | None:
        """Runs one subscription from creation until it ends (returns when) or until `now`."""
        live = self._create(account, at, ch)
        if live.sub["ended_at"] is not None:
            return int(live.sub["ended_at"])
        if live.sub["status"] == "incomplete":  # its first payment is still being retried at `now`
            return None
        period = 1
        while True:
            period_end = live.sub["current_period_end"]
            ended = self._during_period(live, ch, period, period_end)
            if ended is not None:
                return ended if ended > 0 else None
            if not self.w.fits(period_end, 10):
                return None
            if live.sub["cancel_at_period_end"]:
                return self.billing.end(live, period_end, "cancellation_requested")
            outcome = self._renew(live, ch, period, period_end)
            if outcome is not None:
                return outcome if outcome > 0 else None
            period += 1

    # --- Creation -----------------------------------------------------------------------------

    def _create(self, account: Account, at: int, ch: Choices) -> Live:
        w, rec, billing = self.w, self.w.rec, self.billing
        request = rec.api_request()
        price = self.catalog.prices[(ch.tier, ch.interval, "licensed")]
        sub_id = w.ids.new("sub")
        items = [self._item(at, price, ch.quantity, sub_id)]
        if ch.metered:
            metered_price = self.catalog.prices[("API usage", "month", "metered")]
            items.append(self._item(at, metered_price, None, sub_id))
        trial_end = at + self.p.trial_days * DAY if ch.trial else None
        period_end = trial_end or add_interval(at, ch.interval, 1, 1)
        status = "trialing" if ch.trial else ("incomplete" if ch.first_payment_fails else "active")
        sub = shapes.subscription(
            sub_id,
            at,
            customer_id=account.obj["id"],
            currency=w.currency,
            items=items,
            livemode=w.livemode,
            status=status,
            period_start=at,
            period_end=period_end,
            trial_start=at if ch.trial else None,
            trial_end=trial_end,
            pm=account.card.payment_method,
        )
        live = Live(sub, account, ch.interval, 1, usage_mean=w.rng.uniform(80, 600))
        if ch.coupon:
            self._attach_coupon(live, ch.coupon, at)
        rec.add("subscriptions", sub)
        if account.obj["currency"] is None:
            account.obj["currency"] = w.currency
            rec.emit("customer.updated", account.obj, at, request)
        inv_id = w.ids.new("in")
        first_line = billing.line(
            inv_id,
            price,
            ch.quantity,
            at,
            period_end,
            sub=sub,
            item_id=items[0]["id"],
            amount=0 if ch.trial else None,
            description=f"Trial period for {ch.tier}" if ch.trial else None,
        )
        inv = billing.new_invoice(
            account, at, sub=sub, reason="subscription_create", lines=[first_line], period=(at, at)
        )
        if sub["discount"] is not None and inv["total_discount_amounts"]:
            live.discounted_invoices += 1
        sub["latest_invoice"] = inv["id"]
        rec.emit("customer.subscription.created", sub, at + 1, request)
        rec.emit("invoice.created", inv, at + 2, request)
        billing.finalize(account, inv, at + 3, request)
        fails = 0
        if ch.first_payment_fails:
            fails = 1 if chance(w.rng, 0.6) else 2
        outcome, last = billing.collect(
            live, account, inv, at + 4, Dunning(fails), request, first_invoice=True
        )
        live.busy_until = last
        if outcome == "exhausted":
            expires = at + INCOMPLETE_WINDOW
            if w.fits(expires, 10):
                billing.void(account, inv, expires, None)
                billing.end(live, expires + 2, "payment_failed")
        if ch.setup_fee and outcome == "paid":
            self._setup_fee_invoice(account, last + w.rng.randrange(5 * MINUTE, 40 * MINUTE))
        return live

    def _item(self, at: int, price: Obj, quantity: int | None, sub_id: str) -> Obj:
        return shapes.subscription_item(
            self.w.ids.new("si"), at, price_obj=price, quantity=quantity, subscription_id=sub_id
        )

    def _attach_coupon(self, live: Live, kind: str, at: int) -> None:
        coupon = self.catalog.coupons[kind]
        coupon["times_redeemed"] += 1
        months = coupon["duration_in_months"]
        live.sub["discount"] = shapes.discount(
            self.w.ids.new("di"),
            coupon,
            customer_id=live.account.obj["id"],
            subscription_id=live.sub["id"],
            start=at,
            end=add_months(at, months) if months else None,
        )

    def _setup_fee_invoice(self, account: Account, at: int) -> None:
        """A one-off onboarding package, invoiced by hand (billing_reason "manual")."""
        if not self.w.fits(at, 20):
            return
        billing, rec = self.billing, self.w.rec
        price = self.catalog.prices[("Onboarding", None, "licensed")]
        inv_id = self.w.ids.new("in")
        line = billing.line(inv_id, price, 1, at, at, sub=None, item_id=None, invoice_item=True)
        inv = billing.new_invoice(
            account, at, sub=None, reason="manual", lines=[line], period=(at, at)
        )
        request = rec.api_request()
        rec.emit("invoice.created", inv, at, request)
        billing.finalize(account, inv, at + 1, request)
        billing.collect(None, account, inv, at + 2, Dunning(), request)

    # --- Within a period ------------------------------------------------------------------------

    def _during_period(self, live: Live, ch: Choices, period: int, period_end: int) -> int | None:
        """Plays the customer's actions between renewals. Returns the end time if the
        subscription was canceled immediately, -1 if `now` came first, None otherwise."""
        w, rec, sub = self.w, self.w.rec, live.sub
        if sub["status"] == "trialing":
            self._trial(live, ch, period_end)
            return None
        if sub["status"] not in ("active", "past_due"):
            return None
        # Nothing happens while a renewal is still being collected.
        start = max(live.busy_until, sub["current_period_start"]) + HOUR
        if start >= period_end - DAY:
            return None
        actions = self._actions_for_period(live, ch, period, start, period_end)
        for when, kind in sorted(actions):
            if not w.fits(when, 20):
                return -1
            if kind == "cancel":
                request = rec.api_request()
                if ch.immediate_cancel:
                    return self.billing.end(live, when, "cancellation_requested", request)
                sub.update(cancel_at_period_end=True, canceled_at=when, cancel_at=period_end)
                sub["cancellation_details"]["feedback"] = pick(
                    w.rng,
                    {"too_expensive": 0.35, "switched_service": 0.25, "unused": 0.25, None: 0.15},
                )
                rec.emit("customer.subscription.updated", sub, when, request)
                return None
            self._change(live, kind, when, period_end)
        return None

    def _actions_for_period(
        self, live: Live, ch: Choices, period: int, start: int, end: int
    ) -> list[tuple[int, str]]:
        rng, p = self.w.rng, self.p
        months = (end - live.sub["current_period_start"]) / MONTH
        actions: list[tuple[int, str]] = []

        def at_random() -> int:
            return int(rng.uniform(start, end - DAY))

        if live.interval != "week":  # weekly customers are a handful of loyal, fixed-price users
            for kind, rate in (
                ("seats_up", p.seat_upgrade_rate),
                ("seats_down", p.seat_downgrade_rate),
                ("tier_up", p.tier_change_rate * 0.7),
                ("tier_down", p.tier_change_rate * 0.3),
            ):
                if chance(rng, 1 - (1 - rate) ** months):
                    actions.append((at_random(), kind))
        if period in ch.forced_changes:
            actions.append((at_random(), ch.forced_changes[period]))
        churn = p.yearly_churn if live.interval == "year" else p.monthly_churn * min(months, 1.0)
        churn *= self._stickiness(live)
        if ch.churn_in_period == period or (ch.churn_in_period is None and chance(rng, churn)):
            # Annual customers decide in the last two months before renewal.
            earliest = max(start, end - 60 * DAY) if live.interval == "year" else start
            when = int(rng.uniform(earliest, end - HOUR))
            actions = [a for a in actions if a[0] < when] + [(when, "cancel")]
            if ch.churn_in_period is None:
                ch.immediate_cancel = chance(rng, p.immediate_cancel_share)
        return actions

    def _trial(self, live: Live, ch: Choices, trial_end: int) -> None:
        w, rec, sub = self.w, self.w.rec, live.sub
        cancel_at = int(w.rng.uniform(sub["trial_start"] + DAY, trial_end - 4 * DAY))
        if not ch.converts and w.fits(cancel_at, 5):
            sub.update(cancel_at_period_end=True, canceled_at=cancel_at, cancel_at=trial_end)
            rec.emit("customer.subscription.updated", sub, cancel_at, rec.api_request())
        warning = trial_end - 3 * DAY
        if w.fits(warning, 5):
            rec.emit("customer.subscription.trial_will_end", sub, warning)

    def _change(self, live: Live, kind: str, at: int, period_end: int) -> None:
        """A seat or plan change at `at`, prorated: credits for the unused time on the old item and
        a charge for the remaining time on the new one, invoiced now (annual plans, and some
        monthly upgrades) or swept into the next renewal invoice."""
        w, rec, sub, billing = self.w, self.w.rec, live.sub, self.billing
        item = live.licensed
        old_price, old_qty = item["price"], item["quantity"]
        new_price, new_qty = self._changed_plan(old_price, old_qty, kind)
        if new_price is None:
            return
        remaining = (period_end - at) / (period_end - sub["current_period_start"])
        credit = -round(old_price["unit_amount"] * old_qty * remaining)
        debit = round(new_price["unit_amount"] * new_qty * remaining)
        upgrade = credit + debit > 0
        prorate = upgrade or self._credit_fits_next_invoice(
            live, new_price, new_qty, credit + debit
        )
        # An immediate invoice sweeps up pending prorations too, so a large pending credit (from
        # an earlier downgrade) keeps this change pending as well rather than invoice a credit.
        pending = sum(line["amount"] for line in live.pending_prorations)
        invoice_now = (
            prorate
            and upgrade
            and pending + credit + debit > 0
            and (live.interval == "year" or chance(w.rng, 0.5))
        )
        request = rec.api_request()
        item.update(price=clone(new_price), plan=shapes.plan_of(new_price), quantity=new_qty)
        shapes.sync_subscription_items(sub)
        inv_id = w.ids.new("in") if invoice_now else "pending"
        lines = []
        if prorate:
            lines = [
                self._proration_line(inv_id, sub, item, old_price, old_qty, credit, at, period_end),
                self._proration_line(inv_id, sub, item, new_price, new_qty, debit, at, period_end),
            ]
        if not invoice_now:
            live.pending_prorations.extend(lines)
            rec.emit("customer.subscription.updated", sub, at, request)
            return
        lines += self._sweep_pending(live, inv_id)
        inv = billing.new_invoice(
            live.account, at, sub=sub, reason="subscription_update", lines=lines, period=(at, at)
        )
        sub["latest_invoice"] = inv["id"]
        rec.emit("customer.subscription.updated", sub, at, request)
        rec.emit("invoice.created", inv, at + 1, request)
        billing.finalize(live.account, inv, at + 2, request)
        billing.collect(live, live.account, inv, at + 3, Dunning(), request)

    def _proration_line(
        self,
        inv_id: str,
        sub: Obj,
        item: Obj,
        price: Obj,
        quantity: int,
        amount: int,
        at: int,
        period_end: int,
    ) -> Obj:
        name = self.billing.product_names[price["product"]]
        return self.billing.line(
            inv_id,
            price,
            quantity,
            at,
            period_end,
            sub=sub,
            item_id=item["id"],
            amount=amount,
            proration=True,
            description=shapes.proration_description(amount < 0, quantity, name, at),
        )

    def _changed_plan(self, price: Obj, quantity: int, kind: str) -> tuple[Obj | None, int]:
        tiers = [t for t, _ in self.p.tiers]
        interval = price["recurring"]["interval"]
        tier = self.billing.product_names[price["product"]]
        if kind == "seats_up":
            return price, quantity + max(1, round(quantity * self.w.rng.uniform(0.05, 0.3)))
        if kind == "seats_down":
            if quantity < 2:
                return None, quantity
            return price, quantity - max(1, round(quantity * self.w.rng.uniform(0.1, 0.4)))
        step = 1 if kind == "tier_up" else -1
        index = tiers.index(tier) + step
        if not 0 <= index < len(tiers):
            return None, quantity
        new = self.catalog.prices.get((tiers[index], interval, "licensed"))
        return new, quantity

    def _credit_fits_next_invoice(self, live: Live, price: Obj, quantity: int, net: int) -> bool:
        """Whether a downgrade's net credit is covered by the next renewal; if not, the merchant's
        integration downgrades without proration (Stripe would otherwise leave a customer balance)."""
        pending = sum(line["amount"] for line in live.pending_prorations)
        return price["unit_amount"] * quantity + pending + net >= 0

    @staticmethod
    def _sweep_pending(live: Live, invoice_id: str) -> list[Obj]:
        """Pending proration items are swept into the next invoice the subscription issues."""
        swept, live.pending_prorations = live.pending_prorations, []
        for line in swept:
            line["invoice"] = invoice_id
        return swept

    # --- Renewal ------------------------------------------------------------------------------

    def _renew(self, live: Live, ch: Choices, period: int, at: int) -> int | None:
        """Rolls the subscription into its next period at `at` and bills it. Returns the end time
        if dunning ended the subscription, -1 if `now` came first, None to carry on."""
        w, rec, sub, billing = self.w, self.w.rec, live.sub, self.billing
        previous_start = sub["current_period_start"]
        if sub["status"] == "trialing":
            sub.update(status="active", billing_cycle_anchor=at)
            live.period_index = 0
        live.period_index += 1
        new_end = live.next_period_end()
        sub.update(current_period_start=at, current_period_end=new_end)
        self._expire_discount(live, at)
        inv_id = w.ids.new("in")
        item = live.licensed
        lines = [
            billing.line(
                inv_id, item["price"], item["quantity"], at, new_end, sub=sub, item_id=item["id"]
            )
        ]
        metered = live.metered
        if metered is not None and previous_start < at and sub["trial_start"] != previous_start:
            usage = max(0, round(w.rng.gauss(live.usage_mean, live.usage_mean * 0.25)))
            live.usage_mean *= w.rng.uniform(1.0, 1.08)
            lines.append(
                billing.line(
                    inv_id,
                    metered["price"],
                    usage,
                    previous_start,
                    at,
                    sub=sub,
                    item_id=metered["id"],
                )
            )
        lines += self._sweep_pending(live, inv_id)
        inv = billing.new_invoice(
            live.account,
            at,
            sub=sub,
            reason="subscription_cycle",
            lines=lines,
            period=(previous_start, at),
        )
        if inv["total_discount_amounts"]:
            live.discounted_invoices += 1
        sub["latest_invoice"] = inv["id"]
        rec.emit("customer.subscription.updated", sub, at)
        rec.emit("invoice.created", inv, at + 1)
        # Renewal invoices stay drafts for about an hour before Stripe finalizes and charges them.
        finalize_at = at + HOUR + w.rng.randrange(120)
        if not w.fits(finalize_at, 20):
            return -1
        billing.finalize(live.account, inv, finalize_at, None)
        dunning = self._dunning_for(live, ch, period)
        outcome, last = billing.collect(live, live.account, inv, finalize_at + 1, dunning, None)
        live.busy_until = last
        if outcome == "open":
            return -1
        if outcome == "exhausted":
            ended = billing.give_up(live, inv, last + HOUR, dunning)
            return ended if ended is not None else -1
        return None

    def _expire_discount(self, live: Live, at: int) -> None:
        """A once coupon lasts one paid invoice, a repeating one until its end date."""
        discount = live.sub["discount"]
        if discount is None:
            return
        coupon = discount["coupon"]
        used_up = coupon["duration"] == "once" and live.discounted_invoices >= 1
        expired = discount["end"] is not None and discount["end"] <= at
        if used_up or expired:
            live.sub["discount"] = None

    def _stickiness(self, live: Live) -> float:
        """Bigger accounts churn less (voluntarily or through failed payments): a 25-seat team about
        half as often as a 6-seat one. It also keeps one account's loss from denting the MRR."""
        quantity = max(live.licensed["quantity"], 1)
        return min(1.0, math.sqrt(max(self.p.seats_median, 1) / quantity))

    def _dunning_for(self, live: Live, ch: Choices, period: int) -> Dunning:
        rng, p = self.w.rng, self.p
        if ch.forced_dunning is not None and ch.dunning_period in (period, 0):
            return ch.forced_dunning
        if ch.interval == "week" or not chance(rng, p.renewal_failure_rate):
            return Dunning()
        if chance(rng, 1 - (1 - p.recovery_share) * self._stickiness(live)):
            return Dunning(failures=rng.randint(1, 3))
        return Dunning(failures=4, unpaid_instead_of_cancel=chance(rng, p.unpaid_share))
