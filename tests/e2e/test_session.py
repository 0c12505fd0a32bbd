"""A signed-in founder stays signed in through what browsers do to a session's renewal, in a real
browser on the real local stack. Refresh tokens rotate, and one used twice ends the session:
- a page left while it renews: the answer, and with it the rotated cookie, never arrives, and the
  next page sends the token again (the server forgives that retry);
- two tabs opened at once: they renew one after the other (a Web Lock), each with the token the
  other was given. The server's side of the same race, should two renewals still cross (a browser
  without Web Locks): tests/services/test_accounts_refresh.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.e2e.conftest import Console, sign_up_in_the_browser

pytestmark = pytest.mark.integration
EMAIL = "founder@example.com"
PASSWORD = "renewals are invisible"
COOKIE = "vaultra_refresh"
REFRESH = "/api/v1/auth/refresh"
RENEWAL_LOCK = "vaultra-session-renewal"  # frontend/src/lib/api.ts
# Takes the renewal lock in a page and holds it until `window.letTheRenewalGo()` is called.
HOLD_THE_RENEWAL = """name => new Promise(held => navigator.locks.request(name, () => {
  held();
  return new Promise(release => { window.letTheRenewalGo = release; });
}))"""


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


def test_a_tab_waits_to_renew_while_another_tab_renews(page: tuple[Page, Console]) -> None:
    """Each tab of the site renews only while no other does, so it sends the cookie the one
    before it was given. Here one tab holds the renewal, as a slow renewal would, while another
    opens the dashboard: the other waits, and renews once it is let go."""
    tab, console = page
    sign_up_in_the_browser(tab, EMAIL, PASSWORD)
    settled_dashboard(tab)
    other = tab.context.new_page()
    other_console = Console(other)
    renewals: list[Request] = []
    other.on("request", lambda r: renewals.append(r) if r.url.endswith(REFRESH) else None)
    tab.evaluate(HOLD_THE_RENEWAL, RENEWAL_LOCK)  # returns once the lock is held

    other.goto("/app")
    expect(other.get_by_text("Loading your dashboard…")).to_be_visible()  # the island waits
    other.wait_for_timeout(500)
    assert renewals == []

    tab.evaluate("window.letTheRenewalGo()")
    settled_dashboard(other)
    assert len(renewals) == 1
    assert console.errors == [] and other_console.errors == []
