"""The knowledge base's passages (`knowledge_chunks`): replaced as a whole set when the articles are
indexed, searched with PostgreSQL's full-text search — and their embeddings (`knowledge_vectors`),
searched by cosine distance with pgvector.

A question is matched by any of its words (stemmed as the passages are), not all of them: a
founder's question is a sentence, and requiring every word would find nothing for most. Ranking
(`ts_rank_cd`) then favours passages that hold more of the question's words, closer together, in a
title or heading before the text, so the passage that covers the question comes first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pgvector import Vector
from sqlalchemy import Connection, text

from vaultra.domain.knowledge.chunks import Chunk


@dataclass(frozen=True)
class IndexChange:
    added: int
    changed: int
    removed: int
    unchanged: int


@dataclass(frozen=True)
class Passage:
    article_id: str
    number: int
    title: str
    heading: str | None
    body: str
    topics: tuple[str, ...]
    sources: tuple[str, ...]
    rank: float

    @property
    def ref(self) -> str:
        return f"{self.article_id}#{self.number}"


_STAGE = text(
    """
    CREATE TEMPORARY TABLE knowledge_incoming (
        article_id text, number int, title text, heading text, body text,
        topics text[], sources text[], digest text
    ) ON COMMIT DROP
    """
)
# Every passage in one statement (a JSON array of rows), not a round trip per passage.
_INCOMING = text(
    """
    INSERT INTO knowledge_incoming
    SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
        article_id text, number int, title text, heading text, body text,
        topics text[], sources text[], digest text
    )
    """
)
# One statement each, over the whole set: what is gone, what changed, what is new.
_COUNT = text(
    """
    SELECT
        count(*) FILTER (WHERE k.article_id IS NULL) AS added,
        count(*) FILTER (WHERE k.digest <> i.digest) AS changed,
        count(*) FILTER (WHERE k.digest = i.digest) AS unchanged,
        (SELECT count(*) FROM knowledge_chunks c WHERE NOT EXISTS (
            SELECT 1 FROM knowledge_incoming n
            WHERE n.article_id = c.article_id AND n.number = c.number)) AS removed
    FROM knowledge_incoming i
    LEFT JOIN knowledge_chunks k USING (article_id, number)
    """
)
_REMOVE = text(
    """
    DELETE FROM knowledge_chunks c WHERE NOT EXISTS (
        SELECT 1 FROM knowledge_incoming n WHERE n.article_id = c.article_id AND n.number = c.number)
    """
)
_UPSERT = text(
    """
    INSERT INTO knowledge_chunks (article_id, number, title, heading, body, topics, sources, digest)
    SELECT article_id, number, title, heading, body, topics, sources, digest
    FROM knowledge_incoming
    ON CONFLICT (article_id, number) DO UPDATE SET
        title = excluded.title, heading = excluded.heading, body = excluded.body,
        topics = excluded.topics, sources = excluded.sources, digest = excluded.digest,
        indexed_at = now()
    WHERE knowledge_chunks.digest <> excluded.digest
    """
)
# Both searches end alike: `ranked` (passages with a `rank`, higher first) → the best
# `:per_article` passages of each article → the first `:k`.
_BEST_PER_ARTICLE = """
    per_article AS (
        SELECT *, row_number() OVER (PARTITION BY article_id ORDER BY rank DESC, number) AS nth
        FROM ranked
    )
    SELECT article_id, number, title, heading, body, topics, sources, rank
    FROM per_article
    WHERE nth <= :per_article
    ORDER BY rank DESC, article_id, number
    LIMIT :k
"""
_SEARCH = text(
    """
    WITH question AS (
        SELECT to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ')) AS q
        FROM unnest(tsvector_to_array(to_tsvector('english', :question))) AS lexeme
    ),
    ranked AS (
        SELECT c.article_id, c.number, c.title, c.heading, c.body, c.topics, c.sources,
               ts_rank_cd(c.search, question.q) AS rank
        FROM knowledge_chunks c, question
        WHERE question.q IS NOT NULL
          AND c.search @@ question.q
          AND (CAST(:topics AS text[]) IS NULL OR c.topics && CAST(:topics AS text[]))
    ),
    """
    + _BEST_PER_ARTICLE
)


_PASSAGE_COLUMNS = "c.article_id, c.number, c.title, c.heading, c.body, c.topics, c.sources"
_UNEMBEDDED = text(
    """
    SELECT DISTINCT ON (c.digest) c.digest, c.title, c.heading, c.body
    FROM knowledge_chunks c
    WHERE NOT EXISTS (
        SELECT 1 FROM knowledge_vectors v WHERE v.model = :model AND v.digest = c.digest)
    ORDER BY c.digest
    """
)
_SAVE_VECTORS = text(
    """
    INSERT INTO knowledge_vectors (model, digest, embedding)
    SELECT :model, r.digest, CAST(r.embedding AS vector)
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(digest text, embedding text)
    ON CONFLICT (model, digest) DO UPDATE SET embedding = excluded.embedding, embedded_at = now()
    """
)
_PRUNE_VECTORS = text(
    """
    DELETE FROM knowledge_vectors v
    WHERE NOT EXISTS (SELECT 1 FROM knowledge_chunks c WHERE c.digest = v.digest)
    """
)
_VECTORS = text(
    """
    SELECT c.article_id, c.number, c.topics, CAST(v.embedding AS text)
    FROM knowledge_chunks c JOIN knowledge_vectors v ON v.digest = c.digest AND v.model = :model
    ORDER BY c.article_id, c.number
    """
)
# Exact nearest neighbours: a few hundred passages need no approximate index (an HNSW index
# needs a fixed dimension, and each model has its own).
_DENSE = text(
    f"""
    WITH ranked AS (
        SELECT {_PASSAGE_COLUMNS}, 1 - (v.embedding <=> CAST(:vector AS vector)) AS rank
        FROM knowledge_chunks c
        JOIN knowledge_vectors v ON v.digest = c.digest AND v.model = :model
        WHERE CAST(:topics AS text[]) IS NULL OR c.topics && CAST(:topics AS text[])
    ),
    """
    + _BEST_PER_ARTICLE
)
_BY_KEYS = text(
    f"""
    SELECT {_PASSAGE_COLUMNS}, 0.0
    FROM knowledge_chunks c
    JOIN jsonb_to_recordset(CAST(:keys AS jsonb)) AS k(article_id text, number int)
      ON k.article_id = c.article_id AND k.number = c.number
    """
)
_ARTICLE = text(
    f"""
    SELECT {_PASSAGE_COLUMNS}, 0.0
    FROM knowledge_chunks c
    WHERE c.article_id = :article_id
    ORDER BY c.number
    """
)


def _vector_literal(vector: list[float]) -> str:
    return str(Vector(vector).to_text())


def _passages(rows: object) -> list[Passage]:
    return [
        Passage(r[0], r[1], r[2], r[3], r[4], tuple(r[5]), tuple(r[6]), float(r[7]))
        for r in rows  # type: ignore[attr-defined]
    ]


class KnowledgeChunks:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def replace_all(self, chunks: list[Chunk]) -> IndexChange:
        """Make the index hold exactly `chunks`: rows whose digest is unchanged are not touched.
        Call inside a transaction (the staging table lives until its commit)."""
        self._conn.execute(_STAGE)
        rows = [
            {
                "article_id": c.article_id,
                "number": c.number,
                "title": c.title,
                "heading": c.heading,
                "body": c.text,
                "topics": list(c.topics),
                "sources": list(c.sources),
                "digest": c.digest,
            }
            for c in chunks
        ]
        self._conn.execute(_INCOMING, {"rows": json.dumps(rows)})
        added, changed, unchanged, removed = self._conn.execute(_COUNT).one()
        self._conn.execute(_REMOVE)
        self._conn.execute(_UPSERT)
        return IndexChange(added, changed, removed, unchanged)

    def search(
        self, question: str, topics: list[str] | None, k: int, *, per_article: int
    ) -> list[Passage]:
        """The `k` best passages, at most `per_article` of any one article (so that an answer
        can draw on several articles rather than on every section of one)."""
        params = {"question": question, "topics": topics, "k": k, "per_article": per_article}
        return _passages(self._conn.execute(_SEARCH, params))

    # --- embeddings --------------------------------------------------------------------------

    def unembedded(self, model: str) -> list[tuple[str, str]]:
        """Each passage digest with no vector under `model` yet, with the text to embed
        (title, heading and body: what a reader sees of the passage)."""
        rows = self._conn.execute(_UNEMBEDDED, {"model": model})
        return [(r[0], ". ".join(part for part in (r[1], r[2], r[3]) if part)) for r in rows]

    def save_vectors(self, model: str, vectors: list[tuple[str, list[float]]]) -> None:
        rows = [{"digest": d, "embedding": _vector_literal(v)} for d, v in vectors]
        self._conn.execute(_SAVE_VECTORS, {"model": model, "rows": json.dumps(rows)})

    def prune_vectors(self) -> int:
        """Forget the vectors of passages no longer in the index."""
        return int(self._conn.execute(_PRUNE_VECTORS).rowcount)

    def vectors(self, model: str) -> list[tuple[str, int, tuple[str, ...], list[float]]]:
        """Every indexed passage's vector under `model` (to copy into another store)."""
        return [
            (r[0], r[1], tuple(r[2]), [float(x) for x in Vector.from_text(r[3]).to_list()])
            for r in self._conn.execute(_VECTORS, {"model": model})
        ]

    def dense_search(
        self,
        model: str,
        vector: list[float],
        topics: list[str] | None,
        k: int,
        *,
        per_article: int,
    ) -> list[Passage]:
        """The `k` passages nearest `vector` (cosine), at most `per_article` of one article."""
        params = {
            "model": model,
            "vector": _vector_literal(vector),
            "topics": topics,
            "k": k,
            "per_article": per_article,
        }
        return _passages(self._conn.execute(_DENSE, params))

    def passages(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], Passage]:
        """The passages with these keys (those still indexed), by key."""
        rows = self._conn.execute(
            _BY_KEYS, {"keys": json.dumps([{"article_id": a, "number": n} for a, n in keys])}
        )
        return {(p.article_id, p.number): p for p in _passages(rows)}

    def article(self, article_id: str) -> list[Passage]:
        """Every passage of the article in reading order; none when it is not indexed."""
        return _passages(self._conn.execute(_ARTICLE, {"article_id": article_id}))

    def count(self) -> int:
        return int(self._conn.execute(text("SELECT count(*) FROM knowledge_chunks")).scalar_one())
