"""Stripe-Signature verification over the raw request body, by the stripe SDK.

Several secrets may be configured at once (during a secret roll both the old and the new endpoint
secret sign): the payload is authentic if any one of them verifies it.

What the caller is told is one of a few fixed reasons: the SDK's own, which Stripe's dashboard shows
the developer of the endpoint, cut to their first sentence (the rest is advice on calling the SDK)
and never carrying the caller's input. A missing signing secret is the operator's problem, not the
caller's: it is logged, and the caller gets what any signature by an unknown secret gets.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets as random_secrets
import time
from functools import partial

import stripe

DEFAULT_TOLERANCE_S = 300

NO_HEADER = "No Stripe-Signature header value was provided"
UNPARSABLE_HEADER = "Unable to extract timestamp and signatures from header"
NO_V1_SIGNATURE = "No signatures found with expected scheme v1"
NO_MATCH = "No signatures found matching the expected signature for payload"
OUTSIDE_TOLERANCE = "Timestamp outside the tolerance zone"
INVALID = "invalid signature"
_SDK_REASONS = (NO_HEADER, UNPARSABLE_HEADER, NO_V1_SIGNATURE, NO_MATCH, OUTSIDE_TOLERANCE)

log = logging.getLogger(__name__)

# Stands in for the missing secret, so that the caller's answer is exactly that of a signature by an
# unknown secret. Random per process: nothing can be signed with it (the check still fails closed).
_STAND_IN_SECRET = "whsec_" + random_secrets.token_urlsafe(32)
_missing_secret_logged = False


class InvalidSignature(Exception):
    """The request is not a genuine, recent Stripe delivery. The message says why, in a few fixed
    words (see the module's constants)."""


def verify_signature(
    payload: bytes | str,
    header: str | None,
    secrets: list[str],
    tolerance: int = DEFAULT_TOLERANCE_S,
) -> None:
    """Raises InvalidSignature unless one of `secrets` signed `payload` within `tolerance` seconds
    of now, either way (stripe-python only refuses old timestamps; a future one is refused here).
    A tolerance of 0 disables the time check, as in the SDK."""
    configured = [s for s in secrets if s.strip()]
    if not configured:
        _log_missing_secret()
    # The SDK decodes bytes itself, and a UnicodeDecodeError would escape as a 500; Stripe's scheme
    # is over bytes, so a body that is not UTF-8 can be genuinely signed: verify it here, and let
    # the receiver record it as malformed.
    if isinstance(payload, bytes) and not _is_utf8(payload):
        verify = partial(_verify_bytes, payload)
    else:
        verify = partial(stripe.WebhookSignature.verify_header, payload)
    errors: list[str] = []
    for secret in configured or [_STAND_IN_SECRET]:
        try:
            verify(header, secret, tolerance)
        except stripe.SignatureVerificationError as exc:
            errors.append(_reason(str(exc.user_message or exc)))
            continue
        if not configured:  # pragma: no cover - a random 256-bit secret is never matched
            raise InvalidSignature(NO_MATCH)
        assert header is not None  # the SDK refuses a missing header
        if tolerance and _timestamp(header) > time.time() + tolerance:
            raise InvalidSignature(OUTSIDE_TOLERANCE)
        return
    # A stale timestamp is only reported once a signature matched: it is the more useful message.
    raise InvalidSignature(OUTSIDE_TOLERANCE if OUTSIDE_TOLERANCE in errors else errors[0])


def _reason(sdk_message: str) -> str:
    return next((r for r in _SDK_REASONS if sdk_message.startswith(r)), INVALID)


def _timestamp(header: str) -> int:
    """The `t=` of a header the SDK has just verified, read as the SDK reads it."""
    items = [item.split("=", 2) for item in header.split(",")]
    return int(next(item[1] for item in items if item[0] == "t"))


def _log_missing_secret() -> None:
    # Once per process: every delivery fails until the operator sets the secret, and one line per
    # instance says so; a line per request would let anyone on the internet write our logs.
    global _missing_secret_logged
    if not _missing_secret_logged:
        _missing_secret_logged = True
        log.error(
            "no Stripe webhook signing secret is configured (STRIPE_WEBHOOK_SECRET): every "
            "delivery is refused with 400 until it is set"
        )


def _is_utf8(payload: bytes) -> bool:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _verify_bytes(payload: bytes, header: str | None, secret: str, tolerance: int) -> None:
    """The SDK's check for a body that is not UTF-8, which the SDK cannot verify (it decodes the
    body first, and raises UnicodeDecodeError). Stripe's scheme is over bytes — HMAC-SHA256 of
    `<t>.<body>` — so such a body can be genuinely signed; it must be verified, then recorded as
    malformed, not crash the request. The messages are the SDK's."""
    if not header:
        raise stripe.SignatureVerificationError(
            "No Stripe-Signature header value was provided.", header
        )
    try:
        items = [item.split("=", 1) for item in header.split(",")]
        timestamp = int(next(value for key, *value in items if key == "t" and value)[0])
    except (StopIteration, ValueError):
        raise stripe.SignatureVerificationError(
            "Unable to extract timestamp and signatures from header", header
        ) from None
    signatures = [value[0] for key, *value in items if key == "v1" and value]
    if not signatures:
        raise stripe.SignatureVerificationError(
            "No signatures found with expected scheme v1", header
        )
    expected = hmac.new(
        secret.encode("utf-8"), b"%d." % timestamp + payload, hashlib.sha256
    ).hexdigest()
    # compare_digest refuses str with non-ASCII characters, which a header may carry: bytes.
    given = [s.encode("utf-8", "replace") for s in signatures]
    if not any(hmac.compare_digest(expected.encode(), g) for g in given):
        raise stripe.SignatureVerificationError(
            "No signatures found matching the expected signature for payload", header
        )
    if tolerance and timestamp < time.time() - tolerance:
        raise stripe.SignatureVerificationError(
            f"Timestamp outside the tolerance zone ({timestamp})", header
        )
