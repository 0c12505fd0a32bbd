"""Your data: everything of the businesses you own as one ZIP, and deleting your account.

The export is one consistent snapshot: each table is one set-based query over all the businesses
the caller owns, streamed by PostgreSQL as CSV straight into the archive (a temporary file, so
its size is bounded by disk, not memory), with every report's CSV beside them. Secrets are left
out: Stripe credentials, password and token hashes.

Deleting an account takes the businesses the person alone owns with all their data (their stored
files too), removes them from the others, and keeps in the audit log only that an account was
deleted — no id, address or email of theirs.
"""

from __future__ import annotations

import logging
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO

from vaultra.db.unit_of_work import Database
from vaultra.db.your_data import BUSINESS_TABLES, PERSON_TABLES
from vaultra.services import passwords
from vaultra.services.reports import Reports
from vaultra.services.tenancy import NotFound
from vaultra.storage import ObjectMissing, ObjectStore

log = logging.getLogger(__name__)

README = """Your data from Vaultra, exported {exported_at} (UTC).

account/   you: your account, your memberships of businesses, your personal access tokens
           (never the tokens themselves) and the audit log of what you did.
businesses/ every table of the businesses you own, one CSV per table, all businesses in each
           (the business_id column says whose): the Stripe data Vaultra ingested (raw events
           and the ledger), metric runs and values, scores, recommendations, notifications,
           reports, share links and their views, members and invitations.
reports/   each report's CSV of monthly metrics, as reports/<business_id>/<report_id>.csv.

CSV files have a header row. Money is in integer minor units of the currency beside it; times
are UTC; JSON columns hold JSON. Left out on purpose: Stripe credentials, password and token
hashes.
"""


class WrongPassword(Exception):
    """The password given to confirm does not match."""


class YourData:
    def __init__(
        self,
        db: Database,
        store: ObjectStore,
        reports: Reports,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._store = store
        self._reports = reports
        self._clock = clock

    def export(self, user_id: uuid.UUID, out: IO[bytes], *, ip: str | None = None) -> None:
        """Write the caller's ZIP into `out` (a seekable binary file)."""
        with (
            self._db.snapshot() as uow,
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        ):
            owned = uow.your_data.owned_by(user_id)
            stamp = self._clock().strftime("%Y-%m-%d %H:%M:%S")
            archive.writestr("README.txt", README.format(exported_at=stamp))
            for folder, tables in (("account", PERSON_TABLES), ("businesses", BUSINESS_TABLES)):
                for table in tables:
                    with archive.open(f"{folder}/{table.name}.csv", "w", force_zip64=True) as f:
                        uow.your_data.copy_csv(table, f, user=user_id, businesses=owned)
            for business_id, report_id, key in uow.reports.csv_keys_of(owned):
                try:
                    data = self._store.get(key).data
                except ObjectMissing:
                    log.warning("report %s has no stored CSV", report_id)
                    continue
                archive.writestr(f"reports/{business_id}/{report_id}.csv", data)
        with self._db.transaction() as uow:
            uow.audit.record(
                "data.exported",
                user_id=user_id,
                ip=ip,
                detail={"businesses": [str(b) for b in owned]},
            )

    def delete_account(self, user_id: uuid.UUID, password: str) -> None:
        """Delete the caller's account, confirmed by their password (`WrongPassword`)."""
        with self._db.transaction() as uow:
            user = uow.users.by_id(user_id)
            if user is None:
                raise NotFound("no such account")
            if not passwords.verify_password(user.password_hash, password):
                raise WrongPassword("the password is not right")
            deleted = uow.your_data.delete_account(user_id)
            if deleted is None:
                raise NotFound("no such account")
            uow.audit.record(
                "account.deleted",
                user_id=None,
                detail={
                    "businesses_deleted": len(deleted.businesses),
                    "memberships_removed": deleted.memberships_left,
                },
            )
        self._reports.delete_files_of(deleted.businesses)
