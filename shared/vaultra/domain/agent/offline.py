"""The offline agent: what answers when no language model is configured (and in `make demo`).

It does a model's two jobs with rules: `route` reads the question and picks the tools (and their
arguments) a model would call; `compose` writes the answer from their results — every number in it
copied from a result, so it always passes the grounding check. It is labelled as such: it
understands questions by their words, not their meaning. bench/agent_eval measures how often it
picks the right tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vaultra.domain.metrics.catalog import BY_KEY
from vaultra.domain.metrics.display import format_value
from vaultra.domain.money import format_money

LABEL = "Offline answer (no language model is configured; read from your data by rules):"

# Words that name a metric, longest first where one contains another. The first match wins.
METRIC_WORDS: tuple[tuple[str, str], ...] = (
    ("net revenue retention", "nrr_12m"),
    ("gross revenue retention", "grr_12m"),
    ("nrr", "nrr_12m"),
    ("grr", "grr_12m"),
    ("revenue churn", "gross_mrr_churn_rate"),
    ("mrr churn", "gross_mrr_churn_rate"),
    ("quick ratio", "quick_ratio"),
    ("lifetime value", "ltv"),
    ("ltv", "ltv"),
    ("arpa", "arpa"),
    ("average revenue per", "arpa"),
    ("arr", "arr"),
    ("annual recurring", "arr"),
    ("recurring revenue", "mrr"),
    ("mrr", "mrr"),
    ("churn", "customer_churn_rate"),
    ("refund", "refund_rate_90d"),
    ("chargeback", "dispute_activity_ratio_month"),
    ("dispute", "dispute_activity_ratio_month"),
    ("volatil", "revenue_volatility_cv_12m"),
    ("stable", "revenue_volatility_cv_12m"),
    ("stability", "revenue_volatility_cv_12m"),
    ("herfindahl", "hhi_12m"),
    ("hhi", "hhi_12m"),
    ("top 5 customer", "top5_customer_share_12m"),
    ("five largest", "top5_customer_share_12m"),
    ("largest customer", "top_customer_share_12m"),
    ("biggest customer", "top_customer_share_12m"),
    ("top customer", "top_customer_share_12m"),
    ("concentration", "top_customer_share_12m"),
    ("payout", "payouts_failed_90d"),
    ("paying customers", "paying_customers"),
    ("how many customers", "paying_customers"),
    ("history", "months_of_history"),
    ("net volume", "net_volume_month"),
    ("gross volume", "gross_volume_month"),
    ("sales", "gross_volume_month"),
    ("revenue", "gross_volume_month"),
    ("growth", "mrr_growth_mom"),
)
LENDERS = (
    "stripe capital",
    "lighter capital",
    "clearco",
    "pipe",
    "capchase",
    "sba",
    "wayflyer",
    "founderpath",
)
_TREND = (
    "trend",
    "history of",
    "over the last",
    "over the past",
    "month by month",
    "each month",
    "last few months",
    "past few months",
    "been doing",
    "over time",
    "trending",
    "chart",
)
_EXPLAIN = (
    "what is",
    "what's a",
    "what does",
    "mean",
    "explain",
    "how is",
    "calculated",
    "define",
    "definition",
    "how do you measure",
    "how do you compute",
)
_SCORE = (
    "hurting",
    "hurt ",
    "holding",
    "hold me back",
    "why is my score",
    "score low",
    "my score",
    "readiness",
    "how ready",
    "breakdown",
    "weak",
    "improve my score",
    "raise my score",
    "ready for",
    "ready to raise",
    "where do i stand",
    "low score",
    "what's wrong",
    "what is wrong",
    "biggest problem",
)
_PLAN = (
    "this week",
    "should i do",
    "what to do",
    "next step",
    "priorit",
    "recommend",
    "to-do",
    "todo",
    "action",
    "focus on",
    "first thing",
)
_WHAT_IF = (
    "what if",
    "what would",
    "would my score",
    "if i ",
    "simulate",
    "how much would",
    "what happens if",
    "if we ",
)
_LENDER = (
    "lender",
    "loan",
    "qualify",
    "eligible",
    "eligibility",
    "financing options",
    "funding options",
    "which financing",
    "borrow",
    "credit line",
    "offer",
    "term sheet",
    *LENDERS,
)
_LIST = ("my businesses", "which businesses", "list businesses", "businesses do i", "my companies")
# Practice questions: the knowledge base answers them when no data tool does.
# fmt: off
_HOW_TO = ("how do", "how can", "how to", "should i", "why do", "why does", "what are", "tips",
           "reduce", "lower", "avoid", "prevent", "best practice", "when should", "improve")
# Subjects only the knowledge base covers: searched whatever else the question asks.
_TOPICAL = ("venture debt", "revenue-based", "revenue based", "rbf", "data room", "bank",
            "covenant", "difference between", " vs ", "versus", "seasonal", "pricing", "sba",
            "personal guarantee", "warrant", "dunning", "3-d secure", "3ds", "chargeback")
# fmt: on
# "… if churn drops to 1 %": a condition with a number is a what-if however it is phrased
_CONDITIONAL = re.compile(r"\bif\b.*\d+(?:\.\d+)?\s*%")
_MONTHS = re.compile(r"(\d{1,2})\s*months?")
_TO_PERCENT = re.compile(r"\bto\s+(\d+(?:\.\d+)?)\s*%")
_BY_PERCENT = re.compile(r"\bby\s+(\d+(?:\.\d+)?)\s*%")
_DOWN = ("cut", "reduce", "lower", "drop", "decrease", "fell", "fall", "lose")
TOPIC_WORDS: tuple[tuple[str, str], ...] = (
    ("dispute", "disputes"),
    ("chargeback", "disputes"),
    ("refund", "refunds"),
    ("failed payment", "failed-payments"),
    ("dunning", "failed-payments"),
    ("churn", "churn"),
    ("retention", "retention"),
    ("expansion", "expansion"),
    ("upsell", "expansion"),
    ("concentration", "concentration"),
    ("largest customer", "concentration"),
    ("payout", "payouts"),
    ("cash", "cash-flow"),
    ("runway", "cash-flow"),
    ("seasonal", "seasonality"),
    ("pricing", "pricing"),
    ("price", "pricing"),
    ("venture debt", "venture-debt"),
    ("revenue-based", "revenue-based-financing"),
    ("revenue based", "revenue-based-financing"),
    ("rbf", "revenue-based-financing"),
    ("sba", "bank-and-sba"),
    ("bank", "bank-and-sba"),
    ("data room", "data-room"),
    ("lender", "lenders"),
    ("stripe capital", "lenders"),
    ("growth", "growth"),
    ("score", "score"),
)


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


def _has(question: str, words: tuple[str, ...]) -> bool:
    """Any of `words` in the question, each starting at a word's start ("plan" in "plans" too,
    not in "explanation")."""
    return any(re.search(rf"(?<![a-z]){re.escape(w)}", question) for w in words)


def _personal(question: str) -> bool:
    """About the founder's own business ("do I qualify", "our churn"), not about practice in
    general ("what does a bank look at")."""
    return re.search(r"\b(i|i'm|me|my|we|we're|our|us)\b", question) is not None


def metric_in(question: str) -> str | None:
    q = question.lower()
    for words, metric in METRIC_WORDS:
        if re.search(rf"\b{re.escape(words)}", q):
            return metric
    return None


def topics_in(question: str) -> list[str]:
    q = question.lower()
    found: list[str] = []
    for words, topic in TOPIC_WORDS:
        if words in q and topic not in found:
            found.append(topic)
    return found


def route(question: str, business_id: str | None) -> list[Call]:
    """The tools a model would call for `question`, in order; `business_id` is the business the
    founder is looking at (None: ask which first)."""
    q = " ".join(question.lower().split())
    calls: list[Call] = []
    metric = metric_in(q)
    if _has(q, _LIST) or business_id is None:
        calls.append(Call("list_businesses"))
        if business_id is None:
            return calls
    b = {"business_id": business_id}
    if (_has(q, _WHAT_IF) or _CONDITIONAL.search(q)) and metric is not None:
        change = _change(q, metric)
        if change is not None:
            return [Call("simulate_score", {**b, "changes": [change]})]
    if _has(q, _TREND) and metric is not None:
        months = _MONTHS.search(q)
        n = max(1, min(36, int(months.group(1)))) if months else 12
        calls.append(Call("get_metric_history", {**b, "metric": metric, "months": n}))
    elif metric is not None and _has(q, _EXPLAIN) and not _has(q, _SCORE):
        calls.append(Call("explain_metric", {"metric": metric}))
    if _has(q, _LENDER) and _personal(q):
        lender = next((name for name in LENDERS if name in q), None)
        calls.append(Call("check_lender_fit", {**b, **({"lender": lender} if lender else {})}))
    if _has(q, _SCORE):
        calls.append(Call("get_readiness_breakdown", b))
    if _has(q, _PLAN):
        calls.append(Call("get_top_recommendations", {**b, "limit": 3}))
    if _has(q, _TOPICAL) or not calls or (_has(q, _HOW_TO) and _only_reads_data(calls)):
        topics = topics_in(q)
        calls.append(
            Call(
                "search_knowledge",
                {"query": question.strip()[:500]} | ({"topics": topics} if topics else {}),
            )
        )
    return calls


def _only_reads_data(calls: list[Call]) -> bool:
    """No call yet answers a how-to: metric values and definitions do not say what to do."""
    return all(c.name in ("get_metric_history", "explain_metric", "list_businesses") for c in calls)


def _change(q: str, metric: str) -> dict[str, Any] | None:
    """A what-if change from the question's words: "to 2 %" sets a ratio, "by 10 %" moves by a
    percentage (down when the question cuts, reduces or loses)."""
    to = _TO_PERCENT.search(q)
    if to is not None:
        return {"metric": metric, "set": str(Decimal(to.group(1)) / 100)}
    by = _BY_PERCENT.search(q)
    if by is not None:
        value = Decimal(by.group(1))
        return {"metric": metric, "change_by_percent": str(-value if _has(q, _DOWN) else value)}
    if "double" in q:
        return {"metric": metric, "change_by_percent": "100"}
    if "halve" in q or "half" in q:
        return {"metric": metric, "change_by_percent": "-50"}
    return None


# --- composing the answer ------------------------------------------------------------------


def compose(results: list[tuple[Call, dict[str, Any] | str]]) -> str:
    """The answer from each call's result (a dict) or its error (a string), in call order."""
    parts = [LABEL]
    for call, result in results:
        if isinstance(result, str):
            parts.append(f"{call.name} could not answer: {result}")
            continue
        writer = _WRITERS.get(call.name)
        if writer is not None:
            text = writer(result)
            if text:
                parts.append(text)
    if len(parts) == 1:
        parts.append("I found nothing in your data or the knowledge base for that question.")
    return "\n\n".join(parts)


def _breakdown(r: dict[str, Any]) -> str:
    lines = [
        f"Your readiness score is {r['score']} out of {r['max_score']} "
        f"({r['confidence']} confidence, as of {r['as_of']})."
    ]
    factors = r.get("top_factors") or []
    if factors:
        lines.append("What holds it back most:")
        for f in factors[:3]:
            lines.append(
                f"- {f['title']}: {f['points_lost']} points lost, up to {f['could_gain']} to gain."
            )
    weakest = sorted(r.get("components", []), key=lambda c: c["points"] - c["max_points"])[:3]
    for c in weakest:
        if c["points"] < c["max_points"]:
            lines.append(
                f"- {c['title']} scores {c['points']} of {c['max_points']}: {c['explanation']}"
            )
    if r.get("missing_data"):
        lines.append("Scored without data: " + "; ".join(r["missing_data"]) + ".")
    return "\n".join(lines)


def _recommendations(r: dict[str, Any]) -> str:
    recs = r.get("recommendations") or []
    if not recs:
        return "You have no open recommendations: nothing in your data calls for action now."
    lines = ["What to do this week, best first:"]
    for rec in recs:
        why = f" Why: {rec['why']}" if rec.get("why") else ""
        lines.append(
            f"- {rec['title']} (expected +{rec['expected_gain_points']} points, "
            f"{rec['effort']} effort, {rec['takes_effect']}).{why} [{rec['article']}]"
        )
    return "\n".join(lines)


def _history(r: dict[str, Any]) -> str:
    points = r.get("points") or []
    if not points:
        return f"{r['metric']} has no stored values yet."
    definition = BY_KEY[r["metric"]]
    shown = ", ".join(
        f"{p['month_end']}: {format_value(definition, p['value'], r.get('currency'))}"
        for p in points
    )
    return f"{r['metric']} at each month end: {shown}."


def _explain(r: dict[str, Any]) -> str:
    lines = [f"{r['metric']}: {r['meaning']}. Units: {r['units']}."]
    for s in r.get("scored_by", []):
        lines.append(
            f"The score grades it in {s['component']} ({s['criterion']}, up to "
            f"{s['max_points']} points; {'higher' if s['better'] == 'higher' else 'lower'} is "
            "better): " + "; ".join(f"{b['meaning']} earns {b['points']}" for b in s["bands"]) + "."
        )
    return "\n".join(lines)


def _simulation(r: dict[str, Any]) -> str:
    lines = [
        f"With that change your score would go from {r['score_before']} to {r['score_after']} "
        f"({r['confidence_after']} confidence)."
    ]
    for c in r.get("components_changed", []):
        lines.append(
            f"- {c['title']}: {c['points_before']} → {c['points_after']} of {c['max_points']}."
        )
    for m in r.get("lender_fit_changed", []):
        lines.append(f"- {m['lender']} {m['product']}: {m['before']} → {m['after']}.")
    return "\n".join(lines)


def _lenders(r: dict[str, Any]) -> str:
    lines = ["How you fit the lenders' published criteria:"]
    for p in r.get("products", []):
        gaps = "; ".join(g.get("gap", "") for g in p.get("unmet", []) if g.get("gap"))
        line = f"- {p['lender']} {p['product']}: {p['status'].replace('_', ' ')}."
        if gaps:
            line += f" Unmet: {gaps}."
        offer = p.get("offer")
        if offer:
            line += (
                f" Indicative offer {format_money(offer['low'], offer['currency'])} to "
                f"{format_money(offer['high'], offer['currency'])}."
            )
        lines.append(line)
    return "\n".join(lines)


def _knowledge(r: dict[str, Any]) -> str:
    passages = r.get("passages") or []
    if not passages:
        return ""
    lines = ["From Vaultra's knowledge base:"]
    for p in passages[:2]:
        sentences = re.split(r"(?<=[.!?])\s+", " ".join(p["text"].split()))
        lines.append(f"- {p['title']}: {' '.join(sentences[:2])} [{p['article']}]")
    return "\n".join(lines)


def _businesses(r: dict[str, Any]) -> str:
    found = r.get("businesses") or []
    if not found:
        return "You have no businesses yet."
    return "Your businesses: " + ", ".join(f"{b['name']} ({b['role']})" for b in found) + "."


_WRITERS = {
    "get_readiness_breakdown": _breakdown,
    "get_top_recommendations": _recommendations,
    "get_metric_history": _history,
    "explain_metric": _explain,
    "simulate_score": _simulation,
    "check_lender_fit": _lenders,
    "search_knowledge": _knowledge,
    "list_businesses": _businesses,
}
