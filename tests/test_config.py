"""A deployed runtime refuses to start without what it needs — saying which settings, never
their values — and a local one needs nothing."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from vaultra.config import ConfigurationError, Settings, check_deployment
from vaultra.handlers import API_NEEDS
from vaultra.services import credentials

KEY = Fernet.generate_key().decode()
COMPLETE = {
    "VAULTRA_ENV": "production",
    "INSTANCE_CONNECTION_NAME": "vaultra-prod:europe-west1:vaultra",
    "DB_IAM_USER": "webhook@vaultra-prod.iam",
    "VAULTRA_EVENT_BUS": "pubsub",
    "GCP_PROJECT": "vaultra-prod",
    "VAULTRA_CREDENTIALS_KEY": KEY,
    "STRIPE_WEBHOOK_SECRET": "whsec_Zx81Lq0Pt2Rr",
}
ALL = ("database", "event_bus", "credentials_key", "webhook_secret")


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def refusal(**values: Any) -> str:
    with pytest.raises(ConfigurationError) as refused:
        check_deployment(settings(**values), ALL, "stripe_webhook")
    return str(refused.value)


def test_a_local_runtime_needs_no_setting() -> None:
    check_deployment(settings(), ALL, "stripe_webhook")


def test_a_complete_deployment_starts() -> None:
    check_deployment(settings(**COMPLETE), ALL, "stripe_webhook")


def test_googles_runtime_counts_as_deployed_without_vaultra_env() -> None:
    assert settings(K_SERVICE="stripe-webhook").deployed
    assert not settings().deployed


def test_without_the_event_bus_setting_it_refuses_to_publish_into_a_local_bus() -> None:
    message = refusal(**{**COMPLETE, "VAULTRA_EVENT_BUS": "local"})

    assert message.startswith("stripe_webhook refuses to start: set VAULTRA_EVENT_BUS=pubsub")


def test_without_a_credentials_key_it_refuses_rather_than_make_its_own() -> None:
    values = {k: v for k, v in COMPLETE.items() if k != "VAULTRA_CREDENTIALS_KEY"}

    assert "VAULTRA_CREDENTIALS_KEY" in refusal(**values)
    with pytest.raises(credentials.CredentialsKeyError, match="deployed"):
        credentials.encrypt(settings(**values), "rk_live_x")


@pytest.mark.parametrize(
    ("name", "placeholder"),
    [
        ("STRIPE_WEBHOOK_SECRET", "whsec_xxx"),
        ("STRIPE_WEBHOOK_SECRET", "changeme"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_real,<rolled-secret>"),
        ("VAULTRA_CREDENTIALS_KEY", "${CREDENTIALS_KEY}"),
        ("VAULTRA_CREDENTIALS_KEY", "not-32-bytes"),
        ("GCP_PROJECT", "CHANGE_ME"),
        ("DATABASE_URL", "postgresql://changeme"),
    ],
)
def test_a_placeholder_counts_as_missing_and_is_never_echoed(name: str, placeholder: str) -> None:
    values = {**COMPLETE, name: placeholder}
    if name == "DATABASE_URL":
        values.pop("INSTANCE_CONNECTION_NAME")

    message = refusal(**values)

    assert name.split("_")[0] in message
    assert placeholder not in message


def test_every_missing_setting_is_named_at_once() -> None:
    message = refusal(VAULTRA_ENV="production")

    for name in ("DATABASE_URL", "VAULTRA_EVENT_BUS", "GCP_PROJECT", "VAULTRA_CREDENTIALS_KEY"):
        assert name in message
    assert "STRIPE_WEBHOOK_SECRET" in message


API_COMPLETE = {
    **COMPLETE,
    "VAULTRA_JWT_SECRET": "k" * 24 + "Zx81Lq0Pt2Rr",
    "VAULTRA_PUBLIC_URL": "https://app.vaultra.example",
    "VAULTRA_MAIL_TRANSPORT": "smtp://vaultra:relay-password@smtp.example.com:587",
    "VAULTRA_REPORTS_BUCKET": "vaultra-prod-reports",
}


def test_a_complete_api_deployment_starts() -> None:
    check_deployment(settings(**API_COMPLETE), API_NEEDS, "api")


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("VAULTRA_PUBLIC_URL", "http://127.0.0.1:8000", "VAULTRA_PUBLIC_URL"),
        ("VAULTRA_PUBLIC_URL", "http://app.vaultra.example", "VAULTRA_PUBLIC_URL"),
        ("VAULTRA_PUBLIC_URL", "https://localhost:8443", "VAULTRA_PUBLIC_URL"),
        ("VAULTRA_MAIL_TRANSPORT", "log", "VAULTRA_MAIL_TRANSPORT=smtp://"),
        ("VAULTRA_REPORTS_BUCKET", "changeme", "VAULTRA_REPORTS_BUCKET"),
        ("LLM_PROVIDER", "openai", "OPENAI_API_KEY (LLM_PROVIDER=openai)"),
        ("VAULTRA_EMBEDDINGS", "openai", "OPENAI_API_KEY (VAULTRA_EMBEDDINGS=openai)"),
        ("VAULTRA_VECTOR_STORE", "pinecone", "PINECONE_HOST (VAULTRA_VECTOR_STORE=pinecone)"),
    ],
)
def test_the_deployed_api_refuses_what_reaches_no_founder(
    name: str, value: str, named: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        check_deployment(settings(**{**API_COMPLETE, name: value}), API_NEEDS, "api")

    assert named in str(refused.value)
    assert "relay-password" not in str(refused.value)


def test_a_deployed_api_with_openai_and_pinecone_configured_starts() -> None:
    configured = {
        **API_COMPLETE,
        "LLM_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-proj-Q3x9f8Lm2Vb7",
        "VAULTRA_VECTOR_STORE": "pinecone",
        "PINECONE_API_KEY": "pcsk_Q3x9f8Lm2Vb7",
        "PINECONE_HOST": "https://knowledge-abc123.svc.us-east1-gcp.pinecone.io",
    }
    check_deployment(settings(**configured), API_NEEDS, "api")


def test_the_mail_relays_password_is_a_secret_never_printed() -> None:
    configured = settings(**API_COMPLETE)

    assert "relay-password" not in repr(configured) and "relay-password" not in str(configured)
