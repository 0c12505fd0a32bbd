"""Stripe-Signature verification over the raw request body, by the stripe SDK.

Several secrets may be configured at once (during a secret roll both the old and the new endpoint
secret sign): the payload is authentic if any one of them verifies it.
"""

from __future__ import annotations

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
    errors: list[str] = []
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(payload, header, secret, tolerance)
            return
        except stripe.SignatureVerificationError as exc:
            errors.append(str(exc.user_message or exc))
    # A stale timestamp is only reported once a signature matched: it is the more useful message.
    stale = [e for e in errors if e.startswith("Timestamp outside")]
    raise InvalidSignature(stale[0] if stale else errors[0])
