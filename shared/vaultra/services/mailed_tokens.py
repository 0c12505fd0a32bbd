"""Single-use secrets mailed to a person — a verification, a password reset, an invitation — and
the links that carry them.

The token travels in the link's fragment (`#token=…`): a browser never sends a fragment to a
server, so it stays out of access logs and `Referer` headers; the dashboard reads it and posts it.
"""

from __future__ import annotations

from datetime import timedelta

VERIFICATION_PREFIX = "vlt_ev_"
RESET_PREFIX = "vlt_pr_"
INVITATION_PREFIX = "vlt_inv_"

VERIFICATION_TTL = timedelta(hours=24)
RESET_TTL = timedelta(hours=1)
INVITATION_TTL = timedelta(days=7)

EMAIL_VERIFICATION = "email_verification"
PASSWORD_RESET = "password_reset"


class InvalidMailedToken(ValueError):
    """Unknown, used, expired or superseded — which of these is never said."""


def link(public_url: str, page: str, token: str) -> str:
    return f"{public_url}/{page}#token={token}"
