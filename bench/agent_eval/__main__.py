"""The agent's evaluation: tool routing, retrieval by each method, and the grounding check.

    .venv/bin/python -m bench.agent_eval            # everything (part of `make bench`)
    .venv/bin/python -m bench.agent_eval --json     # … and one JSON object on the last line
    .venv/bin/python -m bench.agent_eval --llm      # also the configured model's routing

Over the questions in questions.yaml (each with the tools a good agent calls and the articles that
answer it), on a fresh database of the embedded PostgreSQL:

1. Routing: the tools the offline agent picks for each question, against the expected set —
   exact-set accuracy, and the share of expected tools it calls. With `--llm`, the configured
   model's first turn too (LLM_PROVIDER and its settings; nothing is measured without one).
2. Retrieval: the knowledge base indexed (passages embedded by all-MiniLM-L6-v2 in process), then
   each question searched by `lexical`, `dense` and `hybrid`: recall@5 (the share of a question's
   articles in the first five) and MRR (1 / rank of the first of them), averaged; latency of
   `KnowledgeBase.search` over 5 rounds (p50, p95; target p95 ≤ 30 ms for the default method).
3. Grounding: a business with demo history (risky_merchant, scored), every question answered by
   the offline agent through the real loop and tools; then each number of each answer replaced in
   turn by a wrong one (× 1.37 + 3, at the same precision and unit) and checked against that
   turn's tool results. Catch rate = planted numbers flagged ÷ planted; false alarms = numbers of
   the untouched answers flagged.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table
from vaultra.bootstrap import Runtime
from vaultra.config import Settings
from vaultra.db.unit_of_work import Database
from vaultra.domain.agent import grounding
from vaultra.domain.agent.offline import route
from vaultra.events.local_bus import LocalBus
from vaultra.llm.minilm import MiniLM
from vaultra.services.agent import SYSTEM_PROMPT
from vaultra.services.knowledge import METHODS, KnowledgeBase, load_articles

from bench._pg import REPO_ROOT, bench_database
from bench._report import environment, json_line, loadavg, percentile, print_last, result

QUESTIONS = Path(__file__).with_name("questions.yaml")
ROUNDS = 5
K = 5
P95_TARGET_MS = 30.0
DEFAULT_METHOD = Settings.model_fields["retrieval"].default
console = Console()


@dataclass(frozen=True)
class Question:
    q: str
    tools: frozenset[str]
    articles: tuple[str, ...]


def load_questions() -> list[Question]:
    raw = yaml.safe_load(QUESTIONS.read_text())
    return [Question(r["q"], frozenset(r["tools"]), tuple(r["articles"])) for r in raw]


# --- 1. routing ------------------------------------------------------------------------------


def routing(questions: Sequence[Question], pick: Any) -> dict[str, Any]:
    exact = 0
    recalled = 0.0
    misses = []
    for question in questions:
        chosen = frozenset(pick(question.q))
        exact += chosen == question.tools
        recalled += len(chosen & question.tools) / len(question.tools)
        if chosen != question.tools:
            misses.append((question.q, sorted(question.tools), sorted(chosen)))
    return {
        "accuracy": exact / len(questions),
        "tool_recall": recalled / len(questions),
        "misses": misses,
    }


def offline_pick(question: str) -> list[str]:
    return [call.name for call in route(question, str(uuid.UUID(int=1)))]


def model_pick(runtime: Runtime) -> Any:
    """The configured model's first turn for a question: the tools it asks for."""
    specs = runtime.agent.tool_specs()

    def pick(question: str) -> list[str]:
        system = f"{SYSTEM_PROMPT}\n\nThe business in view: business_id: {uuid.UUID(int=1)}"
        messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
        *_, completion = runtime.llm.stream(messages, specs)
        return [call.name for call in completion.tool_calls]  # type: ignore[union-attr]

    return pick


# --- 2. retrieval ----------------------------------------------------------------------------


def retrieval(knowledge: KnowledgeBase, questions: Sequence[Question]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for method in METHODS:
        recall = mrr = 0.0
        for question in questions:
            found = [p.article_id for p in knowledge.search(question.q, k=K, method=method)]
            relevant = set(question.articles)
            recall += len(relevant & set(found)) / len(relevant)
            first = next((i for i, a in enumerate(found, 1) if a in relevant), None)
            mrr += 1 / first if first else 0.0
        timings = []
        for _ in range(ROUNDS):
            for question in questions:
                started = time.perf_counter()
                knowledge.search(question.q, k=K, method=method)
                timings.append((time.perf_counter() - started) * 1000)
        out[method] = {
            "recall_at_5": recall / len(questions),
            "mrr": mrr / len(questions),
            "p50_ms": statistics.median(timings),
            "p95_ms": percentile(timings, 95),
        }
    return out


# --- 3. grounding ----------------------------------------------------------------------------


def scored_demo_business(runtime: Runtime) -> tuple[uuid.UUID, str, Any]:
    """A business with the risky merchant's generated history, computed and scored today, and an
    access token of its owner."""
    account = f"acct_eval{uuid.uuid4().hex[:10]}"
    business = runtime.add_business("Eval Risky", account, livemode=False).business_id
    now = datetime.now(UTC)
    runtime.demo_data.load(runtime.link(account), "risky_merchant", now)
    runtime.metrics.refresh(business, now.date())
    assert runtime.readiness.score(business, now.date()) is not None
    runtime.accounts.sign_up("eval@vaultra.local", "an evaluation password")
    session = runtime.accounts.sign_in("eval@vaultra.local", "an evaluation password")
    user = runtime.accounts.read_bearer(session.access_token)
    assert user.claims is not None
    with runtime.database.transaction() as uow:
        uow.memberships.add(business, user.claims.user_id, "owner")
    return business, session.access_token, user


def plant(answer: str, stated: grounding.Stated) -> str:
    """The answer with `stated` replaced by a wrong number written the same way."""
    wrong = abs(stated.value) * Decimal("1.37") + 3  # the sign stays where it is written
    text = stated.text
    digits = re.search(r"\d[\d,]*(?:\.\d+)?", text)
    assert digits is not None
    places = len(digits.group(0).split(".")[1]) if "." in digits.group(0) else 0
    unit = text[digits.end() :].strip().lower()
    scale = {"k": 1000, "m": 1_000_000}.get(unit, 1)
    shown = (
        f"{wrong / scale:,.{places}f}" if "," in digits.group(0) else f"{wrong / scale:.{places}f}"
    )
    return answer.replace(text, text[: digits.start()] + shown + text[digits.end() :], 1)


def grounding_check(runtime: Runtime, questions: Sequence[Question]) -> dict[str, Any]:
    business, token, bearer = scored_demo_business(runtime)
    planted = caught = numbers = false_alarms = 0
    missed: list[str] = []
    turn_ms = []
    for question in questions:
        started = time.perf_counter()
        turn = runtime.agent.start(bearer, token, business, question.q, None)
        done = list(turn.events())[-1]
        turn_ms.append((time.perf_counter() - started) * 1000)
        assert done["type"] == "done", done
        answer = done["answer"]
        check = grounding.check(answer, turn.results, question.q)
        numbers += len(check.stated)
        false_alarms += len(check.ungrounded)
        for stated in check.stated:
            changed = plant(answer, stated)
            if changed == answer:
                continue
            planted += 1
            flagged = grounding.check(changed, turn.results, question.q).ungrounded
            if flagged:
                caught += 1
            else:
                missed.append(f"{stated.text} → {plant(stated.text, stated)}")
    return {
        "planted": planted,
        "caught": caught,
        "catch_rate": caught / planted if planted else float("nan"),
        "numbers_stated": numbers,
        "false_alarms": false_alarms,
        "turn_p50_ms": statistics.median(turn_ms),
        "turn_p95_ms": percentile(turn_ms, 95),
        "missed": missed,
    }


# --- the run ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    parser.add_argument("--llm", action="store_true", help="also the configured model's routing")
    args = parser.parse_args(argv)
    questions = load_questions()
    load = loadavg()
    console.print(f"[bold]Agent evaluation[/] — {len(questions)} questions")

    offline = routing(questions, offline_pick)
    with bench_database() as db:
        home = REPO_ROOT / ".vaultra" / "bench-agent"
        home.mkdir(parents=True, exist_ok=True)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, DATABASE_URL=db.url, VAULTRA_HOME=str(home), VAULTRA_EMBEDDINGS="none"
        )
        runtime = Runtime(settings, database=Database(db.engine), publisher=LocalBus())
        try:
            embedder = MiniLM()
            knowledge = KnowledgeBase(Database(db.engine), embedder=embedder, method="hybrid")
            started = time.perf_counter()
            knowledge.index(load_articles(settings.knowledge_dir))
            index_s = time.perf_counter() - started
            started = time.perf_counter()
            knowledge.index(load_articles(settings.knowledge_dir))
            reindex_s = time.perf_counter() - started
            found = retrieval(knowledge, questions)
            runtime.knowledge.index(load_articles(settings.knowledge_dir))
            grounded = grounding_check(runtime, questions)
            model = routing(questions, model_pick(runtime)) if args.llm else None
            model_name = f"{runtime.llm.name} {runtime.llm.model}" if args.llm else None
        finally:
            runtime.close()
        env = environment(f"{db.version} (embedded)", load)

    table = Table(title="Environment", show_header=False)
    for name, value in env:
        table.add_row(name, value)
    console.print(table)

    table = Table(title="Tool routing")
    for column in ("agent", "exact-set accuracy", "expected tools called"):
        table.add_column(column)
    table.add_row("offline", f"{offline['accuracy']:.1%}", f"{offline['tool_recall']:.1%}")
    if model is not None:
        table.add_row(str(model_name), f"{model['accuracy']:.1%}", f"{model['tool_recall']:.1%}")
    else:
        table.add_row("a model", "not measured (no --llm)", "")
    console.print(table)
    for q, expected, chosen in offline["misses"]:
        console.print(f"  offline miss: {q!r}: expected {expected}, chose {chosen}")

    table = Table(title=f"Retrieval ({len(questions)} questions, k = {K}, {ROUNDS} rounds)")
    for column in ("method", "recall@5", "MRR", "p50 ms", "p95 ms"):
        table.add_column(column)
    for method, r in found.items():
        default = " (default)" if method == DEFAULT_METHOD else ""
        table.add_row(
            method + default,
            f"{r['recall_at_5']:.3f}",
            f"{r['mrr']:.3f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
        )
    console.print(table)
    console.print(f"Indexing with embeddings: {index_s:.1f} s first, {reindex_s:.2f} s again.")

    console.print(
        f"Grounding: {grounded['caught']} of {grounded['planted']} planted numbers caught "
        f"({grounded['catch_rate']:.1%}); {grounded['false_alarms']} false alarms among "
        f"{grounded['numbers_stated']} numbers of untouched answers. Offline turn "
        f"p50 {grounded['turn_p50_ms']:.0f} ms, p95 {grounded['turn_p95_ms']:.0f} ms."
    )

    if grounded["missed"]:
        console.print("  planted numbers not caught: " + "; ".join(grounded["missed"][:20]))

    if args.json:
        print_last(json_line("agent_eval", results(offline, found, grounded, model)), console)


def results(
    offline: dict[str, Any],
    found: dict[str, Any],
    grounded: dict[str, Any],
    model: dict[str, Any] | None,
) -> dict[str, dict[str, Any]]:
    """The `--json` results: routing, retrieval by each method, grounding."""
    p95 = found[DEFAULT_METHOD]["p95_ms"]
    out: dict[str, dict[str, Any]] = {
        "routing_accuracy_offline": result(offline["accuracy"], "share"),
        "retrieval_p95_default": result(p95, "ms", P95_TARGET_MS, p95 <= P95_TARGET_MS),
        "grounding_catch_rate": result(grounded["catch_rate"], "share"),
        "grounding_false_alarms": result(
            grounded["false_alarms"], "count", 0, grounded["false_alarms"] == 0
        ),
    }
    for method, r in found.items():
        out[f"recall_at_5_{method}"] = result(r["recall_at_5"], "share")
        out[f"mrr_{method}"] = result(r["mrr"], "share")
    if model is not None:
        out["routing_accuracy_model"] = result(model["accuracy"], "share")
    return out


if __name__ == "__main__":
    main()
