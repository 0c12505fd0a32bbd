"""The instants and windows of an as-of day (docs/METRICS.md, "Conventions").

"As of D" means the end of day D in UTC: everything strictly before D + 1 day 00:00 UTC. "The month"
is D's calendar month up to that instant. All windows are half-open `[start, end)`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

MONTHS_IN_SERIES = 12
DAYS_IN_TRAILING_WINDOW = 90


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
        """First days of the 12 calendar months ending with D's month, oldest first."""
        return [add_months(self.as_of, -k) for k in range(MONTHS_IN_SERIES - 1, -1, -1)]

    @property
    def series_start(self) -> datetime:
        return midnight(self.series_months[0])

    @property
    def trailing_start(self) -> datetime:
        """Start of the 90 days ending at D: days D − 89 … D inclusive."""
        return midnight(self.as_of - timedelta(days=DAYS_IN_TRAILING_WINDOW - 1))

    @property
    def year_earlier(self) -> date:
        return twelve_months_before(self.as_of)

    @property
    def year_earlier_end(self) -> datetime:
        """The end of the day twelve months before D (the NRR/GRR base instant)."""
        return midnight(self.year_earlier + timedelta(days=1))

    @property
    def scan_start(self) -> datetime:
        """The earliest instant any windowed money metric reads."""
        return min(self.series_start, self.trailing_start)


def month_index(moment: datetime, periods: Periods) -> int:
    """Position of `moment`'s UTC month in `periods.series_months` (may fall outside 0–11)."""
    moment = moment.astimezone(UTC)
    first = periods.series_months[0]
    return (moment.year * 12 + moment.month) - (first.year * 12 + first.month)
