"""Lender reports: made from stored data (the latest score, its metric run and the month ends
before it — never a live computation), kept through the object store, downloaded through
short-lived links.

A report is a PDF and a CSV under `businesses/<business>/reports/<report>/`, and a row that keeps
what the report says (`summary`). The files are stored first and the row written after: a row
always has its files, and files whose row could not be written are deleted at once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from vaultra.db.reports import ReportRow
from vaultra.db.unit_of_work import Database
from vaultra.domain.scoring.model import MODEL_VERSION
from vaultra.services.report_content import MONTHS, ReportContent
from vaultra.services.report_csv import render_csv
from vaultra.services.report_pdf import render_pdf
from vaultra.services.tenancy import Access, NotFound
from vaultra.storage import ObjectStore

log = logging.getLogger(__name__)

PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
MAX_PAGE = 100

__all__ = ["DownloadLinks", "NoScoreYet", "ReportRow", "Reports", "business_prefix"]


class NoScoreYet(Exception):
    """The business has no stored score to report on yet."""


@dataclass(frozen=True)
class DownloadLinks:
    pdf_url: str
    csv_url: str
    expires_at: datetime


def business_prefix(business_id: uuid.UUID) -> str:
    """Every stored object of a business lives under this prefix (deleted with it)."""
    return f"businesses/{business_id}/"


def report_prefix(business_id: uuid.UUID, report_id: uuid.UUID) -> str:
    return f"{business_prefix(business_id)}reports/{report_id}/"


def file_name(report: ReportRow, extension: str) -> str:
    return f"vaultra-report-{report.as_of.isoformat()}.{extension}"


class Reports:
    def __init__(
        self,
        db: Database,
        store: ObjectStore,
        *,
        link_ttl_s: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._store = store
        self._link_ttl = timedelta(seconds=link_ttl_s)
        self._clock = clock

    def create(self, access: Access, *, ip: str | None = None) -> ReportRow:
        """A new report of the business's latest stored score (`NoScoreYet` without one)."""
        access.require_owner()
        content = self._content(access.business_id)
        report_id = uuid.uuid4()
        prefix = report_prefix(access.business_id, report_id)
        stem = f"vaultra-report-{content.as_of.isoformat()}"
        pdf_key, csv_key = f"{prefix}{stem}.pdf", f"{prefix}{stem}.csv"
        self._store.put(pdf_key, render_pdf(content), PDF)
        try:
            self._store.put(csv_key, render_csv(content), CSV)
            with self._db.transaction() as uow:
                report = uow.reports.create(
                    report_id,
                    access.business_id,
                    created_by=access.user_id,
                    as_of=content.as_of,
                    model_version=content.versions.model,
                    pdf_key=pdf_key,
                    csv_key=csv_key,
                    summary=content.summary(),
                )
                uow.audit.record(
                    "report.created",
                    user_id=access.user_id,
                    business_id=access.business_id,
                    ip=ip,
                    detail={"report_id": str(report_id)},
                )
        except Exception:
            self._store.delete_prefix(prefix)
            raise
        return report

    def page(
        self, access: Access, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[ReportRow]:
        with self._db.snapshot() as uow:
            return uow.reports.page(access.business_id, after=after, limit=min(limit, MAX_PAGE))

    def get(self, access: Access, report_id: uuid.UUID) -> ReportRow:
        with self._db.snapshot() as uow:
            report = uow.reports.get(access.business_id, report_id)
        if report is None:
            raise NotFound("no such report")
        return report

    def links(self, report: ReportRow) -> DownloadLinks:
        """Links that download the report's files for a short while."""
        return DownloadLinks(
            self._store.download_url(
                report.pdf_key, self._link_ttl, filename=file_name(report, "pdf")
            ),
            self._store.download_url(
                report.csv_key, self._link_ttl, filename=file_name(report, "csv")
            ),
            self._clock() + self._link_ttl,
        )

    def delete_files_of(self, business_ids: list[uuid.UUID]) -> None:
        """Delete the stored files of businesses that are gone. After their rows went: a failure
        leaves files no row points to (logged, by id only), never a row without its files."""
        for business_id in business_ids:
            try:
                self._store.delete_prefix(business_prefix(business_id))
            except Exception:
                log.exception("could not delete the stored files of business %s", business_id)

    def _content(self, business_id: uuid.UUID) -> ReportContent:
        with self._db.snapshot() as uow:
            name = uow.reports.business_name(business_id)
            score = uow.reports.latest_score(business_id, MODEL_VERSION)
            if name is None:
                raise NotFound("no such business")
            if score is None:
                raise NoScoreYet(
                    "the business has no readiness score yet: connect Stripe or "
                    "load demo data, and try again once the first score exists"
                )
            runs = uow.reports.monthly_runs(
                business_id, score.metrics_policy_version, score.as_of, months=MONTHS
            )
            earlier = [run.as_of for run in runs if run.as_of != score.as_of]
            history = uow.reports.scores_on(business_id, MODEL_VERSION, earlier)
        return ReportContent(business_id, name, score, runs, history, self._clock())
