"""The Pinecone vector store through the official `pinecone` SDK against a loopback index speaking
Pinecone's data-plane REST protocol: nearest passages by cosine similarity, the topics filter,
a reindex that leaves exactly the new vectors, one namespace per model, batched upserts, and an
index that refuses the key or is down reported as `VectorStoreUnavailable` without the key."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from typing import Any

import pinecone
import pytest
from pinecone._internal import http_client
from vaultra.llm.embeddings import VectorHit, VectorItem, normalize
from vaultra.llm.pinecone_store import PineconeStore, VectorStoreUnavailable, namespace_for
from vaultra_dev.loopback import free_port

from tests.support.pinecone_server import PineconeServer, pinecone_server

KEY = "pc-loopback-key-7f3a"
MINILM = "all-MiniLM-L6-v2"
OPENAI = "text-embedding-3-small"

# Unit vectors of dimension 4. Against Q = (1, 0, 0, 0) their cosine similarities are their first
# components: A 1.0, B 0.8, C 0.6, D 0.0, so the nearest come in the order A, B, C, D.
Q = [1.0, 0.0, 0.0, 0.0]
A = VectorItem("kb-runway", 0, [1.0, 0.0, 0.0, 0.0], ("funding",))
B = VectorItem("kb-mrr", 0, [0.8, 0.6, 0.0, 0.0], ("metrics",))
C = VectorItem("kb-mrr", 1, [0.6, 0.0, 0.8, 0.0], ("funding", "metrics"))
D = VectorItem("kb-lenders", 2, [0.0, 0.0, 0.0, 1.0], ("lenders",))


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any name but the loopback address fails to resolve: the SDK cannot reach
    api.pinecone.io (or anything else) behind the test's back."""
    resolve = socket.getaddrinfo

    def loopback(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", b"127.0.0.1"):
            raise socket.gaierror(f"the test allows only 127.0.0.1, not {host!r}")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback)
    # the SDK retries refused connections and 5xx with jittered backoff up to seconds; its
    # transport reads the sleep through this module-level seam, here made instant
    monkeypatch.setattr(http_client, "_retry_sleep", lambda _: None)


@pytest.fixture
def server() -> Iterator[PineconeServer]:
    with pinecone_server(api_key=KEY, dimension=4) as running:
        yield running


@pytest.fixture
def store(server: PineconeServer) -> Iterator[PineconeStore]:
    with PineconeStore.connect(api_key=KEY, host=server.url) as connected:
        yield connected


def hits(*pairs: tuple[VectorItem, float]) -> list[VectorHit]:
    return [VectorHit(item.article_id, item.number, score) for item, score in pairs]


def rounded(found: list[VectorHit]) -> list[VectorHit]:
    """Scores to 9 places: the server computes cosines in floating point (0.8000000000000002)."""
    return [VectorHit(h.article_id, h.number, round(h.score, 9)) for h in found]


def test_the_nearest_passages_come_first_scored_by_cosine_similarity(
    store: PineconeStore, server: PineconeServer
) -> None:
    store.replace_all(MINILM, [D, C, B, A])

    assert store.query(MINILM, Q, None, 3) == hits((A, 1.0), (B, 0.8), (C, 0.6))
    # cosine, not the dot product: a longer query vector ranks and scores the same
    longer = store.query(MINILM, [3.0, 0.0, 0.0, 0.0], None, 3)
    assert rounded(longer) == hits((A, 1.0), (B, 0.8), (C, 0.6))
    assert store.query(MINILM, Q, None, 10) == hits((A, 1.0), (B, 0.8), (C, 0.6), (D, 0.0))

    sent = server.sent("/query")[0]
    assert sent.body["topK"] == 3 and sent.body["includeMetadata"] is True
    assert sent.body["namespace"] == "knowledge-all-minilm-l6-v2"
    assert "filter" not in sent.body
    assert sent.headers["Api-Key"] == KEY
    assert sent.headers["X-Pinecone-Api-Version"]  # the SDK pins the API version it speaks


def test_passages_are_stored_with_their_ids_and_metadata(
    store: PineconeStore, server: PineconeServer
) -> None:
    store.replace_all(MINILM, [C])

    with pinecone.Index(host=server.url, api_key=KEY) as index:
        fetched = index.fetch(ids=["kb-mrr#1"], namespace=namespace_for(MINILM))
    stored = fetched.vectors["kb-mrr#1"]
    assert stored.values == C.vector
    assert stored.metadata == {
        "article_id": "kb-mrr",
        "number": 1.0,
        "topics": ["funding", "metrics"],
    }


def test_topics_keep_only_passages_of_any_of_them(
    store: PineconeStore, server: PineconeServer
) -> None:
    store.replace_all(MINILM, [A, B, C, D])

    # C has both funding and metrics; A only funding, D only lenders
    assert store.query(MINILM, Q, ["metrics"], 5) == hits((B, 0.8), (C, 0.6))
    assert store.query(MINILM, Q, ["lenders"], 5) == hits((D, 0.0))
    assert store.query(MINILM, Q, ["lenders", "metrics"], 5) == hits((B, 0.8), (C, 0.6), (D, 0.0))
    assert store.query(MINILM, Q, ["pricing"], 5) == []
    assert store.query(MINILM, Q, [], 2) == hits((A, 1.0), (B, 0.8))  # no topics: no filter

    assert server.sent("/query")[0].body["filter"] == {"topics": {"$in": ["metrics"]}}


def test_a_second_replace_all_leaves_exactly_the_new_vectors(
    store: PineconeStore, server: PineconeServer
) -> None:
    store.replace_all(MINILM, [A, B, C])
    moved = VectorItem("kb-mrr", 0, [0.28, 0.96, 0.0, 0.0], ("metrics",))  # B rewritten: 0.28
    store.replace_all(MINILM, [moved, D])

    namespace = namespace_for(MINILM)
    assert server.ids(namespace) == {"kb-mrr#0", "kb-lenders#2"}
    # the new vectors were written before the old ones went, and only the old ones went: a
    # search during the reindex never found the namespace empty
    assert [r.path for r in server.requests] == [
        *("/vectors/upsert", "/vectors/list"),  # the first replace_all: nothing stale
        *("/vectors/upsert", "/vectors/list", "/vectors/delete"),
    ]
    deletes = server.sent("/vectors/delete")
    assert len(deletes) == 1 and sorted(deletes[0].body["ids"]) == ["kb-mrr#1", "kb-runway#0"]
    assert "deleteAll" not in deletes[0].body
    assert store.query(MINILM, Q, None, 10) == hits((moved, 0.28), (D, 0.0))

    store.replace_all(MINILM, [])
    assert server.ids(namespace) == set()
    assert store.query(MINILM, Q, None, 3) == []


def test_each_model_keeps_its_vectors_in_its_own_namespace(
    store: PineconeStore, server: PineconeServer
) -> None:
    store.replace_all(MINILM, [A, B])
    store.replace_all(OPENAI, [C, D])

    assert store.query(MINILM, Q, None, 10) == hits((A, 1.0), (B, 0.8))
    assert store.query(OPENAI, Q, None, 10) == hits((C, 0.6), (D, 0.0))

    store.replace_all(OPENAI, [])  # emptying one model's vectors leaves the other's
    assert store.query(MINILM, Q, None, 10) == hits((A, 1.0), (B, 0.8))
    assert set(server.namespaces) == {
        "knowledge-all-minilm-l6-v2",
        "knowledge-text-embedding-3-small",
    }
    with pinecone.Index(host=server.url, api_key=KEY) as index:
        stats = index.describe_index_stats()
    assert {name: n.vector_count for name, n in stats.namespaces.items()} == {
        "knowledge-all-minilm-l6-v2": 2
    }


def test_a_namespace_names_the_model_in_plain_lowercase_ascii() -> None:
    assert namespace_for("nomic-embed-text:latest") == "knowledge-nomic-embed-text-latest"
    assert namespace_for(MINILM) == "knowledge-all-minilm-l6-v2"
    with pytest.raises(ValueError):
        namespace_for("::")


def test_upserts_go_in_batches_of_a_hundred(store: PineconeStore, server: PineconeServer) -> None:
    items = [VectorItem(f"kb-a{i:03}", 0, [1.0, 0.0, 0.0, 0.0], ("funding",)) for i in range(250)]

    store.replace_all(MINILM, items)

    assert [len(r.body["vectors"]) for r in server.sent("/vectors/upsert")] == [100, 100, 50]
    assert len(server.ids(namespace_for(MINILM))) == 250
    assert len(server.sent("/vectors/list")) == 3  # 250 ids listed 100 a page
    assert server.sent("/vectors/delete") == []  # nothing stale


def test_upserts_of_wide_vectors_stay_under_pinecones_two_megabytes() -> None:
    # 1536 dimensions, as OpenAI's text-embedding-3-small: each float written with ~20 characters,
    # 100 such vectors would make a request of about 3 MB, which Pinecone refuses
    rng = random.Random(7)
    items = [
        VectorItem(f"kb-a{i:03}", 0, normalize([rng.gauss(0, 1) for _ in range(1536)]), ())
        for i in range(120)
    ]
    with (
        pinecone_server(api_key=KEY, dimension=1536) as server,
        PineconeStore.connect(api_key=KEY, host=server.url) as store,
    ):
        store.replace_all(OPENAI, items)

    upserts = server.sent("/vectors/upsert")
    assert len(upserts) > 2 and sum(len(r.body["vectors"]) for r in upserts) == 120
    assert all(int(r.headers["Content-Length"]) < 2 * 1024 * 1024 for r in upserts)
    assert len(server.ids(namespace_for(OPENAI))) == 120


def test_a_wrong_api_key_is_unavailable_without_the_key_in_the_message(
    server: PineconeServer,
) -> None:
    wrong = "pc-wrong-key-0b9e41"
    with PineconeStore.connect(api_key=wrong, host=server.url) as store:
        with pytest.raises(VectorStoreUnavailable) as refused:
            store.replace_all(MINILM, [A])
        with pytest.raises(VectorStoreUnavailable) as refused_query:
            store.query(MINILM, Q, None, 3)

    for failure in (refused.value, refused_query.value):
        message = str(failure)
        assert "401" in message and "UnauthorizedError" in message
        assert server.url in message
        assert wrong not in message and KEY not in message
    assert "upsert into namespace 'knowledge-all-minilm-l6-v2'" in str(refused.value)
    assert [r.headers["Api-Key"] for r in server.requests] == [wrong, wrong]  # not retried
    assert server.namespaces == {}


def test_an_index_that_is_down_is_unavailable() -> None:
    host = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with PineconeStore.connect(api_key=KEY, host=host) as store:
        with pytest.raises(VectorStoreUnavailable, match="PineconeConnectionError") as down:
            store.query(MINILM, Q, None, 3)
        with pytest.raises(VectorStoreUnavailable, match=r"upsert into namespace"):
            store.replace_all(MINILM, [A])
    assert host in str(down.value) and KEY not in str(down.value)


def test_server_errors_are_retried_then_unavailable(
    store: PineconeStore, server: PineconeServer
) -> None:
    server.fail(503, times=2)  # the SDK retries a 503 three times: the third attempt lands
    store.replace_all(MINILM, [A])
    assert server.ids(namespace_for(MINILM)) == {"kb-runway#0"}

    server.fail(503, times=4)
    with pytest.raises(VectorStoreUnavailable, match=r"query of namespace .*ServiceError.*503"):
        store.query(MINILM, Q, None, 3)


def test_a_vector_of_the_wrong_dimension_is_refused_as_unavailable(store: PineconeStore) -> None:
    with pytest.raises(VectorStoreUnavailable, match="dimension 3 does not match"):
        store.replace_all(MINILM, [VectorItem("kb-x", 0, [1.0, 0.0, 0.0], ())])


def test_the_loopback_index_refuses_a_filter_operator_pinecone_does_not_know(
    server: PineconeServer,
) -> None:
    with (
        pinecone.Index(host=server.url, api_key=KEY) as index,
        pytest.raises(pinecone.ApiError) as refused,
    ):
        index.query(vector=Q, top_k=1, filter={"topics": {"$regex": "fund.*"}})
    assert refused.value.status_code == 400 and "$regex" in refused.value.message
