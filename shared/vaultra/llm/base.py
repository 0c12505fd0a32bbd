"""The port every language model is reached through.

A provider streams one model turn: the text as it comes (`str` items), then one `Completion` with
the whole text, the tool calls the model asked for and the tokens it used. Messages and tool
specifications are in the chat-completions shape (`role`/`content`/`tool_calls`, and
`{"type": "function", "function": {...}}`), which OpenAI and Ollama's compatible endpoint speak;
a provider with another wire format converts at its edge.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol


class LLMUnavailable(Exception):
    """The model could not answer (down, timed out, refused the request): said to the founder
    plainly; the details go to the log."""


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Completion:
    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


Message = dict[str, Any]
ToolSpec = dict[str, Any]


class LLMProvider(Protocol):
    name: str  # "openai" | "ollama" | "offline"
    model: str

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[str | Completion]:
        """The turn's text as it arrives, then its `Completion` (last); `LLMUnavailable` when
        the model cannot be reached after the provider's retries."""
        ...

    def close(self) -> None:
        """Release the client's connections."""
        ...


def arguments_of(raw: str | dict[str, Any] | None) -> dict[str, Any]:
    """A tool call's arguments, which models send as a JSON string (OpenAI) or an object
    (Ollama); anything unreadable is an empty call that the tool will refuse by name."""
    if isinstance(raw, dict):
        return raw
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {"_unreadable_arguments": raw[:200]}
    return parsed if isinstance(parsed, dict) else {"_unreadable_arguments": raw[:200]}
