"""Any signed body as text PostgreSQL's `text` column holds: escaped, cut, and flagged so."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from vaultra.stripe.stored_body import StoredBody, storable_body

from tests.support.poison_corpus import cases

LIMIT = 1 << 20


def holdable(stored: StoredBody, limit: int) -> bool:
    return "\x00" not in stored.text and len(stored.text.encode("utf-8")) <= limit


def test_a_utf8_body_within_the_limit_is_kept_as_is() -> None:
    body = '{"name": "Zoë ☃"}'.encode()
    assert storable_body(body, LIMIT) == StoredBody(body.decode(), escaped=False, truncated=False)


def test_invalid_utf8_is_escaped_and_flagged() -> None:
    stored = storable_body(b'{"a": "J\xe9ne \xed\xa0\x80"}', LIMIT)
    assert stored == StoredBody('{"a": "J\\xe9ne \\xed\\xa0\\x80"}', escaped=True, truncated=False)


def test_nul_is_escaped_and_flagged() -> None:
    assert storable_body(b"a\x00b", LIMIT) == StoredBody("a\\u0000b", escaped=True, truncated=False)


def test_a_body_beyond_the_limit_is_cut_and_flagged() -> None:
    stored = storable_body(b"x" * 11, 10)
    assert stored == StoredBody("x" * 10, escaped=False, truncated=True)


def test_a_cut_never_splits_a_character() -> None:
    stored = storable_body("aé☃".encode(), 5)  # 1 + 2 + 3 bytes; the snowman does not fit
    assert stored == StoredBody("aé", escaped=False, truncated=True)


def test_escapes_that_outgrow_the_limit_are_cut_too() -> None:
    stored = storable_body(b"\xff" * 4, 10)  # 16 bytes once escaped
    assert stored.truncated and stored.escaped
    assert len(stored.text.encode()) <= 10


def test_a_truncated_multibyte_character_at_the_end_is_escaped_when_not_cut() -> None:
    assert storable_body(b"a\xe2\x82", LIMIT) == StoredBody("a\\xe2\\x82", True, False)


def test_a_negative_limit_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="limit"):
        storable_body(b"", -1)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=64), limit=st.integers(min_value=0, max_value=80))
def test_any_bytes_become_holdable_text_with_honest_flags(body: bytes, limit: int) -> None:
    stored = storable_body(body, limit)

    assert holdable(stored, limit)
    stored.text.encode("utf-8")  # no lone surrogate
    clean = b"\x00" not in body and _is_utf8(body)
    if clean and len(body) <= limit:
        assert stored == StoredBody(body.decode(), escaped=False, truncated=False)
    if not clean:
        assert stored.escaped or stored.truncated
    if not stored.truncated and not stored.escaped:
        assert stored.text.encode() == body


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_postgresql_holds_every_corpus_body(engine: Engine) -> None:
    with engine.connect() as conn:
        for case in cases():
            stored = storable_body(case.body, LIMIT)
            echoed = conn.execute(text("SELECT CAST(:body AS text)"), {"body": stored.text})
            assert echoed.scalar_one() == stored.text, case.name
