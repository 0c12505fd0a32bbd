"""Mail to a business's owners about something that happened to the business itself, not to a
request of theirs: today, Stripe access revoked from Stripe's side.

Sent after the change has committed and never in the way of it: a webhook is acknowledged even if
the relay is down (the dashboard's notification says the same thing and stays)."""

from __future__ import annotations

import logging
import uuid

from vaultra.db.unit_of_work import Database
from vaultra.services.mail import Mail, Mailer, MailUndeliverable

log = logging.getLogger(__name__)


class OwnerMail:
    def __init__(self, db: Database, mailer: Mailer, *, public_url: str) -> None:
        self._db = db
        self._mailer = mailer
        self._public_url = public_url

    def stripe_access_revoked(self, business_id: uuid.UUID, account_id: str) -> None:
        with self._db.snapshot() as uow:
            name = uow.businesses.name_of(business_id)
            owners = uow.members.owner_emails(business_id)
        if name is None:
            return
        link = f"{self._public_url}/app?business={business_id}"
        body = (
            f"Stripe reports that Vaultra's read access to {account_id} was revoked, so "
            f"{name}'s metrics and readiness score stop at the data imported so far.\n\n"
            f"If you did not mean to revoke it, connect Stripe again: {link}\n"
        )
        for owner in owners:
            try:
                self._mailer.send(Mail(owner, "Stripe access to Vaultra was revoked", body))
            except MailUndeliverable as exc:
                log.warning("could not mail an owner of %s: %s", business_id, exc)
