"""Embeddings and vector stores behind two small ports, for the knowledge base's dense retrieval.

An `Embedder` turns passages and questions into unit-length vectors (so a dot product is the
cosine similarity): all-MiniLM-L6-v2 offline (`vaultra.llm.minilm`), OpenAI's embeddings API, or
Ollama's `/api/embed`. A `VectorStore` keeps one vector per passage (`article_id`, `number`) under
the embedder's model name, with the passage's topics for filtering: PostgreSQL with pgvector
(the embedded default, `vaultra.db.knowledge`) or Pinecone (`vaultra.llm.pinecone_store`).

The knowledge base is Vaultra's own writing, shared by every tenant: no tenant data is embedded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class EmbeddingUnavailable(Exception):
    """The embedding model could not be reached or refused the request."""


class Embedder(Protocol):
    name: str  # "minilm" | "openai" | "ollama"
    model: str  # the vectors' model: a store keeps each model's vectors apart
    dimensions: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit-length vector per text, in order."""
        ...


@dataclass(frozen=True)
class VectorItem:
    article_id: str
    number: int
    vector: list[float]
    topics: tuple[str, ...]


@dataclass(frozen=True)
class VectorHit:
    article_id: str
    number: int
    score: float  # cosine similarity, higher is closer


class VectorStore(Protocol):
    def replace_all(self, model: str, items: Sequence[VectorItem]) -> None:
        """Make the store hold exactly these vectors for `model`."""
        ...

    def query(
        self, model: str, vector: Sequence[float], topics: Sequence[str] | None, k: int
    ) -> list[VectorHit]:
        """The `k` nearest passages of `model`'s vectors, within `topics` if given (any of)."""
        ...


def normalize(vector: Sequence[float]) -> list[float]:
    norm = sum(x * x for x in vector) ** 0.5
    return [x / norm for x in vector] if norm else list(vector)
