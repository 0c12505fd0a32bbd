"""The grounding check, on hand-made answers and tool results with the arithmetic written out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from vaultra.domain.agent.grounding import check, flag, stated_numbers

BREAKDOWN = {
    "score": 62,
    "max_score": 100,
    "as_of": "2026-11-20",
    "components": [
        {
            "title": "Payment risk",
            "points": 9,
            "max_points": 20,
            "explanation": "dispute activity 0.81 % is above Visa's 0.65 % early-warning line",
            "inputs": {"mrr": 2_000_000, "refund_rate_90d": 0.0312, "hhi_12m": 1834},
        }
    ],
}


def unsupported(answer: str, question: str = "") -> list[str]:
    return [s.text for s in check(answer, [BREAKDOWN], question).ungrounded]


@pytest.mark.parametrize(
    "answer",
    [
        "Your score is 62 out of 100.",  # 62 and 100 are leaves of the result
        "MRR is $20,000.",  # 2,000,000 minor units ÷ 100 = 20,000
        "MRR is $20,000.00 a month.",  # the same, to the cent
        "MRR is about $20K.",  # 20 × 1,000 = 20,000; "20K" stands for 19,500 … 20,500
        "Refunds are 3.12 % of volume.",  # 0.0312 × 100 = 3.12
        "Refunds are 3.1% of volume.",  # 3.12 rounds to 3.1 (3.05 … 3.15)
        "Refunds are about 3 %.",  # 3.12 is within 2.5 … 3.5
        "Disputes at 0.81 % are over the 0.65 % line.",  # numbers written inside a string
        "Payment risk scores 9 of 20.",  # 9 is small (≤ 10, not checked); 20 is a leaf
        "Concentration (HHI) is 1,834.",  # a leaf, written with a thousands separator
        "As of 2026-11-20 your score was 62.",  # a date is not a measure
        "1. Lower refunds\n2. Fight disputes",  # list markers
        "Model score-2 and article kb-refund-reduction#3.",  # numbers glued to words
    ],
)
def test_numbers_from_the_tool_results_in_any_usual_form_pass(answer: str) -> None:
    assert unsupported(answer) == []


@pytest.mark.parametrize(
    ("answer", "wrong"),
    [
        ("Your score is 69 out of 100.", ["69"]),  # 62 + 7
        ("MRR is $27,400.", ["$27,400"]),  # 20,000 × 1.37
        ("MRR is $2,000.", ["$2,000"]),  # a factor of ten off: 200,000 is in no result
        ("Refunds are 4.1 %.", ["4.1 %"]),  # 3.12 + 1 pp is not within 4.05 … 4.15 of any
        ("Refunds are 3.2%.", ["3.2%"]),  # 3.12 is outside 3.15 … 3.25
        ("Disputes fell 25% last month.", ["25%"]),  # nothing supports 25 or 0.25
        ("You could borrow $1.5M.", ["$1.5M"]),  # 1,450,000 … 1,550,000: in no result
        ("Customers: 1,200.", ["1,200"]),
    ],
)
def test_a_number_from_nowhere_is_found(answer: str, wrong: list[str]) -> None:
    assert unsupported(answer) == wrong


def test_the_question_itself_supports_its_own_numbers() -> None:
    # "what if I cut refunds to 2 %": the answer may repeat the founder's 2 %
    assert unsupported("At 2 % refunds, ...", question="What if I cut refunds to 2 %?") == []
    assert unsupported("At 2 % refunds, ...") == ["2 %"]


def test_each_stated_number_carries_the_resolution_it_was_written_at() -> None:
    [rounded, exact, thousands] = stated_numbers("3.1 %, 3.125 and $20K")
    assert (rounded.value, rounded.resolution, rounded.percent) == (
        Decimal("3.1"),
        Decimal("0.05"),
        True,
    )
    assert (exact.value, exact.resolution) == (Decimal("3.125"), Decimal("0.0005"))
    assert (thousands.value, thousands.resolution) == (Decimal(20_000), Decimal(500))


def test_flagging_marks_each_unsupported_number_where_it_stands() -> None:
    answer = "Your score is 69; refunds 3.12 %."
    grounding = check(answer, [BREAKDOWN])
    assert flag(answer, grounding.ungrounded) == "Your score is 69 [unverified]; refunds 3.12 %."
