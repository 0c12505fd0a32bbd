"""The agent's knowledge base, read: one article, so the dashboard can open an article the agent
cited (`{"kind": "article", "ref": "kb-…"}`; a passage's ref `kb-…#3` names its article before
the `#`).

The articles are Vaultra's own writing, the same for every tenant and holding no business's data,
so any signed-in caller may read them, a personal access token too; nothing here is under a
business. Only indexed articles exist (`vaultra knowledge index`): the text is the index's, the one
the agent searched and cited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import CurrentPrincipal, RuntimeDep
from vaultra.api.problems import ApiError, responses
from vaultra.services.knowledge import IndexedArticle, UnknownArticle

router = APIRouter(tags=["knowledge"])

MAX_ARTICLE_ID = 100

ArticleId = Annotated[
    str,
    Path(
        max_length=MAX_ARTICLE_ID,
        pattern=r"^kb-[a-z0-9-]+$",
        description="The article's id, as cited: `kb-` then lowercase letters, digits and hyphens.",
        examples=["kb-dispute-evidence"],
    ),
]


class SectionOut(BaseModel):
    heading: str | None = Field(description="Null for the summary that opens the article.")
    body: str = Field(description="Markdown: the section's paragraphs, a blank line apart.")


class ArticleOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "kb-dispute-evidence",
                    "title": "Responding to a dispute in Stripe: evidence, deadlines and "
                    "what winning changes",
                    "sources": ["https://docs.stripe.com/disputes/responding"],
                    "sections": [
                        {"heading": None, "body": "When a customer disputes a card payment, …"},
                        {"heading": "What evidence works", "body": "…\n\n…"},
                    ],
                }
            ]
        }
    )
    id: str
    title: str
    sources: list[str] = Field(description="The public pages the article draws on (https).")
    sections: list[SectionOut] = Field(description="In reading order, the summary first.")


def _article_out(article: IndexedArticle) -> ArticleOut:
    return ArticleOut(
        id=article.id,
        title=article.title,
        sources=list(article.sources),
        sections=[SectionOut(heading=s.heading, body=s.body) for s in article.sections],
    )


@router.get(
    "/knowledge/articles/{article_id}",
    operation_id="getKnowledgeArticle",
    response_model=ArticleOut,
    responses=responses(401, 404, 422),
    summary="A knowledge-base article the agent can cite",
)
def get_knowledge_article(
    article_id: ArticleId, _principal: CurrentPrincipal, runtime: RuntimeDep
) -> ArticleOut:
    """Its title, sources and sections as indexed. 404 for an id no indexed article has."""
    try:
        article = runtime.knowledge.article(article_id)
    except UnknownArticle:
        raise ApiError(404, "no such article") from None
    return _article_out(article)
