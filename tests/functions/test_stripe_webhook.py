"""The webhook function end to end: functions-framework → real PostgreSQL → local event bus."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import Engine, text
from vaultra.db.models import LEDGER_TABLES
from vaultra.db.unit_of_work import Database
from vaultra.services.businesses import add_business

from tests.support.stripe_payloads import ACCOUNT, body_of, charge, event, sign


def post(client: Any, body: bytes, header: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    headers["Stripe-Signature"] = header if header is not None else sign(body)
    return client.post("/", data=body, headers=headers)


def link(engine: Engine, account: str = ACCOUNT, livemode: bool = False) -> Any:
    return add_business(Database(engine), "Acme", account, livemode).business_id


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_signed_event_for_linked_account_lands_in_ledger_and_is_published(
    webhook_client: Any, engine: Engine, published: list
) -> None:
    business_id = link(engine)
    body = body_of(
        event("charge.succeeded", charge("ch_1"), event_id="evt_1", created=1_700_000_100)
    )

    response = post(webhook_client, body)

    assert response.status_code == 200
    assert response.get_json() == {"id": "evt_1", "status": "applied"}
    with engine.connect() as conn:
        row = conn.execute(text("SELECT business_id, amount, currency, status FROM charges")).one()
        stored = conn.execute(text("SELECT body, status, published_at FROM stripe_events")).one()
    assert tuple(row) == (business_id, 5000, "usd", "succeeded")
    assert stored.body == body.decode() and stored.status == "applied"
    assert stored.published_at is not None
    assert [(m.business_id, m.reason) for m in published] == [(business_id, "webhook")]


def test_duplicate_delivery_is_a_no_op(
    webhook_client: Any, engine: Engine, published: list
) -> None:
    link(engine)
    body = body_of(
        event("charge.succeeded", charge("ch_1"), event_id="evt_1", created=1_700_000_100)
    )

    first, second = post(webhook_client, body), post(webhook_client, body)

    assert first.status_code == second.status_code == 200
    assert second.get_json()["status"] == "duplicate"
    assert count(engine, "SELECT count(*) FROM charges") == 1
    assert count(engine, "SELECT attempts FROM stripe_events") == 2
    assert len(published) == 1


def test_a_different_event_under_a_known_id_is_kept_out_and_logged(
    webhook_client: Any, engine: Engine, published: list, caplog: pytest.LogCaptureFixture
) -> None:
    link(engine)
    first = body_of(
        event("charge.succeeded", charge("ch_1"), event_id="evt_1", created=1_700_000_100)
    )
    other = body_of(
        event("charge.refunded", charge("ch_2"), event_id="evt_1", created=1_700_000_900)
    )

    post(webhook_client, first)
    response = post(webhook_client, other)

    assert response.get_json()["status"] == "duplicate"
    assert count(engine, "SELECT count(*) FROM charges") == 1
    assert "evt_1 redelivered as a different event (charge.refunded" in caplog.text


def test_bad_signature_is_400_and_stores_nothing(webhook_client: Any, engine: Engine) -> None:
    link(engine)
    body = body_of(
        event("charge.succeeded", charge("ch_1"), event_id="evt_1", created=1_700_000_100)
    )

    response = post(webhook_client, body, header=sign(body, "whsec_someone_else"))
    stale = post(webhook_client, body, header=sign(body, timestamp=int(time.time()) - 3600))
    missing = webhook_client.post("/", data=body)

    assert response.status_code == stale.status_code == missing.status_code == 400
    assert "No signatures found matching" in response.get_json()["error"]
    assert "Timestamp outside the tolerance zone" in stale.get_json()["error"]
    assert "No Stripe-Signature header" in missing.get_json()["error"]
    assert count(engine, "SELECT count(*) FROM stripe_events") == 0


def test_secret_being_rolled_still_verifies(webhook_client: Any, engine: Engine) -> None:
    link(engine)
    body = body_of(
        event("charge.succeeded", charge("ch_1"), event_id="evt_1", created=1_700_000_100)
    )

    response = post(webhook_client, body, header=sign(body, "whsec_old_secret_being_rolled"))

    assert response.status_code == 200


def test_older_state_never_overwrites_newer(webhook_client: Any, engine: Engine) -> None:
    link(engine)
    refunded = charge("ch_1", amount_refunded=5000, refunded=True)
    newer = event("charge.refunded", refunded, event_id="evt_2", created=1_700_000_200)
    older = event("charge.succeeded", charge("ch_1"), event_id="evt_1", created=1_700_000_100)

    post(webhook_client, body_of(newer))
    post(webhook_client, body_of(older))

    with engine.connect() as conn:
        row = conn.execute(text("SELECT amount_refunded, refunded, version_key FROM charges")).one()
    assert tuple(row) == (5000, True, "evt_2")


def test_event_for_unlinked_account_is_kept_and_applied_once_linked(
    webhook_client: Any, engine: Engine, published: list
) -> None:
    body = body_of(
        event("charge.succeeded", charge("ch_1"), event_id="evt_1", created=1_700_000_100)
    )

    response = post(webhook_client, body)

    assert response.status_code == 200 and response.get_json()["status"] == "pending_link"
    assert count(engine, "SELECT count(*) FROM charges") == 0
    assert published == []

    business_id = link(engine)

    with engine.connect() as conn:
        assert conn.execute(text("SELECT business_id FROM charges")).scalar_one() == business_id
        status = conn.execute(text("SELECT status, business_id FROM stripe_events")).one()
    assert tuple(status) == ("applied", business_id)


def test_live_and_test_mode_never_mix(webhook_client: Any, engine: Engine) -> None:
    link(engine, livemode=False)
    live = event(
        "charge.succeeded",
        charge("ch_live"),
        event_id="evt_live",
        created=1_700_000_100,
        livemode=True,
    )

    response = post(webhook_client, body_of(live))

    assert response.get_json()["status"] == "pending_link"
    assert count(engine, "SELECT count(*) FROM charges") == 0


def test_signed_but_malformed_body_is_stored_as_failed(webhook_client: Any, engine: Engine) -> None:
    not_json = b"this is not json"
    no_object = json.dumps(
        {
            "id": "evt_x",
            "object": "event",
            "type": "charge.succeeded",
            "created": 1,
            "livemode": False,
        }
    ).encode()

    first = post(webhook_client, not_json)
    second = post(webhook_client, no_object)

    assert first.status_code == second.status_code == 200
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, error FROM stripe_events ORDER BY error")).all()
    assert [r.status for r in rows] == ["failed", "failed"]
    assert any("`data.object`" in r.error for r in rows)
    assert any("not JSON" in r.error for r in rows)


def test_object_missing_a_required_field_is_stored_as_failed(
    webhook_client: Any, engine: Engine
) -> None:
    link(engine)
    broken = charge("ch_1")
    del broken["amount"]

    response = post(
        webhook_client,
        body_of(event("charge.succeeded", broken, event_id="evt_1", created=1_700_000_100)),
    )

    assert response.status_code == 200 and response.get_json()["status"] == "failed"
    with engine.connect() as conn:
        assert (
            "missing `amount`" in conn.execute(text("SELECT error FROM stripe_events")).scalar_one()
        )
    assert count(engine, "SELECT count(*) FROM charges") == 0


def test_unsupported_event_type_is_stored_as_ignored(webhook_client: Any, engine: Engine) -> None:
    link(engine)
    product = {"id": "prod_1", "object": "product", "name": "Pro", "created": 1}

    response = post(
        webhook_client,
        body_of(event("product.created", product, event_id="evt_p", created=1_700_000_100)),
    )

    assert response.status_code == 200 and response.get_json()["status"] == "ignored"


def test_database_failure_is_5xx_with_nothing_partial_and_redelivery_recovers(
    webhook_client: Any, engine: Engine
) -> None:
    link(engine)
    with engine.begin() as conn:  # a real failure inside the transaction, after the event row
        conn.execute(
            text(
                "CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'disk full' USING ERRCODE = 'disk_full'; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER fail BEFORE INSERT ON charges FOR EACH ROW EXECUTE FUNCTION fail()"
            )
        )
    body = body_of(
        event("charge.succeeded", charge("ch_1"), event_id="evt_1", created=1_700_000_100)
    )

    failed = post(webhook_client, body)

    assert failed.status_code == 503
    assert count(engine, "SELECT count(*) FROM stripe_events") == 0
    assert count(engine, "SELECT count(*) FROM charges") == 0

    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER fail ON charges"))
    retried = post(webhook_client, body)

    assert retried.status_code == 200 and retried.get_json()["status"] == "applied"
    assert count(engine, "SELECT count(*) FROM charges") == 1


def test_only_post_is_allowed(webhook_client: Any) -> None:
    assert webhook_client.get("/").status_code == 405


def test_the_ledger_keeps_no_personal_data(webhook_client: Any, engine: Engine) -> None:
    link(engine)
    body = body_of(
        event("charge.succeeded", charge("ch_1"), event_id="evt_1", created=1_700_000_100)
    )

    post(webhook_client, body)

    ledger_tables = [*LEDGER_TABLES, "subscription_states"]
    with engine.connect() as conn:
        dumped = " ".join(
            str(row)
            for table in ledger_tables
            for row in conn.execute(text(f"SELECT * FROM {table}")).all()
        )
    assert "ch_1" in dumped
    assert "jane@example.com" not in dumped and "Jane Founder" not in dumped
