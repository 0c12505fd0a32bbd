"""Dispute ratios on small numbers (score-3): a programme's line counts only from its count
minimum, as the card networks draw it, and the 90 days' lines only from a few disputes. The
profile is test_score's (88 points, disputes 0.1 %: 14 of 14) with the dispute inputs changed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from vaultra.domain.scoring.criteria import CountMinimums, Line
from vaultra.domain.scoring.model import DISPUTE_MINIMUMS
from vaultra.domain.scoring.score import score_metrics

from tests.domain.scoring.test_score import AT, PROFILE, points

D = Decimal
MONTH_LINES = dict(DISPUTE_MINIMUMS)["dispute_activity_ratio_30d"]


def disputes(ratio_30d: str, count_30d: int, ratio_90d: str, count_90d: int) -> dict[str, Any]:
    return {
        **PROFILE,
        "dispute_activity_ratio_30d": D(ratio_30d),
        "disputes_count_30d": count_30d,
        "dispute_activity_ratio_90d": D(ratio_90d),
        "disputes_count_90d": count_90d,
    }


def test_the_months_lines_are_the_networks_with_their_count_minimums() -> None:
    assert MONTH_LINES.lines == (
        Line(D("0.0065"), 75),  # VDMP early warning
        Line(D("0.009"), 100),  # VDMP standard
        Line(D("0.015"), 1500),  # VAMP excessive
        Line(D("0.018"), 1000),  # VDMP excessive
    )


def test_a_ratio_over_lines_it_has_not_established_counts_as_the_lowest_of_them() -> None:
    lines = CountMinimums("n", MONTH_LINES.lines, "")
    # 5 % on 4 disputes: over all four lines, none established → counts as 0.65 %
    assert lines.counted_as(D("0.05"), 4) == D("0.0065")
    # 1.9 % on 80: early warning established (80 ≥ 75), standard not (80 < 100) → 0.9 %
    assert lines.counted_as(D("0.019"), 80) == D("0.009")
    # 1.9 % on 1,200: VDMP excessive established (≥ 1,000), the highest line it is over → itself,
    # though VAMP's 1,500 is not reached: each programme is its own
    assert lines.counted_as(D("0.019"), 1200) == D("0.019")
    # 1.6 % on 1,200: over 0.65, 0.9 (established) and 1.5 (1,200 < 1,500) → 1.5 %
    assert lines.counted_as(D("0.016"), 1200) == D("0.015")
    # under every line, or the count unknown: the ratio itself
    assert lines.counted_as(D("0.005"), 1) == D("0.005")
    assert lines.counted_as(D("0.05"), None) == D("0.05")


def test_one_dispute_on_twenty_payments_is_not_a_programme_breach() -> None:
    # 1 ÷ 20 = 5 % over both windows: 1 dispute < 75 in the month, < 3 in 90 days, so both count
    # as 0.65 %, "below Visa's early-warning line": 11 of 14, and no ceiling
    score = score_metrics(disputes("0.05", 1, "0.05", 1), "usd", AT)

    assert points(score)["payment_risk"] == 11 + 4  # refunds 3 %: 4
    assert "dispute_ceiling" not in points(score)
    assert score.score == 88 - 3 == 85
    explained = score.component("payment_risk").explanation
    assert "5.00 % on 1 dispute, counted as 0.65 %" in explained
    # both windows earn 11: the first named, the month's, says why
    assert "Visa's programmes count a month's ratio only from 75 disputes (VDMP)" in explained


def test_three_disputes_in_90_days_make_a_pattern_the_ceiling_reads() -> None:
    # 3 disputes on 188 payments = 1.6 % over 90 days: established (3 ≥ 3), at or above 1.5 %:
    # 1 point of 14 and the score held at 40 (88 − 13 = 75, 35 held back)
    score = score_metrics(disputes("0.0", 0, "0.016", 3), "usd", AT)

    assert points(score)["payment_risk"] == 1 + 4
    assert points(score)["dispute_ceiling"] == 40 - 75
    assert score.score == 40
    assert "on 3 disputes" not in score.component("payment_risk").explanation  # not discounted


def test_a_month_over_vamps_line_below_its_1500_disputes_is_read_at_the_line_it_established() -> (
    None
):
    # 1.6 % on 1,200 disputes in 30 days (75,000 payments): VDMP's early warning and standard
    # lines are established, VAMP's 1.5 % is not (1,200 < 1,500): counted as 1.5 %, "under
    # VAMP's 1.5 %": 3 points (88 − 11 = 77). The ceiling is drawn on VAMP's line, which this
    # month has not crossed: no ceiling.
    score = score_metrics(disputes("0.016", 1200, "0.004", 2000), "usd", AT)

    assert points(score)["payment_risk"] == 3 + 4
    assert "dispute_ceiling" not in points(score)
    assert score.score == 88 - 11 == 77


def test_a_month_over_vdmps_excessive_line_with_its_1000_disputes_holds_the_score() -> None:
    # 1.9 % on 1,200 disputes: VDMP excessive (1.8 % and 1,000) established → 0 of 14 and the
    # ceiling: 88 − 14 = 74 before it, held at 40
    score = score_metrics(disputes("0.019", 1200, "0.004", 2000), "usd", AT)

    assert points(score)["payment_risk"] == 0 + 4
    assert points(score)["dispute_ceiling"] == 40 - 74
    assert score.score == 40
