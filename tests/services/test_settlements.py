"""Settled amounts on demand.

Metrics count a charge, refund or dispute in another currency than the account's with the amount
Stripe settled it at: its balance transaction. Balance transactions have no events, so one that
arrives by webhook is left out ("unconverted") until something brings it. The settlements job
fetches the missing ones through the stripe SDK, as the business's own connection, from a loopback
server speaking Stripe's API (`vaultra_dev.stripe_api`); the reconciliation tick asks for it.

The businesses here sell more in USD than in EUR, so the metrics resolve USD as their currency
(no balance transaction decides it yet). Every object is created today (UTC), within the job's
look-back; amounts are in cents, EUR settled at 1.08025 USD (€40.00 → $43.21).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from vaultra.db.businesses import LinkedAccount
from vaultra.db.unit_of_work import Database
from vaultra.events.local_bus import LocalBus
from vaultra.events.messages import SettlementsRequested, StripeDataChanged
from vaultra.services.businesses import add_business
from vaultra.services.metrics import Metrics
from vaultra.services.reconcile import reconcile
from vaultra.services.settlements import GIVE_UP_AFTER, SettlementReport, Settlements
from vaultra.services.stripe_access import NoStripeCredentials
from vaultra.stripe.client import build_client
from vaultra_dev.stripe_api import StripeApiServer

from tests.support.recording_bus import Recorder
from tests.support.services import deliver
from tests.support.stripe_payloads import (
    ACCOUNT,
    balance_transaction,
    charge,
    dispute,
    refund,
)

OTHER_ACCOUNT = "acct_1VaultraOther01"
DEMO_ACCOUNT = "acct_demo_0123456789abcdef0123456789abcdef"


def today() -> date:
    return datetime.now(UTC).date()


def moment(k: int) -> int:
    """The k-th second of the last hour, but never before today's midnight (UTC): the month's
    metrics read today's objects whatever the hour the tests run at."""
    now = int(time.time())
    midnight = int(datetime.combine(today(), datetime.min.time(), UTC).timestamp())
    return max(now - 3600, midnight) + k


@pytest.fixture
def server() -> Iterator[StripeApiServer]:
    with StripeApiServer() as srv:
        yield srv


@pytest.fixture
def link(db: Database) -> LinkedAccount:
    business = add_business(db, "Foreign Sales Co", ACCOUNT, livemode=False).business_id
    return LinkedAccount(business, ACCOUNT, False)


def webhook(db: Database, kind: str, obj: dict[str, Any], *, account: str = ACCOUNT) -> None:
    """Stripe delivers an event of the object; its "data changed" goes nowhere."""
    deliver(db, kind, obj, account=account)


def sell(db: Database, charge_id: str, amount: int, currency: str, k: int, **more: Any) -> None:
    webhook(
        db,
        "charge.succeeded",
        charge(charge_id, amount=amount, currency=currency, created=moment(k)),
        **more,
    )


def settled_at(charge_id: str, amount: int, k: int) -> dict[str, Any]:
    """The USD balance transaction of a EUR charge created at `moment(k)`."""
    return balance_transaction(
        f"txn_{charge_id}", source=charge_id, amount=amount, created=moment(k), fee=155
    )


def job(
    db: Database,
    server: StripeApiServer,
    link: LinkedAccount,
    bus: LocalBus,
    *,
    api_key: str | None = None,
) -> Settlements:
    client = build_client(
        api_key or server.api_key, server.base_url, account=link.account_id, requests_per_s=1000
    )
    return Settlements(db, lambda: client, link, bus, backoff_s=0, sleep=lambda _: None)


def settle(
    db: Database, server: StripeApiServer, link: LinkedAccount
) -> tuple[SettlementReport, StripeDataChanged]:
    """A run of the job, and the one "stripe data changed" it announced."""
    bus = Recorder()
    report = job(db, server, link, bus).run()
    [changed] = bus.sent
    assert isinstance(changed, StripeDataChanged)
    return report, changed


def fetched(server: StripeApiServer) -> list[tuple[str, str | None]]:
    return [(path, account) for _, path, account in server.requests]


def rows(db: Database, sql: str) -> list[Any]:
    with db.transaction() as uow:
        return list(uow.conn.execute(text(sql)).all())


def execute(db: Database, sql: str) -> None:
    with db.transaction() as uow:
        uow.conn.execute(text(sql))


def test_a_foreign_charge_that_came_by_webhook_counts_with_its_settled_amount_once_fetched(
    db: Database, server: StripeApiServer, link: LinkedAccount
) -> None:
    sell(db, "ch_usd_1", 5000, "usd", 1)
    sell(db, "ch_usd_2", 3000, "usd", 2)
    sell(db, "ch_eur", 4000, "eur", 3)  # €40.00, settled at $43.21 (rate 1.08025)
    server.add_account(
        ACCOUNT, {"balance_transactions": [settled_at("ch_eur", 4321, 3)]}, currency="usd"
    )
    metrics = Metrics(db, None)
    before = metrics.refresh(link.business_id, today()).metrics
    assert before is not None
    report, changed = settle(db, server, link)

    assert changed.reason == "settlement"
    after = metrics.refresh(link.business_id, today(), data_version=changed.data_version).metrics
    assert after is not None
    # Before: 5,000 + 3,000 = 8,000 cents of USD sales; the EUR charge is left out, with a note.
    assert before.values["gross_volume_12m"] == 8000
    assert before.notes["gross_volume_12m"].startswith("1 charge(s) in another currency")
    # After: 8,000 + 4,321 = 12,321 — exactly the settled amount more, and no note.
    assert after.values["gross_volume_12m"] == 12_321
    assert "gross_volume_12m" not in after.notes
    # One request: the USD charges need no balance transaction to count.
    assert fetched(server) == [("/v1/balance_transactions/txn_ch_eur", ACCOUNT)]
    assert (report.due, report.settled, report.balance_transactions) == (1, 1, 1)


def test_a_settled_amount_of_last_month_updates_last_months_stored_month_end(
    db: Database, server: StripeApiServer, link: LinkedAccount
) -> None:
    # A EUR charge of the last day of last month (within the look-back), delivered by webhook,
    # settled at $43.21.
    last_month_end = today().replace(day=1) - timedelta(days=1)
    created = int(
        datetime(
            last_month_end.year, last_month_end.month, last_month_end.day, 12, tzinfo=UTC
        ).timestamp()
    )
    webhook(db, "charge.succeeded", charge("ch_eur", amount=4000, currency="eur", created=created))
    txn = balance_transaction("txn_ch_eur", source="ch_eur", amount=4321, created=created, fee=155)
    server.add_account(ACCOUNT, {"balance_transactions": [txn]}, currency="usd")
    execute(db, f"UPDATE businesses SET default_currency = 'usd' WHERE id = '{link.business_id}'")
    metrics = Metrics(db, None)
    metrics.refresh(link.business_id, last_month_end)
    metrics.refresh(link.business_id, today())
    _, changed = settle(db, server, link)
    metrics.refresh(link.business_id, today(), data_version=changed.data_version)

    with db.transaction() as uow:
        month_end = uow.metrics.load(link.business_id, last_month_end)
    assert month_end is not None
    # Last month's stored volume went from 0 (no USD amount known) to the settled 4,321.
    assert month_end.values["gross_volume_month"] == 4321


def test_a_second_run_finds_nothing_to_fetch_and_announces_nothing(
    db: Database, server: StripeApiServer, link: LinkedAccount
) -> None:
    sell(db, "ch_eur", 4000, "eur", 1)
    sell(db, "ch_usd_1", 5000, "usd", 2)
    sell(db, "ch_usd_2", 3000, "usd", 3)
    server.add_account(ACCOUNT, {"balance_transactions": [settled_at("ch_eur", 4321, 1)]})
    job(db, server, link, Recorder()).run()
    requests = len(server.requests)
    bus = Recorder()

    again = job(db, server, link, bus).run()

    assert (again.due, again.settled) == (0, 0)
    assert len(server.requests) == requests and bus.sent == []


def test_refunds_by_their_id_and_disputes_through_their_own_balance_transactions(
    db: Database, server: StripeApiServer, link: LinkedAccount
) -> None:
    sell(db, "ch_usd_1", 5000, "usd", 1)
    sell(db, "ch_usd_2", 3000, "usd", 2)
    sell(db, "ch_eur", 4000, "eur", 3)
    webhook(  # €10.00 back to the customer: $10.80 out of the balance
        db,
        "charge.refunded",
        refund("re_eur", charge="ch_eur", amount=1000, currency="eur", created=moment(4)),
    )
    # Opened without its withdrawal yet: Stripe embeds it in the dispute once funds are taken.
    webhook(
        db,
        "charge.dispute.created",
        dispute("dp_eur", charge="ch_eur", amount=3000, currency="eur", created=moment(5)),
    )
    # The withdrawal: the disputed €30.00 at $32.41, and the $15.00 dispute fee.
    withdrawal = balance_transaction(
        "txn_dp_eur", source="dp_eur", amount=-3241, fee=1500, created=moment(6), kind="adjustment"
    )
    server.add_account(
        ACCOUNT,
        {
            "balance_transactions": [
                settled_at("ch_eur", 4321, 3),
                balance_transaction(
                    "txn_re_eur", source="re_eur", amount=-1080, created=moment(4), kind="refund"
                ),
            ],
            "disputes": [
                dispute(
                    "dp_eur",
                    charge="ch_eur",
                    amount=3000,
                    currency="eur",
                    created=moment(5),
                    balance_transactions=[withdrawal],
                )
            ],
        },
    )
    metrics = Metrics(db, None)
    before = metrics.refresh(link.business_id, today()).metrics
    assert before is not None
    report, changed = settle(db, server, link)

    after = metrics.refresh(link.business_id, today(), data_version=changed.data_version).metrics
    assert after is not None
    # Oldest first: the charge, its refund, the dispute (retrieved whole, its transactions inside).
    assert fetched(server) == [
        ("/v1/balance_transactions/txn_ch_eur", ACCOUNT),
        ("/v1/balance_transactions/txn_re_eur", ACCOUNT),
        ("/v1/disputes/dp_eur", ACCOUNT),
    ]
    assert (report.settled, report.balance_transactions) == (3, 3)
    assert before.values["refunded_amount_month"] == 0 and "refunded_amount_month" in before.notes
    assert before.values["disputed_amount_month"] == 0 and "disputed_amount_month" in before.notes
    # |−1,080| refunded and |−3,241| disputed: the settled amounts, the dispute fee not included.
    assert after.values["refunded_amount_month"] == 1080
    assert after.values["disputed_amount_month"] == 3241
    assert "refunded_amount_month" not in after.notes
    assert "disputed_amount_month" not in after.notes


def test_a_dispute_whose_funds_are_not_withdrawn_yet_waits_like_a_missing_one(
    db: Database, server: StripeApiServer, link: LinkedAccount
) -> None:
    sell(db, "ch_usd_1", 5000, "usd", 1)
    sell(db, "ch_usd_2", 3000, "usd", 2)
    sell(db, "ch_eur", 4000, "eur", 3)
    opened = dispute("dp_eur", charge="ch_eur", amount=4000, currency="eur", created=moment(4))
    webhook(db, "charge.dispute.created", opened)
    server.add_account(
        ACCOUNT,
        {"balance_transactions": [settled_at("ch_eur", 4321, 3)], "disputes": [opened]},
    )

    report = job(db, server, link, Recorder()).run()

    assert (report.settled, report.missing) == (1, 1)
    [waiting] = rows(db, "SELECT object_id, object, error FROM settlement_fetches")
    assert tuple(waiting) == ("dp_eur", "dispute", "no withdrawal yet")


def test_a_404_for_one_object_leaves_the_others_fetched_and_waits_before_trying_it_again(
    db: Database, server: StripeApiServer, link: LinkedAccount
) -> None:
    for k in (1, 2, 3, 4):  # four USD charges outnumber the three EUR ones: a USD account
        sell(db, f"ch_usd_{k}", 3000, "usd", k)
    for k in (1, 2, 3):
        sell(db, f"ch_eur_{k}", 1000, "eur", 10 + k)
    # Stripe has no balance transaction by the second charge's id.
    server.add_account(
        ACCOUNT,
        {
            "balance_transactions": [
                settled_at("ch_eur_1", 1080, 11),
                settled_at("ch_eur_3", 1080, 13),
            ]
        },
    )

    report = job(db, server, link, Recorder()).run()

    assert [path for path, _ in fetched(server)] == [
        "/v1/balance_transactions/txn_ch_eur_1",
        "/v1/balance_transactions/txn_ch_eur_2",
        "/v1/balance_transactions/txn_ch_eur_3",
    ]
    assert (report.settled, report.missing) == (2, 1)
    assert {r.id for r in rows(db, "SELECT id FROM balance_transactions")} == {
        "txn_ch_eur_1",
        "txn_ch_eur_3",
    }
    [failure] = rows(db, "SELECT object_id, object, attempts, error FROM settlement_fetches")
    assert tuple(failure) == ("ch_eur_2", "charge", 1, "InvalidRequestError (404 resource_missing)")

    # At once, nothing is due: the failed charge waits 10 minutes.
    job(db, server, link, Recorder()).run()
    assert len(server.requests) == 3
    # 11 minutes later it is tried again: 10 minutes × 2⁰ have passed.
    execute(db, "UPDATE settlement_fetches SET attempted_at = now() - interval '11 minutes'")
    job(db, server, link, Recorder()).run()
    assert len(server.requests) == 4
    assert rows(db, "SELECT attempts FROM settlement_fetches")[0].attempts == 2
    # After five failures it is given up, however long ago the last one was.
    execute(
        db,
        f"UPDATE settlement_fetches SET attempts = {GIVE_UP_AFTER}, "
        "attempted_at = now() - interval '30 days'",
    )
    assert job(db, server, link, Recorder()).run().due == 0
    assert len(server.requests) == 4


def test_another_tenants_objects_are_never_fetched_with_this_tenants_credentials(
    db: Database, server: StripeApiServer, link: LinkedAccount
) -> None:
    other = add_business(db, "Other Co", OTHER_ACCOUNT, livemode=False).business_id
    for account, prefix in ((ACCOUNT, "ch_a"), (OTHER_ACCOUNT, "ch_b")):
        sell(db, f"{prefix}_usd_1", 5000, "usd", 1, account=account)
        sell(db, f"{prefix}_usd_2", 5000, "usd", 2, account=account)
        sell(db, f"{prefix}_eur", 4000, "eur", 3, account=account)
        server.add_account(
            account, {"balance_transactions": [settled_at(f"{prefix}_eur", 4321, 3)]}
        )

    job(db, server, link, Recorder()).run()

    # Only this tenant's balance transaction, asked for as this tenant's account.
    assert fetched(server) == [("/v1/balance_transactions/txn_ch_a_eur", ACCOUNT)]
    stored = rows(db, "SELECT business_id, id FROM balance_transactions")
    assert [tuple(r) for r in stored] == [(link.business_id, "txn_ch_a_eur")]
    assert rows(db, f"SELECT 1 FROM balance_transactions WHERE business_id = '{other}'") == []


def test_refused_credentials_are_recorded_and_stop_the_run_without_knocking_again(
    db: Database, server: StripeApiServer, link: LinkedAccount
) -> None:
    for k in (1, 2, 3):  # three USD charges outnumber the two EUR ones
        sell(db, f"ch_usd_{k}", 5000, "usd", k)
    sell(db, "ch_eur_1", 1000, "eur", 4)
    sell(db, "ch_eur_2", 1000, "eur", 5)
    server.add_account(
        ACCOUNT,
        {
            "balance_transactions": [
                settled_at("ch_eur_1", 1080, 3),
                settled_at("ch_eur_2", 1080, 4),
            ]
        },
    )
    bus = Recorder()

    report = job(db, server, link, bus, api_key="sk_test_revoked_by_the_founder").run()

    # One request: the first 401 stops the run, and every object of it is recorded.
    assert len(server.requests) == 1 and bus.sent == []
    assert report.refused == "AuthenticationError (401)" and report.settled == 0
    failures = rows(db, "SELECT object_id, attempts, error FROM settlement_fetches ORDER BY 1")
    assert [tuple(f) for f in failures] == [
        ("ch_eur_1", 1, "AuthenticationError (401)"),
        ("ch_eur_2", 1, "AuthenticationError (401)"),
    ]
    # The next run, and the tick, leave them alone until they are due again.
    assert (
        job(db, server, link, Recorder(), api_key="sk_test_revoked_by_the_founder").run().due == 0
    )
    assert len(server.requests) == 1
    Metrics(db, None).refresh(link.business_id, today())
    assert reconcile(db, Recorder(), grace_s=0).settlements_requested == 0


def test_a_rate_limit_that_outlasts_the_backoff_ends_the_run_and_records_nothing(
    db: Database, link: LinkedAccount
) -> None:
    sell(db, "ch_usd_1", 5000, "usd", 1)
    sell(db, "ch_usd_2", 5000, "usd", 2)
    sell(db, "ch_eur", 1000, "eur", 3)
    with StripeApiServer(fail_every=1, fail_status=429) as throttled:  # every request a 429
        throttled.add_account(ACCOUNT, {"balance_transactions": [settled_at("ch_eur", 1080, 3)]})

        report = job(db, throttled, link, Recorder()).run()

        # 4 attempts (3 backoffs), then the run stops; the next tick asks again.
        assert len(throttled.requests) == 4 and report.retries == 3
    assert report.interrupted == "RateLimitError (429)" and report.settled == 0
    assert rows(db, "SELECT * FROM settlement_fetches") == []


def test_a_deployment_without_credentials_for_the_account_records_it_and_asks_nothing(
    db: Database, server: StripeApiServer, link: LinkedAccount
) -> None:
    sell(db, "ch_usd_1", 5000, "usd", 1)
    sell(db, "ch_usd_2", 5000, "usd", 2)
    sell(db, "ch_eur", 1000, "eur", 3)

    def no_key() -> Any:
        raise NoStripeCredentials("STRIPE_API_KEY is not set")

    report = Settlements(db, no_key, link, Recorder()).run()

    assert server.requests == [] and report.refused == "no credentials: STRIPE_API_KEY is not set"
    [waiting] = rows(db, "SELECT object_id, attempts FROM settlement_fetches")
    assert tuple(waiting) == ("ch_eur", 1)


def test_the_tick_asks_for_a_business_with_a_foreign_object_to_settle_and_stops_once_settled(
    db: Database, server: StripeApiServer, link: LinkedAccount
) -> None:
    domestic = add_business(db, "Domestic Co", OTHER_ACCOUNT, livemode=False).business_id
    sell(db, "ch_b_usd", 5000, "usd", 1, account=OTHER_ACCOUNT)  # no balance transaction either
    # Demo data: synthetic, no Stripe to ask, however foreign its sales.
    demo = add_business(db, "Demo Co", DEMO_ACCOUNT, livemode=False).business_id
    sell(db, "ch_demo_usd_1", 5000, "usd", 1, account=DEMO_ACCOUNT)
    sell(db, "ch_demo_usd_2", 5000, "usd", 2, account=DEMO_ACCOUNT)
    sell(db, "ch_demo_eur", 4000, "eur", 3, account=DEMO_ACCOUNT)
    sell(db, "ch_usd_1", 5000, "usd", 1)
    sell(db, "ch_usd_2", 3000, "usd", 2)
    sell(db, "ch_eur", 4000, "eur", 3)
    server.add_account(ACCOUNT, {"balance_transactions": [settled_at("ch_eur", 4321, 3)]})
    for business in (link.business_id, domestic, demo):  # the tick reads the metrics' currency
        Metrics(db, None).refresh(business, today())
    bus = Recorder()

    report = reconcile(db, bus, grace_s=0)

    asked = [m for m in bus.sent if isinstance(m, SettlementsRequested)]
    assert [(m.business_id, m.account_id) for m in asked] == [(link.business_id, ACCOUNT)]
    assert report.settlements_requested == 1
    job(db, server, link, Recorder()).run()
    assert reconcile(db, Recorder(), grace_s=0).settlements_requested == 0
