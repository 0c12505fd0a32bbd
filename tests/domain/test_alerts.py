"""Alerts at their edges: what is raised, and the key that makes each one raised only once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from vaultra.domain.alerts import Reading, alerts

DAY, YESTERDAY = date(2026, 11, 26), date(2026, 11, 25)


def kinds(current: Reading, previous: Reading | None = None) -> list[str]:
    return [a.kind for a in alerts(current, previous)]


def test_a_drop_of_five_points_is_an_alert_and_four_is_not() -> None:
    assert kinds(Reading(DAY, 70, {}), Reading(YESTERDAY, 75, {})) == ["score_drop"]
    assert kinds(Reading(DAY, 71, {}), Reading(YESTERDAY, 75, {})) == []
    assert kinds(Reading(DAY, 70, {})) == []  # no day before: nothing to compare with


def test_dispute_lines_are_crossed_at_0_65_and_1_2_percent_not_while_staying_above() -> None:
    at = {"dispute_activity_ratio_30d": Decimal("0.0065")}
    near_vamp = {"dispute_activity_ratio_90d": Decimal("0.012")}
    below = {"dispute_activity_ratio_30d": Decimal("0.006499")}

    assert kinds(Reading(DAY, 60, at), Reading(YESTERDAY, 60, below)) == ["dispute_early_warning"]
    assert kinds(Reading(DAY, 60, near_vamp), Reading(YESTERDAY, 60, at)) == ["dispute_vamp"]
    assert kinds(Reading(DAY, 60, at), Reading(YESTERDAY, 60, at)) == []


def test_a_failed_payout_is_keyed_by_its_date_and_stale_data_by_the_sync_it_last_saw() -> None:
    failed = {"payouts_failed_90d": 1, "last_payout_failure_at": "2026-11-20T00:00:00+00:00"}
    stale = {"data_age_hours": 49, "last_synced_at": "2026-11-24T07:00:00+00:00"}

    [payout] = alerts(Reading(DAY, 60, failed), None)
    [old] = alerts(Reading(DAY, 60, stale), None)

    assert payout.dedupe_key == "payout_failed:2026-11-20T00:00:00+00:00"
    assert old.dedupe_key == "stale_data:2026-11-24T07:00:00+00:00"
    assert kinds(Reading(DAY, 60, {**stale, "data_age_hours": 48})) == []
