"""What every benchmark report shares: percentiles, pass marks, the environment measured, and the
`--json` line that ends a run (one JSON object, so results can be compared run to run)."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any

from bench._pg import REPO_ROOT

if TYPE_CHECKING:
    from rich.console import Console

CODE_PATHS = ("shared", "functions", "migrations")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def mark(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def code_version(paths: Sequence[str] = CODE_PATHS) -> str:
    """The commit measured, and whether the measured code had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", *paths],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return f"{head}{' + uncommitted changes' if dirty else ''}"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?"
            )
    except OSError:
        return "?"


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " / ".join(f.read().split()[:3]) + " (1 / 5 / 15 min)"
    except OSError:
        return "?"


def environment(
    postgres: str,
    load_at_start: str,
    code_paths: Sequence[str] = CODE_PATHS,
) -> list[tuple[str, str]]:
    """Date, code, CPUs, load, Python, PostgreSQL (`postgres` says which and how set), driver, OS."""
    cpus = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    return [
        ("Date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("Code", code_version(code_paths)),
        ("CPUs", f"{cpus} ({usable} usable; {cpu_model()})"),
        ("Load average at start", load_at_start),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("PostgreSQL", postgres),
        (
            "DB driver",
            f"pg8000 {metadata.version('pg8000')}, SQLAlchemy {metadata.version('sqlalchemy')}",
        ),
        ("OS", platform.platform()),
    ]


def other_programs_line(shares: Sequence[float]) -> str:
    """How much of a core other programs used during the busiest measurement (shares of a core);
    above a fifth, the results are called disturbed."""
    busiest = max(shares) * 100
    note = " — results disturbed, run again on a quiet machine" if busiest > 20 else ""
    return (
        f"\nOther programs on the machine used at most {busiest:.0f}% of a core during any "
        f"measurement{note}."
    )


# --- `--json`: one line of results -----------------------------------------------------------


def _number(value: float | None, digits: int | None = None) -> float | None:
    """A finite number as JSON can carry it (integers kept whole, others rounded to `digits` if
    given); None for a missing one, NaN or an infinity."""
    if value is None:
        return None
    if isinstance(value, int):  # a count stays whole (a bool becomes 0 or 1)
        return int(value)
    value = float(value)
    if not math.isfinite(value):
        return None
    return value if digits is None else round(value, digits)


def result(
    value: float | None,
    unit: str,
    target: float | None = None,
    passed: bool | None = None,
    *,
    digits: int = 4,
) -> dict[str, Any]:
    """One named result of the `--json` line: `{"value", "unit", "target", "pass"}`. The value is
    null when nothing was measured (None, NaN); `pass` is null when there is no target, else the
    verdict the report marks (pass/FAIL) — also for a value not measured, as the report marks it.
    Values are rounded to `digits` decimals; the target is kept as given."""
    goal = _number(target)
    verdict = None if goal is None or passed is None else bool(passed)
    return {"value": _number(value, digits), "unit": unit, "target": goal, "pass": verdict}


def json_line(
    benchmark: str,
    results: Mapping[str, Mapping[str, Any]],
    code_paths: Sequence[str] = CODE_PATHS,
) -> str:
    """`{"benchmark", "commit", "results"}` on one line: the commit as `code_version` names it,
    and the results built by `result` (strict JSON: no NaN or infinity gets through)."""
    return json.dumps(
        {"benchmark": benchmark, "commit": code_version(code_paths), "results": dict(results)},
        allow_nan=False,
    )


def print_last(line: str, console: Console | None = None) -> None:
    """Print `line` after everything the console wrote, flushed: the run's last line of output."""
    if console is not None:
        console.file.flush()
    sys.stdout.flush()
    print(line, flush=True)
