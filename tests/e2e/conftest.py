"""A real browser — Debian's chromium driven by Playwright — against the real local stack:
`vaultra serve` on loopback serving the built dashboard and the API on one origin.

The browser is the system's (`make browser` installs it where it can); Playwright never downloads
one. Without chromium these tests skip and say why; without a built site (`make site`) they fail,
since `make test` always builds it first."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from vaultra_dev.browser import CHROMIUM_ARGS, NO_CHROMIUM, system_chromium

from tests.support.served import REPO, Served, vaultra_serve

# The server reads the same variable, so a site built elsewhere is tested as it would be served.
AXE = REPO / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
# Demo data is generated and ingested off the request: its first score takes seconds, more on a
# loaded machine.
SCORE_WITHIN_MS = 120_000
SITE = Path(os.environ.get("VAULTRA_SITE_DIR", REPO / "frontend" / "dist"))


@pytest.fixture(scope="session")
def chromium() -> str:
    found = system_chromium()
    if found is None:
        pytest.skip(NO_CHROMIUM)
    return found


# Module scope, not session: Playwright's sync API runs an event loop in this thread while it is
# open, and every later test that starts one of its own (asyncio.run) would find it running.
@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    assert (SITE / "index.html").is_file(), "the dashboard is not built: run `make site`"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def served(pg_admin_url: str, template_database: str, tmp_path: Path) -> Iterator[Served]:
    with vaultra_serve(
        pg_admin_url, template_database, tmp_path, VAULTRA_EMBEDDINGS="none"
    ) as running:
        yield running


class Console:
    """Every console error and uncaught exception of a page: a product page has none."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _message(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")


@pytest.fixture
def page(browser: Browser, served: Served) -> Iterator[tuple[Page, Console]]:
    context = browser.new_context(base_url=served.url, locale="en-US")
    opened = context.new_page()
    console = Console(opened)
    yield opened, console
    context.close()


@pytest.fixture
def audited(browser: Browser, served: Served) -> Iterator[tuple[Page, Console]]:
    """A page on which axe can run: the site's Content-Security-Policy allows only its own
    scripts (tests/web/test_site.py), so the injected one needs the policy bypassed."""
    context = browser.new_context(base_url=served.url, locale="en-US", bypass_csp=True)
    opened = context.new_page()
    console = Console(opened)
    yield opened, console
    context.close()


def violations(tab: Page) -> list[dict[str, Any]]:
    """What axe-core (from npm, pinned in frontend/package-lock.json) finds on the page as it
    stands, serious or critical only, in brief."""
    assert AXE.is_file(), "axe-core is not installed: run `make site`"
    tab.add_script_tag(path=str(AXE))
    found = tab.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in found
        if v["impact"] in BLOCKING
    ]


def sign_up_in_the_browser(tab: Page, email: str, password: str) -> None:
    """A founder signs up at /signup and lands, signed in, on the dashboard."""
    tab.goto("/signup/")
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign up").click()
    tab.wait_for_url(re.compile(r"/app/?$"))


def load_demo_data_and_wait_for_the_score(tab: Page) -> None:
    """Onboarding's "Use demo data", through the real ingest path, until the score shows."""
    tab.get_by_role("button", name="Use demo data").click()
    expect(tab.get_by_test_id("readiness-score")).to_have_text(
        re.compile(r"^\d+$"), timeout=SCORE_WITHIN_MS
    )
