"""The dashboard's screenshots in docs/screenshots/, at desktop and phone width, taken from the
real local stack with demo data: `make screenshots` (= `.venv/bin/python -m bench.screenshots`).

It lives beside the benchmarks because it drives the same things they do (an embedded PostgreSQL,
`vaultra serve`, the system's chromium); it measures nothing. Run it again when a page changes, so
the README shows the product as it is.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect, sync_playwright
from rich.console import Console
from sqlalchemy import text
from vaultra.db.engine import engine_for_url
from vaultra_dev.browser import CHROMIUM_ARGS, NO_CHROMIUM, system_chromium

from bench._pg import DATADIR, REPO_ROOT, bench_database, postgres_stopped_after
from bench._stack import vaultra_serve
from bench.api import PASSWORD, founder_with_demo_data, server_env, sign_in

OUT = REPO_ROOT / "docs" / "screenshots"
EMAIL = "founder@example.com"
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


def _verification_token(database_url: str) -> str:
    """The token of the verification mail sent at sign-up (locally mail goes to `mail_outbox`)."""
    engine = engine_for_url(database_url)
    try:
        with engine.connect() as conn:
            body = conn.execute(
                text("SELECT body FROM mail_outbox WHERE to_address = :to ORDER BY created_at"),
                {"to": EMAIL},
            ).scalar_one()
    finally:
        engine.dispose()
    found = re.search(r"/verify-email#token=([\w-]+)", body)
    assert found, "the sign-up mail has no verification link"
    return found.group(1)


def _signed_up_with_demo_data(url: str, database_url: str) -> tuple[str, str]:
    """A verified founder with a scored demo business (as the API benchmark makes one), a report
    and a link shared with a lender: the pages then show what a founder sees after `make demo`.
    Returns the business and the share link's page."""
    _, business, _ = founder_with_demo_data(
        url, Console(), email=EMAIL, business_name="Acme Analytics"
    )
    with httpx.Client(base_url=url, timeout=30) as api:
        api.post(
            "/api/v1/auth/verify-email", json={"token": _verification_token(database_url)}
        ).raise_for_status()
        api.headers["Authorization"] = f"Bearer {sign_in(api, EMAIL)}"
        report = api.post(f"/api/v1/businesses/{business}/reports").json()["id"]
        shared = api.post(
            f"/api/v1/businesses/{business}/reports/{report}/share",
            json={"label": "Lighter Capital", "expires_in_days": 30},
        ).json()
        return business, shared["url"].removeprefix(url)


def _shoot(page: Page, name: str, size: str, *, full: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    path = OUT / f"{name}-{size}.png"
    page.screenshot(path=str(path), full_page=full)
    print(f"  {path.relative_to(REPO_ROOT)}")


def _to_top(page: Page, selector: str) -> None:
    page.locator(selector).evaluate("e => e.scrollIntoView({block: 'start'})")


def _pages(browser: Browser, url: str, business: str, shared: str, size: str) -> None:
    width, height = SIZES[size]
    context = browser.new_context(
        base_url=url,
        viewport={"width": width, "height": height},
        device_scale_factor=1,
        locale="en-US",
        is_mobile=size == "phone",
        has_touch=size == "phone",
        color_scheme="light",
    )
    page = context.new_page()
    page.goto("/")
    _shoot(page, "landing", size)
    page.goto("/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # The founder's only business opens by itself.
    page.wait_for_url(re.compile(r"/app"))
    expect(page.get_by_test_id("readiness-score")).to_have_text(
        re.compile(r"^\d+$"), timeout=30_000
    )
    _shoot(page, "dashboard", size)

    page.get_by_role("button", name="What's hurting my funding readiness?").click()
    answer = page.get_by_test_id("chat-answer").last
    expect(answer).to_have_attribute("aria-busy", "false", timeout=60_000)
    _to_top(page, ".chat")
    _shoot(page, "agent", size)

    # Churn down to nothing: the move a founder tries first, and one that changes points.
    slider = page.get_by_label(re.compile("customer churn"))
    with page.expect_response(lambda r: r.url.endswith("/what-if")):
        slider.focus()
        slider.press("Home")
    _to_top(page, ".what-if")
    time.sleep(0.6)  # the simulation is debounced
    _shoot(page, "what-if", size)

    _to_top(page, ".reports")
    _shoot(page, "reports", size)

    page.goto(f"/settings?business={business}")
    page.get_by_role("heading", name="Settings").first.wait_for()
    _shoot(page, "settings", size)

    lender = context.new_page()  # what the lender opens: no session needed
    lender.goto(shared)
    lender.get_by_role("heading", name="Readiness score").wait_for()
    _shoot(lender, "shared", size)
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    chromium = system_chromium()
    if chromium is None:
        raise SystemExit(NO_CHROMIUM)
    OUT.mkdir(parents=True, exist_ok=True)
    with (
        postgres_stopped_after(DATADIR, Console()),
        tempfile.TemporaryDirectory(prefix="vaultra-shots-") as home,
        bench_database() as db,
    ):
        env = {**server_env(db, Path(home)), "VAULTRA_LOG_LEVEL": "WARNING"}
        with vaultra_serve(env, Path(home) / "serve.log", verbose=False) as stack:
            business, shared = _signed_up_with_demo_data(stack.url, db.url)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium, headless=True, args=CHROMIUM_ARGS
                )
                for size in SIZES:
                    print(size)
                    _pages(browser, stack.url, business, shared, size)
                browser.close()


if __name__ == "__main__":
    main()
