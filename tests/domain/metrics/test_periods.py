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
    scoring_day,
    twelve_months_before,
    whole_months_between,
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


def test_the_complete_months_are_the_twelve_before_ds_month() -> None:
    p = Periods(date(2026, 2, 15))
    # February 2025 … January 2026: February 2026 is in progress
    assert p.complete_months[0] == date(2025, 2, 1)
    assert p.complete_months[-1] == date(2026, 1, 1)
    assert len(p.complete_months) == 12
    # the scan holds both: the complete months, then D's month
    assert p.scanned_months == [*p.complete_months, date(2026, 2, 1)]
    assert p.series_months == p.scanned_months[1:]


@pytest.mark.parametrize(
    "day",
    [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 15), date(2026, 3, 30), date(2026, 3, 31)],
)
def test_the_complete_months_are_the_same_on_every_day_of_a_month(day: date) -> None:
    # 1 March to 31 March 2026 all read March 2025 … February 2026: even on the 31st, March is
    # not complete until its last day is over, and a value computed during that day must be the
    # one it has at its end
    assert Periods(day).complete_months == Periods(date(2026, 3, 1)).complete_months
    assert Periods(day).complete_months[-1] == date(2026, 2, 1)


def test_the_complete_months_move_on_only_when_a_month_is_over() -> None:
    # 28 February → 1 March 2026: February joins, February 2025 leaves
    before, after = Periods(date(2026, 2, 28)), Periods(date(2026, 3, 1))
    assert before.complete_months[-1] == date(2026, 1, 1)
    assert after.complete_months[-1] == date(2026, 2, 1)
    assert after.complete_months[0] == date(2025, 3, 1)


def test_the_12_months_ending_at_d_start_the_day_after_the_same_day_a_year_earlier() -> None:
    # 2026-02-15: 2025-02-16 … 2026-02-15, 365 days
    p = Periods(date(2026, 2, 15))
    assert p.year_start == utc(2025, 2, 16)
    assert p.end - p.year_start == timedelta(days=365)


@pytest.mark.parametrize(
    ("day", "start", "days"),
    [
        # the last day of a month and the first of the next: a whole year both times
        (date(2026, 1, 31), utc(2025, 2, 1), 365),
        (date(2026, 2, 1), utc(2025, 2, 2), 365),
        (date(2026, 2, 28), utc(2025, 3, 1), 365),
        (date(2026, 3, 1), utc(2025, 3, 2), 365),
        (date(2026, 4, 30), utc(2025, 5, 1), 365),
        (date(2026, 5, 1), utc(2025, 5, 2), 365),
        # as of a month's last day it is exactly the 12 calendar months ending with it
        (date(2026, 3, 31), utc(2025, 4, 1), 365),
        (date(2025, 12, 31), utc(2025, 1, 1), 365),
        # a window holding 29 February 2028 has 366 days
        (date(2028, 2, 29), utc(2027, 3, 1), 366),
        (date(2028, 3, 1), utc(2027, 3, 2), 366),
        (date(2029, 2, 28), utc(2028, 3, 1), 365),
    ],
)
def test_the_12_months_ending_at_d_never_lose_a_month_at_a_month_start(
    day: date, start: datetime, days: int
) -> None:
    p = Periods(day)
    assert p.year_start == start
    assert p.end - p.year_start == timedelta(days=days)


def test_the_30_days_are_d_minus_29_through_d() -> None:
    # 2026-03-01 − 29 days = 2026-01-31 (Mar 1: 1 day, Feb: 28, Jan 31: 1 → 30 days)
    p = Periods(date(2026, 3, 1))
    assert p.rolling_month_start == utc(2026, 1, 31)
    assert p.end - p.rolling_month_start == timedelta(days=30)
    # as of the 30th of a 30-day month, the 30 days are that calendar month exactly
    assert Periods(date(2026, 4, 30)).rolling_month_start == utc(2026, 4, 1)


def test_the_180_days_are_six_30_day_months_ending_at_d() -> None:
    # 2026-03-01 − 179 days = 2025-09-03 (March 1, February 28, January 31, December 31,
    # November 30, October 31: 152 days back to 2025-10-01; September 3 … 30: 28 more = 180)
    p = Periods(date(2026, 3, 1))
    assert p.half_year_start == utc(2025, 9, 3)
    assert p.end - p.half_year_start == timedelta(days=180)


def test_the_scan_starts_with_the_first_complete_month() -> None:
    # mid-month: February 2025, before the 12 months ending at D (2025-02-16) and the 90 days
    assert Periods(date(2026, 2, 15)).scan_start == utc(2025, 2, 1)
    # as of 31 March 2026: March 2025, the first of the 12 complete months before March 2026
    assert Periods(date(2026, 3, 31)).scan_start == utc(2025, 3, 1)
    for day in (date(2026, 2, 15), date(2026, 3, 31), date(2028, 2, 29), date(2026, 3, 1)):
        p = Periods(day)
        windows = (p.year_start, p.trailing_start, p.rolling_month_start, p.half_year_start)
        assert p.scan_start <= min(windows)


def test_month_index_places_a_moment_in_the_scanned_months() -> None:
    p = Periods(date(2026, 2, 15))
    assert month_index(utc(2025, 2, 1), p) == 0  # first complete month
    assert month_index(utc(2025, 3, 1), p) == 1  # first month of the published series
    assert month_index(utc(2025, 12, 31, 23, 59, 59), p) == 10
    assert month_index(utc(2026, 2, 28, 23), p) == 12  # D's month, even after D
    assert month_index(utc(2025, 1, 31, 23, 59, 59), p) == -1  # just before the scan
    assert month_index(utc(2026, 3, 1), p) == 13  # just after


def test_month_index_reads_the_utc_month_of_an_offset_datetime() -> None:
    p = Periods(date(2026, 2, 15))
    # 2026-02-01 01:00 at UTC+02:00 is 2026-01-31 23:00 UTC: January (index 11), not February
    assert month_index(datetime(2026, 2, 1, 1, tzinfo=timezone(timedelta(hours=2))), p) == 11
    # 2026-01-31 20:00 at UTC−05:00 is 2026-02-01 01:00 UTC: February (index 12)
    assert month_index(datetime(2026, 1, 31, 20, tzinfo=timezone(timedelta(hours=-5))), p) == 12


@pytest.mark.parametrize(
    ("first", "day", "months"),
    [
        (date(2026, 1, 15), date(2026, 2, 13), 0),
        (date(2026, 1, 15), date(2026, 2, 14), 1),  # 15 January … 14 February
        (date(2026, 1, 1), date(2026, 1, 30), 0),
        (date(2026, 1, 1), date(2026, 1, 31), 1),  # January, complete on its last day
        # a first day the month does not have: complete on the 1st of the month after
        (date(2026, 1, 31), date(2026, 2, 27), 0),
        (date(2026, 1, 31), date(2026, 2, 28), 1),
        (date(2026, 3, 31), date(2026, 4, 29), 0),
        (date(2026, 3, 31), date(2026, 4, 30), 1),
        (date(2024, 11, 26), date(2026, 11, 25), 24),  # two years to the day
        (date(2024, 11, 26), date(2026, 11, 24), 23),
        (date(2026, 2, 10), date(2026, 2, 9), 0),  # before the first day
    ],
)
def test_whole_months_are_counted_as_an_age_is(first: date, day: date, months: int) -> None:
    assert whole_months_between(first, day) == months


def test_whole_months_rise_on_the_anniversary_day_not_on_the_first_of_a_month() -> None:
    # first charge 20 January: 31 January → 1 February changes nothing; 18 → 19 February does
    first = date(2026, 1, 20)
    assert whole_months_between(first, date(2026, 1, 31)) == 0
    assert whole_months_between(first, date(2026, 2, 1)) == 0
    assert whole_months_between(first, date(2026, 2, 18)) == 0
    assert whole_months_between(first, date(2026, 2, 19)) == 1


@pytest.mark.parametrize(
    ("now", "day"),
    [
        (utc(2026, 3, 1, 0, 5), date(2026, 2, 28)),  # the tick after a month end: its last day
        (utc(2026, 3, 1), date(2026, 2, 28)),  # 28 February is over at 00:00:00
        (utc(2026, 3, 1, 23, 59, 59), date(2026, 2, 28)),
        (utc(2026, 3, 2, 6), date(2026, 3, 1)),
        (utc(2029, 1, 1, 0, 30), date(2028, 12, 31)),
        # 2026-03-01 01:00 at UTC+2 is 2026-02-28 23:00 UTC: 27 February is the last day over
        (datetime(2026, 3, 1, 1, tzinfo=timezone(timedelta(hours=2))), date(2026, 2, 27)),
    ],
)
def test_the_scoring_day_is_the_latest_utc_day_that_is_over(now: datetime, day: date) -> None:
    assert scoring_day(now) == day


def test_the_scoring_day_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        scoring_day(datetime(2026, 3, 1, 0, 5))
