"""The knowledge base: the articles read from their folder, indexed as passages, and searched.

Three ways to search, chosen by VAULTRA_RETRIEVAL: `lexical` (PostgreSQL full-text search),
`dense` (the nearest passages by embedding: pgvector, or Pinecone) and `hybrid` (both rankings
fused by reciprocal rank, `vaultra.domain.knowledge.fusion`). bench/agent_eval measures each on the
same questions; docs/BENCHMARKS.md has the figures the default was chosen from.

Indexing embeds only what changed: a passage's vector is kept by its digest, so re-indexing the
same articles embeds nothing, and editing one article embeds only its passages.

What search returns is data for the agent to quote and cite (each passage with its `ref` and its
article's sources), never instructions: nothing here interprets the text, and the agent must hand
it to a model as quoted material.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from vaultra.db.knowledge import IndexChange, Passage
from vaultra.db.unit_of_work import Database
from vaultra.domain.knowledge.articles import TOPICS, Article, parse_article
from vaultra.domain.knowledge.chunks import chunk_article
from vaultra.domain.knowledge.fusion import fuse
from vaultra.llm.embeddings import Embedder, VectorItem, VectorStore

Method = Literal["lexical", "dense", "hybrid"]
METHODS: tuple[Method, ...] = ("lexical", "dense", "hybrid")

MAX_QUESTION = 500  # characters: a question, not a document
MAX_RESULTS = 20
DEFAULT_RESULTS = 5
# Passages of one article in a result: its best one, leaving room for other articles. With two,
# a long article's sections pushed the article that answers out of the first three for some of
# the questions in tests/services/test_knowledge.py.
PER_ARTICLE = 1
# Each ranking hybrid fuses is this deep: an article second in one ranking and absent from the
# other's first five can still win.
FUSION_DEPTH = 20
EMBED_BATCH = 64


class InvalidQuery(ValueError):
    """A search the knowledge base cannot answer as asked; the message says what to change."""


class NoKnowledgeBase(FileNotFoundError):
    """The articles' folder does not exist."""


class UnknownArticle(LookupError):
    """No indexed article has this id."""


@dataclass(frozen=True)
class Section:
    heading: str | None  # None for the summary that opens the article
    body: str  # Markdown: the section's paragraphs, a blank line between two


@dataclass(frozen=True)
class IndexedArticle:
    """An article as its indexed passages hold it: what a reader opens from a citation."""

    id: str
    title: str
    sources: tuple[str, ...]
    sections: tuple[Section, ...]


def load_articles(folder: Path) -> list[Article]:
    """Every `*.md` article in `folder`, by id (`InvalidArticle` names a faulty one)."""
    if not folder.is_dir():
        raise NoKnowledgeBase(f"no knowledge base at {folder} (VAULTRA_KNOWLEDGE_DIR)")
    return [
        parse_article(path.name, path.read_text("utf-8")) for path in sorted(folder.glob("*.md"))
    ]


class KnowledgeBase:
    def __init__(
        self,
        db: Database,
        *,
        embedder: Embedder | None = None,
        store: VectorStore | None = None,
        method: Method = "lexical",
    ) -> None:
        """`embedder` None: lexical search only. `store` None: vectors are searched in
        PostgreSQL; otherwise they are copied to it (Pinecone) at each index and searched there."""
        if method != "lexical" and embedder is None:
            raise ValueError(f"VAULTRA_RETRIEVAL={method} needs an embedder (VAULTRA_EMBEDDINGS)")
        self._db = db
        self._embedder = embedder
        self._store = store
        self.method: Method = method

    def close(self) -> None:
        """Release the embedder's and the vector store's connections (those that hold any)."""
        for client in (self._embedder, self._store):
            close = getattr(client, "close", None)
            if close is not None:
                close()

    def index(self, articles: Sequence[Article], *, embed: bool = True) -> IndexChange:
        """Make the index hold exactly these articles' passages, in one transaction: a search
        never sees half an index. Then (unless `embed` is false) embed the passages not embedded
        yet (each batch committed as it is done, so an interrupted run resumes where it stopped)
        and, with an external store, make it hold exactly the index's vectors. Passages not
        embedded yet are still found by full-text search."""
        chunks = [chunk for article in articles for chunk in chunk_article(article)]
        with self._db.transaction() as uow:
            change = uow.knowledge.replace_all(chunks)
        if embed and self._embedder is not None:
            self._embed_missing(self._embedder)
        return change

    def _embed_missing(self, embedder: Embedder) -> None:
        with self._db.reads() as uow:
            missing = uow.knowledge.unembedded(embedder.model)
        for start in range(0, len(missing), EMBED_BATCH):
            batch = missing[start : start + EMBED_BATCH]
            vectors = embedder.embed([text for _, text in batch])
            with self._db.transaction() as uow:
                uow.knowledge.save_vectors(
                    embedder.model, [(d, v) for (d, _), v in zip(batch, vectors, strict=True)]
                )
        with self._db.transaction() as uow:
            uow.knowledge.prune_vectors()
            every = uow.knowledge.vectors(embedder.model)
        if self._store is not None:
            self._store.replace_all(
                embedder.model, [VectorItem(a, n, v, topics) for a, n, topics, v in every]
            )

    def search(
        self,
        question: str,
        topics: Sequence[str] | None = None,
        k: int = DEFAULT_RESULTS,
        *,
        method: Method | None = None,
    ) -> list[Passage]:
        """The `k` passages that best match `question`, within `topics` if given, by `method`
        (the configured one by default)."""
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
        chosen = method or self.method
        wanted = list(topics) if topics else None
        if chosen == "lexical" or self._embedder is None:
            with self._db.reads() as uow:
                return uow.knowledge.search(question, wanted, k, per_article=PER_ARTICLE)
        if chosen == "dense":
            return self._dense(self._embedder, question, wanted, k)
        with self._db.reads() as uow:
            lexical = uow.knowledge.search(question, wanted, FUSION_DEPTH, per_article=PER_ARTICLE)
        dense = self._dense(self._embedder, question, wanted, FUSION_DEPTH)
        # Fused by article: the two rankings may pick different passages of the same article,
        # and it is the article that answers. Its passage is the one full-text search chose
        # (it holds the question's words), else the nearest one.
        best: dict[str, Passage] = {}
        for passage in [*lexical, *dense]:
            best.setdefault(passage.article_id, passage)
        fused = fuse([[p.article_id for p in ranking] for ranking in (lexical, dense)])
        return [replace(best[article], rank=score) for article, score in fused[:k]]

    def _dense(
        self, embedder: Embedder, question: str, topics: list[str] | None, k: int
    ) -> list[Passage]:
        [vector] = embedder.embed([question])
        if self._store is None:
            with self._db.reads() as uow:
                return uow.knowledge.dense_search(
                    embedder.model, vector, topics, k, per_article=PER_ARTICLE
                )
        # The external store knows passages by key; their text is read here. It returns every
        # passage of an article, so ask for more and keep each article's best.
        hits = self._store.query(embedder.model, vector, topics, k * 4)
        with self._db.reads() as uow:
            found = uow.knowledge.passages([(h.article_id, h.number) for h in hits])
        out: list[Passage] = []
        seen: set[str] = set()
        for hit in hits:
            passage = found.get((hit.article_id, hit.number))
            if passage is None or passage.article_id in seen:
                continue
            seen.add(passage.article_id)
            out.append(replace(passage, rank=hit.score))
        return out[:k]

    def article(self, article_id: str) -> IndexedArticle:
        """The indexed article with this id (`UnknownArticle` if none): read from the index rather
        than the articles' folder, so it is the text the agent searched and cited."""
        with self._db.reads() as uow:
            passages = uow.knowledge.article(article_id)
        if not passages:
            raise UnknownArticle(article_id)
        first = passages[0]
        return IndexedArticle(first.article_id, first.title, first.sources, _sections(passages))

    def size(self) -> int:
        with self._db.reads() as uow:
            return uow.knowledge.count()


def _sections(passages: Sequence[Passage]) -> tuple[Section, ...]:
    """The article's sections again: indexing split a long section into consecutive passages that
    share its heading, so those are joined back (as paragraphs) into one."""
    sections: list[Section] = []
    for passage in passages:
        if sections and sections[-1].heading == passage.heading:
            sections[-1] = Section(passage.heading, f"{sections[-1].body}\n\n{passage.body}")
        else:
            sections.append(Section(passage.heading, passage.body))
    return tuple(sections)
