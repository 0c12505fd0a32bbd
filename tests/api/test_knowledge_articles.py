"""Reading a knowledge-base article, as the dashboard opens one the agent cited: the indexed
article's title, sources and sections (a section the index split into passages comes back whole),
to any signed-in caller or personal access token; an id no indexed article has is 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from vaultra.bootstrap import Runtime
from vaultra.domain.knowledge.articles import Article, parse_article
from vaultra.services.knowledge import load_articles

from tests.api.accounts_support import bearer, personal_token
from tests.api.conftest import User

ARTICLES = "/api/v1/knowledge/articles"
ARTICLE = "kb-dispute-evidence"
_SECTION_HEADING = re.compile(r"^##[ \t]+(.+?)[ \t]*$", re.MULTILINE)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@pytest.fixture
def indexed(runtime: Runtime) -> list[Article]:
    articles = load_articles(runtime.settings.knowledge_dir)
    runtime.knowledge.index(articles)
    return articles


def article_file(runtime: Runtime, article_id: str) -> Article:
    path = runtime.settings.knowledge_dir / f"{article_id}.md"
    return parse_article(path.name, path.read_text("utf-8"))


def sections_as_written(article: Article) -> list[dict[str, Any]]:
    """The article's `##` sections as its file has them (the summary first, with no heading),
    each body its paragraphs a blank line apart."""
    parts = _SECTION_HEADING.split(article.body)  # summary, heading, text, heading, text, …
    headed = [(None, parts[0]), *zip(parts[1::2], parts[2::2], strict=True)]
    return [
        {"heading": heading, "body": paragraphs(text)} for heading, text in headed if text.strip()
    ]


def paragraphs(text: str) -> str:
    return "\n\n".join(p.strip() for p in _BLANK_LINE.split(text.strip()) if p.strip())


def test_every_indexed_article_comes_back_with_its_title_sources_and_sections_in_order(
    client: TestClient, runtime: Runtime, alice: User, indexed: list[Article]
) -> None:
    passages = sections = 0

    for article in indexed:
        answer = client.get(f"{ARTICLES}/{article.id}", headers=alice.headers)

        assert answer.status_code == 200, answer.text
        written = article_file(runtime, article.id)
        assert answer.json() == {
            "id": written.id,
            "title": written.title,
            "sources": list(written.sources),
            "sections": sections_as_written(written),
        }
        sections += len(answer.json()["sections"])
        with runtime.database.reads() as uow:
            passages += len(uow.knowledge.article(article.id))
    # Some long sections are indexed as several passages: they came back merged.
    assert passages > sections


def test_an_unknown_article_is_404(client: TestClient, alice: User, indexed: list[Article]) -> None:
    answer = client.get(f"{ARTICLES}/kb-no-such-article", headers=alice.headers)

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "no such article"


def test_no_article_exists_before_the_knowledge_base_is_indexed(
    client: TestClient, alice: User
) -> None:
    answer = client.get(f"{ARTICLES}/{ARTICLE}", headers=alice.headers)

    assert answer.status_code == 404


@pytest.mark.parametrize(
    "article_id",
    [
        "dispute-evidence",  # not a knowledge-base id
        "KB-Dispute-Evidence",
        "kb-dispute_evidence",
        "kb-",
        f"kb-{'a' * 98}",  # 101 characters
        f"{ARTICLE}%233",  # a passage's ref (`#3`), not its article's id
    ],
)
def test_a_malformed_article_id_is_422_naming_the_path_parameter(
    client: TestClient, alice: User, indexed: list[Article], article_id: str
) -> None:
    answer = client.get(f"{ARTICLES}/{article_id}", headers=alice.headers)

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["location"] for e in answer.json()["errors"]] == ["path.article_id"]


def test_an_article_is_not_read_without_a_token(client: TestClient, indexed: list[Article]) -> None:
    answer = client.get(f"{ARTICLES}/{ARTICLE}")

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_a_personal_access_token_may_read_an_article(
    client: TestClient, alice: User, indexed: list[Article]
) -> None:
    token = bearer(personal_token(client, alice))

    answer = client.get(f"{ARTICLES}/{ARTICLE}", headers=token)

    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == ARTICLE and answer.json()["sections"][0]["heading"] is None
