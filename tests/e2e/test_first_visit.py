"""A founder's first visit in a real browser, on the real local stack: sign up (signed in at once)
→ a business with demo data through the real ingest path → the score shows, and it is the score
the API reads → a recommendation marked done → sign out. No console error on any page."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Console
from tests.support.served import Served

pytestmark = pytest.mark.integration
PASSWORD = "a first visit to remember"
EMAIL = "founder@example.com"
SCORE_WITHIN_MS = 120_000


def test_a_founder_signs_up_loads_demo_data_and_sees_the_score_the_api_reads(
    page: tuple[Page, Console], served: Served
) -> None:
    tab, console = page
    tab.goto("/")
    expect(tab).to_have_title(re.compile("Vaultra"))
    tab.get_by_role("link", name="Sign up").first.click()

    tab.get_by_label("Email").fill(EMAIL)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign up").click()
    tab.wait_for_url(re.compile(r"/app/?$"))

    tab.get_by_role("button", name="Use demo data").click()
    score = tab.get_by_test_id("readiness-score")
    expect(score).to_have_text(re.compile(r"^\d{1,3}$"), timeout=SCORE_WITHIN_MS)

    with httpx.Client(base_url=served.url) as api:
        login = api.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        [business] = api.get("/api/v1/businesses", headers=headers).json()["items"]
        summary = api.get(f"/api/v1/businesses/{business['id']}/summary", headers=headers)
    assert score.inner_text().strip() == str(summary.json()["score"])

    marks = tab.get_by_role("button", name="Mark done")
    before = marks.count()
    marks.first.click()
    # the done one has no such button any more (in this week's plan nor in the full list)
    expect(marks).not_to_have_count(before)
    with httpx.Client(base_url=served.url) as api:
        recommendations = api.get(
            f"/api/v1/businesses/{business['id']}/recommendations", headers=headers
        ).json()["items"]
    assert [r["status"] for r in recommendations].count("done") == 1

    tab.get_by_role("button", name="Sign out").click()
    tab.wait_for_url(re.compile(r"/$"))
    assert console.errors == []
