"""The instants and windows of an as-of day, on hand-picked dates (periods.py).

"As of D" is the end of day D in UTC; windows are half-open `[start, end)`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from vaultra.domain.metrics.periods import (
    Periods,
    add_months,
    last_day_of_month,
    midnight,
    month_index,
    twelve_months_before,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "earlier"),
    [
        # an ordinary day: the same day a year earlier
        (date(2026, 3, 30), date(2025, 3, 30)),
        (date(2026, 1, 15), date(2025, 1, 15)),
        # month ends map to month ends
        (date(2026, 3, 31), date(2025, 3, 31)),
        (date(2026, 4, 30), date(2025, 4, 30)),
        (date(2026, 12, 31), date(2025, 12, 31)),
        # Feb 28 of a common year is a month end: the leap year's Feb 29, not Feb 28
        (date(2025, 2, 28), date(2024, 2, 29)),
        (date(2029, 2, 28), date(2028, 2, 29)),
        # Feb 29 has no twin: the month end of the year before
        (date(2024, 2, 29), date(2023, 2, 28)),
        (date(2028, 2, 29), date(2027, 2, 28)),
        # Feb 28 of a leap year is not a month end: plain Feb 28
        (date(2024, 2, 28), date(2023, 2, 28)),
        # Feb 27 before a leap year: plain
        (date(2025, 2, 27), date(2024, 2, 27)),
    ],
)
def test_twelve_months_before_keeps_the_day_or_the_month_end(day: date, earlier: date) -> None:
    assert twelve_months_before(day) == earlier


def test_add_months_goes_to_the_first_of_a_month_across_years() -> None:
    assert add_months(date(2026, 2, 15), 0) == date(2026, 2, 1)
    assert add_months(date(2026, 2, 15), -1) == date(2026, 1, 1)
    assert add_months(date(2026, 2, 15), -2) == date(2025, 12, 1)
    assert add_months(date(2026, 2, 15), -14) == date(2024, 12, 1)
    assert add_months(date(2026, 11, 30), 2) == date(2027, 1, 1)


def test_last_day_of_month_knows_leap_years() -> None:
    assert last_day_of_month(date(2024, 2, 10)) == date(2024, 2, 29)
    assert last_day_of_month(date(2025, 2, 10)) == date(2025, 2, 28)
    assert last_day_of_month(date(2026, 4, 1)) == date(2026, 4, 30)
    assert last_day_of_month(date(2026, 12, 31)) == date(2026, 12, 31)


def test_as_of_d_ends_at_the_next_midnight_utc() -> None:
    p = Periods(date(2026, 2, 15))
    assert midnight(date(2026, 2, 15)) == utc(2026, 2, 15)
    # everything strictly before 2026-02-16 00:00:00 UTC
    assert p.end == utc(2026, 2, 16)
    assert p.end.tzinfo is UTC


def test_as_of_a_month_end_ends_at_the_first_of_the_next_month() -> None:
    assert Periods(date(2026, 1, 31)).end == utc(2026, 2, 1)
    assert Periods(date(2025, 12, 31)).end == utc(2026, 1, 1)
    assert Periods(date(2028, 2, 29)).end == utc(2028, 3, 1)


def test_the_month_runs_from_its_first_day_to_the_end_of_d() -> None:
    p = Periods(date(2026, 2, 15))
    assert p.month_start == utc(2026, 2, 1)
    assert p.month_start_back(0) == utc(2026, 2, 1)
    assert p.month_start_back(1) == utc(2026, 1, 1)
    assert p.month_start_back(2) == utc(2025, 12, 1)
    # on the first of a month, the month is that single day
    first = Periods(date(2026, 3, 1))
    assert (first.month_start, first.end) == (utc(2026, 3, 1), utc(2026, 3, 2))


def test_the_series_is_the_twelve_calendar_months_ending_with_ds_month() -> None:
    p = Periods(date(2026, 2, 15))
    # March 2025 … February 2026, oldest first
    assert p.series_months == [
        date(2025, 3, 1),
        date(2025, 4, 1),
        date(2025, 5, 1),
        date(2025, 6, 1),
        date(2025, 7, 1),
        date(2025, 8, 1),
        date(2025, 9, 1),
        date(2025, 10, 1),
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert p.series_start == utc(2025, 3, 1)
    # December: January … December of the same year
    assert Periods(date(2026, 12, 31)).series_months[0] == date(2026, 1, 1)
    assert Periods(date(2026, 12, 31)).series_months[-1] == date(2026, 12, 1)


def test_the_90_days_are_d_minus_89_through_d() -> None:
    p = Periods(date(2026, 2, 15))
    # 2026-02-15 − 89 days = 2025-11-18 (Feb 15 … Feb 1: 15 days, Jan: 31, Dec: 31, Nov 18–30: 13;
    # 15 + 31 + 31 + 13 = 90 days)
    assert p.trailing_start == utc(2025, 11, 18)
    assert (p.end - p.trailing_start) == timedelta(days=90)
    # across Feb 29: 2028-05-28 − 89 days = 2028-02-29
    assert Periods(date(2028, 5, 28)).trailing_start == utc(2028, 2, 29)


def test_the_year_earlier_instant_is_the_end_of_the_day_twelve_months_before() -> None:
    assert Periods(date(2026, 2, 15)).year_earlier == date(2025, 2, 15)
    assert Periods(date(2026, 2, 15)).year_earlier_end == utc(2025, 2, 16)
    # 2025-02-28 → 2024-02-29, whose end is 2024-03-01 00:00
    assert Periods(date(2025, 2, 28)).year_earlier_end == utc(2024, 3, 1)
    # 2024-02-29 → 2023-02-28, whose end is 2023-03-01 00:00
    assert Periods(date(2024, 2, 29)).year_earlier_end == utc(2023, 3, 1)


def test_the_scan_starts_at_the_earlier_of_the_series_and_the_90_days() -> None:
    # mid-year: the series (2025-03-01) starts before the 90 days (2025-11-18)
    assert Periods(date(2026, 2, 15)).scan_start == utc(2025, 3, 1)
    # 12 months ending in March start in April 2025; 90 days are later still
    assert Periods(date(2026, 3, 31)).scan_start == utc(2025, 4, 1)


def test_month_index_places_a_moment_in_the_series() -> None:
    p = Periods(date(2026, 2, 15))
    assert month_index(utc(2025, 3, 1), p) == 0  # first series month
    assert month_index(utc(2025, 12, 31, 23, 59, 59), p) == 9
    assert month_index(utc(2026, 2, 28, 23), p) == 11  # D's month, even after D
    assert month_index(utc(2025, 2, 28, 23, 59, 59), p) == -1  # just before the series
    assert month_index(utc(2026, 3, 1), p) == 12  # just after


def test_month_index_reads_the_utc_month_of_an_offset_datetime() -> None:
    p = Periods(date(2026, 2, 15))
    # 2026-02-01 01:00 at UTC+02:00 is 2026-01-31 23:00 UTC: January (index 10), not February
    assert month_index(datetime(2026, 2, 1, 1, tzinfo=timezone(timedelta(hours=2))), p) == 10
    # 2026-01-31 20:00 at UTC−05:00 is 2026-02-01 01:00 UTC: February (index 11)
    assert month_index(datetime(2026, 1, 31, 20, tzinfo=timezone(timedelta(hours=-5))), p) == 11
