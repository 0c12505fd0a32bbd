"""Ollama's own chat API (`/api/chat`, newline-delimited JSON) with tools, through the ollama
client — the self-hosted model on GKE (OLLAMA_BASE_URL, OLLAMA_MODEL).

Ollama's messages differ from chat completions' at two points, converted here: an assistant's
tool calls carry their arguments as an object, and a tool result names its tool (`tool_name`)
instead of a call id. The client does not retry, so this does, with exponential backoff, for a
connection error, a timeout, 429 or 5xx — but only before the first chunk arrived: a stream cut
halfway is not replayed (the founder would see the answer twice).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import ollama

from vaultra.llm.base import (
    Completion,
    LLMUnavailable,
    Message,
    ToolCall,
    ToolSpec,
    Usage,
    arguments_of,
)

_RETRIED = (429, 500, 502, 503, 504)
BACKOFF_S = 0.5


def ollama_messages(messages: list[Message]) -> list[dict[str, Any]]:
    names: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    for m in messages:
        if m["role"] == "assistant" and m.get("tool_calls"):
            calls = []
            for call in m["tool_calls"]:
                names[call["id"]] = call["function"]["name"]
                calls.append(
                    {
                        "function": {
                            "name": call["function"]["name"],
                            "arguments": arguments_of(call["function"]["arguments"]),
                        }
                    }
                )
            out.append(
                {"role": "assistant", "content": m.get("content") or "", "tool_calls": calls}
            )
        elif m["role"] == "tool":
            out.append(
                {
                    "role": "tool",
                    "content": m["content"],
                    "tool_name": names.get(m.get("tool_call_id", ""), ""),
                }
            )
        else:
            out.append({"role": m["role"], "content": m.get("content") or ""})
    return out


class OllamaChat:
    name = "ollama"

    def __init__(
        self,
        *,
        host: str,
        model: str,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.model = model
        self._client = ollama.Client(host=host, timeout=timeout_s)
        self._retries = max_retries
        self._sleep = sleep

    def close(self) -> None:
        self._client._client.close()  # the client's httpx pool: ollama has no public close

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[str | Completion]:
        text: list[str] = []
        calls: list[ToolCall] = []
        usage = Usage()
        started = False
        attempt = 0
        while True:
            try:
                chunks = self._client.chat(
                    self.model, ollama_messages(messages), tools=tools or None, stream=True
                )
                for chunk in chunks:
                    started = True
                    message = chunk.message
                    if message.content:
                        text.append(message.content)
                        yield message.content
                    for call in message.tool_calls or []:
                        calls.append(
                            ToolCall(
                                f"call_{len(calls)}",
                                call.function.name,
                                arguments_of(dict(call.function.arguments or {})),
                            )
                        )
                    if chunk.done:
                        usage = Usage(chunk.prompt_eval_count or 0, chunk.eval_count or 0)
                break
            except ollama.ResponseError as failed:
                if started or failed.status_code not in _RETRIED or attempt >= self._retries:
                    raise LLMUnavailable(
                        f"the model refused the request ({failed.status_code})"
                    ) from failed
            except (httpx.TimeoutException, httpx.TransportError, ConnectionError) as failed:
                if started or attempt >= self._retries:
                    raise LLMUnavailable("the model could not be reached in time") from failed
            self._sleep(BACKOFF_S * 2**attempt)
            attempt += 1
        yield Completion("".join(text), calls, usage)
