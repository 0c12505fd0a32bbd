"""Loopback language-model servers that speak the real wire protocols, scripted turn by turn:
OpenAI's chat completions (`POST /v1/chat/completions`, server-sent events with `data: [DONE]`)
and Ollama's chat API (`POST /api/chat`, newline-delimited JSON), and both embedding APIs
(`POST /v1/embeddings`, `POST /api/embed`). The official clients talk to
them unchanged; each request is recorded so a test can read what the client sent.

A script is a list of turns, one per request: `Text("…")`, `Calls([("tool", {…}), …])`, or
`Fail(status)` / `Stall(seconds)` to exercise the clients' retries and timeouts.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from vaultra_dev.loopback import free_port

from tests.support.aiohttp_thread import served_in_a_thread


@dataclass(frozen=True)
class Text:
    text: str
    prompt_tokens: int = 120
    completion_tokens: int = 30


@dataclass(frozen=True)
class Calls:
    calls: list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Fail:
    status: int


@dataclass(frozen=True)
class Stall:
    seconds: float


Turn = Text | Calls | Fail | Stall


@dataclass
class Scripted:
    url: str
    script: list[Turn]
    requests: list[dict[str, Any]] = field(default_factory=list)

    def next_turn(self, body: dict[str, Any]) -> Turn:
        self.requests.append(body)
        if not self.script:
            return Text("(the script has ended)")
        return self.script.pop(0)


SCRIPTED = web.AppKey("scripted", Scripted)


def _pieces(text: str, size: int = 7) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


async def _openai(request: web.Request) -> web.StreamResponse:
    server: Scripted = request.app[SCRIPTED]
    body = await request.json()
    turn = server.next_turn(body)
    if isinstance(turn, Fail):
        return web.json_response(
            {"error": {"message": "scripted failure", "type": "server_error"}}, status=turn.status
        )
    if isinstance(turn, Stall):
        await asyncio.sleep(turn.seconds)
        turn = Text("too late")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)

    async def send(delta: dict[str, Any], finish: str | None = None, usage: Any = None) -> None:
        chunk = {
            "id": "chatcmpl-loopback",
            "object": "chat.completion.chunk",
            "created": 1_764_000_000,
            "model": body["model"],
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
            if usage is None
            else [],
            "usage": usage,
        }
        await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

    if isinstance(turn, Text):
        await send({"role": "assistant", "content": ""})
        for piece in _pieces(turn.text):
            await send({"content": piece})
        await send({}, "stop")
        usage = {"prompt_tokens": turn.prompt_tokens, "completion_tokens": turn.completion_tokens}
    else:
        for i, (name, arguments) in enumerate(turn.calls):
            raw = json.dumps(arguments)
            head = {"index": i, "id": f"call_{i}", "type": "function"}
            await send({"tool_calls": [{**head, "function": {"name": name, "arguments": ""}}]})
            for piece in _pieces(raw, 5):  # the arguments arrive in fragments
                await send({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
        await send({}, "tool_calls")
        usage = {"prompt_tokens": 200, "completion_tokens": 20}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    if body.get("stream_options", {}).get("include_usage"):
        await send({}, usage=usage)
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


async def _ollama(request: web.Request) -> web.StreamResponse:
    server: Scripted = request.app[SCRIPTED]
    body = await request.json()
    turn = server.next_turn(body)
    if isinstance(turn, Fail):
        return web.json_response({"error": "scripted failure"}, status=turn.status)
    if isinstance(turn, Stall):
        await asyncio.sleep(turn.seconds)
        turn = Text("too late")
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
    await response.prepare(request)

    async def send(message: dict[str, Any], done: bool = False, **extra: Any) -> None:
        line = {
            "model": body["model"],
            "created_at": "2026-11-29T12:00:00Z",
            "message": {"role": "assistant", "content": "", **message},
            "done": done,
            **extra,
        }
        await response.write((json.dumps(line) + "\n").encode())

    if isinstance(turn, Text):
        for piece in _pieces(turn.text):
            await send({"content": piece})
        counts = {"prompt_eval_count": turn.prompt_tokens, "eval_count": turn.completion_tokens}
    else:
        calls = [{"function": {"name": n, "arguments": a}} for n, a in turn.calls]
        await send({"tool_calls": calls})
        counts = {"prompt_eval_count": 180, "eval_count": 15}
    await send({}, True, done_reason="stop", **counts)
    await response.write_eof()
    return response


def fake_vector(text: str, dimensions: int = 8) -> list[float]:
    """A deterministic, unnormalised vector for a text (the clients' normalising is tested)."""
    digest = hashlib.sha256(text.encode()).digest()
    return [float(b % 7 + 1) for b in digest[:dimensions]]


async def _openai_embeddings(request: web.Request) -> web.Response:
    server: Scripted = request.app[SCRIPTED]
    body = await request.json()
    server.requests.append(body)
    if server.script and isinstance(server.script[0], Fail):
        failure = server.script.pop(0)
        assert isinstance(failure, Fail)
        return web.json_response({"error": {"message": "scripted"}}, status=failure.status)
    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
    # in reverse order, as the API may: a client must order by `index`
    data = [
        {"object": "embedding", "index": i, "embedding": fake_vector(t)}
        for i, t in reversed(list(enumerate(texts)))
    ]
    tokens = sum(len(t.split()) for t in texts)
    return web.json_response(
        {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )


async def _ollama_embed(request: web.Request) -> web.Response:
    server: Scripted = request.app[SCRIPTED]
    body = await request.json()
    server.requests.append(body)
    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
    return web.json_response(
        {"model": body["model"], "embeddings": [fake_vector(t) for t in texts]}
    )


@contextmanager
def llm_server(script: list[Turn]) -> Iterator[Scripted]:
    """Both protocols on one loopback port, in a thread of its own; stopped on exit."""
    port = free_port()
    scripted = Scripted(f"http://127.0.0.1:{port}", list(script))
    app = web.Application()
    app[SCRIPTED] = scripted
    app.router.add_post("/v1/chat/completions", _openai)
    app.router.add_post("/api/chat", _ollama)
    app.router.add_post("/v1/embeddings", _openai_embeddings)
    app.router.add_post("/api/embed", _ollama_embed)
    with served_in_a_thread(app, port):
        yield scripted
