"""OpenAI's chat completions with tools, streamed, through the openai SDK.

`base_url` (OPENAI_BASE_URL) points it at any server speaking the same wire protocol — Ollama's
`/v1` endpoint among them. The SDK retries connection errors, 408, 409, 429 and 5xx with
exponential backoff (`max_retries`), and bounds each request by `timeout`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai

from vaultra.llm.base import (
    Completion,
    LLMUnavailable,
    Message,
    ToolCall,
    ToolSpec,
    Usage,
    arguments_of,
)


class OpenAIChat:
    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        self.model = model
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=max_retries
        )

    def close(self) -> None:
        self._client.close()

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[str | Completion]:
        text: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        usage = Usage()
        try:
            chunks = self._client.chat.completions.create(  # type: ignore[call-overload]
                model=self.model,
                messages=messages,
                tools=tools or openai.omit,
                stream=True,
                stream_options={"include_usage": True},
            )
            for chunk in chunks:
                if chunk.usage is not None:
                    usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        text.append(delta.content)
                        yield delta.content
                    for part in delta.tool_calls or []:
                        # a call arrives in fragments keyed by its index: id and name first,
                        # then its JSON arguments a piece at a time
                        call = calls.setdefault(part.index, {"id": "", "name": "", "args": ""})
                        call["id"] = part.id or call["id"]
                        if part.function is not None:
                            call["name"] += part.function.name or ""
                            call["args"] += part.function.arguments or ""
        except openai.APIStatusError as failed:
            raise LLMUnavailable(
                f"the model refused the request ({failed.status_code})"
            ) from failed
        except openai.APITimeoutError as failed:
            raise LLMUnavailable("the model did not answer in time") from failed
        except openai.APIConnectionError as failed:
            raise LLMUnavailable("the model could not be reached") from failed
        yield Completion(
            "".join(text),
            [
                ToolCall(c["id"] or f"call_{i}", c["name"], arguments_of(c["args"]))
                for i, c in sorted(calls.items())
            ],
            usage,
        )
