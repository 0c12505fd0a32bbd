"""A closed-loop HTTP/1.1 load generator, run in its own process (`python -m bench._load`).

`--clients` connections, each kept alive and each sending its next GET as soon as the previous
answer has been read whole, on one asyncio loop. It speaks just enough HTTP/1.1 for the servers it
measures: a fixed request, a response head up to its blank line, and a body of `Content-Length`
bytes (a response without one, or answering `Connection: close`, is counted and the connection
opened again). Nothing but the standard library, so it needs nothing installed, and it costs a few
tens of microseconds of CPU per request — a small share of what the server spends.

The parent drives it through stdin and stdout, so several generators can share one timeline:

    → `ready`    every connection is open
    ← `go`       (on stdin) start
    → `measure`  after `--warmup` s of load: the measured window opens
    → `done`     `--seconds` s later: no request is sent after it, and only answers completed
                 inside the window are counted
    → one line of JSON: the counts, each answer's latency (µs), and this process's CPU seconds
                 over the window
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Tally:
    statuses: Counter[str] = field(default_factory=Counter)
    latencies_us: list[int] = field(default_factory=list)
    same_body: int = 0  # byte-identical to the expected body
    other_body_ok: int = 0  # another body, but it passed the JSON check
    bad_body: int = 0  # a 200 that failed the check
    reconnects: int = 0


@dataclass
class Window:
    opens: float = float("inf")
    closes: float = float("inf")


def _content_length(head: bytes) -> int | None:
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at < 0:
        return None
    end = lower.find(b"\r\n", at + 2)
    return int(lower[at + 17 : end])


def _checked(body: bytes, expected: bytes | None, key: str | None, tally: Tally) -> None:
    if expected is not None and body == expected:
        tally.same_body += 1
        return
    if key is None:
        if expected is None:
            tally.same_body += 1
        else:
            tally.bad_body += 1
        return
    try:
        ok = json.loads(body).get(key) is not None
    except (ValueError, AttributeError):
        ok = False
    if ok:
        tally.other_body_ok += 1
    else:
        tally.bad_body += 1


async def _client(
    host: str,
    port: int,
    request: bytes,
    window: Window,
    tally: Tally,
    expected: bytes | None,
    key: str | None,
    connected: asyncio.Event,
    all_connected: asyncio.Event,
    started: asyncio.Event,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    connected.set()
    await all_connected.wait()
    await started.wait()
    try:
        while True:
            sent = time.perf_counter()
            if sent >= window.closes:
                break
            writer.write(request)
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                length = _content_length(head)
                body = await reader.readexactly(length) if length else b""
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                status = type(exc).__name__
                body, head, length = b"", b"", 0
            else:
                status = head[9:12].decode()
            done = time.perf_counter()
            if window.opens <= done < window.closes:
                tally.statuses[status] += 1
                if status == "200":
                    tally.latencies_us.append(round((done - sent) * 1e6))
                    _checked(body, expected, key, tally)
            if length is None or not head or b"\r\nconnection: close" in head.lower():
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                tally.reconnects += 1
    finally:
        writer.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    headers = "".join(f"{h}\r\n" for h in args.header)
    request = (
        f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n{headers}\r\n"
    ).encode()
    expected = open(args.expect, "rb").read() if args.expect else None  # noqa: SIM115
    window = Window()
    tally = Tally()
    loop = asyncio.get_running_loop()
    all_connected, started = asyncio.Event(), asyncio.Event()
    connected = [asyncio.Event() for _ in range(args.clients)]
    tasks = [
        asyncio.create_task(
            _client(
                args.host,
                args.port,
                request,
                window,
                tally,
                expected,
                args.json_key,
                connected[i],
                all_connected,
                started,
            )
        )
        for i in range(args.clients)
    ]
    for event in connected:
        await event.wait()
    all_connected.set()
    print("ready", flush=True)
    line = await loop.run_in_executor(None, sys.stdin.readline)
    if line.strip() != "go":
        raise SystemExit("expected `go`")
    now = time.perf_counter()
    window.opens = now + args.warmup
    window.closes = window.opens + args.seconds
    started.set()
    await asyncio.sleep(max(0.0, window.opens - time.perf_counter()))
    cpu_before = time.process_time()
    print("measure", flush=True)
    await asyncio.sleep(max(0.0, window.closes - time.perf_counter()))
    cpu = time.process_time() - cpu_before
    print("done", flush=True)
    await asyncio.gather(*tasks)
    return {
        "seconds": args.seconds,
        "statuses": dict(tally.statuses),
        "latencies_us": tally.latencies_us,
        "same_body": tally.same_body,
        "other_body_ok": tally.other_body_ok,
        "bad_body": tally.bad_body,
        "reconnects": tally.reconnects,
        "cpu_s": cpu,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--header", action="append", default=[], help="`Name: value`")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--expect", help="a file holding the body every 200 should have")
    parser.add_argument(
        "--json-key", help="a body unlike --expect passes if this key of its JSON is not null"
    )
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
