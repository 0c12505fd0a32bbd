"""Stripe-Signature verification: the cases stripe-python's own tests cover, plus rotation."""

from __future__ import annotations

import time

import pytest
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


def test_no_configured_secret_fails_closed() -> None:
    with pytest.raises(InvalidSignature, match="no webhook signing secret is configured"):
        verify_signature(BODY, sign(BODY, SECRET), [])


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
