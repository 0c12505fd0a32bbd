"""What the dashboard reads, and the two things a founder changes there: a recommendation's status
and which notifications were read.

Everything is read from stored rows — the scores, metric snapshots and recommendations the
pipeline saved — never computed on a request, so a dashboard load costs a few indexed reads
whatever the size of the ledger. Every method takes the caller's `Access` to one business
(`vaultra.services.tenancy`): nothing here can be reached by a business id alone.

Writes are the owner's: a viewer (an adviser, a co-founder watching) reads everything but changes
nothing a business's owner relies on — marking a recommendation done takes it out of this week's
plan, and marking an alert read hides it from the owner's unread count.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, cast

from vaultra.db.dashboard_queries import (
    MetricPoint,
    NotificationRow,
    RecommendationRow,
    ScorePoint,
)
from vaultra.db.unit_of_work import Database, UnitOfWork
from vaultra.domain.metrics.catalog import BY_KEY, Kind
from vaultra.domain.metrics.periods import add_months
from vaultra.domain.money import minor_units_per_unit
from vaultra.domain.readiness import THIS_WEEK
from vaultra.domain.scoring.criteria import THRESHOLD_CURRENCY
from vaultra.domain.scoring.model import CRITERIA, MODEL_VERSION
from vaultra.services.readiness import Status
from vaultra.services.tenancy import Access, NotFound

__all__ = [
    "MetricPoint",
    "NotificationRow",
    "RecommendationRow",
    "ScorePoint",
]

BackfillState = Literal["not_started", "running", "succeeded", "failed"]
Granularity = Literal["daily", "monthly"]
Range = Literal["30d", "90d", "6m", "12m", "24m", "all"]
# A range counts back from the latest day with a value: (days, calendar months), one of the two.
RANGES: dict[Range, tuple[int | None, int | None]] = {
    "30d": (30, None),
    "90d": (90, None),
    "6m": (None, 6),
    "12m": (None, 12),
    "24m": (None, 24),
    "all": (None, None),
}
HISTORY_DEFAULT_DAYS = 365
HISTORY_MAX_DAYS = 3_660  # ten years of daily points, the most one answer holds
MAX_NOTIFICATIONS_PAGE = 100


class UnknownMetric(LookupError):
    """No metric with that key in the catalog."""


class NotScoredYet(LookupError):
    """The business has no score under the current model yet."""


class InvalidPeriod(ValueError):
    """A score history whose `from` is after its `to`, or that spans too long."""


@dataclass(frozen=True)
class Sync:
    """What ingestion is doing, in the few fields the dashboard's status line needs."""

    stripe_account: str | None
    livemode: bool | None
    last_event_at: datetime | None
    backfill: BackfillState
    backfill_started_at: datetime | None
    backfill_finished_at: datetime | None
    months_imported: int
    objects_imported: int


@dataclass(frozen=True)
class Summary:
    as_of: date | None
    model_version: str
    score: int | None
    confidence: str | None
    components: list[dict[str, Any]]
    top_factors: list[dict[str, Any]]
    missing: list[str]
    currency: str | None
    scored_at: datetime | None
    data_through: str | None
    last_synced_at: str | None  # when Stripe was last heard from: the score's freshness
    sync: Sync


@dataclass(frozen=True)
class LenderFitView:
    as_of: date
    model_version: str
    criteria_version: str
    currency: str | None
    products: list[dict[str, Any]]  # `LenderFit.to_json()` as the score stored it


@dataclass(frozen=True)
class MetricSeries:
    metric: str
    kind: Kind
    granularity: Granularity
    range: Range
    start: date | None  # None when the metric has no stored value yet
    end: date | None
    currency: str | None
    points: list[MetricPoint]


@dataclass(frozen=True)
class NotificationPage:
    items: list[NotificationRow]
    more: bool
    unread: int


def range_start(end: date, chosen: Range) -> date:
    """The first day of a range ending at `end`: N days counts `end` as the last of them; N months
    starts on the first of the month N − 1 months before `end`'s, so a monthly series of 12m has
    exactly 12 points."""
    days, months = RANGES[chosen]
    if days is not None:
        return end - timedelta(days=days - 1)
    if months is not None:
        return add_months(end.replace(day=1), -(months - 1))
    return date.min


class Dashboard:
    model_version = MODEL_VERSION  # the score model whose rows every read answers from

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- reads -----------------------------------------------------------------------------

    def summary_in(self, uow: UnitOfWork, access: Access) -> Summary:
        """The latest score and what ingestion is doing, in the caller's unit of work: one
        statement, so it may run outside a transaction (`Tenancy.read_as`, which checks the
        access on the same connection just before: the dashboard's most frequent read costs one
        checkout and two statements)."""
        row = uow.dashboard.summary(access.business_id)
        if row is None:  # deleted since the access was checked
            raise NotFound("no such business")
        sync = Sync(
            stripe_account=row.account_id,
            livemode=row.livemode,
            last_event_at=row.last_event_at,
            backfill=_backfill_state(row.backfill_status),
            backfill_started_at=row.backfill_started_at,
            backfill_finished_at=row.backfill_finished_at,
            months_imported=int(row.months_done),
            objects_imported=int(row.objects),
        )
        return Summary(
            as_of=row.as_of,
            model_version=MODEL_VERSION,
            score=row.score,
            confidence=row.confidence,
            components=components_in_minor_units(row.components or []),
            top_factors=row.top_factors or [],
            missing=row.missing or [],
            currency=row.currency,
            scored_at=row.scored_at,
            data_through=row.data_through,
            last_synced_at=row.last_synced_at,
            sync=sync,
        )

    def lender_fit(self, access: Access) -> LenderFitView:
        with self._db.snapshot() as uow:
            latest = uow.dashboard.latest_score(access.business_id)
        if latest is None:
            raise NotScoredYet("the business has no score yet")
        return LenderFitView(
            latest.as_of,
            MODEL_VERSION,
            latest.lender_criteria_version,
            latest.currency,
            latest.lender_fit,
        )

    def score_history(
        self, access: Access, start: date | None, end: date | None
    ) -> list[ScorePoint]:
        """One point per scored day under the current model, oldest first. Without `end`, up to
        the latest scored day; without `start`, the year before `end`."""
        if start is not None and end is not None:
            if start > end:
                raise InvalidPeriod(f"`from` ({start}) is after `to` ({end})")
            if (end - start).days >= HISTORY_MAX_DAYS:
                raise InvalidPeriod(f"a history spans at most {HISTORY_MAX_DAYS} days")
        with self._db.snapshot() as uow:
            return uow.dashboard.score_history(
                access.business_id, start, end, default_days=HISTORY_DEFAULT_DAYS - 1
            )

    def metric_series(
        self, access: Access, metric: str, chosen: Range, granularity: Granularity
    ) -> MetricSeries:
        """A metric's stored values over a range that ends at its latest stored day: every day
        (`daily`) or each month's latest day (`monthly`)."""
        definition = BY_KEY.get(metric)
        if definition is None:
            raise UnknownMetric(f"{metric!r} is not a metric")
        with self._db.snapshot() as uow:
            end = uow.dashboard.latest_metric_day(access.business_id, metric)
            if end is None:
                points: list[MetricPoint] = []
                start = None
            else:
                start = range_start(end, chosen)
                points = uow.dashboard.metric_series(
                    access.business_id, metric, start, end, monthly=granularity == "monthly"
                )
        return MetricSeries(
            metric=metric,
            kind=definition.kind,
            granularity=granularity,
            range=chosen,
            start=start if points else None,
            end=end,
            currency=points[-1].currency if points else None,
            points=points,
        )

    def recommendations(self, access: Access) -> list[RecommendationRow]:
        """What the data triggers now, in plan order, each with the founder's status and whether
        it is in this week's plan."""
        with self._db.snapshot() as uow:
            return uow.dashboard.recommendations(access.business_id, this_week=THIS_WEEK)

    def notifications(
        self,
        access: Access,
        *,
        unread_only: bool,
        before: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> NotificationPage:
        """Newest first, a page at a time, with the unread count for the badge."""
        limit = min(limit, MAX_NOTIFICATIONS_PAGE)
        with self._db.snapshot() as uow:
            found = uow.dashboard.notifications(
                access.business_id, unread_only=unread_only, before=before, limit=limit + 1
            )
            unread = uow.dashboard.unread_count(access.business_id)
        return NotificationPage(found[:limit], len(found) > limit, unread)

    # --- the owner's changes ---------------------------------------------------------------

    def set_recommendation_status(
        self, access: Access, key: str, status: Status, *, ip: str | None = None
    ) -> RecommendationRow:
        """Only a recommendation the data triggers now can be marked; its status then survives
        every recompute (and a later reappearance)."""
        access.require_owner()
        with self._db.transaction() as uow:
            b = access.business_id
            if not uow.dashboard.recommendations(b, this_week=THIS_WEEK, key=key):
                raise NotFound(f"no current recommendation {key!r}")
            uow.readiness.set_status(b, key, status)
            uow.audit.record(
                "recommendation.status_set",
                user_id=access.user_id,
                business_id=b,
                ip=ip,
                detail={"key": key, "status": status},
            )
            [row] = uow.dashboard.recommendations(b, this_week=THIS_WEEK, key=key)
        return row

    def mark_read(self, access: Access, notification_id: uuid.UUID) -> NotificationRow:
        access.require_owner()
        with self._db.transaction() as uow:
            if not uow.readiness.mark_read(access.business_id, notification_id):
                raise NotFound("no such notification")
            row = uow.dashboard.notification(access.business_id, notification_id)
        assert row is not None  # marked in this transaction
        return row

    def mark_all_read(self, access: Access) -> int:
        """How many were unread."""
        access.require_owner()
        with self._db.transaction() as uow:
            return uow.readiness.mark_all_read(access.business_id)


def components_in_minor_units(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored components with each threshold's `label` and `unit`, and money bands in integer
    minor units like every other amount the API answers. The score writes money bands in whole US dollars and
    compares another currency with them only at a rate Stripe applied (docs/SCORING.md,
    "Currencies"), so the limits are given as they are, in US cents, with `currency`."""
    per_unit = minor_units_per_unit(THRESHOLD_CURRENCY)
    out = []
    for component in components:
        thresholds = []
        for threshold in component.get("thresholds", []):
            criterion = CRITERIA.get(threshold.get("criterion", ""))
            unit = criterion.unit if criterion is not None else None
            if unit == "money":
                bands = [
                    {**band, "limit": int(Decimal(str(band["limit"])) * per_unit)}
                    for band in threshold.get("bands", [])
                ]
                threshold = {**threshold, "bands": bands, "currency": THRESHOLD_CURRENCY}
            label = criterion.label if criterion is not None else threshold.get("criterion", "")
            thresholds.append({**threshold, "label": label, "unit": unit})
        out.append({**component, "thresholds": thresholds})
    return out


def _backfill_state(status: str | None) -> BackfillState:
    """The latest backfill run's status (job_runs: running | succeeded | failed), or none yet."""
    return cast(BackfillState, status) if status is not None else "not_started"
