"""A subscription business over time: its catalog, when customers sign up, and what each customer
chooses (plan, seats, trial, coupon, metered usage) and does later (churn, reactivation, deletion).
`gen_subscriptions` plays each subscription out.

Randomness decides most behaviour; a short list of *personas* guarantees that every history, even a
small one, contains each behaviour an archetype promises (a reactivated customer, a forever coupon,
a proration...).
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from typing import Any

from vaultra.sample_data import gen_shapes as shapes
from vaultra.sample_data.gen_billing import Account, Billing, Dunning
from vaultra.sample_data.gen_core import (
    DAY,
    HOUR,
    MINUTE,
    Obj,
    chance,
    pick,
    weekday_of,
)
from vaultra.sample_data.gen_money import Payments, World
from vaultra.sample_data.gen_people import company_name, contact_email
from vaultra.sample_data.gen_subscriptions import Catalog, Choices, SaasProfile, SubscriptionLife

MONTH = 30.44 * DAY


class SaasBusiness:
    """A SaaS on Stripe Billing: builds its catalog, then lives each customer's journey in turn."""

    def __init__(self, world: World, payments: Payments, profile: SaasProfile) -> None:
        self.w = world
        self.p = profile
        self.billing = Billing(world, payments, profile.refund_rate)
        self.pay = payments
        self.catalog = self._build_catalog()
        self.life = SubscriptionLife(world, self.billing, profile, self.catalog)
        self.customer_count = 0

    # --- Catalog --------------------------------------------------------------------------------

    def _build_catalog(self) -> Catalog:
        w, rec = self.w, self.w.rec
        at = w.start - 3 * DAY + w.rng.randrange(8 * HOUR)
        products: dict[str, Obj] = {}
        prices: dict[tuple[str, str | None, str], Obj] = {}
        for spec in self.p.plans:
            if spec.tier not in products:
                unit = "seat" if spec.usage_type == "licensed" and spec.interval else None
                prod = shapes.product(
                    w.ids.new("prod"), at, name=spec.tier, livemode=w.livemode, unit_label=unit
                )
                products[spec.tier] = rec.add("products", prod)
                self.billing.product_names[prod["id"]] = spec.tier
            prod = products[spec.tier]
            at += w.rng.randrange(20, 200)
            nickname = f"{spec.tier} {spec.interval}ly" if spec.interval else spec.tier
            price = shapes.price(
                w.ids.new("price"),
                at,
                product_id=prod["id"],
                unit_amount=spec.unit_amount,
                currency=w.currency,
                livemode=w.livemode,
                nickname=nickname,
                interval=spec.interval,
                usage_type=spec.usage_type,
            )
            rec.add("prices", price)
            if prod["default_price"] is None:
                prod["default_price"] = price["id"]
                rec.emit("product.created", prod, at)
            rec.emit("price.created", price, at + 1)
            prices[(spec.tier, spec.interval, spec.usage_type)] = price
        return Catalog(prices, self._build_coupons(at + HOUR))

    def _build_coupons(self, at: int) -> dict[str, Obj]:
        w = self.w
        specs: dict[str, dict[str, Any]] = {
            "forever": {
                "name": "Early adopter 20% off",
                "duration": "forever",
                "percent_off": 20.0,
            },
            "once": {"name": "50% off your first month", "duration": "once", "percent_off": 50.0},
            "repeating": {
                "name": "25% off for 3 months",
                "duration": "repeating",
                "percent_off": 25.0,
                "duration_in_months": 3,
            },
            "amount_once": {
                "name": "$100 off",
                "duration": "once",
                "amount_off": 10_000,
                "currency": w.currency,
            },
        }
        wanted = set()
        if self.p.early_adopter_coupon_share > 0:
            wanted.add("forever")
        if self.p.coupon_share > 0:
            wanted |= {"once", "repeating", "amount_once"}
        wanted |= {persona_coupon(p) for p in self.p.personas if p.endswith("_coupon")}
        coupons = {}
        for kind, spec in specs.items():
            if kind not in wanted:
                continue
            code = w.ids.token(8).upper()
            coupon = shapes.coupon(code, at, livemode=w.livemode, **spec)
            coupons[kind] = w.rec.add("coupons", coupon)
            at += w.rng.randrange(60, 600)
        return coupons

    # --- Signups ------------------------------------------------------------------------------

    def run(self, scale: float) -> None:
        arrivals = self._arrival_times(scale)
        persona_slots = self._persona_slots(arrivals)
        for index, at in enumerate(arrivals):
            if index == 0 and self.p.founding_customer:
                # The first customer pays on day one and every renewal after: the history's first
                # charge is the business's first day.
                choices = replace(
                    self._draw_choices(at),
                    trial=False,
                    first_payment_fails=False,
                    forced_dunning=Dunning(),
                    dunning_period=0,
                )
            else:
                choices = self._draw_choices(at)
            persona = persona_slots.get(index)
            if persona:
                apply_persona(choices, persona)
            self._customer_journey(at, choices)

    def _arrival_times(self, scale: float) -> list[int]:
        w, rng, p = self.w, self.w.rng, self.p
        times: list[int] = []
        first = w.start + rng.randrange(HOUR, 2 * HOUR)
        for _ in range(steady_count(rng, p.initial_customers * scale)):
            times.append(w.start + int(rng.uniform(0.05, 21) * DAY))
        month = 0
        while w.start + month * MONTH < w.now:
            mean = p.monthly_signups * scale * p.signup_growth**month
            for _ in range(steady_count(rng, mean)):
                times.append(w.start + int((month + rng.random()) * MONTH))
            month += 1
        # B2B buyers sign up on weekdays in US office hours.
        placed = sorted(_office_hours(rng, t) for t in times)
        kept = [t for t in placed if t > first and w.fits(t, 3 * HOUR)]
        return [first, *kept] if p.founding_customer else kept

    def _persona_slots(self, arrivals: list[int]) -> dict[int, str]:
        """Gives each persona to a distinct customer who signed up early enough for the behaviour
        to play out (in the first 45 % of the history, after the launch cohort when there is room)."""
        w = self.w
        window_end = w.start + (w.now - w.start) * 0.45
        eligible = [
            i
            for i, t in enumerate(arrivals)
            if t <= window_end and not (i == 0 and self.p.founding_customer)
        ]
        eligible = (
            eligible[len(eligible) // 8 :] if len(eligible) > 3 * len(self.p.personas) else eligible
        )
        chosen = w.rng.sample(eligible, min(len(eligible), len(self.p.personas)))
        return dict(zip(sorted(chosen), self.p.personas, strict=False))

    def _draw_choices(self, at: int) -> Choices:
        rng, p = self.w.rng, self.p
        tier = pick(rng, dict(p.tiers))
        interval = pick(rng, dict(p.intervals))
        if (tier, interval, "licensed") not in self.catalog.prices:
            interval = "month"
        if p.seats_median > 1:
            quantity = max(1, round(rng.lognormvariate(math.log(p.seats_median), p.seats_spread)))
        else:
            quantity = 1
        trial = chance(rng, p.trial_share) and interval != "week"
        coupon = None
        if at < self.w.start + 3 * MONTH and chance(rng, p.early_adopter_coupon_share):
            coupon = "forever"
        elif chance(rng, p.coupon_share):
            coupon = pick(rng, {"once": 0.4, "repeating": 0.4, "amount_once": 0.2})
        has_metered = ("API usage", "month", "metered") in self.catalog.prices
        return Choices(
            tier=tier,
            interval=interval,
            quantity=quantity,
            trial=trial,
            converts=chance(rng, p.trial_conversion),
            coupon=coupon,
            metered=has_metered and interval == "month" and chance(rng, p.metered_share),
            setup_fee=("Onboarding", None, "licensed") in self.catalog.prices
            and chance(rng, p.setup_fee_share),
            reactivates=chance(rng, p.reactivation_share),
            first_payment_fails=chance(rng, p.first_payment_failure_rate),
        )

    # --- A customer's life --------------------------------------------------------------------

    def _customer_journey(self, at: int, choices: Choices) -> None:
        w, rec = self.w, self.w.rec
        name = company_name(w.rng)
        cid = w.ids.new("cus")
        card = self.pay.new_card()
        obj = shapes.customer(
            cid,
            at,
            name=name,
            email=contact_email(w.rng, self.customer_count),
            livemode=w.livemode,
            prefix=w.ids.token(8).upper(),
            pm=card.payment_method,
        )
        rec.add("customers", obj)
        self.customer_count += 1
        request = rec.api_request()
        rec.emit("customer.created", obj, at, request)
        account = Account(obj, card)
        starts = at + w.rng.randrange(MINUTE, 15 * MINUTE)
        ended = self.life.run(account, starts, choices)
        if ended is None:
            return
        if choices.reactivates:
            again = ended + int(w.rng.uniform(30, 150) * DAY)
            if w.fits(again, HOUR):
                # They come back to the plan they left, without trial, coupon or setup fee.
                back = replace(
                    self._draw_choices(again),
                    tier=choices.tier,
                    interval="month" if choices.interval == "week" else choices.interval,
                    trial=False,
                    reactivates=False,
                    coupon=None,
                    setup_fee=False,
                    first_payment_fails=False,
                )
                comes_back = _office_hours(w.rng, again)
                # Office hours can fall after `now` (a weekend, or a later hour of the last day):
                # then the customer has not come back yet.
                if w.fits(comes_back, 10):
                    ended = self.life.run(account, comes_back, back)
                    if ended is None:
                        return
        if chance(w.rng, self.p.deletion_share) and not account.obj["delinquent"]:
            gone = ended + int(w.rng.uniform(20, 200) * DAY)
            if w.fits(gone, 10):
                rec.delete("customers", account.obj, "customer.deleted", gone)


_CHURN_PERSONAS = (
    "period_end_cancel",
    "immediate_cancel",
    "reactivates",
    "dunning_cancels",
    "dunning_unpaid",
    "trial_lapses",
)


def apply_persona(ch: Choices, persona: str) -> None:
    """Forces the behaviour a persona stands for on top of the random draw."""
    ch.first_payment_fails = False
    if persona in _CHURN_PERSONAS:  # a churning whale would dent the MRR curve a demo shows
        ch.quantity = min(ch.quantity, 6)
    if persona == "trial_converts":
        ch.trial, ch.converts, ch.interval = True, True, "month"
    elif persona == "trial_lapses":
        ch.trial, ch.converts, ch.interval = True, False, "month"
    elif persona == "annual":
        ch.interval, ch.trial = "year", False
    elif persona == "weekly":
        ch.tier, ch.interval, ch.trial, ch.coupon = "Pro", "week", False, None
    elif persona == "period_end_cancel":
        ch.interval, ch.churn_in_period, ch.immediate_cancel = "month", 4, False
    elif persona == "immediate_cancel":
        ch.interval, ch.churn_in_period, ch.immediate_cancel = "month", 3, True
    elif persona == "reactivates":
        ch.interval, ch.churn_in_period, ch.immediate_cancel, ch.reactivates = (
            "month",
            3,
            False,
            True,
        )
    elif persona == "seat_upgrade":
        ch.interval, ch.quantity = "month", max(ch.quantity, 3)
        ch.forced_changes = {2: "seats_up", 5: "seats_up"}
    elif persona == "seat_downgrade":
        ch.interval, ch.quantity, ch.forced_changes = (
            "month",
            max(ch.quantity, 8),
            {3: "seats_down"},
        )
    elif persona == "tier_upgrade":
        ch.tier, ch.forced_changes = "Starter", {2: "tier_up"}
    elif persona == "metered":
        ch.metered, ch.interval, ch.tier = True, "month", "Pro"
    elif persona.endswith("_coupon"):
        ch.coupon, ch.trial = persona_coupon(persona), False
    elif persona == "dunning_recovers":
        ch.interval, ch.forced_dunning, ch.dunning_period = "month", Dunning(failures=2), 3
    elif persona == "dunning_cancels":
        ch.interval, ch.forced_dunning, ch.dunning_period = "month", Dunning(failures=4), 4
    elif persona == "dunning_unpaid":
        ch.interval, ch.dunning_period = "month", 4
        ch.forced_dunning = Dunning(failures=4, unpaid_instead_of_cancel=True)
    elif persona == "setup_fee":
        ch.setup_fee = True
    # Without a trial, a persona's forced periods count from its first paid period.
    if persona not in ("trial_converts", "trial_lapses"):
        ch.trial = False


def steady_count(rng: random.Random, mean: float) -> int:
    """`mean` rounded up or down at random: signups of a steadily growing business are much less
    bursty than Poisson arrivals, whose noise would swamp a few percent of monthly growth."""
    whole = int(mean)
    return whole + (1 if rng.random() < mean - whole else 0)


def persona_coupon(persona: str) -> str:
    """The coupon kind a "<kind>_coupon" persona redeems ("amount_coupon": a fixed amount off)."""
    kind = persona.removesuffix("_coupon")
    return "amount_once" if kind == "amount" else kind


def _office_hours(rng: random.Random, at: int) -> int:
    """Moves a moment onto a weekday between about 9:00 and 18:00 US time (13:00-23:00 UTC)."""
    day = at - at % DAY
    while weekday_of(day) >= 5:
        day += DAY
    return day + int(rng.uniform(13.5, 23.0) * HOUR) + rng.randrange(60)
