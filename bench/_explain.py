"""Time the metrics engine statement by statement, and summarize EXPLAIN (ANALYZE, BUFFERS) plans.

`StatementLog` listens to the engine's cursor executions and keeps those of the statements in
`vaultra.db.metrics_query`, recognized by identity, with the exact SQL and parameters the driver
received: the breakdown needs no copy of the engine's parameter building, and EXPLAIN runs exactly
what `compute_metric_set` ran.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event
from vaultra.db import metrics_query as mq

# The statements `compute_metric_set` runs, in the order it runs them (private to the module:
# imported only to recognize them).
STATEMENTS: dict[str, Any] = {
    "currency": mq._CURRENCY,
    "sales": mq._SALES,
    "refunds": mq._REFUNDS,
    "disputes": mq._DISPUTES,
    "payouts": mq._PAYOUTS,
    "data_through": mq._DATA_THROUGH,
    "year_earlier_months": mq._YEAR_EARLIER_MONTHS,
    "mrr": mq._MRR,
}


@dataclass(frozen=True)
class Executed:
    name: str
    seconds: float  # from the driver call to its return: server time, wire and row decoding
    sql: str  # as sent to the driver
    parameters: tuple[Any, ...]


class StatementLog:
    def __init__(self, engine: Engine) -> None:
        self._names = {id(stmt): name for name, stmt in STATEMENTS.items()}
        self._started: dict[int, float] = {}
        self.entries: list[Executed] = []
        self.active = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, *_: Any) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        elapsed = time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())
        compiled = getattr(context, "compiled", None)
        name = self._names.get(id(getattr(compiled, "statement", None)))
        if self.active and name is not None:
            self.entries.append(Executed(name, elapsed, statement, tuple(parameters or ())))

    def record(self) -> list[Executed]:
        """Start a fresh recording; returns the list that fills up until the next call."""
        self.entries = []
        self.active = True
        return self.entries


@dataclass
class PlanNode:
    label: str
    self_ms: float
    rows: int
    loops: int


@dataclass
class PlanSummary:
    name: str
    execution_ms: float
    planning_ms: float
    jit_ms: float
    shared_hit: int
    shared_read: int
    temp_written: int  # 8 kB blocks written to temporary files (sorts, hashes spilling to disk)
    top: list[PlanNode] = field(default_factory=list)
    spills: list[str] = field(default_factory=list)
    text: str = ""


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _walk(child)


def _total_ms(node: dict[str, Any]) -> float:
    return float(node.get("Actual Total Time", 0.0)) * int(node.get("Actual Loops", 1))


def _label(node: dict[str, Any]) -> str:
    parts = [node["Node Type"]]
    if "Strategy" in node and node["Node Type"] in ("Aggregate", "SetOp"):
        parts[0] = f"{node['Strategy']} {parts[0]}"
    if "Relation Name" in node:
        parts.append(f"on {node['Relation Name']}")
    if "Index Name" in node:
        parts.append(f"using {node['Index Name']}")
    if "Function Name" in node:
        parts.append(f"of {node['Function Name']}()")
    if "CTE Name" in node:
        parts.append(f"of {node['CTE Name']}")
    if "Subplan Name" in node:
        parts.append(f"[{node['Subplan Name']}]")
    if "Sort Method" in node:
        parts.append(f"({node['Sort Method']}, {node.get('Sort Space Used', '?')} kB)")
    return " ".join(parts)


def _self_ms(node: dict[str, Any]) -> float:
    """Time in the node itself: its total less its children's (a CTE scan's time is its CTE's,
    which is a separate child of the plan, so it is counted there, not here)."""
    if node["Node Type"] == "CTE Scan":
        return 0.0
    children = sum(_total_ms(c) for c in node.get("Plans", []))
    return max(0.0, _total_ms(node) - children)


def _spills(node: dict[str, Any]) -> list[str]:
    out = []
    if node.get("Sort Space Type") == "Disk":
        out.append(f"{node['Node Type']} spilled {node.get('Sort Space Used', '?')} kB to disk")
    if int(node.get("Hash Batches", 1)) > 1:
        out.append(f"Hash in {node['Hash Batches']} batches (spilled)")
    if node.get("Storage") == "Disk":
        out.append(f"{node['Node Type']} stored {node.get('Maximum Storage', '?')} kB on disk")
    return out


def summarize(name: str, explain: list[dict[str, Any]], top_n: int = 4) -> PlanSummary:
    top = explain[0]
    root = top["Plan"]
    nodes = list(_walk(root))
    ranked = sorted(nodes, key=_self_ms, reverse=True)[:top_n]
    return PlanSummary(
        name=name,
        execution_ms=float(top["Execution Time"]),
        planning_ms=float(top["Planning Time"]),
        jit_ms=float(top.get("JIT", {}).get("Timing", {}).get("Total", 0.0)),
        shared_hit=int(root.get("Shared Hit Blocks", 0)),
        shared_read=int(root.get("Shared Read Blocks", 0)),
        temp_written=int(root.get("Temp Written Blocks", 0)),
        top=[
            PlanNode(
                _label(n),
                _self_ms(n),
                int(n.get("Actual Rows", 0)) * int(n.get("Actual Loops", 1)),
                int(n.get("Actual Loops", 1)),
            )
            for n in ranked
        ],
        spills=[s for n in nodes for s in _spills(n)],
    )


def explain_all(
    conn: Connection, entries: list[Executed], plans_dir: Path | None
) -> list[PlanSummary]:
    """EXPLAIN (ANALYZE, BUFFERS) each recorded statement with its parameters, in one REPEATABLE
    READ transaction (the caller's), as the engine runs them."""
    out = []
    for e in entries:
        raw = conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + e.sql, e.parameters
        ).scalar_one()
        summary = summarize(e.name, raw if isinstance(raw, list) else _json(raw))
        if plans_dir is not None:
            lines = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + e.sql, e.parameters)
            summary.text = "\n".join(str(r[0]) for r in lines)
            plans_dir.mkdir(parents=True, exist_ok=True)
            (plans_dir / f"{e.name}.txt").write_text(summary.text + "\n")
        out.append(summary)
    return out


def _json(raw: str) -> list[dict[str, Any]]:
    import json

    loaded: list[dict[str, Any]] = json.loads(raw)
    return loaded
