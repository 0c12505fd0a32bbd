"""axe-core (from npm, pinned in frontend/package-lock.json) injected by Playwright into every
page: no serious or critical violation — the public pages, and the dashboard with a scored
business on it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Console, violations

pytestmark = pytest.mark.integration


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
