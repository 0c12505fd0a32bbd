"""A signed-in founder stays signed in when a page is left while it renews the session, in a real
browser on the real local stack. The answer, and with it the rotated refresh cookie, never
arrives; refresh tokens rotate and one used twice ends the session, so the next page would have
sent the founder to /login. (Two tabs renewing at once, the same retry, are raced with four threads
in tests/services/test_accounts_refresh.py.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Console, sign_up_in_the_browser

pytestmark = pytest.mark.integration
EMAIL = "founder@example.com"
PASSWORD = "renewals are invisible"
COOKIE = "vaultra_refresh"


def settled_dashboard(tab: Page) -> None:
    """The dashboard of an account without a business, shown once the session was renewed and
    the businesses listed (the address stays /app: no trip to /login)."""
    expect(tab.get_by_role("heading", level=2, name="Try it with demo data")).to_be_visible()
    assert re.search(r"/app/?(\?.*)?$", tab.url), tab.url


def refresh_cookie(context: BrowserContext) -> dict[str, object]:
    (cookie,) = [c for c in context.cookies() if c["name"] == COOKIE]
    return dict(cookie)


def test_a_renewal_whose_answer_was_lost_keeps_the_session(page: tuple[Page, Console]) -> None:
    tab, console = page
    sign_up_in_the_browser(tab, EMAIL, PASSWORD)
    settled_dashboard(tab)
    before = refresh_cookie(tab.context)

    tab.reload()  # renews: the token in `before` is used, and a rotated one is set
    settled_dashboard(tab)
    assert refresh_cookie(tab.context)["value"] != before["value"]
    # As if that answer had been lost (the founder clicked away mid-request): the browser still
    # holds the token it sent.
    tab.context.add_cookies([before])  # type: ignore[list-item]
    tab.reload()

    settled_dashboard(tab)
    tab.reload()  # and the session goes on from the token the retry was given
    settled_dashboard(tab)
    assert console.errors == []
