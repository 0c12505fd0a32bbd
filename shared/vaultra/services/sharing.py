"""Share a report with a lender: a read-only link that expires and can be revoked, each view
logged (when, from which address and browser, what was seen) for the founder to see.

The link's token is shown once and stored as its hash. Whoever holds a live token sees that one
report's summary and files — nothing else of the business. A token that is unknown, expired or
revoked answers the same "not found", so a token's history is never revealed. Sharing sends
financial data outside Vaultra: only an owner whose email address is verified may do it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from vaultra.db.sharing import ShareLinkRow, ShareViewRow
from vaultra.db.unit_of_work import Database
from vaultra.services.auth_tokens import new_secret, secret_hash
from vaultra.services.email_verification import EmailNotVerified
from vaultra.services.reports import file_name
from vaultra.services.tenancy import Access, NotFound
from vaultra.storage import ObjectMissing, ObjectStore, StoredObject

TOKEN_PREFIX = "vlt_sh_"
MAX_TOKEN = 100
MAX_LABEL = 200
MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 90, 14
MAX_PAGE = 100

What = Literal["summary", "pdf", "csv"]

__all__ = [
    "CreatedShare",
    "InvalidShare",
    "LinkGone",
    "ShareLinkRow",
    "ShareViewRow",
    "SharedReport",
    "Sharing",
]


class InvalidShare(ValueError):
    """A label or an expiry the rules refuse; the message says which."""


class LinkGone(LookupError):
    """No live share link with this token (unknown, expired or revoked: never said which)."""


@dataclass(frozen=True)
class CreatedShare:
    link: ShareLinkRow
    token: str  # shown once


@dataclass(frozen=True)
class SharedReport:
    """What a live link shows: the report's summary, and its file when one was asked for."""

    label: str
    expires_at: datetime
    report_id: uuid.UUID
    created_at: datetime
    summary: dict[str, Any]
    file: StoredObject | None = None
    filename: str | None = None


def clean_label(label: str) -> str:
    label = " ".join(label.split())
    if not label:
        raise InvalidShare("the label must not be empty")
    if len(label) > MAX_LABEL:
        raise InvalidShare(f"the label must be at most {MAX_LABEL} characters")
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in label):
        raise InvalidShare("the label must not contain control characters")
    return label


class Sharing:
    def __init__(
        self,
        db: Database,
        store: ObjectStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._store = store
        self._clock = clock

    # --- the founder's side ---------------------------------------------------------------

    def create(
        self,
        access: Access,
        report_id: uuid.UUID,
        *,
        label: str,
        expires_in_days: int = DEFAULT_DAYS,
        ip: str | None = None,
    ) -> CreatedShare:
        access.require_owner()
        label = clean_label(label)
        if not MIN_DAYS <= expires_in_days <= MAX_DAYS:
            raise InvalidShare(f"a link lives {MIN_DAYS} to {MAX_DAYS} days")
        token = new_secret(TOKEN_PREFIX)
        with self._db.transaction() as uow:
            user = uow.users.by_id(access.user_id)
            if user is None or user.email_verified_at is None:
                raise EmailNotVerified
            if uow.reports.get(access.business_id, report_id) is None:
                raise NotFound("no such report")
            link = uow.share_links.create(
                access.business_id,
                report_id,
                token_hash=secret_hash(token),
                label=label,
                created_by=access.user_id,
                expires_at=self._clock() + timedelta(days=expires_in_days),
            )
            uow.audit.record(
                "share.created",
                user_id=access.user_id,
                business_id=access.business_id,
                ip=ip,
                detail={"share_link_id": str(link.id), "report_id": str(report_id)},
            )
        return CreatedShare(link, token)

    def page(
        self,
        access: Access,
        *,
        report_id: uuid.UUID | None = None,
        after: tuple[datetime, uuid.UUID] | None = None,
        limit: int = 50,
    ) -> list[ShareLinkRow]:
        with self._db.snapshot() as uow:
            return uow.share_links.page(
                access.business_id, report_id=report_id, after=after, limit=min(limit, MAX_PAGE)
            )

    def get(self, access: Access, share_id: uuid.UUID) -> ShareLinkRow:
        with self._db.snapshot() as uow:
            link = uow.share_links.get(access.business_id, share_id)
        if link is None:
            raise NotFound("no such share link")
        return link

    def views(
        self,
        access: Access,
        share_id: uuid.UUID,
        *,
        after: tuple[datetime, uuid.UUID] | None = None,
        limit: int = 50,
    ) -> list[ShareViewRow]:
        with self._db.snapshot() as uow:
            if uow.share_links.get(access.business_id, share_id) is None:
                raise NotFound("no such share link")
            return uow.share_links.views(
                access.business_id, share_id, after=after, limit=min(limit, MAX_PAGE)
            )

    def revoke(self, access: Access, share_id: uuid.UUID, *, ip: str | None = None) -> ShareLinkRow:
        """The link stops working at once; it stays listed, with its views, as revoked."""
        access.require_owner()
        with self._db.transaction() as uow:
            if not uow.share_links.revoke(access.business_id, share_id):
                raise NotFound("no such share link")
            uow.audit.record(
                "share.revoked",
                user_id=access.user_id,
                business_id=access.business_id,
                ip=ip,
                detail={"share_link_id": str(share_id)},
            )
            link = uow.share_links.get(access.business_id, share_id)
        assert link is not None
        return link

    # --- the lender's side ----------------------------------------------------------------

    def open(
        self, token: str, what: What, *, ip: str | None, user_agent: str | None
    ) -> SharedReport:
        """What a live link shows, the view logged (in the same transaction: a view that could
        not be served is not logged). `LinkGone` otherwise."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN:
            raise LinkGone
        with self._db.transaction() as uow:
            live = uow.share_links.live(secret_hash(token), self._clock())
            if live is None:
                raise LinkGone
            report = live.report
            file, filename = None, None
            if what != "summary":
                key = report.pdf_key if what == "pdf" else report.csv_key
                try:
                    file = self._store.get(key)
                except ObjectMissing:
                    raise LinkGone from None
                filename = file_name(report, what)
            uow.share_links.record_view(live.share_id, ip=ip, user_agent=user_agent, what=what)
        return SharedReport(
            live.label,
            live.expires_at,
            report.id,
            report.created_at,
            report.summary,
            file,
            filename,
        )
