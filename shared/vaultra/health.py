"""Liveness and readiness, as every HTTP runtime answers them.

- `/healthz` (liveness): the process answers. Always 200 while it can answer at all, so the
  platform restarts only a process that is truly stuck, never one whose database is down.
- `/readyz` (readiness): each dependency is checked and named. 503 with what is down, so a load
  balancer stops sending traffic and an operator sees which part failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

HEALTH_PATHS = ("/healthz", "/readyz")

Check = Callable[[], None]  # raises when its dependency is down


@dataclass(frozen=True)
class HealthReport:
    ready: bool
    checks: dict[str, str]  # dependency → "ok" | "down: <reason>"

    @property
    def status_code(self) -> int:
        return 200 if self.ready else 503

    def body(self) -> dict[str, object]:
        return {"status": "ok" if self.ready else "unavailable", "checks": self.checks}


def check_health(checks: Mapping[str, Check]) -> HealthReport:
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:
            # The exception's type and first line, never a traceback or a connection string.
            reason = str(exc).splitlines()[0][:120] if str(exc) else ""
            results[name] = f"down: {type(exc).__name__}" + (f": {reason}" if reason else "")
        else:
            results[name] = "ok"
    return HealthReport(all(v == "ok" for v in results.values()), results)


LIVE = HealthReport(True, {"process": "ok"})
