"""The knowledge base's vectors on Pinecone, through the official `pinecone` SDK's REST client:
the production `VectorStore` (the embedded default is pgvector, `vaultra.db.knowledge`).

The index is a dense, vector-based Pinecone index created with `metric="cosine"` (so a match's
score is the cosine similarity `VectorHit` promises) and the embedder's dimension. It is reached
by its own data-plane host (e.g. `kb-abc123.svc.aped-4627-b74a.pinecone.io`, shown in Pinecone's
console), so this module never talks to the control plane at api.pinecone.io.

Layout:

- one namespace per embedding model, `knowledge-<model slug>`: a query compares vectors of one
  model only, and a new model can be indexed next to the old one before the switch. An index has
  one dimension, so models sharing an index must share it; a model of another dimension needs
  an index (a host) of its own.
- one vector per passage, id `"{article_id}#{number}"`, metadata `article_id`, `number` and
  `topics` (a list of strings, which Pinecone's `$in` matches when any element is listed).

The knowledge base is Vaultra's own writing, shared by every tenant, so one namespace serves
them all. Tenant data embedded in the future must get a namespace per tenant (e.g.
`tenant-<business id>-<model slug>`), never share one behind a metadata filter: a namespace is
the boundary Pinecone enforces on every request, so a forgotten or wrong filter cannot return
another tenant's passages, and deleting a tenant's data is one `delete_namespace` call.

Every failure the SDK reports from the service (refused connection, timeout, an HTTP error
status, an unreadable answer) is raised as `VectorStoreUnavailable`, naming the operation and the
host, never the API key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from pinecone import (
    ApiError,
    Index,
    PineconeConnectionError,
    PineconeTimeoutError,
    ResponseParsingError,
)

from vaultra.llm.embeddings import VectorHit, VectorItem

UPSERT_BATCH = 100  # vectors per upsert request at most
# JSON bytes per upsert request at most: Pinecone refuses a request over 2 MB, and 100 vectors of
# OpenAI's 1536 dimensions, each float written with up to 17 digits, come to about 3 MB
UPSERT_BYTES = 1_500_000
DELETE_BATCH = 1000  # ids per delete request: Pinecone's limit
LIST_PAGE = 100  # ids per list page: Pinecone's maximum

_SDK_FAILURES = (ApiError, PineconeConnectionError, PineconeTimeoutError, ResponseParsingError)


class VectorStoreUnavailable(Exception):
    """The vector store could not be reached, refused the request or answered nonsense."""


def namespace_for(model: str) -> str:
    """`knowledge-<slug>`: the model's name lowercased, each run of other characters than
    letters, digits, `.`, `_` and `-` turned into one `-` (`nomic-embed-text:latest` →
    `knowledge-nomic-embed-text-latest`), so the namespace is plain ASCII, readable in
    Pinecone's console and safe in the `/namespaces/{name}` path."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", model.lower()).strip("-")
    if not slug:
        raise ValueError(f"model name {model!r} has nothing to name a namespace with")
    return f"knowledge-{slug}"


def vector_id(article_id: str, number: int) -> str:
    return f"{article_id}#{number}"


def _batches(records: Sequence[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """`records` in order, in batches of at most `UPSERT_BATCH` records and `UPSERT_BYTES`."""
    batch: list[dict[str, Any]] = []
    size = 0
    for record in records:
        record_size = len(json.dumps(record)) + 1  # and a comma
        if batch and (len(batch) == UPSERT_BATCH or size + record_size > UPSERT_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += record_size
    if batch:
        yield batch


class PineconeStore:
    """A `VectorStore` on one Pinecone index; see the module docstring for the layout."""

    def __init__(self, index: Index, *, owns_index: bool = False, api_key: str = "") -> None:
        """Over an SDK `Index` (closed by `close()` only if `owns_index`). `api_key`, if given,
        is scrubbed from every error message, in case a proxy or server echoes it."""
        self._index = index
        self._owns_index = owns_index
        self._api_key = api_key

    @classmethod
    def connect(cls, *, api_key: str, host: str, timeout_s: float = 30.0) -> PineconeStore:
        """A store on the index at `host` (its data-plane host, with or without `https://`).

        `Index(host=…)` directly rather than `Pinecone(api_key).index(host=…)`: the latter also
        builds a control-plane client with its own connection pool that this store would never
        use, and with an explicit host neither form asks api.pinecone.io anything."""
        index = Index(host=host, api_key=api_key, timeout=timeout_s, source_tag="vaultra")
        return cls(index, owns_index=True, api_key=api_key)

    def close(self) -> None:
        if self._owns_index:
            self._index.close()

    def __enter__(self) -> PineconeStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def replace_all(self, model: str, items: Sequence[VectorItem]) -> None:
        """Make `model`'s namespace hold exactly these vectors.

        Upsert first, then delete the ids no longer present, rather than emptying the namespace
        (`delete(delete_all=True)`) and upserting: a search during a reindex then sees each
        passage in its old or new version, never an empty knowledge base. Pinecone has no
        transaction, so it may see a mix of the two for the few seconds the reindex takes.
        Listing is eventually consistent: an id written moments before by another writer may
        not be listed yet and survive until the next reindex."""
        namespace = namespace_for(model)
        records = [
            {
                "id": vector_id(item.article_id, item.number),
                "values": list(item.vector),
                "metadata": {
                    "article_id": item.article_id,
                    "number": item.number,
                    "topics": list(item.topics),
                },
            }
            for item in items
        ]
        # one request per batch, in turn: the SDK's own `batch_size` sends them concurrently and
        # reports a failed batch in its answer instead of raising, which would let a half-written
        # index go on to the delete step below
        for batch in _batches(records):
            with self._calling(f"upsert into namespace {namespace!r}"):
                self._index.upsert(vectors=batch, namespace=namespace)
        kept = {record["id"] for record in records}
        stale = [id_ for id_ in self._ids(namespace) if id_ not in kept]
        for start in range(0, len(stale), DELETE_BATCH):
            with self._calling(f"delete from namespace {namespace!r}"):
                self._index.delete(ids=stale[start : start + DELETE_BATCH], namespace=namespace)

    def query(
        self, model: str, vector: Sequence[float], topics: Sequence[str] | None, k: int
    ) -> list[VectorHit]:
        """The `k` nearest passages in `model`'s namespace, within `topics` (any of) if given."""
        if k < 1:
            return []
        namespace = namespace_for(model)
        with self._calling(f"query of namespace {namespace!r}"):
            answer = self._index.query(
                vector=list(vector),
                top_k=k,
                namespace=namespace,
                filter={"topics": {"$in": list(topics)}} if topics else None,
                include_metadata=True,
            )
        return [self._hit(match.id, match.score, match.metadata) for match in answer.matches]

    def _ids(self, namespace: str) -> list[str]:
        """Every vector id in `namespace`, a page at a time."""
        ids: list[str] = []
        with self._calling(f"list of namespace {namespace!r}"):
            for page in self._index.list(namespace=namespace, limit=LIST_PAGE):
                ids.extend(item.id for item in page.vectors if item.id is not None)
        return ids

    def _hit(self, id_: str, score: float, metadata: dict[str, Any] | None) -> VectorHit:
        article_id = (metadata or {}).get("article_id")
        number = (metadata or {}).get("number")
        # Pinecone keeps metadata numbers as 64-bit floats: `number` comes back as 3.0
        if not isinstance(article_id, str) or not isinstance(number, int | float):
            raise VectorStoreUnavailable(
                f"Pinecone match {id_!r} lacks this store's metadata (article_id, number)"
            )
        return VectorHit(article_id, int(number), float(score))

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        try:
            yield
        except _SDK_FAILURES as failed:
            detail = f"{type(failed).__name__}: {failed}"
            if self._api_key:
                detail = detail.replace(self._api_key, "***")
            raise VectorStoreUnavailable(
                f"Pinecone {what} at {self._index.host} failed ({detail})"
            ) from failed
