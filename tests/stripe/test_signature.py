"""Stripe-Signature verification: the cases stripe-python's own tests cover, plus rotation, future
timestamps, bodies that are not UTF-8 and a missing secret the caller must not learn about."""

from __future__ import annotations

import logging
import time

import pytest
from vaultra.stripe import signature
from vaultra.stripe.signature import InvalidSignature, verify_signature

from tests.support.poison_corpus import sign_bytes
from tests.support.stripe_payloads import sign

BODY = b'{"id": "evt_1", "object": "event"}'
SECRET = "whsec_current"
OLD_SECRET = "whsec_previous"


def test_valid_signature_is_accepted() -> None:
    verify_signature(BODY, sign(BODY, SECRET), [SECRET])


def test_missing_header_is_rejected_with_reason() -> None:
    with pytest.raises(InvalidSignature, match="No Stripe-Signature header"):
        verify_signature(BODY, None, [SECRET])


def test_malformed_header_is_rejected() -> None:
    with pytest.raises(InvalidSignature, match="Unable to extract timestamp"):
        verify_signature(BODY, "i'm not even a real signature header", [SECRET])


def test_header_without_v1_scheme_is_rejected() -> None:
    header = sign(BODY, SECRET).replace("v1=", "v0=")
    with pytest.raises(InvalidSignature, match="No signatures found with expected scheme"):
        verify_signature(BODY, header, [SECRET])


def test_signature_by_another_secret_is_rejected() -> None:
    with pytest.raises(InvalidSignature, match="No signatures found matching"):
        verify_signature(BODY, sign(BODY, "whsec_attacker"), [SECRET])


def test_tampered_body_is_rejected() -> None:
    with pytest.raises(InvalidSignature, match="No signatures found matching"):
        verify_signature(BODY + b" ", sign(BODY, SECRET), [SECRET])


def test_timestamp_outside_tolerance_is_rejected() -> None:
    stale = int(time.time()) - 301
    with pytest.raises(InvalidSignature, match="Timestamp outside the tolerance zone"):
        verify_signature(BODY, sign(BODY, SECRET, timestamp=stale), [SECRET], tolerance=300)


def test_timestamp_inside_tolerance_is_accepted() -> None:
    recent = int(time.time()) - 200
    verify_signature(BODY, sign(BODY, SECRET, timestamp=recent), [SECRET], tolerance=300)


def test_one_valid_among_several_signatures_in_the_header_is_accepted() -> None:
    genuine = sign(BODY, SECRET)
    timestamp, v1 = genuine.split(",")
    header = f"{timestamp},v1=deadbeef,{v1},v1=bad"
    verify_signature(BODY, header, [SECRET])


def test_either_secret_verifies_during_rotation() -> None:
    verify_signature(BODY, sign(BODY, OLD_SECRET), [SECRET, OLD_SECRET])
    verify_signature(BODY, sign(BODY, SECRET), [SECRET, OLD_SECRET])


def test_stale_timestamp_is_reported_over_mismatch_when_several_secrets() -> None:
    stale = int(time.time()) - 1000
    with pytest.raises(InvalidSignature, match="Timestamp outside"):
        verify_signature(BODY, sign(BODY, OLD_SECRET, timestamp=stale), [SECRET, OLD_SECRET])


def test_bytes_and_str_payloads_verify_alike() -> None:
    header = sign(BODY, SECRET)
    verify_signature(BODY, header, [SECRET])
    verify_signature(BODY.decode(), header, [SECRET])


def test_timestamp_in_the_future_beyond_tolerance_is_rejected() -> None:
    # stripe-python only refuses old timestamps; a signature dated ahead would stay replayable.
    ahead = int(time.time()) + 301
    with pytest.raises(InvalidSignature, match="Timestamp outside the tolerance zone"):
        verify_signature(BODY, sign(BODY, SECRET, timestamp=ahead), [SECRET], tolerance=300)


def test_timestamp_in_the_future_within_tolerance_is_accepted() -> None:
    ahead = int(time.time()) + 200  # clock skew between Stripe and us
    verify_signature(BODY, sign(BODY, SECRET, timestamp=ahead), [SECRET], tolerance=300)


def test_zero_tolerance_disables_the_time_check_both_ways() -> None:
    for timestamp in (int(time.time()) - 10_000, int(time.time()) + 10_000):
        verify_signature(BODY, sign(BODY, SECRET, timestamp=timestamp), [SECRET], tolerance=0)


def test_future_timestamp_signed_by_another_secret_is_a_mismatch() -> None:
    ahead = int(time.time()) + 10_000
    with pytest.raises(InvalidSignature, match="No signatures found matching"):
        verify_signature(BODY, sign(BODY, "whsec_attacker", timestamp=ahead), [SECRET])


def test_body_that_is_not_utf8_and_unsigned_is_rejected_not_crashed() -> None:
    for header in (None, sign(BODY, SECRET)):
        with pytest.raises(InvalidSignature, match=r"No Stripe-Signature|No signatures found"):
            verify_signature(b"\xff\xfe" + BODY, header, [SECRET])


def test_body_that_is_not_utf8_signed_ahead_of_the_tolerance_is_refused() -> None:
    ahead = int(time.time()) + 10_000
    with pytest.raises(InvalidSignature, match="Timestamp outside"):
        verify_signature(NOT_UTF8, sign_bytes(NOT_UTF8, SECRET, timestamp=ahead), [SECRET])


def test_reasons_are_short_and_never_echo_the_callers_input() -> None:
    junk = "x" * 10_000
    headers = [
        None,
        junk,
        f"t=123,v0={junk}",
        f"t={int(time.time())},v1={junk}",
        f"t={'9' * 4000},v1=ab",  # a 4000-digit timestamp
    ]
    for header in headers:
        with pytest.raises(InvalidSignature) as raised:
            verify_signature(BODY, header, [SECRET])
        assert len(str(raised.value)) <= 80 and "xxx" not in str(raised.value)
    with pytest.raises(InvalidSignature) as raised:
        verify_signature(BODY, None, [SECRET])
    assert str(raised.value) == "No Stripe-Signature header value was provided"


@pytest.fixture
def missing_secret_not_yet_logged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signature, "_missing_secret_logged", False)


@pytest.mark.usefixtures("missing_secret_not_yet_logged")
def test_no_configured_secret_fails_closed_and_the_caller_cannot_tell(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The caller gets what a signature by an unknown secret gets, case by case; the operator gets
    one log line per process."""
    cases = [
        sign(BODY, SECRET),
        sign(BODY, SECRET, timestamp=int(time.time()) - 3600),
        None,
        "garbage",
        sign(BODY, SECRET).replace("v1=", "v0="),
    ]
    for header in cases:
        with pytest.raises(InvalidSignature) as unconfigured:
            verify_signature(BODY, header, [])
        with pytest.raises(InvalidSignature) as unknown_secret:
            verify_signature(BODY, header, ["whsec_some_other_endpoint"])
        assert str(unconfigured.value) == str(unknown_secret.value)
        assert "secret" not in str(unconfigured.value).lower()
    with pytest.raises(InvalidSignature, match="No signatures found matching"):
        verify_signature(BODY, sign(BODY, SECRET), ["  ", ""])  # blank secrets are none

    logged = [r for r in caplog.records if r.name == "vaultra.stripe.signature"]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    assert "STRIPE_WEBHOOK_SECRET" in logged[0].getMessage()


# A body that is not UTF-8 can still be signed (Stripe's scheme is over bytes); the SDK cannot
# decode it, so it is verified by our own check, which must agree with the SDK's on every outcome.
NOT_UTF8 = b'{"id": "evt_1", "object": "event", "name": "J\xe9ne"}'


def test_body_that_is_not_utf8_is_verified_over_its_bytes() -> None:
    verify_signature(NOT_UTF8, sign_bytes(NOT_UTF8, SECRET), [OLD_SECRET, SECRET])


def test_body_that_is_not_utf8_signed_by_another_secret_is_rejected() -> None:
    with pytest.raises(InvalidSignature, match="No signatures found matching"):
        verify_signature(NOT_UTF8, sign_bytes(NOT_UTF8, "whsec_attacker"), [SECRET])


def test_body_that_is_not_utf8_tampered_is_rejected() -> None:
    with pytest.raises(InvalidSignature, match="No signatures found matching"):
        verify_signature(NOT_UTF8 + b"\xff", sign_bytes(NOT_UTF8, SECRET), [SECRET])


def test_body_that_is_not_utf8_with_a_stale_timestamp_is_rejected() -> None:
    stale = int(time.time()) - 301
    header = sign_bytes(NOT_UTF8, SECRET, timestamp=stale)
    with pytest.raises(InvalidSignature, match="Timestamp outside the tolerance zone"):
        verify_signature(NOT_UTF8, header, [SECRET], tolerance=300)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "No Stripe-Signature header"),
        ("", "No Stripe-Signature header"),
        ("garbage", "Unable to extract timestamp"),
        ("t=abc,v1=00", "Unable to extract timestamp"),
        ("t=1700000000", "No signatures found with expected scheme"),
        ("t=1700000000,v1=caf\xe9", "No signatures found matching"),
    ],
)
def test_body_that_is_not_utf8_with_a_bad_header_is_rejected(
    header: str | None, reason: str
) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        verify_signature(NOT_UTF8, header, [SECRET])


def test_utf8_body_signed_over_bytes_verifies_with_the_sdk_too() -> None:
    verify_signature(BODY, sign_bytes(BODY, SECRET), [SECRET])
