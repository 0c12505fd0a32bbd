"""The offline provider: a model's turn played by rules (`vaultra.domain.agent.offline`).

It reads what a model would: the system prompt (for the business in view), the founder's last
question and the tool results that followed it. With no tool result yet it asks for the tools the
question routes to; once they answered, it writes the answer from their results. No network, no
tokens: what `make demo` and a deployment without a model use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from vaultra.domain.agent.offline import Call, compose, route
from vaultra.llm.base import Completion, Message, ToolCall, ToolSpec

_BUSINESS = re.compile(r"business_id: ([0-9a-fA-F-]{36})")


class OfflineModel:
    name = "offline"
    model = "vaultra-rules-1"

    def close(self) -> None:
        pass

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[str | Completion]:
        last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
        after = messages[last_user + 1 :]
        if not any(m["role"] == "tool" for m in after):
            business = _BUSINESS.search(
                " ".join(m.get("content") or "" for m in messages if m["role"] == "system")
            )
            allowed = {t["function"]["name"] for t in tools}
            planned = route(messages[last_user]["content"], business.group(1) if business else None)
            yield Completion(
                "",
                [
                    ToolCall(f"call_{i}", c.name, c.arguments)
                    for i, c in enumerate(planned)
                    if c.name in allowed
                ],
            )
            return
        answer = compose(_results(after))
        yield from answer.splitlines(keepends=True)
        yield Completion(answer)


def _results(after: list[Message]) -> list[tuple[Call, dict[str, Any] | str]]:
    """Each call the assistant made since the question, with its result or error text."""
    calls: dict[str, Call] = {}
    results: list[tuple[Call, dict[str, Any] | str]] = []
    for m in after:
        if m["role"] == "assistant":
            for call in m.get("tool_calls") or []:
                arguments = json.loads(call["function"]["arguments"] or "{}")
                calls[call["id"]] = Call(call["function"]["name"], arguments)
        elif m["role"] == "tool" and m.get("tool_call_id") in calls:
            content = json.loads(m["content"])
            result = content.get("error", content)
            results.append((calls[m["tool_call_id"]], result))
    return results
