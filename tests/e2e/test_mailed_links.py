"""The pages mailed and shared links open, in a real browser on the real local stack: a forgotten
password reset through the mailed link, an address confirmed through its link, an invitation
accepted, and a lender's share link. Each link's token is in the fragment; the page takes it out
of the address bar at once and a used, revoked or unknown link says so. No serious or critical
axe violation on any of these pages, and no console error but the refusals a test asks for."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import Console, violations
from tests.support.served import Served

pytestmark = pytest.mark.integration
PASSWORD = "the passphrase I forgot"
NEW_PASSWORD = "a new passphrase to keep"
OWNER = "founder@example.com"
INVITEE = "partner@example.com"
BUSINESS = "Acme Analytics"
SCORE_WITHIN_S = 120


# --- arrangements through the API ------------------------------------------------------------------


def mailed_link(served: Served, to: str, page: str) -> str:
    """The path and fragment of the newest link to `page` mailed to `to`, read from the outbox the
    local `log` mail transport writes (the mail's link names the configured public origin)."""
    engine = create_engine(served.env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            bodies = conn.execute(
                text(
                    "SELECT body FROM mail_outbox WHERE to_address = :to ORDER BY created_at DESC"
                ),
                {"to": to},
            ).scalars()
            for body in bodies:
                found = re.search(rf"https?://[^/\s]+(/{page}#token=[\w-]+)", body)
                if found:
                    return found.group(1)
    finally:
        engine.dispose()
    raise AssertionError(f"no mail to {to} links to /{page}")


def token_of(link: str) -> str:
    return link.split("#token=", 1)[1]


def sign_up(api: httpx.Client, email: str, password: str = PASSWORD) -> None:
    created = api.post("/api/v1/auth/signup", json={"email": email, "password": password})
    assert created.status_code == 201, created.text


def log_in(api: httpx.Client, email: str, password: str = PASSWORD) -> dict[str, str]:
    login = api.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def verified_owner_of_a_business(served: Served, api: httpx.Client) -> tuple[dict[str, str], str]:
    """A founder who confirmed their address through the mailed link, and their business."""
    sign_up(api, OWNER)
    token = token_of(mailed_link(served, OWNER, "verify-email"))
    assert api.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 200
    headers = log_in(api, OWNER)
    business = api.post("/api/v1/businesses", json={"name": BUSINESS}, headers=headers)
    assert business.status_code == 201, business.text
    return headers, business.json()["id"]


def scored_with_demo_data(api: httpx.Client, headers: dict[str, str], business: str) -> None:
    loaded = api.post(
        f"/api/v1/businesses/{business}/demo-data",
        json={"scenario": "steady_saas"},
        headers=headers,
    )
    assert loaded.status_code == 202, loaded.text
    deadline = time.monotonic() + SCORE_WITHIN_S
    while time.monotonic() < deadline:
        summary = api.get(f"/api/v1/businesses/{business}/summary", headers=headers)
        if summary.status_code == 200 and summary.json()["score"] is not None:
            return
        time.sleep(1)
    raise AssertionError(f"no score within {SCORE_WITHIN_S} s")


def failed_requests(console: Console) -> list[int]:
    """The statuses of the failed requests the browser logged, provided nothing else was logged
    (Chromium logs every 4xx a fetch gets as a console error)."""
    logged = [re.search(r"status of (\d{3})", error) for error in console.errors]
    assert all(logged), console.errors
    return sorted(int(found.group(1)) for found in logged if found)


def browser_log_in(tab: Page, email: str, password: str) -> None:
    """Logs in on the log-in page, and waits for the dashboard of an account with no business
    (every account these tests log in with) to settle."""
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(re.compile(r"/app/?$"))
    # the onboarding shows once the session is renewed and the businesses listed
    expect(tab.get_by_role("heading", level=1, name="Get started")).to_be_visible()
    expect(tab.get_by_role("heading", level=2, name="Try it with demo data")).to_be_visible()


# --- the flows ------------------------------------------------------------------------------------


def test_a_forgotten_password_is_reset_through_the_mailed_link(
    page: tuple[Page, Console], served: Served
) -> None:
    tab, console = page
    with httpx.Client(base_url=served.url) as api:
        sign_up(api, OWNER)

    tab.goto("/login")
    tab.get_by_role("link", name="Forgot your password?").click()
    tab.wait_for_url(re.compile(r"/forgot-password/?$"))
    expect(tab.get_by_label("Email")).to_be_focused()
    tab.get_by_label("Email").fill(OWNER)
    tab.get_by_role("button", name="Send reset link").click()
    expect(tab.get_by_role("status")).to_contain_text("If an account exists for that address")

    link = mailed_link(served, OWNER, "reset-password")
    tab.goto(link)
    password = tab.get_by_label("New password", exact=True)
    expect(password).to_be_focused()
    assert "token" not in tab.url and token_of(link) not in tab.url
    password.fill("too short")  # the API names its rule, and the link stays usable
    tab.get_by_role("button", name="Set new password").click()
    expect(tab.get_by_text("at least 10 characters")).to_be_visible()
    expect(password).to_have_attribute("aria-invalid", "true")
    password.fill(NEW_PASSWORD)
    tab.get_by_role("button", name="Set new password").click()
    expect(tab.get_by_role("heading", name="Your password is set")).to_be_focused()
    expect(tab.get_by_text("signed out everywhere")).to_be_visible()

    with httpx.Client(base_url=served.url) as api:
        old = api.post("/api/v1/auth/login", json={"email": OWNER, "password": PASSWORD})
    assert old.status_code == 401
    tab.get_by_role("link", name="Log in with your new password").click()
    browser_log_in(tab, OWNER, NEW_PASSWORD)

    tab.goto(link)  # used once: it no longer works (the API says so when it is posted)
    tab.get_by_label("New password", exact=True).fill("yet another passphrase")
    tab.get_by_role("button", name="Set new password").click()
    expect(tab.get_by_role("heading", name="This link no longer works")).to_be_focused()
    expect(tab.get_by_role("link", name="Ask for a new link")).to_have_attribute(
        "href", "/forgot-password"
    )
    assert failed_requests(console) == [400, 422]


def test_an_address_is_confirmed_through_the_mailed_link(
    page: tuple[Page, Console], served: Served
) -> None:
    tab, console = page
    with httpx.Client(base_url=served.url) as api:
        sign_up(api, OWNER)
        assert api.get("/api/v1/me", headers=log_in(api, OWNER)).json()["email_verified"] is False

    link = mailed_link(served, OWNER, "verify-email")
    tab.goto(link)
    expect(tab.get_by_role("heading", name="Email address confirmed")).to_be_focused()
    expect(tab.get_by_text(OWNER)).to_be_visible()
    assert token_of(link) not in tab.url

    with httpx.Client(base_url=served.url) as api:
        me = api.get("/api/v1/me", headers=log_in(api, OWNER)).json()
    assert me["email_verified"] is True
    assert console.errors == []


def test_an_invitation_is_accepted_by_the_invited_account_once_logged_in(
    page: tuple[Page, Console], served: Served
) -> None:
    tab, console = page
    with httpx.Client(base_url=served.url) as api:
        headers, business = verified_owner_of_a_business(served, api)
        invited = api.post(
            f"/api/v1/businesses/{business}/invitations",
            json={"email": INVITEE, "role": "viewer"},
            headers=headers,
        )
        assert invited.status_code == 201, invited.text
        sign_up(api, INVITEE)
    link = mailed_link(served, INVITEE, "accept-invitation")

    tab.goto(link)  # not logged in: the page says how to go on
    expect(tab.get_by_role("heading", name="Log in to accept the invitation")).to_be_focused()
    assert token_of(link) not in tab.url
    tab.get_by_role("main").get_by_role("link", name="Log in").click()
    browser_log_in(tab, INVITEE, PASSWORD)

    tab.goto(link)
    expect(tab.get_by_text(f"You are logged in as {INVITEE}")).to_be_visible()
    tab.get_by_role("button", name="Accept invitation").click()
    expect(tab.get_by_role("heading", name=f"You have joined {BUSINESS}")).to_be_focused()
    tab.get_by_role("link", name=f"Open {BUSINESS}").click()
    tab.wait_for_url(re.compile(rf"/app/?\?business={business}$"))
    expect(tab.get_by_role("heading", level=1, name=BUSINESS)).to_be_visible()
    expect(tab.get_by_text("Viewer", exact=True)).to_be_visible()
    tab.wait_for_load_state("networkidle")
    assert failed_requests(console) == [401]  # the signed-out visit's session check


def test_a_lender_opens_a_share_link_until_it_is_revoked(
    page: tuple[Page, Console], served: Served, browser: Browser
) -> None:
    tab, console = page
    with httpx.Client(base_url=served.url, timeout=30) as api:
        headers, business = verified_owner_of_a_business(served, api)
        scored_with_demo_data(api, headers, business)
        report = api.post(f"/api/v1/businesses/{business}/reports", headers=headers)
        assert report.status_code == 201, report.text
        shared = api.post(
            f"/api/v1/businesses/{business}/reports/{report.json()['id']}/share",
            json={"label": "Lighter Capital", "expires_in_days": 14},
            headers=headers,
        )
        assert shared.status_code == 201, shared.text
    link = re.sub(r"^https?://[^/]+", "", shared.json()["url"])
    assert link.startswith("/shared#token=vlt_sh_")

    tab.goto(link)
    expect(tab.get_by_role("heading", level=1, name=BUSINESS)).to_be_focused()
    expect(tab.get_by_test_id("shared-score")).to_have_text(str(report.json()["score"]))
    expect(tab.get_by_text("Estimates are not offers").first).to_be_visible()
    expect(tab.get_by_text("Shared with Lighter Capital")).to_be_visible()
    expect(tab.get_by_role("heading", name="Lender fit")).to_be_visible()
    assert token_of(link) not in tab.url
    assert tab.locator('meta[name="robots"]').get_attribute("content") == "noindex"
    assert tab.get_by_role("link", name="Sign up").count() == 0

    pdf_path = tab.get_by_role("link", name="Download PDF").get_attribute("href")
    csv_path = tab.get_by_role("link", name="Download CSV").get_attribute("href")
    assert pdf_path and csv_path and pdf_path.startswith("/api/v1/shared/")
    with httpx.Client(base_url=served.url) as lender:
        pdf = lender.get(pdf_path)
        csv = lender.get(csv_path)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert csv.status_code == 200 and csv.text.startswith("metric,")

    assert_the_report_is_accessible(browser, served, link)

    with httpx.Client(base_url=served.url) as api:
        share_id = shared.json()["id"]
        revoked = api.post(
            f"/api/v1/businesses/{business}/shares/{share_id}/revoke", headers=headers
        )
        assert revoked.status_code == 200, revoked.text
    # Opened over the open report (/shared/): only the fragment changes, and the page starts again.
    assert re.search(r"/shared/$", tab.url)
    tab.goto(link.replace("/shared#", "/shared/#"))
    expect(tab.get_by_role("heading", name="This link has expired or was revoked")).to_be_visible()
    assert token_of(link) not in tab.url
    assert failed_requests(console) == [404]


def assert_the_report_is_accessible(browser: Browser, served: Served, link: str) -> None:
    """No serious violation on the report as a lender sees it, and it fits a 375 px phone."""
    context = browser.new_context(base_url=served.url, locale="en-US", bypass_csp=True)
    try:
        tab = context.new_page()
        tab.goto(link)
        expect(tab.get_by_test_id("shared-score")).to_be_visible()
        assert violations(tab) == []
        tab.set_viewport_size({"width": 375, "height": 800})
        assert fits_the_width(tab)
    finally:
        context.close()


def fits_the_width(tab: Page) -> bool:
    """Nothing scrolls sideways at this width."""
    fits: Any = tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return bool(fits)


# --- accessibility of every state a link page can show ---------------------------------------------


def test_each_link_page_has_no_serious_violation_in_any_state(
    audited: tuple[Page, Console], served: Served
) -> None:
    tab, console = audited

    def no_violation() -> None:
        assert violations(tab) == []
        assert fits_the_width(tab)

    tab.set_viewport_size({"width": 375, "height": 800})
    tab.goto("/forgot-password")
    no_violation()
    tab.get_by_label("Email").fill("nobody@example.com")
    tab.get_by_role("button", name="Send reset link").click()
    expect(tab.get_by_role("status")).to_contain_text("If an account exists")
    no_violation()

    for path, heading in [
        ("/reset-password", "Open the link from your email"),
        ("/reset-password#token=vlt_pr_unknown", "Set a new password"),
        ("/verify-email", "Open the link from your email"),
        ("/verify-email#token=vlt_ev_unknown", "This link no longer works"),
        ("/accept-invitation#token=vlt_inv_unknown", "Log in to accept the invitation"),
        ("/shared", "Open the full link you were sent"),
        ("/shared#token=vlt_sh_unknown", "This link has expired or was revoked"),
    ]:
        tab.goto("about:blank")
        tab.goto(path)
        expect(tab.get_by_role("heading", level=1, name=heading)).to_be_visible()
        expect(tab.locator('[aria-busy="true"]')).to_have_count(0)  # the island has settled
        no_violation()

    with httpx.Client(base_url=served.url) as api:
        sign_up(api, INVITEE)
    tab.goto("/login")
    browser_log_in(tab, INVITEE, PASSWORD)
    tab.goto("/accept-invitation#token=vlt_inv_unknown")
    expect(tab.get_by_role("button", name="Accept invitation")).to_be_visible()
    no_violation()
    tab.get_by_role("button", name="Accept invitation").click()
    expect(tab.get_by_role("heading", name="This invitation no longer works")).to_be_visible()
    no_violation()

    # unknown tokens: verify-email and accept 400, the signed-out session check 401, the share 404
    assert failed_requests(console) == [400, 400, 401, 404]
