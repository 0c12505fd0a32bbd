"""OpenAI's and Ollama's embedding APIs through their official clients, against loopback servers
speaking their wire formats: one unit vector per text, in the order given."""

from __future__ import annotations

import math

import pytest
from vaultra.llm.embeddings import EmbeddingUnavailable, normalize
from vaultra.llm.remote_embeddings import OllamaEmbeddings, OpenAIEmbeddings

from tests.support.llm_servers import Fail, fake_vector, llm_server

TEXTS = ["disputes hurt", "refunds too", "payouts fail"]


@pytest.mark.parametrize("provider", ["openai", "ollama"])
def test_each_text_gets_its_unit_vector_in_order(provider: str) -> None:
    with llm_server([]) as server:
        embedder = (
            OpenAIEmbeddings(api_key="sk-loopback", base_url=f"{server.url}/v1", dimensions=8)
            if provider == "openai"
            else OllamaEmbeddings(host=server.url, dimensions=8)
        )
        try:
            vectors = embedder.embed(TEXTS)
            assert embedder.embed([]) == []
        finally:
            embedder.close()

    # the server answers OpenAI's data in reverse order: the client puts it back by `index`
    assert vectors == [normalize(fake_vector(t)) for t in TEXTS]
    assert all(math.isclose(sum(x * x for x in v), 1.0) for v in vectors)
    assert server.requests[0]["input"] == TEXTS
    assert server.requests[0]["model"] == embedder.model


def test_a_failing_embedding_api_is_reported_without_the_key() -> None:
    with llm_server([Fail(400)]) as server:
        embedder = OpenAIEmbeddings(
            api_key="sk-secret-loopback", base_url=f"{server.url}/v1", max_retries=0
        )
        try:
            with pytest.raises(EmbeddingUnavailable) as failed:
                embedder.embed(TEXTS)
        finally:
            embedder.close()
    assert "sk-secret" not in str(failed.value)
