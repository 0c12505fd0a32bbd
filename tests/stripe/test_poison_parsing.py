"""Poison events through the validation layer: parse_event → mapping.normalize → row checks.

Every signed body must end as one of three things — refused with a reason that names what is
wrong (MalformedEvent, MalformedObject, InvalidRow), ignored (UnsupportedObject), or rows the
schema can hold. Anything else raised is a bug: in the webhook it would be a 5xx that every
redelivery repeats.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from vaultra.db.ledger_writer import Batch
from vaultra.db.models import StripeEvent
from vaultra.db.row_checks import InvalidRow, check_mapped
from vaultra.stripe import mapping
from vaultra.stripe.events import MAX_DEPTH, MalformedEvent, malformed_event_id, parse_event

from tests.support.poison_corpus import (
    APPLIED,
    FAILED,
    IGNORED,
    KINDS,
    PoisonCase,
    body_of,
    cases,
    poisoned_events,
    poisoned_objects,
    valid_event,
    validate,
)

CORPUS = cases()
DOMAIN_ERRORS = (MalformedEvent, mapping.MalformedObject, mapping.UnsupportedObject, InvalidRow)


def assert_storable_message(message: str) -> None:
    """A reason is stored in a text column, logged and returned to Stripe: short, no NUL, UTF-8."""
    assert len(message) <= 400, message
    assert "\x00" not in message
    message.encode("utf-8")  # no lone surrogate


def assert_writable(verdict_rows: mapping.Rows, created: int, event_id: str) -> None:
    """Rows that passed the check go through the writer's conversion and its JSON payload."""
    batch = Batch()
    batch.add(copy.deepcopy(verdict_rows), created, event_id)
    for rows in batch.rows.values():
        json.dumps(rows, allow_nan=False).encode("utf-8")


# --- The corpus -----------------------------------------------------------------------------


def test_corpus_covers_every_case_the_issue_lists() -> None:
    names = [c.name for c in CORPUS]
    assert len(CORPUS) >= 46
    assert len(set(names)) == len(names)
    assert len({c.body for c in CORPUS}) == len(CORPUS)
    for needle in [
        "amount = 'abc'",
        "amount = '1.5'",
        "amount = 1.5",
        "amount = nan",
        f"amount = {2**70}",
        "envelope: created 1e20",
        "envelope: created 'abc'",
        "envelope: id with NUL",
        "envelope: id with a lone surrogate",
        "charge: id = 'ch_\\x00'",
        "status = 'succeeded\\x00'",
        "envelope: id of 256 characters",
        "envelope: api_version of 33 characters",
        "currency = 'usdollars'",
        "status = 'sssssssssssssssss'",
        "charge: refunds = [",
        "subscription: items.data.0 = 'si_poison'",
        "invoice: lines.data.1 = 'il_poison_2'",
        "invoice: total_taxes = 100",
        "JSON nested 10,000 deep",
        "body: non-UTF-8 bytes",
        "body: a bare JSON string",
        "body: a bare JSON number",
        "body: a bare JSON array",
        "body: empty",
        "description = 'xxx",
    ]:
        assert any(needle in name for name in names), needle


def test_corpus_starts_from_a_valid_event_of_every_kind_the_ledger_maps() -> None:
    for kind in KINDS:
        verdict = validate(body_of(valid_event(kind)))
        assert verdict.outcome == APPLIED, (kind, verdict.message)
        assert verdict.rows


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_poison_case_is_refused_with_its_reason_or_kept(case: PoisonCase) -> None:
    verdict = validate(case.body)

    assert verdict.outcome == case.outcome, verdict.message
    assert case.reason in verdict.message
    assert_storable_message(verdict.message)
    if case.outcome == APPLIED:
        assert verdict.event is not None and verdict.rows is not None
        assert_writable(verdict.rows, verdict.event.created, verdict.event.id)


def test_every_outcome_is_represented() -> None:
    outcomes = {c.outcome for c in CORPUS}
    assert outcomes == {APPLIED, IGNORED, FAILED}


# --- parse_event ----------------------------------------------------------------------------


def test_refusal_never_echoes_long_input() -> None:
    evt = valid_event("charge")
    evt["id"] = "evt_" + "\x00" * 100_000
    with pytest.raises(MalformedEvent) as refused:
        parse_event(body_of(evt))
    assert_storable_message(str(refused.value))


def test_envelope_lengths_are_the_columns_lengths() -> None:
    columns = StripeEvent.__table__.columns
    for field, column in [("id", "id"), ("type", "type"), ("api_version", "api_version")]:
        limit = columns[column].type.length
        evt = valid_event("charge")
        evt[field] = "x" * limit
        assert getattr(parse_event(body_of(evt)), field) == "x" * limit
        evt[field] = "x" * (limit + 1)
        with pytest.raises(MalformedEvent, match=f"`{field}` .* column's {limit} characters"):
            parse_event(body_of(evt))
    limit = columns["account_id"].type.length
    evt = valid_event("charge")
    evt["account"] = "a" * (limit + 1)
    with pytest.raises(MalformedEvent, match=f"`account` .* column's {limit} characters"):
        parse_event(body_of(evt))


def test_created_at_the_edges_of_what_datetime_holds_is_accepted() -> None:
    for created in (-62_135_596_800, 0, 253_402_300_799):
        evt = valid_event("charge")
        evt["created"] = created
        assert parse_event(body_of(evt)).created == created
    evt["created"] = 253_402_300_800
    with pytest.raises(MalformedEvent, match="years 1 to 9999"):
        parse_event(body_of(evt))


def test_optional_envelope_fields_may_be_null_or_absent() -> None:
    evt = valid_event("charge")
    evt["account"] = None
    del evt["api_version"]
    parsed = parse_event(body_of(evt))
    assert (parsed.account, parsed.api_version) == (None, None)


def test_bytes_and_text_parse_alike() -> None:
    body = body_of(valid_event("invoice"))
    assert parse_event(body) == parse_event(body.decode())


def test_text_with_a_lone_surrogate_in_the_id_is_refused() -> None:
    text = body_of(valid_event("charge")).decode().replace("evt_poison_charge", "evt_\ud800")
    with pytest.raises(MalformedEvent, match="`id` contains a lone surrogate"):
        parse_event(text)


def test_nesting_up_to_the_limit_parses_and_one_more_level_is_refused() -> None:
    def nested(levels_inside_the_object: int) -> bytes:
        evt = valid_event("charge")
        evt["data"]["object"]["metadata"] = "__deep__"
        deep = "[" * levels_inside_the_object + "]" * levels_inside_the_object
        return body_of(evt).replace(b'"__deep__"', deep.encode())

    # The event, `data` and the object are the first three levels.
    parse_event(nested(MAX_DEPTH - 3))
    with pytest.raises(MalformedEvent, match=f"nests {MAX_DEPTH + 1} levels deep"):
        parse_event(nested(MAX_DEPTH - 2))


def test_a_body_nested_10000_deep_is_refused_without_recursing_and_cheaply() -> None:
    body = b'{"a": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    started = time.perf_counter()
    with pytest.raises(MalformedEvent, match="nests 10001 levels deep"):
        parse_event(body)
    assert time.perf_counter() - started < 0.1


def test_a_1_mib_event_parses_cheaply() -> None:
    evt = valid_event("charge")
    evt["data"]["object"]["description"] = "x" * (1 << 20)
    body = body_of(evt)
    started = time.perf_counter()
    parse_event(body)
    assert time.perf_counter() - started < 0.2


def test_a_1_mib_body_of_brackets_is_judged_cheaply() -> None:
    evt = valid_event("charge")
    evt["data"]["object"]["metadata"] = {"pad": [[] for _ in range(1 << 18)]}
    body = body_of(evt)
    assert len(body) > 1 << 20
    started = time.perf_counter()
    parse_event(body)
    assert time.perf_counter() - started < 1.0


def test_malformed_event_id_is_stable_for_a_redelivery() -> None:
    body = b'{"id": "evt_\\u0000"}'
    assert malformed_event_id(body) == malformed_event_id(bytes(body))
    assert malformed_event_id(body) != malformed_event_id(body + b" ")
    assert len(malformed_event_id(b"\xff" * 10_000)) <= StripeEvent.__table__.c.id.type.length


# --- Arbitrary values anywhere --------------------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evt=poisoned_events())
def test_any_value_anywhere_in_a_signed_body_is_refused_ignored_or_writable(evt: Any) -> None:
    verdict = validate(body_of(evt))

    assert_storable_message(verdict.message)
    if verdict.rows is not None:
        assert verdict.event is not None
        assert_writable(verdict.rows, verdict.event.created, verdict.event.id)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(obj=poisoned_objects())
def test_any_value_anywhere_in_an_object_raises_only_domain_errors(obj: Any) -> None:
    """The same without JSON in between (the backfill maps objects from the Stripe SDK): NaN,
    infinities and integers of any size reach the mappers as Python values."""
    try:
        rows = mapping.normalize(obj, observed_at=1_700_000_000, source="snapshot")
        check_mapped(rows)
    except DOMAIN_ERRORS as exc:
        assert_storable_message(str(exc))
        return
    assert_writable(rows, 1_700_000_000, "")
