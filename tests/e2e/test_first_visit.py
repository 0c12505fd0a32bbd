"""A founder's first visit in a real browser, on the real local stack: sign up (signed in at once)
→ a business with demo data through the real ingest path → the score shows, and it is the score
the API reads → a recommendation marked done → a what-if with a slider → the score's trend → a
question to the agent, its answer streamed → a report downloaded → sign out. No console error on
any page."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import SCORE_WITHIN_MS, Console
from tests.support.served import Served

pytestmark = pytest.mark.integration
PASSWORD = "a first visit to remember"
EMAIL = "founder@example.com"


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

    # What if: a slider moved by keyboard asks the API, and the page shows what it answered.
    slider = tab.locator(".what-if input[type=range]").first
    with tab.expect_response(lambda r: r.url.endswith("/what-if")) as simulated:
        slider.focus()
        slider.press("End")
    answer = simulated.value
    assert answer.status == 200
    asked = answer.request.post_data_json
    expect(tab.get_by_test_id("what-if-score")).to_have_text(str(answer.json()["score_after"]))
    with httpx.Client(base_url=served.url) as api:
        again = api.post(
            f"/api/v1/businesses/{business['id']}/what-if", json=asked, headers=headers
        )
    assert again.json()["score_after"] == answer.json()["score_after"]

    # The trends: the score's own history ends at the score shown.
    tab.get_by_label("Trend").select_option("score")
    expect(tab.locator(".trend figcaption")).to_contain_text(
        re.compile(rf"to {summary.json()['score']} on ")
    )

    # The agent: its answer arrives as an event stream and cites what it read.
    with tab.expect_response(lambda r: r.url.endswith("/chat")) as chatted:
        tab.get_by_role("button", name="What's hurting my funding readiness?").click()
    assert chatted.value.headers["content-type"].startswith("text/event-stream")
    reply = tab.get_by_test_id("chat-answer").last
    expect(reply).to_have_attribute("aria-busy", "false", timeout=60_000)
    expect(reply).to_contain_text(str(summary.json()["score"]))
    breakdown = reply.get_by_role("link", name="Score breakdown")
    breakdown.click()
    expect(tab.locator("#breakdown-title")).to_be_focused()

    # The report: made from the stored score and downloaded as a PDF.
    with tab.expect_download() as downloading:
        tab.get_by_role("button", name="Create report").click()
    pdf = downloading.value
    assert pdf.suggested_filename.endswith(".pdf")
    with open(pdf.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"

    tab.get_by_role("button", name="Sign out").click()
    tab.wait_for_url(re.compile(r"/$"))
    assert console.errors == []
