"""A model's answer is data, in the browser too: with a real model provider (OpenAI's protocol,
served on loopback by a scripted model), an answer that carries markup and script shows them as
text — its Markdown (bold, a list) rendered as elements, nothing of it run or loaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    Console,
    load_demo_data_and_wait_for_the_score,
    sign_up_in_the_browser,
)
from tests.support.llm_servers import Scripted, Text, llm_server
from tests.support.served import Served, vaultra_serve

pytestmark = pytest.mark.integration
HOSTILE = (
    "**Your disputes** hold the score back.\n\n"
    "- Answer them within the deadline\n"
    '- Read <img src="/x.png" onerror="window.pwned = 1"> and '
    "<script>window.pwned = 2</script> as text\n\n"
    "[a link](javascript:window.pwned=3) stays text too."
)


@pytest.fixture
def model() -> Iterator[Scripted]:
    with llm_server([Text(HOSTILE)]) as server:
        yield server


@pytest.fixture
def served_with_a_model(
    pg_admin_url: str, template_database: str, tmp_path: Path, model: Scripted
) -> Iterator[Served]:
    with vaultra_serve(
        pg_admin_url,
        template_database,
        tmp_path,
        VAULTRA_EMBEDDINGS="none",
        LLM_PROVIDER="openai",
        OPENAI_API_KEY="sk-loopback",
        OPENAI_BASE_URL=f"{model.url}/v1",
        LLM_MAX_RETRIES="0",
    ) as running:
        yield running


def test_markup_in_a_model_answer_is_shown_as_text_never_run(
    browser: Browser, served_with_a_model: Served, model: Scripted
) -> None:
    context = browser.new_context(base_url=served_with_a_model.url, locale="en-US")
    tab: Page = context.new_page()
    console = Console(tab)
    loaded: list[str] = []
    tab.on("request", lambda request: loaded.append(request.url))
    try:
        sign_up_in_the_browser(tab, "model@example.com", "a model says things")
        load_demo_data_and_wait_for_the_score(tab)

        tab.get_by_label("Your question").fill("What's hurting my readiness?")
        tab.get_by_role("button", name="Ask", exact=True).click()
        answer = tab.get_by_test_id("chat-answer").last
        expect(answer).to_have_attribute("aria-busy", "false", timeout=60_000)

        assert model.requests, "the answer came from the scripted model"
        text = answer.locator(".chat-text")
        expect(text.locator("strong")).to_have_text("Your disputes")
        expect(text.locator("li")).to_have_count(2)
        expect(text).to_contain_text('<img src="/x.png" onerror="window.pwned = 1">')
        expect(text).to_contain_text("<script>window.pwned = 2</script>")
        assert text.locator("img, script, a").count() == 0
        assert tab.evaluate("() => window.pwned") is None
        assert not any(url.endswith("/x.png") for url in loaded)
        assert console.errors == []
    finally:
        context.close()
