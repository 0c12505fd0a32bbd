"""Share links (`share_links`) and their views (`share_views`).

A link is found by its token's hash only while it is live (not revoked, not expired); every other
read is scoped by business, so another tenant's link id is simply not found.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, text

from vaultra.db.reports import ReportRow


@dataclass(frozen=True)
class ShareLinkRow:
    id: uuid.UUID
    business_id: uuid.UUID
    report_id: uuid.UUID
    label: str
    created_by: uuid.UUID | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    views: int
    last_viewed_at: datetime | None

    def status(self, now: datetime) -> Literal["active", "expired", "revoked"]:
        """As `_LIVE` decides whether the link opens: active until revoked or expired."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


@dataclass(frozen=True)
class ShareViewRow:
    id: uuid.UUID
    viewed_at: datetime
    ip: str | None
    user_agent: str | None
    what: str


@dataclass(frozen=True)
class LiveShare:
    """A live link, what it shares, and whose it is."""

    share_id: uuid.UUID
    label: str
    expires_at: datetime
    business_name: str
    report: ReportRow


_LINK = """
    SELECT l.id, l.business_id, l.report_id, l.label, l.created_by, l.created_at, l.expires_at,
           l.revoked_at, count(v.id) AS views, max(v.viewed_at) AS last_viewed_at
    FROM share_links l LEFT JOIN share_views v ON v.share_link_id = l.id
    WHERE l.business_id = :b {where}
    GROUP BY l.id
"""
_CREATE = text(
    "INSERT INTO share_links (business_id, report_id, token_hash, label, created_by, expires_at) "
    "VALUES (:b, :r, :h, :label, :u, :x) RETURNING id"
)
_GET = text(_LINK.format(where="AND l.id = :i"))
_LIST = text(
    _LINK.format(
        where="""AND (CAST(:r AS uuid) IS NULL OR l.report_id = CAST(:r AS uuid))
      AND (CAST(:after_at AS timestamptz) IS NULL
           OR (l.created_at, l.id) < (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid)))"""
    )
    + " ORDER BY l.created_at DESC, l.id DESC LIMIT :n"
)
_REVOKE = text(
    "UPDATE share_links SET revoked_at = coalesce(revoked_at, now()) "
    "WHERE business_id = :b AND id = :i RETURNING id"
)
_LIVE = text(
    """
    SELECT l.id, l.label, l.expires_at, b.name,
           r.id, r.business_id, r.created_by, r.as_of, r.model_version, r.pdf_key, r.csv_key,
           r.summary, r.created_at
    FROM share_links l
    JOIN reports r ON r.id = l.report_id AND r.business_id = l.business_id
    JOIN businesses b ON b.id = l.business_id
    WHERE l.token_hash = :h AND l.revoked_at IS NULL AND l.expires_at > :now
    """
)
_VIEW = text(
    "INSERT INTO share_views (share_link_id, ip, user_agent, what) VALUES (:i, :ip, :ua, :what)"
)
_VIEWS = text(
    """
    SELECT v.id, v.viewed_at, v.ip, v.user_agent, v.what
    FROM share_views v JOIN share_links l ON l.id = v.share_link_id
    WHERE l.business_id = :b AND l.id = :i
      AND (CAST(:after_at AS timestamptz) IS NULL
           OR (v.viewed_at, v.id) < (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid)))
    ORDER BY v.viewed_at DESC, v.id DESC
    LIMIT :n
    """
)


def _printable(value: str) -> str:
    """A header as it may be stored and shown: without control characters (PostgreSQL refuses
    NUL in text)."""
    return "".join(c for c in value if ord(c) >= 32 and c != "\x7f")


def _after(after: tuple[datetime, uuid.UUID] | None) -> dict[str, str | datetime | None]:
    return {"after_at": after[0] if after else None, "after_id": str(after[1]) if after else None}


class ShareLinks:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def create(
        self,
        business_id: uuid.UUID,
        report_id: uuid.UUID,
        *,
        token_hash: str,
        label: str,
        created_by: uuid.UUID,
        expires_at: datetime,
    ) -> ShareLinkRow:
        share_id = self._conn.execute(
            _CREATE,
            {
                "b": business_id,
                "r": report_id,
                "h": token_hash,
                "label": label,
                "u": created_by,
                "x": expires_at,
            },
        ).scalar_one()
        found = self.get(business_id, share_id)
        assert found is not None
        return found

    def get(self, business_id: uuid.UUID, share_id: uuid.UUID) -> ShareLinkRow | None:
        row = self._conn.execute(_GET, {"b": business_id, "i": share_id}).one_or_none()
        return ShareLinkRow(*row) if row else None

    def page(
        self,
        business_id: uuid.UUID,
        *,
        report_id: uuid.UUID | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[ShareLinkRow]:
        params = {"b": business_id, "r": str(report_id) if report_id else None, "n": limit}
        rows = self._conn.execute(_LIST, {**params, **_after(after)}).all()
        return [ShareLinkRow(*row) for row in rows]

    def revoke(self, business_id: uuid.UUID, share_id: uuid.UUID) -> bool:
        """Revoke the link (a revoked one stays revoked as it was); False when not found."""
        return self._conn.execute(_REVOKE, {"b": business_id, "i": share_id}).first() is not None

    def live(self, token_hash: str, now: datetime) -> LiveShare | None:
        row = self._conn.execute(_LIVE, {"h": token_hash, "now": now}).one_or_none()
        if row is None:
            return None
        share_id, label, expires_at, name, *report = row
        return LiveShare(share_id, label, expires_at, name, ReportRow(*report))

    def record_view(
        self, share_id: uuid.UUID, *, ip: str | None, user_agent: str | None, what: str
    ) -> None:
        self._conn.execute(
            _VIEW,
            {
                "i": share_id,
                "ip": ip[:64] if ip else None,
                "ua": _printable(user_agent)[:300] if user_agent else None,
                "what": what,
            },
        )

    def views(
        self,
        business_id: uuid.UUID,
        share_id: uuid.UUID,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[ShareViewRow]:
        rows = self._conn.execute(
            _VIEWS, {"b": business_id, "i": share_id, "n": limit, **_after(after)}
        ).all()
        return [ShareViewRow(*row) for row in rows]
