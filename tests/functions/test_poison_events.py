"""The poison corpus through the deployed webhook function: every correctly signed body is
answered 2xx and recorded with its outcome, an unsigned one is refused without being stored, the
function stays up, and a redelivery of any of them changes nothing. (A body beyond the 1 MiB cap is
refused unread, signed or not: its signature cannot be checked without reading it.)"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text
from vaultra.web.limits import STRIPE_MAX_BODY_BYTES

from tests.support.poison_corpus import APPLIED, FAILED, cases, sign_bytes
from tests.support.stripe_payloads import body_of, charge, event, sign

# These tests read the clock: they also run at the last second of a month.
pytestmark = pytest.mark.usefixtures("any_clock")


LEDGER_COUNTS = text(
    "SELECT (SELECT count(*) FROM charges) + (SELECT count(*) FROM refunds) "
    "+ (SELECT count(*) FROM disputes) + (SELECT count(*) FROM invoices) "
    "+ (SELECT count(*) FROM invoice_lines) + (SELECT count(*) FROM subscriptions) "
    "+ (SELECT count(*) FROM customers) + (SELECT count(*) FROM payouts) "
    "+ (SELECT count(*) FROM balance_transactions)"
)


def deliver(client: Any, body: bytes, header: str | None) -> Any:
    headers = {"Stripe-Signature": header} if header is not None else {}
    return client.post("/", data=body, headers=headers)


def within_cap() -> list[Any]:
    return [case for case in cases() if len(case.body) <= STRIPE_MAX_BODY_BYTES]


def recorded(engine: Engine) -> dict[str, tuple[str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status, error FROM stripe_events")).all()
    return {r.id: (r.status, r.error) for r in rows}


def test_every_signed_poison_body_is_answered_2xx_and_recorded_with_its_outcome(
    engine: Engine, business: Any, webhook_client: Any
) -> None:
    corpus = within_cap()
    assert len(corpus) >= 46

    answered = {}
    for case in corpus:
        response = deliver(webhook_client, case.body, sign_bytes(case.body))
        assert response.status_code == 200, (case.name, response.get_data()[:300])
        body = response.get_json()
        assert body["status"] == case.outcome, (case.name, body)
        if case.outcome == FAILED:
            assert case.reason in body["error"], (case.name, body["error"])
        answered[case.name] = body["id"]

    stored = recorded(engine)
    for case in corpus:
        status, error = stored[answered[case.name]]
        assert status == case.outcome, case.name
        assert (error is not None) == (case.outcome == FAILED) or case.outcome == "ignored"
    # The function is still up and still applies a well-formed event.
    fine = body_of(
        event(
            "charge.succeeded",
            charge("ch_after_poison"),
            event_id="evt_after",
            created=1_700_000_500,
        )
    )
    assert deliver(webhook_client, fine, sign(fine)).get_json()["status"] == APPLIED


def test_a_redelivery_of_any_poison_body_changes_nothing(
    engine: Engine, business: Any, webhook_client: Any
) -> None:
    corpus = within_cap()
    for case in corpus:
        assert deliver(webhook_client, case.body, sign_bytes(case.body)).status_code == 200
    before = recorded(engine)
    with engine.connect() as conn:
        ledger_before = conn.execute(LEDGER_COUNTS).scalar_one()

    for case in corpus:
        again = deliver(webhook_client, case.body, sign_bytes(case.body))
        assert again.status_code == 200, case.name
        assert again.get_json()["status"] in ("duplicate", FAILED), case.name

    assert recorded(engine) == before
    with engine.connect() as conn:
        assert conn.execute(LEDGER_COUNTS).scalar_one() == ledger_before


def test_an_unsigned_poison_body_is_refused_and_nothing_is_stored(
    engine: Engine, business: Any, webhook_client: Any
) -> None:
    for case in within_cap()[:60]:
        for header in (None, sign_bytes(case.body, secret="whsec_attacker")):
            response = deliver(webhook_client, case.body, header)
            assert response.status_code == 400, case.name

    assert recorded(engine) == {}


def test_a_signed_body_beyond_the_cap_is_refused_unread_and_nothing_is_stored(
    engine: Engine, business: Any, webhook_client: Any
) -> None:
    too_large = [case for case in cases() if len(case.body) > STRIPE_MAX_BODY_BYTES]
    assert too_large  # the corpus holds one just over 1 MiB

    for case in too_large:
        assert deliver(webhook_client, case.body, sign_bytes(case.body)).status_code == 413

    assert recorded(engine) == {}
