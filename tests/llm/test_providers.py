"""Both model providers through their official clients (the openai SDK, the ollama client)
against loopback servers speaking the real wire protocols: streamed text, tool calls assembled
from fragments, token usage, retries with backoff, refusals and timeouts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from vaultra.llm.base import Completion, LLMProvider, LLMUnavailable
from vaultra.llm.ollama_chat import OllamaChat
from vaultra.llm.openai_chat import OpenAIChat

from tests.support.llm_servers import Calls, Fail, Stall, Text, Turn, llm_server

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_readiness_breakdown",
            "description": "The score.",
            "parameters": {
                "type": "object",
                "properties": {"business_id": {"type": "string"}},
                "required": ["business_id"],
            },
        },
    }
]
QUESTION = [{"role": "user", "content": "How ready am I?"}]


def openai_at(url: str, **options: Any) -> LLMProvider:
    return OpenAIChat(api_key="sk-loopback", model="gpt-4o-mini", base_url=f"{url}/v1", **options)


def ollama_at(url: str, **options: Any) -> LLMProvider:
    return OllamaChat(host=url, model="llama3.1:8b", sleep=lambda _: None, **options)


PROVIDERS: dict[str, Callable[..., LLMProvider]] = {"openai": openai_at, "ollama": ollama_at}


def run(
    provider: LLMProvider, messages: list[dict[str, Any]] = QUESTION
) -> tuple[list[str], Completion]:
    try:
        items = list(provider.stream(messages, TOOLS))
    finally:
        provider.close()
    *pieces, last = items
    assert isinstance(last, Completion)
    assert all(isinstance(p, str) for p in pieces)
    return pieces, last  # type: ignore[return-value]


@pytest.mark.parametrize("name", PROVIDERS)
def test_text_streams_in_pieces_and_the_completion_holds_it_whole_with_its_tokens(
    name: str,
) -> None:
    with llm_server([Text("Your score is 64 out of 100.", 321, 12)]) as server:
        pieces, completion = run(PROVIDERS[name](server.url))

    assert len(pieces) > 1 and "".join(pieces) == "Your score is 64 out of 100."
    assert completion.text == "Your score is 64 out of 100."
    assert completion.tool_calls == []
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (321, 12)
    sent = server.requests[0]
    assert sent["stream"] is True and sent["messages"] == QUESTION
    assert sent["tools"][0]["function"]["name"] == "get_readiness_breakdown"


@pytest.mark.parametrize("name", PROVIDERS)
def test_tool_calls_arrive_whole_with_their_arguments(name: str) -> None:
    script: list[Turn] = [
        Calls(
            [
                ("get_readiness_breakdown", {"business_id": "b-1"}),
                ("explain_metric", {"metric": "mrr"}),
            ]
        )
    ]
    with llm_server(script) as server:
        _, completion = run(PROVIDERS[name](server.url))

    assert [(c.name, c.arguments) for c in completion.tool_calls] == [
        ("get_readiness_breakdown", {"business_id": "b-1"}),
        ("explain_metric", {"metric": "mrr"}),
    ]
    assert len({c.id for c in completion.tool_calls}) == 2


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_tool_result_goes_back_in_the_providers_own_shape(name: str) -> None:
    messages = [
        *QUESTION,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {
                        "name": "get_readiness_breakdown",
                        "arguments": '{"business_id": "b-1"}',
                    },
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_0", "content": '{"score": 64}'},
    ]
    with llm_server([Text("64.")]) as server:
        run(PROVIDERS[name](server.url), messages)

    sent = server.requests[0]["messages"]
    if name == "openai":
        assert sent[1:] == messages[1:]
    else:  # Ollama: arguments as an object, the result named by its tool
        assert sent[1]["tool_calls"] == [
            {"function": {"name": "get_readiness_breakdown", "arguments": {"business_id": "b-1"}}}
        ]
        assert sent[2] == {
            "role": "tool",
            "content": '{"score": 64}',
            "tool_name": "get_readiness_breakdown",
        }


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_server_error_is_retried_with_backoff_then_answers(name: str) -> None:
    with llm_server([Fail(503), Fail(500), Text("fine")]) as server:
        _, completion = run(PROVIDERS[name](server.url, max_retries=2))

    assert completion.text == "fine"
    assert len(server.requests) == 3


@pytest.mark.parametrize("name", PROVIDERS)
def test_retries_run_out_and_the_model_is_reported_unavailable(name: str) -> None:
    with llm_server([Fail(503), Fail(503)]) as server, pytest.raises(LLMUnavailable, match="503"):
        run(PROVIDERS[name](server.url, max_retries=1))
    assert len(server.requests) == 2


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_refused_request_is_not_retried(name: str) -> None:
    with (
        llm_server([Fail(400), Text("never")]) as server,
        pytest.raises(LLMUnavailable, match="400"),
    ):
        run(PROVIDERS[name](server.url, max_retries=2))
    assert len(server.requests) == 1


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_model_slower_than_the_timeout_is_reported_unavailable(name: str) -> None:
    with llm_server([Stall(3), Stall(3)]) as server, pytest.raises(LLMUnavailable):
        run(PROVIDERS[name](server.url, timeout_s=0.5, max_retries=0))
    assert len(server.requests) == 1
