"""Embeddings from a model server: OpenAI's embeddings API (through the openai SDK, honouring
OPENAI_BASE_URL) or Ollama's `/api/embed` (through the ollama client). Both are normalised here to
unit length, as every `Embedder`'s vectors are, so a store compares them by dot product."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import ollama
import openai

from vaultra.llm.embeddings import EmbeddingUnavailable, normalize


class OpenAIEmbeddings:
    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        model: str = "text-embedding-3-small",
        dimensions: int = 1536,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 2,
    ) -> None:
        self.model = model
        self.dimensions = dimensions
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=max_retries
        )

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        try:
            answer = self._client.embeddings.create(model=self.model, input=list(texts))
        except openai.APIError as failed:
            raise EmbeddingUnavailable(
                f"OpenAI embeddings failed: {type(failed).__name__}"
            ) from failed
        ordered = sorted(answer.data, key=lambda item: item.index)
        return [normalize(item.embedding) for item in ordered]

    def close(self) -> None:
        self._client.close()


class OllamaEmbeddings:
    name = "ollama"

    def __init__(
        self,
        *,
        host: str,
        model: str = "nomic-embed-text",
        dimensions: int = 768,
        timeout_s: float = 30.0,
    ) -> None:
        self.model = model
        self.dimensions = dimensions
        self._client = ollama.Client(host=host, timeout=timeout_s)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        try:
            answer = self._client.embed(self.model, list(texts))
        except (ollama.ResponseError, httpx.HTTPError, ConnectionError) as failed:
            raise EmbeddingUnavailable(
                f"Ollama embeddings failed: {type(failed).__name__}"
            ) from failed
        return [normalize(vector) for vector in answer.embeddings]

    def close(self) -> None:
        self._client._client.close()  # the client's httpx pool: ollama has no public close
