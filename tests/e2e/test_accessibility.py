"""axe-core (from npm, pinned in frontend/package-lock.json) injected by Playwright into every
page: no serious or critical violation — the public pages, and the dashboard with a scored
business on it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Console
from tests.support.served import REPO, Served

pytestmark = pytest.mark.integration
AXE = REPO / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


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
    """What axe finds on the page as it stands, serious or critical only, in brief."""
    assert AXE.is_file(), "axe-core is not installed: run `make site`"
    tab.add_script_tag(path=str(AXE))
    found = tab.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in found
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("path", ["/", "/signup/", "/login/", "/no-such-page"])
def test_a_public_page_has_no_serious_violation(audited: tuple[Page, Console], path: str) -> None:
    tab, console = audited
    tab.goto(path)
    assert violations(tab) == []
    assert console.errors == [] or path == "/no-such-page"  # a 404 is logged by the browser


def test_the_dashboard_with_a_scored_business_has_no_serious_violation(
    audited: tuple[Page, Console],
) -> None:
    tab, console = audited
    tab.goto("/signup/")
    tab.get_by_label("Email").fill("axe@example.com")
    tab.get_by_label("Password").fill("accessible to everyone")
    tab.get_by_role("button", name="Sign up").click()
    tab.wait_for_url(re.compile(r"/app/?$"))
    assert violations(tab) == []  # onboarding

    tab.get_by_role("button", name="Use demo data").click()
    expect(tab.get_by_test_id("readiness-score")).to_have_text(
        re.compile(r"^\d+$"), timeout=120_000
    )
    assert violations(tab) == []
    assert console.errors == []
