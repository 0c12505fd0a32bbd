"""The instants and windows of an as-of day (docs/METRICS.md, "Conventions").

"As of D" means the end of day D in UTC: everything strictly before D + 1 day 00:00 UTC. All windows
are half-open `[start, end)`. Two kinds of window never depend on how far into its calendar month
D is, and they are the only ones the score reads:

- trailing windows, which end at D and always have the same length (the 30 and 90 days ending at
  D, the 12 months ending at D);
- complete months: the calendar months before D's month. They are over whether D itself is over
  or not, so a value computed during the day D is the one it has at its end.

"The month" (D's calendar month up to D) is still computed for the month-to-date metrics people
read, and never scored.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

MONTHS_IN_SERIES = 12
# The months the ledger query buckets charges into: the 12 complete months before D's month and
# D's month itself. The published monthly series is the last 12 of them, the scored one the
# first 12.
MONTHS_SCANNED = MONTHS_IN_SERIES + 1
DAYS_IN_TRAILING_WINDOW = 90
DAYS_IN_ROLLING_MONTH = 30
MONTHS_IN_YEAR = 12
MONTHS_IN_QUARTER = 3  # the year-on-year comparison: the last three complete months
# The seasonal pattern is read from the 12 months before the complete months: 24 complete months.
MONTHS_OF_SEASONAL_HISTORY = 2 * MONTHS_IN_YEAR
ROLLING_MONTHS_IN_HALF_YEAR = 6  # MRR's compound growth is over six 30-day months: 180 days


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def add_months(month: date, months: int) -> date:
    """First day of the month `months` after the month of `month` (negative goes back)."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_day_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def twelve_months_before(day: date) -> date:
    """The same day a year earlier, or that month's last day when `day` is a month end.

    2026-03-31 → 2025-03-31, 2025-02-28 → 2024-02-29 (month end to month end),
    2024-02-29 → 2023-02-28, 2026-03-30 → 2025-03-30.
    """
    if day == last_day_of_month(day):
        return last_day_of_month(add_months(day, -12))
    return day.replace(year=day.year - 1)


def whole_months_between(first: date, day: date) -> int:
    """Whole months from the start of `first` to the end of `day`, counted as an age is: one on
    the day before the first monthly anniversary of `first` (2026-01-15 → 2026-02-14 is one
    month), none before it; 0 when `day` is before `first`."""
    after = day + timedelta(days=1)
    months = (after.year * 12 + after.month) - (first.year * 12 + first.month)
    if after.day < first.day:
        months -= 1
    return max(0, months)


def scoring_day(now: datetime) -> date:
    """The latest UTC day that is over at `now`: the day a daily refresh running at `now`
    computes and scores, so that no trailing window it reads is cut short by a day in progress.

    A refresh at 2026-03-01 00:05 UTC scores 2026-02-28; one at 2026-03-01 23:59 too.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("scoring_day needs an aware datetime, e.g. datetime.now(UTC)")
    return (now.astimezone(UTC) - timedelta(days=1)).date()


@dataclass(frozen=True)
class Periods:
    as_of: date

    @property
    def end(self) -> datetime:
        """The end of D: the first instant not included."""
        return midnight(self.as_of + timedelta(days=1))

    @property
    def month_start(self) -> datetime:
        return midnight(self.as_of.replace(day=1))

    def month_start_back(self, months: int) -> datetime:
        """Start of the calendar month `months` before D's month (0 = D's month)."""
        return midnight(add_months(self.as_of, -months))

    @property
    def series_months(self) -> list[date]:
        """First days of the 12 calendar months ending with D's month, oldest first (the
        published monthly series; D's month is in progress)."""
        return self.scanned_months[1:]

    @property
    def complete_months(self) -> list[date]:
        """First days of the 12 complete calendar months before D's month, oldest first."""
        return self.scanned_months[:-1]

    @property
    def scanned_months(self) -> list[date]:
        """First days of the 13 calendar months ending with D's month, oldest first."""
        return [add_months(self.as_of, -k) for k in range(MONTHS_SCANNED - 1, -1, -1)]

    @property
    def series_start(self) -> datetime:
        return midnight(self.series_months[0])

    @property
    def trailing_start(self) -> datetime:
        """Start of the 90 days ending at D: days D − 89 … D inclusive."""
        return midnight(self.as_of - timedelta(days=DAYS_IN_TRAILING_WINDOW - 1))

    @property
    def rolling_month_start(self) -> datetime:
        """Start of the 30 days ending at D: days D − 29 … D inclusive. Also the instant MRR is
        compared with for its growth over those 30 days."""
        return midnight(self.as_of - timedelta(days=DAYS_IN_ROLLING_MONTH - 1))

    @property
    def half_year_start(self) -> datetime:
        """Start of the 180 days (six 30-day months) ending at D: days D − 179 … D. MRR at this
        instant is the base of its six-month compound growth."""
        days = DAYS_IN_ROLLING_MONTH * ROLLING_MONTHS_IN_HALF_YEAR
        return midnight(self.as_of - timedelta(days=days - 1))

    @property
    def year_earlier(self) -> date:
        return twelve_months_before(self.as_of)

    @property
    def year_earlier_end(self) -> datetime:
        """The end of the day twelve months before D (the NRR/GRR base instant)."""
        return midnight(self.year_earlier + timedelta(days=1))

    @property
    def year_start(self) -> datetime:
        """Start of the 12 months ending at D: the day after the same day a year earlier, so the
        window is always a whole year (365 days, 366 across a 29 February) and, as of a month's
        last day, exactly the 12 calendar months ending with it."""
        return self.year_earlier_end

    @property
    def quarter_year_earlier(self) -> tuple[datetime, datetime]:
        """The three complete months before D's month, a year earlier: the base the last three
        complete months are compared with year on year (the same season)."""
        return (
            self.month_start_back(MONTHS_IN_QUARTER + MONTHS_IN_YEAR),
            self.month_start_back(MONTHS_IN_YEAR),
        )

    @property
    def year_earlier_months(self) -> list[date]:
        """First days of the 12 calendar months before the complete months (24 … 13 months
        before D's month), oldest first: the year a seasonal pattern is read from. Its last three
        are the year-on-year base (`quarter_year_earlier`)."""
        return [
            add_months(self.as_of, -k)
            for k in range(MONTHS_OF_SEASONAL_HISTORY, MONTHS_IN_YEAR, -1)
        ]

    @property
    def scan_start(self) -> datetime:
        """The earliest instant any windowed money metric reads: the first scanned month (the
        12 months ending at D and the 90 and 30 days all start later)."""
        return midnight(self.scanned_months[0])


def month_index(moment: datetime, periods: Periods) -> int:
    """Position of `moment`'s UTC month in `periods.scanned_months` (may fall outside 0–12)."""
    moment = moment.astimezone(UTC)
    first = periods.scanned_months[0]
    return (moment.year * 12 + moment.month) - (first.year * 12 + first.month)
