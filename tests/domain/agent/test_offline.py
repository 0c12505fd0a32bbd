"""The offline agent's rules: which tools a question routes to, with which arguments, and an answer
composed from the results that states only their numbers."""

from __future__ import annotations

from typing import Any

import pytest
from vaultra.domain.agent.grounding import check
from vaultra.domain.agent.offline import Call, compose, route

B = "8c1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"


def names(question: str) -> list[str]:
    return [c.name for c in route(question, B)]


@pytest.mark.parametrize(
    ("question", "tools"),
    [
        ("What's hurting my funding readiness?", ["get_readiness_breakdown"]),
        ("What should I do this week?", ["get_top_recommendations"]),
        ("Do I qualify for Stripe Capital?", ["check_lender_fit"]),
        ("How has my MRR trended over the last 6 months?", ["get_metric_history"]),
        ("What is net revenue retention?", ["explain_metric"]),
        ("How does revenue-based financing work?", ["search_knowledge"]),
        ("Which businesses do I have?", ["list_businesses"]),
    ],
)
def test_a_question_routes_to_the_tools_that_answer_it(question: str, tools: list[str]) -> None:
    assert names(question) == tools


def test_arguments_come_from_the_question() -> None:
    [history] = route("Show my churn over the last 6 months", B)
    assert history == Call(
        "get_metric_history", {"business_id": B, "metric": "customer_churn_rate", "months": 6}
    )
    [lender] = route("Am I eligible for Lighter Capital?", B)
    assert lender.arguments == {"business_id": B, "lender": "lighter capital"}


@pytest.mark.parametrize(
    ("question", "change"),
    [
        # "to 2 %" sets the ratio: 2 ÷ 100 = 0.02
        ("What if I cut my refund rate to 2%?", {"metric": "refund_rate_90d", "set": "0.02"}),
        # "by 20 %" moves it by a percentage of itself, down when the question cuts
        ("What if MRR grew by 20%?", {"metric": "mrr", "change_by_percent": "20"}),
        (
            "What if I reduce disputes by 50%?",
            {"metric": "dispute_activity_ratio_month", "change_by_percent": "-50"},
        ),
    ],
)
def test_a_what_if_becomes_one_typed_change(question: str, change: dict[str, Any]) -> None:
    assert route(question, B) == [Call("simulate_score", {"business_id": B, "changes": [change]})]


def test_without_a_business_in_view_it_asks_which_businesses_there_are() -> None:
    assert route("How ready am I?", None) == [Call("list_businesses")]


def test_the_answer_states_only_the_results_numbers_and_passes_the_grounding_check() -> None:
    breakdown = {
        "score": 58,
        "max_score": 100,
        "confidence": "high",
        "as_of": "2026-11-20",
        "components": [
            {
                "key": "risk",
                "title": "Payment risk",
                "points": 6,
                "max_points": 20,
                "explanation": "dispute activity above 0.65 %",
                "inputs": {},
            },
        ],
        "top_factors": [
            {"key": "risk", "title": "Payment risk", "points_lost": 14, "could_gain": 11}
        ],
        "missing_data": [],
    }
    history = {
        "metric": "mrr",
        "kind": "money",
        "currency": "usd",
        "points": [{"month_end": "2026-10-31", "value": 1_950_000}],
    }
    calls = [Call("get_readiness_breakdown", {"business_id": B}), Call("get_metric_history", {})]
    answer = compose(list(zip(calls, [breakdown, history], strict=True)))

    assert "Your readiness score is 58 out of 100 (high confidence, as of 2026-11-20)." in answer
    assert "- Payment risk: 14 points lost, up to 11 to gain." in answer
    assert "mrr at each month end: 2026-10-31: 19,500.00 USD." in answer  # 1,950,000 ÷ 100
    assert check(answer, [breakdown, history]).ok


def test_a_tool_refusal_is_said_plainly() -> None:
    answer = compose([(Call("check_lender_fit", {}), "this business has no score yet")])
    assert "check_lender_fit could not answer: this business has no score yet" in answer
