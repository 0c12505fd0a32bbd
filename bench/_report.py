"""What every benchmark report shares: percentiles, pass marks and the environment measured."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata

from bench._pg import REPO_ROOT


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def mark(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def code_version(paths: Sequence[str] = ("shared", "functions", "migrations")) -> str:
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
    code_paths: Sequence[str] = ("shared", "functions", "migrations"),
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
