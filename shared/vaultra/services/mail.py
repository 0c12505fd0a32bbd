"""The mail port: services hand a `Mail` to a `Mailer`; the composition root chooses the transport.

- Locally (`VAULTRA_MAIL_TRANSPORT=log`) mail is written to the `mail_outbox` table and one line
  is logged: recipient and subject. A developer must be able to follow a reset or verification
  link without a mail server, so the link is logged too, but only when `VAULTRA_ENV` is local:
  a link carries a single-use secret.
- In production (`VAULTRA_MAIL_TRANSPORT=smtp://user:password@host:587`) mail is relayed through
  SMTP with STARTTLS required: credentials and links never cross the network in clear.

Delivery is attempted after the transaction that made the token has committed. A failed delivery
is logged (never with its body) and does not fail the request: every mail can be asked for again
(a new verification mail, a new reset, a new invitation).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Protocol
from urllib.parse import unquote, urlsplit

from vaultra.config import Settings
from vaultra.db.unit_of_work import Database

log = logging.getLogger(__name__)

SMTP_TIMEOUT_S = 10.0


class MailUndeliverable(Exception):
    """The transport refused or could not reach the relay; the message says why, never the body."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    # The one link the mail is about (it carries a secret): logged only in a local environment.
    link: str | None = None


class Mailer(Protocol):
    def send(self, mail: Mail) -> None:
        """Deliver or raise `MailUndeliverable`."""


def _recipient_of(mail: Mail) -> str:
    return mail.to.replace("\r", "").replace("\n", "")


class OutboxMailer:
    """Local delivery: the outbox table and one log line are the delivery."""

    def __init__(
        self,
        db: Database,
        *,
        show_links: bool,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._show_links = show_links
        self._clock = clock

    def send(self, mail: Mail) -> None:
        with self._db.transaction() as uow:
            uow.outbox.add(_recipient_of(mail), mail.subject, mail.body, sent_at=self._clock())
        if self._show_links and mail.link:
            log.info("mail to %s: %s — %s", _recipient_of(mail), mail.subject, mail.link)
        else:
            log.info("mail to %s: %s", _recipient_of(mail), mail.subject)


@dataclass(frozen=True)
class SmtpRelay:
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpRelay:
        """`smtp://[user[:password]@]host[:port]` (port 587, the submission port, by default)."""
        parts = urlsplit(url)
        if parts.scheme != "smtp" or not parts.hostname:
            raise ValueError(
                "VAULTRA_MAIL_TRANSPORT must be `log` or `smtp://[user:password@]host[:port]`"
            )
        return cls(
            host=parts.hostname,
            port=parts.port or 587,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class SmtpMailer:
    """Relays through SMTP, upgrading the connection with STARTTLS before anything is said (a
    relay that does not offer it is refused)."""

    def __init__(
        self,
        relay: SmtpRelay,
        sender: str,
        *,
        tls: ssl.SSLContext | None = None,
        timeout_s: float = SMTP_TIMEOUT_S,
    ) -> None:
        self._relay = relay
        self._sender = sender
        self._tls = tls or ssl.create_default_context()
        self._timeout_s = timeout_s

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = _recipient_of(mail)
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        relay = self._relay
        try:
            with smtplib.SMTP(relay.host, relay.port, timeout=self._timeout_s) as smtp:
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise MailUndeliverable("the relay does not offer STARTTLS")
                smtp.starttls(context=self._tls)
                smtp.ehlo()
                if relay.username:
                    smtp.login(relay.username, relay.password or "")
                smtp.send_message(message, from_addr=parseaddr(self._sender)[1])
        except MailUndeliverable:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            # the exception's class only: an SMTP error can quote what was sent
            raise MailUndeliverable(f"the relay refused the mail ({type(exc).__name__})") from None
        log.info("mail to %s: %s (relayed)", _recipient_of(mail), mail.subject)


def build_mailer(settings: Settings, db: Database, clock: Callable[[], datetime]) -> Mailer:
    """The transport `VAULTRA_MAIL_TRANSPORT` names."""
    transport = settings.mail_transport.get_secret_value()
    if transport == "log":
        return OutboxMailer(db, show_links=not settings.deployed, clock=clock)
    return SmtpMailer(SmtpRelay.from_url(transport), settings.mail_from)


def deliver(mailer: Mailer, mail: Mail) -> bool:
    """Send, logging a failure instead of raising: the request that asked for the mail has done
    its work, and the mail can be asked for again."""
    try:
        mailer.send(mail)
    except MailUndeliverable as exc:
        log.warning("mail to %s not delivered: %s", _recipient_of(mail), exc)
        return False
    return True
