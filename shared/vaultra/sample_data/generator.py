"""A deterministic generator of realistic Stripe account histories: the demo data founders without
Stripe load, and the demos, tests and benchmarks.

`generate(archetype, seed=..., now=...)` simulates a business on Stripe up to `now` and returns what
Stripe would hold for it: the final state of every object, as list endpoints return them, and every
event it would have sent, in API version 2024-06-20 shapes. The same arguments always give the same
history, ids included; nothing is read or written and no randomness is used beyond a
`random.Random` seeded from the arguments. The ids also depend on `GENERATOR_VERSION`, which the
history records: two versions of the generator never issue the same id for a seed, so a database
holding one version's history never mistakes another version's objects for it.

Archetypes:
- ``steady_saas``: two years of a B2B SaaS growing a few percent a month: seats, monthly, annual
  and a few weekly plans, trials, prorated upgrades and downgrades, coupons, metered usage, churn,
  dunning and reactivations. Few refunds, almost no disputes, reliable daily payouts.
- ``seasonal_ecommerce``: two years of a web shop: one-off payments only, a November-December peak
  about three times the summer trough, 5-8 % of charges refunded, a few disputes, some orders paid
  in euros or pounds and converted to dollars.
- ``risky_merchant``: a year of a merchant with a dispute problem: high decline, refund and dispute
  rates, several payouts bounced by the bank, plus a handful of subscriptions.
- ``early_stage``: three months of a new SaaS with its first few dozen customers.
"""

from __future__ import annotations

import gc
import random
from dataclasses import dataclass
from typing import Any

from vaultra.sample_data.archetypes import ARCHETYPES
from vaultra.sample_data.gen_core import DAY, IdFactory, Recorder
from vaultra.sample_data.gen_money import Payments, RiskProfile, World
from vaultra.sample_data.gen_payouts import PayoutPlan, finalize_balance_statuses, run_payouts
from vaultra.sample_data.gen_saas import SaasBusiness
from vaultra.sample_data.gen_shop import Shop, ShopProfile
from vaultra.sample_data.gen_subscriptions import PlanSpec, SaasProfile

RESOURCES: tuple[str, ...] = (
    "customers",
    "products",
    "prices",
    "coupons",
    "subscriptions",
    "invoices",
    "charges",
    "refunds",
    "disputes",
    "payouts",
    "balance_transactions",
)

MONTH_DAYS = 30.44

# Part of every id's key (and of the default account's). Bump it with any change to what the
# generator produces for a seed — objects, fields, amounts, dates, the number or order of draws or
# ids — so that the new code's ids cannot name an older version's different objects in a ledger
# that already holds them. The recorded hashes of tests/dev/test_generator.py change with it.
GENERATOR_VERSION = "gen-3"


@dataclass(frozen=True)
class StripeHistory:
    account: str  # "acct_..." the connected account the history belongs to
    livemode: bool
    now: int  # unix seconds: the moment the history ends ("today")
    # Final state of every object, keyed by Stripe list resource name, newest first by `created`.
    # As in Stripe's lists, deleted customers are absent (their last event is the deletion stub).
    objects: dict[str, list[dict[str, Any]]]
    # Every event, sorted by (created, id). Each carries its own deep copy of the object; the last
    # event of an object equals its entry in `objects`. Payment intents appear only in events.
    events: list[dict[str, Any]]
    currency: str  # the account's default currency
    generator_version: str  # the GENERATOR_VERSION that made the history (and keyed its ids)


def generate(
    archetype: str,
    *,
    seed: int,
    now: int,
    account: str | None = None,
    livemode: bool = False,
    scale: float = 1.0,
) -> StripeHistory:
    """Simulates `archetype` up to `now`; `scale` multiplies the number of customers and orders.

    At scale 1 a history has roughly 10,000 events (early_stage: a few hundred); payouts do not
    scale, everything else does. Expect a few seconds and about 6 KB of memory per event.
    """
    if archetype not in ARCHETYPES:
        raise ValueError(f"unknown archetype {archetype!r}; expected one of {ARCHETYPES}")
    if scale <= 0:
        raise ValueError("scale must be positive")
    stream = f"{archetype}:{seed}"
    # The version keys the ids only: the draws (amounts, dates, choices) are the same for a seed.
    rng = random.Random(f"vaultra-demo:{stream}")
    version = GENERATOR_VERSION
    ids = IdFactory(stream, version)
    account = account or IdFactory(f"account:{stream}", version).new("acct")
    recorder = Recorder(ids, account, livemode, now)
    build = _BUILDERS[archetype]
    # A history is up to millions of small acyclic dicts: the cycle collector would repeatedly
    # rescan all of them for nothing (tripling the run time at scale 10), so it pauses meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        world = build.world(rng, ids, recorder, now, livemode)
        build.simulate(world, scale)
        finalize_balance_statuses(world)
        objects, events = recorder.final_objects(RESOURCES), recorder.sorted_events()
    finally:
        if collecting:
            gc.enable()
    return StripeHistory(
        account=account,
        livemode=livemode,
        now=now,
        objects=objects,
        events=events,
        currency=world.currency,
        generator_version=version,
    )


# --- Archetypes ---------------------------------------------------------------------------------


def _world(
    rng: random.Random,
    ids: IdFactory,
    rec: Recorder,
    now: int,
    livemode: bool,
    *,
    days: float,
    names: tuple[str, ...],
    availability_days: int,
) -> World:
    name = rng.choice(names)
    descriptor = name.upper().replace(".", "").replace(",", "")[:22]
    return World(
        rng=rng,
        ids=ids,
        rec=rec,
        now=now,
        start=now - int(days * DAY),
        currency="usd",
        livemode=livemode,
        account_name=name,
        statement_descriptor=descriptor,
        availability_days=availability_days,
    )


SAAS_PLANS = (
    PlanSpec("Starter", "month", 1_500),
    PlanSpec("Starter", "year", 15_000),
    PlanSpec("Pro", "month", 3_500),
    PlanSpec("Pro", "year", 35_000),
    PlanSpec("Pro", "week", 1_000),
    PlanSpec("Business", "month", 7_000),
    PlanSpec("Business", "year", 70_000),
    PlanSpec("API usage", "month", 5, usage_type="metered"),
    PlanSpec("Onboarding", None, 50_000),
)

STEADY_SAAS = SaasProfile(
    plans=SAAS_PLANS,
    tiers=(("Starter", 0.45), ("Pro", 0.4), ("Business", 0.15)),
    intervals=(("month", 0.78), ("year", 0.22)),
    initial_customers=45,
    monthly_signups=2.0,
    signup_growth=1.045,
    seats_spread=0.65,
    personas=(
        "trial_converts",
        "trial_lapses",
        "annual",
        "annual",
        "weekly",
        "weekly",
        "period_end_cancel",
        "immediate_cancel",
        "reactivates",
        "seat_upgrade",
        "seat_downgrade",
        "tier_upgrade",
        "metered",
        "forever_coupon",
        "once_coupon",
        "repeating_coupon",
        "amount_coupon",
        "dunning_recovers",
        "dunning_cancels",
        "dunning_unpaid",
        "setup_fee",
    ),
)

EARLY_STAGE = SaasProfile(
    plans=(
        PlanSpec("Starter", "month", 2_000),
        PlanSpec("Pro", "month", 4_900),
        PlanSpec("Pro", "year", 49_000),
    ),
    tiers=(("Starter", 0.6), ("Pro", 0.4)),
    intervals=(("month", 0.9), ("year", 0.1)),
    initial_customers=0,
    monthly_signups=4,
    signup_growth=1.5,
    seats_median=2.5,
    seats_spread=0.6,
    trial_share=0.3,
    monthly_churn=0.03,
    early_adopter_coupon_share=0.25,
    coupon_share=0.0,
    reactivation_share=0.0,
    deletion_share=0.0,
    founding_customer=True,
)

RISKY_SUBSCRIPTIONS = SaasProfile(
    plans=(PlanSpec("VIP Membership", "month", 3_900),),
    tiers=(("VIP Membership", 1.0),),
    intervals=(("month", 1.0),),
    initial_customers=3,
    monthly_signups=1.0,
    signup_growth=1.0,
    seats_median=1,
    trial_share=0.0,
    monthly_churn=0.08,
    seat_upgrade_rate=0.0,
    seat_downgrade_rate=0.0,
    tier_change_rate=0.0,
    renewal_failure_rate=0.15,
    first_payment_failure_rate=0.1,
    early_adopter_coupon_share=0.0,
    coupon_share=0.0,
    refund_rate=0.08,
)

SEASONAL_SHOP = ShopProfile(
    daily_orders=3.2,
    monthly_growth=1.02,
    # Nov-Dec average ≈ 2.3, Jun-Aug average ≈ 0.78: a holiday peak about 3x the summer trough.
    seasonality=(1.05, 0.9, 0.95, 0.95, 0.9, 0.8, 0.75, 0.8, 0.95, 1.15, 2.1, 2.5),
    basket_median=6_000,
    basket_spread=0.6,
    guest_share=0.3,
    repeat_share=0.35,
    failure_rate=0.05,
    retry_share=0.5,
    foreign=(("eur", 0.04), ("gbp", 0.015)),
    products=(
        ("Linen throw", 8_900),
        ("Ceramic mug set", 4_200),
        ("Scented candle", 2_400),
        ("Wool blanket", 14_900),
        ("Gift card", 5_000),
        ("Tea sampler", 3_600),
    ),
    deletions=4,
)

RISKY_SHOP = ShopProfile(
    daily_orders=5.5,
    monthly_growth=1.03,
    seasonality=(1.0,) * 12,
    basket_median=8_500,
    basket_spread=0.7,
    guest_share=0.5,
    repeat_share=0.2,
    failure_rate=0.12,
    retry_share=0.35,
    products=(("Supplement bundle", 8_900), ("Trial pack", 1_900)),
    deletions=2,
    peak_hour_utc=3.0,
    weekend_factor=1.0,
)


@dataclass(frozen=True)
class _Builder:
    days: Any  # callable(rng) -> days of history
    names: tuple[str, ...]
    availability_days: int
    risk: RiskProfile
    payouts: PayoutPlan
    saas: SaasProfile | None = None
    shop: ShopProfile | None = None

    def world(
        self, rng: random.Random, ids: IdFactory, rec: Recorder, now: int, livemode: bool
    ) -> World:
        return _world(
            rng,
            ids,
            rec,
            now,
            livemode,
            days=self.days(rng),
            names=self.names,
            availability_days=self.availability_days,
        )

    def simulate(self, world: World, scale: float) -> None:
        payments = Payments(world, self.risk)
        if self.shop is not None:
            Shop(world, payments, self.shop).run(scale)
        if self.saas is not None:
            SaasBusiness(world, payments, self.saas).run(scale)
        run_payouts(world, payments, self.payouts)


_BUILDERS: dict[str, _Builder] = {
    "steady_saas": _Builder(
        days=lambda rng: 24 * MONTH_DAYS,
        names=("Lumen Analytics Inc.", "Tally Cloud, Inc.", "Northbeam Software", "Quire HQ Inc."),
        availability_days=2,
        risk=RiskProfile(refund_rate=0.01, partial_refund_share=0.4, dispute_rate=0.0008),
        payouts=PayoutPlan("daily"),
        saas=STEADY_SAAS,
    ),
    "seasonal_ecommerce": _Builder(
        days=lambda rng: 24 * MONTH_DAYS,
        names=("Hearth & Loom", "Fernway Home Goods", "Maple Row Supply Co."),
        availability_days=2,
        risk=RiskProfile(
            refund_rate=0.068, partial_refund_share=0.3, dispute_rate=0.002, win_share=0.55
        ),
        payouts=PayoutPlan("daily"),
        shop=SEASONAL_SHOP,
    ),
    "risky_merchant": _Builder(
        days=lambda rng: 12 * MONTH_DAYS,
        names=("VitaPeak Direct LLC", "Glow Labs Online", "Prime Nutra Club"),
        availability_days=7,
        risk=RiskProfile(
            refund_rate=0.13,
            partial_refund_share=0.25,
            dispute_rate=0.03,
            respond_share=0.55,
            win_share=0.35,
            dispute_reasons=(
                ("fraudulent", 0.5),
                ("product_not_received", 0.2),
                ("subscription_canceled", 0.15),
                ("product_unacceptable", 0.1),
                ("unrecognized", 0.05),
            ),
        ),
        payouts=PayoutPlan("daily", failures=4, cancellations=1),
        shop=RISKY_SHOP,
        saas=RISKY_SUBSCRIPTIONS,
    ),
    "early_stage": _Builder(
        days=lambda rng: rng.uniform(80.5, 94.5),
        names=("Sprout Metrics Inc.", "Pipewise Labs", "Kitebase Inc."),
        availability_days=7,
        risk=RiskProfile(refund_rate=0.02, partial_refund_share=0.3, dispute_rate=0.0),
        payouts=PayoutPlan("daily"),
        saas=EARLY_STAGE,
    ),
}
