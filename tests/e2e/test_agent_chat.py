"""Asking Vaultra in a real browser, on the real local stack (the offline agent): the answer
streams into the page and is the answer the API stored; a cited knowledge article opens in a
dialog with the text the API serves; a conversation can be started over, reopened and deleted.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    Console,
    load_demo_data_and_wait_for_the_score,
    sign_up_in_the_browser,
    violations,
)
from tests.support.served import Served

pytestmark = pytest.mark.integration
EMAIL = "asker@example.com"
PASSWORD = "questions deserve answers"
QUESTION = "What should I do this week?"


def test_an_answer_streams_in_and_its_cited_article_opens(
    audited: tuple[Page, Console], served: Served
) -> None:
    tab, console = audited
    sign_up_in_the_browser(tab, EMAIL, PASSWORD)
    load_demo_data_and_wait_for_the_score(tab)

    tab.get_by_role("button", name=QUESTION).click()
    answer = tab.get_by_test_id("chat-answer").last
    expect(answer).to_have_attribute("aria-busy", "false", timeout=60_000)
    shown = answer.inner_text()

    with httpx.Client(base_url=f"{served.url}/api/v1") as api:
        login = api.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
        api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        [business] = api.get("/businesses").json()["items"]
        [conversation] = api.get(f"/businesses/{business['id']}/conversations").json()["items"]
        stored = api.get(f"/businesses/{business['id']}/conversations/{conversation['id']}")
        [question, reply] = stored.json()["items"]
        assert question["content"] == QUESTION
        # The page shows the stored answer, line by line (its Markdown list markers rendered
        # as a list), and its sources after it.
        for line in reply["content"].splitlines():
            assert line.lstrip("-* ").replace("**", "").strip() in shown
        articles = [c["ref"] for c in reply["citations"] if c["kind"] == "article"]
        assert articles, "the plan's answer cites the articles behind its recommendations"
        cited = articles[0]
        article = api.get(f"/knowledge/articles/{cited}").json()

    answer.get_by_role("button", name=cited).first.click()
    dialog = tab.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=article["title"])).to_be_visible()
    # The article's Markdown is rendered: its text, without the marks (`code`, **bold**, links).
    text = re.sub(r"\[([^\]]+)\]\(https://[^)\s]+\)", r"\1", article["sections"][0]["body"])
    expect(dialog).to_contain_text(re.sub(r"[*`]", "", text)[:60])
    assert violations(tab) == []
    tab.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Start over, then reopen the earlier conversation from the list; then delete it.
    tab.get_by_role("button", name="New conversation").click()
    expect(tab.get_by_test_id("chat-answer")).to_have_count(0)
    tab.get_by_text("Earlier conversations").click()
    tab.locator(".chat-history").get_by_role(
        "button", name=conversation["title"], exact=True
    ).click()
    expect(tab.get_by_test_id("chat-answer")).to_have_count(1)
    tab.get_by_role("button", name=f"Delete the conversation “{conversation['title']}”").click()
    expect(tab.get_by_test_id("chat-answer")).to_have_count(0)
    with httpx.Client(base_url=f"{served.url}/api/v1") as api:
        login = api.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        left = api.get(f"/businesses/{business['id']}/conversations", headers=headers)
    assert left.json()["items"] == []
    assert console.errors == []
