"""The daily refresh, run by worker processes as the compute-metrics function would run it.

Each worker is its own process (its own interpreter, GIL and connection pool, like a function
instance) and calls `Metrics(Database(engine), None).refresh(business_id, as_of)` for one business
after another, taking the next id from a shared queue, as an instance takes the next Pub/Sub
message. Processes are spawned, not forked, so no connection or lock of the parent is inherited.

The clock starts once every worker has connected and computed one business's metrics without saving
them (a warm instance: modules imported, engine and pool built, statements seen once), and stops
when the last worker has finished its last business.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bench import _cpu


@dataclass(frozen=True)
class WorkerReport:
    pid: int
    latencies: list[float]  # seconds per business, in the order done
    outcomes: dict[str, int]
    cpu_s: float  # this worker's CPU seconds while the clock ran


@dataclass
class RefreshRun:
    workers: int
    businesses: int
    seconds: float
    reports: list[WorkerReport] = field(default_factory=list)
    postgres_cpu_s: float = 0.0
    other_cpu_s: float = 0.0

    @property
    def latencies(self) -> list[float]:
        return [x for r in self.reports for x in r.latencies]

    @property
    def rate(self) -> float:
        return self.businesses / self.seconds

    @property
    def outcomes(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.reports:
            for k, v in r.outcomes.items():
                out[k] = out.get(k, 0) + v
        return out


def _worker(
    url: str,
    as_of: date,
    warmup_id: str,
    tasks: Any,
    results: Any,
    start: Any,
    leave: Any,
) -> None:
    from vaultra.db.engine import engine_for_url
    from vaultra.db.unit_of_work import Database
    from vaultra.services.metrics import Metrics, compute_metric_set

    engine = engine_for_url(url)
    database = Database(engine)
    metrics = Metrics(database, None)
    with database.snapshot() as uow:  # REPEATABLE READ, rolled back: nothing saved
        compute_metric_set(uow, uuid.UUID(warmup_id), as_of)
    results.put(("ready", os.getpid()))
    start.wait()
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    cpu0 = sum(os.times()[:2])
    while True:
        business_id = tasks.get()
        if business_id is None:
            break
        t0 = time.perf_counter()
        run = metrics.refresh(uuid.UUID(business_id), as_of)
        latencies.append(time.perf_counter() - t0)
        outcomes[run.outcome] = outcomes.get(run.outcome, 0) + 1
    cpu_s = sum(os.times()[:2]) - cpu0
    results.put(("done", WorkerReport(os.getpid(), latencies, outcomes, cpu_s)))
    # Stay connected until the parent has sampled CPU times (backends still alive are counted).
    leave.wait()
    engine.dispose()


def refresh_all(
    url: str, business_ids: list[str], as_of: date, workers: int, postmaster_pid: int | None
) -> RefreshRun:
    ctx = mp.get_context("spawn")
    tasks = ctx.Queue()
    for business_id in business_ids:
        tasks.put(business_id)
    for _ in range(workers):
        tasks.put(None)
    results = ctx.Queue()
    start, leave = ctx.Event(), ctx.Event()
    procs = [
        ctx.Process(
            target=_worker,
            args=(url, as_of, business_ids[0], tasks, results, start, leave),
            daemon=True,
        )
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    try:
        for _ in range(workers):
            kind, _pid = _get(results, procs)
            assert kind == "ready"
        before = _cpu.sample(None, postmaster_pid)
        t0 = time.perf_counter()
        start.set()
        reports = [_get(results, procs)[1] for _ in range(workers)]
        seconds = time.perf_counter() - t0
        after = _cpu.sample(None, postmaster_pid)
    finally:
        leave.set()
        for p in procs:
            p.join(timeout=30)
    diff = after - before
    worker_pids = {r.pid for r in reports}
    other = sum(t for pid, t in diff.others.items() if pid not in worker_pids)
    return RefreshRun(workers, len(business_ids), seconds, reports, diff.postgres, other)


def _get(results: Any, procs: list[Any]) -> Any:
    """The next message from a worker; fail loudly if a worker died instead of waiting forever."""
    while True:
        try:
            return results.get(timeout=5)
        except queue.Empty:
            dead = [p for p in procs if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"refresh worker exited with {dead[0].exitcode}") from None
