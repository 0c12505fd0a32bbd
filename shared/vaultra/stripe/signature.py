"""Stripe-Signature verification over the raw request body, by the stripe SDK.

Several secrets may be configured at once (during a secret roll both the old and the new endpoint
secret sign): the payload is authentic if any one of them verifies it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from functools import partial

import stripe

DEFAULT_TOLERANCE_S = 300


class InvalidSignature(Exception):
    """The request is not a genuine, recent Stripe delivery. The message says why."""


def verify_signature(
    payload: bytes | str,
    header: str | None,
    secrets: list[str],
    tolerance: int = DEFAULT_TOLERANCE_S,
) -> None:
    if not secrets:
        # A misconfiguration, not the caller's fault: fail closed, but say so.
        raise InvalidSignature("no webhook signing secret is configured (STRIPE_WEBHOOK_SECRET)")
    if isinstance(payload, bytes) and not _is_utf8(payload):
        verify = partial(_verify_bytes, payload)
    else:
        verify = partial(stripe.WebhookSignature.verify_header, payload)
    errors: list[str] = []
    for secret in secrets:
        try:
            verify(header, secret, tolerance)
            return
        except stripe.SignatureVerificationError as exc:
            errors.append(str(exc.user_message or exc))
    # A stale timestamp is only reported once a signature matched: it is the more useful message.
    stale = [e for e in errors if e.startswith("Timestamp outside")]
    raise InvalidSignature(stale[0] if stale else errors[0])


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
