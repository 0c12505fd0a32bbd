"""The knowledge base: the articles read from their folder, indexed as passages, and searched.

What search returns is data for the agent to quote and cite (each passage with its `ref` and its
article's sources), never instructions: nothing here interprets the text, and the agent (step 5)
must hand it to a model as quoted material.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from vaultra.db.knowledge import IndexChange, Passage
from vaultra.db.unit_of_work import Database
from vaultra.domain.knowledge.articles import TOPICS, Article, parse_article
from vaultra.domain.knowledge.chunks import chunk_article

MAX_QUESTION = 500  # characters: a question, not a document
MAX_RESULTS = 20
DEFAULT_RESULTS = 5
# Passages of one article in a result: its best one, leaving room for other articles. With two,
# a long article's sections pushed the article that answers out of the first three for some of
# the questions in tests/services/test_knowledge.py.
PER_ARTICLE = 1


class InvalidQuery(ValueError):
    """A search the knowledge base cannot answer as asked; the message says what to change."""


class NoKnowledgeBase(FileNotFoundError):
    """The articles' folder does not exist."""


def load_articles(folder: Path) -> list[Article]:
    """Every `*.md` article in `folder`, by id (`InvalidArticle` names a faulty one)."""
    if not folder.is_dir():
        raise NoKnowledgeBase(f"no knowledge base at {folder} (VAULTRA_KNOWLEDGE_DIR)")
    return [
        parse_article(path.name, path.read_text("utf-8")) for path in sorted(folder.glob("*.md"))
    ]


class KnowledgeBase:
    def __init__(self, db: Database) -> None:
        self._db = db

    def index(self, articles: Sequence[Article]) -> IndexChange:
        """Make the index hold exactly these articles' passages, in one transaction: a search
        never sees half an index."""
        chunks = [chunk for article in articles for chunk in chunk_article(article)]
        with self._db.transaction() as uow:
            return uow.knowledge.replace_all(chunks)

    def search(
        self, question: str, topics: Sequence[str] | None = None, k: int = DEFAULT_RESULTS
    ) -> list[Passage]:
        """The `k` passages that best match `question`, within `topics` if given."""
        question = " ".join(question.split())
        if not question:
            raise InvalidQuery("the question is empty")
        if len(question) > MAX_QUESTION:
            raise InvalidQuery(f"the question is longer than {MAX_QUESTION} characters")
        unknown = sorted(set(topics or ()) - TOPICS)
        if unknown:
            raise InvalidQuery(f"unknown topics {unknown}; topics are: {', '.join(sorted(TOPICS))}")
        if not 1 <= k <= MAX_RESULTS:
            raise InvalidQuery(f"k must be between 1 and {MAX_RESULTS}")
        with self._db.reads() as uow:
            return uow.knowledge.search(
                question, list(topics) if topics else None, k, per_article=PER_ARTICLE
            )

    def size(self) -> int:
        with self._db.reads() as uow:
            return uow.knowledge.count()
