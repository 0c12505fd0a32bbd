"""axe-core (from npm, pinned in frontend/package-lock.json) injected by Playwright into every
page: no serious or critical violation — the public pages, and the dashboard with a scored
business on it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import (
    Console,
    load_demo_data_and_wait_for_the_score,
    sign_up_in_the_browser,
    violations,
)

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
    sign_up_in_the_browser(tab, "axe@example.com", "accessible to everyone")
    assert violations(tab) == []  # onboarding

    load_demo_data_and_wait_for_the_score(tab)
    assert violations(tab) == []
    assert console.errors == []
