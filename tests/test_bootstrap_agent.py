"""The composition root builds the agent's adapters the settings name, and refuses settings that
name one without what it needs."""

from __future__ import annotations

import pytest
from vaultra.bootstrap import build_embedder, build_llm, build_vector_store
from vaultra.config import Settings
from vaultra.llm.minilm import MiniLM
from vaultra.llm.offline import OfflineModel
from vaultra.llm.ollama_chat import OllamaChat
from vaultra.llm.openai_chat import OpenAIChat
from vaultra.llm.pinecone_store import PineconeStore
from vaultra.llm.remote_embeddings import OllamaEmbeddings, OpenAIEmbeddings


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_model_is_the_one_llm_provider_names() -> None:
    assert isinstance(build_llm(settings()), OfflineModel)
    ollama = build_llm(settings(LLM_PROVIDER="ollama", OLLAMA_MODEL="qwen3:8b"))
    openai = build_llm(settings(LLM_PROVIDER="openai", OPENAI_API_KEY="sk-test"))
    try:
        assert isinstance(ollama, OllamaChat) and ollama.model == "qwen3:8b"
        assert isinstance(openai, OpenAIChat) and openai.model == "gpt-4o-mini"
    finally:
        ollama.close()
        openai.close()
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        build_llm(settings(LLM_PROVIDER="openai"))


def test_the_embedder_is_the_one_vaultra_embeddings_names() -> None:
    assert isinstance(build_embedder(settings()), MiniLM)
    assert build_embedder(settings(VAULTRA_EMBEDDINGS="none")) is None
    assert isinstance(build_embedder(settings(VAULTRA_EMBEDDINGS="ollama")), OllamaEmbeddings)
    remote = build_embedder(settings(VAULTRA_EMBEDDINGS="openai", OPENAI_API_KEY="sk-test"))
    assert isinstance(remote, OpenAIEmbeddings) and remote.model == "text-embedding-3-small"
    remote.close()
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        build_embedder(settings(VAULTRA_EMBEDDINGS="openai"))


def test_vectors_stay_in_postgres_unless_pinecone_is_named_with_its_key_and_host() -> None:
    assert build_vector_store(settings()) is None
    with pytest.raises(ValueError, match="PINECONE_API_KEY and PINECONE_HOST"):
        build_vector_store(settings(VAULTRA_VECTOR_STORE="pinecone", PINECONE_API_KEY="pc-x"))
    store = build_vector_store(
        settings(
            VAULTRA_VECTOR_STORE="pinecone",
            PINECONE_API_KEY="pc-x",
            PINECONE_HOST="http://127.0.0.1:9",
        )
    )
    assert isinstance(store, PineconeStore)
    store.close()
