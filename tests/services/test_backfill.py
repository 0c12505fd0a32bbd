"""Backfill through the stripe SDK against a loopback server of Stripe's list API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from vaultra.db.businesses import LinkedAccount
from vaultra.db.unit_of_work import Database
from vaultra.events import topics
from vaultra.events.cloudevent import message_from_cloud_event
from vaultra.events.local_bus import LocalBus
from vaultra.events.messages import StripeDataChanged
from vaultra.services.backfill import Backfill, BackfillFailed, month_windows
from vaultra.services.businesses import add_business
from vaultra.stripe.client import build_client
from vaultra_dev.stripe_api import StripeApiServer

from tests.support import histories
from tests.support.histories import ACCOUNT, DAY, NOW

CLOCK = datetime.fromtimestamp(NOW, UTC)


@pytest.fixture
def server() -> Iterator[StripeApiServer]:
    with StripeApiServer() as srv:
        srv.add_account(
            ACCOUNT, histories.objects(), histories.events(), now=NOW, created=NOW - 120 * DAY
        )
        yield srv


@pytest.fixture
def account(engine: Engine) -> LinkedAccount:
    result = add_business(Database(engine), "Hand-made Co", ACCOUNT, livemode=False)
    return LinkedAccount(result.business_id, ACCOUNT, False)


@pytest.fixture
def bus() -> LocalBus:
    return LocalBus()


def run_backfill(
    engine: Engine,
    srv: StripeApiServer,
    account: LinkedAccount,
    bus: LocalBus,
    requests_per_s: float = 1000,
    **kwargs: Any,
) -> Any:
    client = build_client(srv.api_key, srv.base_url, account=ACCOUNT, requests_per_s=requests_per_s)
    return Backfill(
        Database(engine), client, account, bus, clock=lambda: CLOCK, **{"backoff_s": 0.01, **kwargs}
    ).run()


def ledger(engine: Engine) -> dict[str, Any]:
    tables = [
        "customers",
        "subscriptions",
        "subscription_items",
        "invoices",
        "invoice_lines",
        "charges",
        "refunds",
        "disputes",
        "payouts",
        "balance_transactions",
    ]
    with engine.connect() as conn:
        return {
            t: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY id")).all())
            for t in tables
        }


def test_month_windows_are_calendar_months_newest_first() -> None:
    start = datetime(2026, 3, 15, tzinfo=UTC)
    end = datetime(2026, 5, 28, 20, tzinfo=UTC)

    windows = [
        (w.start.isoformat()[:10], w.end.isoformat()[:13]) for w in month_windows(start, end)
    ]

    assert windows == [
        ("2026-05-01", "2026-05-28T20"),
        ("2026-04-01", "2026-05-01T00"),
        ("2026-03-01", "2026-04-01T00"),
    ]


def test_backfill_imports_every_object_of_the_connected_account(
    engine: Engine, server: StripeApiServer, account: LinkedAccount, bus: LocalBus
) -> None:
    report = run_backfill(engine, server, account, bus)

    with engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in (
                "customers",
                "subscriptions",
                "invoices",
                "invoice_lines",
                "charges",
                "refunds",
                "disputes",
                "payouts",
                "balance_transactions",
            )
        }
        dispute = conn.execute(text("SELECT status, closed_at FROM disputes")).one()
        failed = conn.execute(text("SELECT failure_code FROM payouts WHERE id = 'po_2'")).scalar()
        refunded = conn.execute(
            text("SELECT amount_refunded FROM charges WHERE id='ch_2'")
        ).scalar()
    assert counts == {
        "customers": 2,
        "subscriptions": 1,
        "invoices": 4,
        "invoice_lines": 4,
        "charges": 3,
        "refunds": 1,
        "disputes": 1,
        "payouts": 2,
        # 4 listed + the dispute's withdrawal and reinstatement
        "balance_transactions": 6,
    }
    assert dispute.status == "won"
    assert dispute.closed_at == datetime.fromtimestamp(NOW - 60 * DAY, UTC)  # reinstatement
    assert failed == "account_closed" and refunded == 500
    # 2 customers + 1 subscription + 4 invoices + 3 charges + 1 refund + 1 dispute + 2 payouts
    # + 4 balance transactions = 18 listed objects; evt_old is past Stripe's 30 days of events
    assert report.objects == 18 and report.events == 1


def test_every_request_reads_the_connected_account(
    engine: Engine, server: StripeApiServer, account: LinkedAccount, bus: LocalBus
) -> None:
    run_backfill(engine, server, account, bus)

    assert server.requests and {acct for _, _, acct in server.requests} == {ACCOUNT}


def test_windows_go_newest_first(
    engine: Engine, server: StripeApiServer, account: LinkedAccount, bus: LocalBus
) -> None:
    run_backfill(engine, server, account, bus)

    charge_windows = [path for _, path, _ in server.requests if path.startswith("/v1/charges")]
    gtes = [int(p.split("created[gte]=")[1].split("&")[0]) for p in charge_windows]
    assert gtes == sorted(gtes, reverse=True)
    assert gtes[0] == int(datetime(2026, 5, 1, tzinfo=UTC).timestamp())


def test_subscription_history_is_rebuilt_before_the_events_horizon(
    engine: Engine, server: StripeApiServer, account: LinkedAccount, bus: LocalBus
) -> None:
    run_backfill(engine, server, account, bus)

    with engine.connect() as conn:
        states = conn.execute(
            text(
                "SELECT extract(epoch FROM valid_from)::bigint AS at, source, status, "
                "items->0->>'quantity' AS qty FROM subscription_states ORDER BY valid_from, version_key"
            )
        ).all()
    relative = [((s.at - NOW) // DAY, s.source, s.status, s.qty) for s in states]
    assert relative == [
        (-100, "reconstructed", "trialing", "2"),  # in_0: the $0 trial invoice
        (-100, "reconstructed", "trialing", None),  # the trial itself
        (-86, "reconstructed", "active", "2"),  # in_1, the first paid period
        (-56, "reconstructed", "active", "2"),  # in_2
        # in_3 (26 days ago) is inside the horizon: the events tell that period
        (-10, "event", "active", "3"),  # evt_recent: quantity 2 → 3
        (0, "snapshot", "active", "3"),  # the subscription as read now
    ]


def test_a_new_business_can_be_scored_before_the_backfill_ends(
    engine: Engine, server: StripeApiServer, account: LinkedAccount, bus: LocalBus
) -> None:
    published: list[StripeDataChanged] = []
    bus.subscribe(
        topics.STRIPE_DATA_CHANGED,
        lambda e: published.append(message_from_cloud_event(e, StripeDataChanged)),
    )

    run_backfill(engine, server, account, bus)

    assert [m.reason for m in published] == ["backfill", "backfill"]  # after 3 months, at the end
    assert {m.business_id for m in published} == {account.business_id}
    # Each names a transaction committed after what it announces, later for the later one.
    first, last = (int(m.data_version or 0) for m in published)
    assert 0 < first < last


def test_an_interrupted_backfill_resumes_without_refetching_done_windows(
    engine: Engine, account: LinkedAccount, bus: LocalBus
) -> None:
    with StripeApiServer(fail_every=20, fail_status=400) as flaky:
        flaky.add_account(
            ACCOUNT, histories.objects(), histories.events(), now=NOW, created=NOW - 120 * DAY
        )
        with pytest.raises(BackfillFailed, match="InvalidRequestError"):
            run_backfill(engine, flaky, account, bus)
        first_run_requests = len(flaky.requests)

    with StripeApiServer() as healthy:
        healthy.add_account(
            ACCOUNT, histories.objects(), histories.events(), now=NOW, created=NOW - 120 * DAY
        )
        report = run_backfill(engine, healthy, account, bus)
        resumed_requests = len(healthy.requests)

    assert report.windows_skipped > 0
    # A whole run takes 42 requests (account, 5 months × 8 lists, events). The first run stopped
    # at its 20th (the other writer finished the list it was on); the resumed run fetches only
    # what the first did not finish, so together they fetch hardly more than one whole run: the
    # account again and the list that failed.
    assert 20 <= first_run_requests < 42
    assert first_run_requests + resumed_requests <= 42 + 2
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM charges")).scalar_one() == 3
        assert conn.execute(text("SELECT count(*) FROM balance_transactions")).scalar_one() == 6


def test_rate_limited_requests_back_off_and_complete(
    engine: Engine, account: LinkedAccount, bus: LocalBus
) -> None:
    with StripeApiServer(rate_limit_per_s=10) as limited:
        limited.add_account(
            ACCOUNT, histories.objects(), histories.events(), now=NOW, created=NOW - 120 * DAY
        )
        report = run_backfill(engine, limited, account, bus, backoff_s=0.05)
        rate_limited = limited.rate_limited

    assert rate_limited > 0 and report.retries > 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM charges")).scalar_one() == 3


def test_a_second_backfill_changes_nothing(
    engine: Engine, server: StripeApiServer, account: LinkedAccount, bus: LocalBus
) -> None:
    run_backfill(engine, server, account, bus)
    before = ledger(engine)

    run_backfill(engine, server, account, bus)

    after = ledger(engine)
    strip = {t: [r[:-2] for r in rows] for t, rows in before.items()}  # version columns aside
    assert {t: [r[:-2] for r in rows] for t, rows in after.items()} == strip


def test_the_client_throttle_keeps_within_the_rate_limit(
    engine: Engine, account: LinkedAccount, bus: LocalBus
) -> None:
    with StripeApiServer(rate_limit_per_s=10) as limited:
        limited.add_account(
            ACCOUNT, histories.objects(), histories.events(), now=NOW, created=NOW - 120 * DAY
        )
        report = run_backfill(engine, limited, account, bus, requests_per_s=8)
        rate_limited = limited.rate_limited

    assert rate_limited == 0 and report.retries == 0


def test_the_accounts_default_currency_becomes_the_businesss_reporting_currency(
    engine: Engine, account: LinkedAccount, bus: LocalBus
) -> None:
    """Stripe says which currency the account settles in (`default_currency`): the backfill
    records it rather than leaving the metrics to infer it from the charges, which are in USD."""
    with StripeApiServer() as srv:
        srv.add_account(
            ACCOUNT,
            histories.objects(),
            histories.events(),
            now=NOW,
            created=NOW - 120 * DAY,
            currency="eur",
        )
        run_backfill(engine, srv, account, bus)

    with engine.connect() as conn:
        recorded = conn.execute(
            text("SELECT default_currency FROM businesses WHERE id = :b"),
            {"b": account.business_id},
        ).scalar_one()
        inferred = (
            conn.execute(
                text("SELECT DISTINCT currency FROM charges WHERE business_id = :b"),
                {"b": account.business_id},
            )
            .scalars()
            .all()
        )
    assert recorded == "eur"
    assert inferred == ["usd"]
    with Database(engine).snapshot() as uow:
        assert uow.ledger.currency(account.business_id) == "eur"
