"""The mail port: locally the outbox and one log line (with the link only in a local
environment); in production SMTP with STARTTLS, tested against a real SMTP server on loopback
(aiosmtpd) that speaks the protocol, upgrades to TLS and checks the relay's credentials."""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from vaultra.bootstrap import Runtime
from vaultra.config import Settings
from vaultra.db.unit_of_work import Database
from vaultra.services.mail import (
    Mail,
    MailUndeliverable,
    OutboxMailer,
    SmtpMailer,
    SmtpRelay,
    build_mailer,
)

RELAY_USER, RELAY_PASSWORD = "vaultra", "relay secret"
MAIL = Mail(
    to="founder@example.com",
    subject="Reset your Vaultra password",
    body="Open https://vaultra.test/reset-password#token=vlt_pr_secret\n",
    link="https://vaultra.test/reset-password#token=vlt_pr_secret",
)


@dataclass
class Inbox:
    """What the SMTP server received, and who authenticated."""

    messages: list[Any] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            RELAY_USER.encode(),
            RELAY_PASSWORD.encode(),
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)  # the server answers 535 itself


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the client trusts exactly it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "relay.crt", directory / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Relay:
    inbox: Inbox
    port: int
    client_tls: ssl.SSLContext


def _start(inbox: Inbox, tls: ssl.SSLContext | None) -> tuple[Controller, int]:
    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=tls,
        require_starttls=tls is not None,
        authenticator=inbox.authenticate,
        auth_require_tls=True,
    )
    controller.start()
    return controller, port


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[Relay]:
    cert, key = _certificate(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox = Inbox()
    controller, port = _start(inbox, server_tls)
    try:
        yield Relay(inbox, port, ssl.create_default_context(cafile=str(cert)))
    finally:
        controller.stop()


def test_smtp_relays_over_starttls_with_the_relays_credentials(relay: Relay) -> None:
    url = f"smtp://{RELAY_USER}:relay%20secret@127.0.0.1:{relay.port}"
    mailer = SmtpMailer(
        SmtpRelay.from_url(url), "Vaultra <no-reply@vaultra.test>", tls=relay.client_tls
    )

    mailer.send(MAIL)

    [envelope] = relay.inbox.messages
    message = message_from_bytes(envelope.content)
    assert relay.inbox.logins == [RELAY_USER]
    assert envelope.mail_from == "no-reply@vaultra.test"
    assert envelope.rcpt_tos == ["founder@example.com"]
    assert message["Subject"] == "Reset your Vaultra password"
    assert "#token=vlt_pr_secret" in message.get_payload()


def test_a_relay_that_does_not_offer_starttls_is_refused_before_anything_is_said() -> None:
    inbox = Inbox()
    controller, port = _start(inbox, tls=None)
    try:
        mailer = SmtpMailer(
            SmtpRelay(host="127.0.0.1", port=port, username=RELAY_USER, password=RELAY_PASSWORD),
            "no-reply@vaultra.test",
        )
        with pytest.raises(MailUndeliverable, match="STARTTLS"):
            mailer.send(MAIL)
    finally:
        controller.stop()
    assert inbox.messages == [] and inbox.logins == []


def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(relay: Relay) -> None:
    untrusting = SmtpMailer(
        SmtpRelay(host="127.0.0.1", port=relay.port, username=None, password=None),
        "no-reply@vaultra.test",
    )  # the system's CAs: the loopback relay's self-signed certificate is not among them

    with pytest.raises(MailUndeliverable) as refused:
        untrusting.send(MAIL)

    assert relay.inbox.messages == []
    assert "vlt_pr_secret" not in str(refused.value)


def test_wrong_relay_credentials_deliver_nothing(relay: Relay) -> None:
    mailer = SmtpMailer(
        SmtpRelay(host="127.0.0.1", port=relay.port, username=RELAY_USER, password="wrong"),
        "no-reply@vaultra.test",
        tls=relay.client_tls,
    )

    with pytest.raises(MailUndeliverable):
        mailer.send(MAIL)

    assert relay.inbox.messages == []


def test_the_local_outbox_logs_the_link_only_in_a_local_environment(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="vaultra.services.mail")

    OutboxMailer(db, show_links=True).send(MAIL)
    OutboxMailer(db, show_links=False).send(MAIL)

    local, deployed = [r.getMessage() for r in caplog.records]
    assert "founder@example.com" in local and "#token=vlt_pr_secret" in local
    assert "founder@example.com" in deployed and "vlt_pr_secret" not in deployed
    with db.snapshot() as uow:
        kept = uow.outbox.to("founder@example.com")
    assert [m.subject for m in kept] == [MAIL.subject] * 2


def test_the_composition_root_chooses_the_transport(
    engine: Any, database_url: str, tmp_path: Path
) -> None:
    def mailer_for(**env: str) -> object:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, DATABASE_URL=database_url, VAULTRA_HOME=str(tmp_path), **env
        )
        return Runtime(settings, database=Database(engine)).mailer

    local = mailer_for()
    relayed = mailer_for(VAULTRA_MAIL_TRANSPORT="smtp://relay.example.com")

    assert isinstance(local, OutboxMailer)
    assert isinstance(relayed, SmtpMailer)
    with pytest.raises(ValueError, match="VAULTRA_MAIL_TRANSPORT"):
        mailer_for(VAULTRA_MAIL_TRANSPORT="http://relay.example.com")


def test_a_relay_url_names_host_port_and_credentials() -> None:
    relay = SmtpRelay.from_url("smtp://apikey:p%40ss@smtp.example.com")

    assert (relay.host, relay.port, relay.username, relay.password) == (
        "smtp.example.com",
        587,
        "apikey",
        "p@ss",
    )


def test_the_outbox_never_logs_a_link_when_deployed(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="vaultra.services.mail")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, VAULTRA_HOME=str(tmp_path), VAULTRA_ENV="production"
    )

    build_mailer(settings, db, lambda: datetime.now(UTC)).send(MAIL)

    [line] = [r.getMessage() for r in caplog.records]
    assert MAIL.subject in line and "vlt_pr_secret" not in line
