"""What a deployment of Vaultra is made of, by name, read from the code: the functions and the
service, what triggers each, the settings and secrets each reads, the topics, their dead-letter
topics and subscriptions, the scheduler's jobs, and the connection pool the database is sized
against.

It is the one source of truth code and infrastructure share. `python -m vaultra.deployment
--write` writes it to `terraform/names.json`, which Terraform reads (`jsondecode(file(…))`) instead
of repeating a name; tests/terraform fail when the committed file is not what the code says today,
and when the Terraform does not deploy, configure or subscribe what the file lists.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from vaultra.config import Requirement
from vaultra.db.engine import MAX_OVERFLOW, POOL_SIZE
from vaultra.events.messages import DailyRefresh, ReconcileTick, message_attributes
from vaultra.events.topics import TOPICS, dead_letter_topic
from vaultra.handlers import (
    AGENT,
    AGENT_NEEDS,
    API,
    API_NEEDS,
    DEAD_LETTER_NEEDS,
    DEAD_LETTERS,
    FUNCTIONS,
    WEBHOOK,
    WEBHOOK_NEEDS,
)

NAMES_FILE = Path(__file__).resolve().parents[2] / "terraform" / "names.json"


@dataclass(frozen=True)
class Setting:
    """An environment variable a runtime reads; `secret` names the Secret Manager secret whose
    latest version supplies it (never a plain value in Terraform's state or a log)."""

    env: str
    secret: str | None = None


# What each requirement of `vaultra.config.check_deployment` reads. Optional settings of a
# requirement are listed too: a runtime gets every variable its requirements can read, and
# Terraform sets the ones a deployment leaves at the default to that default.
SETTINGS: dict[Requirement, tuple[Setting, ...]] = {
    "database": (
        Setting("INSTANCE_CONNECTION_NAME"),
        Setting("DB_IAM_USER"),
        Setting("DB_NAME"),
        Setting("DB_IP_TYPE"),
    ),
    "event_bus": (Setting("VAULTRA_EVENT_BUS"), Setting("GCP_PROJECT")),
    "credentials_key": (Setting("VAULTRA_CREDENTIALS_KEY", "credentials-key"),),
    "webhook_secret": (Setting("STRIPE_WEBHOOK_SECRET", "stripe-webhook-secret"),),
    "jwt_secret": (Setting("VAULTRA_JWT_SECRET", "jwt-secret"),),
    "public_url": (Setting("VAULTRA_PUBLIC_URL"),),
    "mail": (Setting("VAULTRA_MAIL_TRANSPORT", "mail-transport"), Setting("VAULTRA_MAIL_FROM")),
    "reports_bucket": (Setting("VAULTRA_REPORTS_BUCKET"),),
    "llm": (
        Setting("LLM_PROVIDER"),
        Setting("OPENAI_MODEL"),
        Setting("OLLAMA_BASE_URL"),
        Setting("OLLAMA_MODEL"),
        Setting("LLM_DAILY_TOKENS"),
        Setting("OPENAI_API_KEY", "openai-api-key"),
    ),
    "knowledge": (
        Setting("VAULTRA_RETRIEVAL"),
        Setting("VAULTRA_EMBEDDINGS"),
        Setting("VAULTRA_VECTOR_STORE"),
        Setting("OPENAI_API_KEY", "openai-api-key"),
    ),
}
# Every deployed runtime: `VAULTRA_ENV=production` turns on `check_deployment` and HSTS.
EVERY_RUNTIME = (Setting("VAULTRA_ENV"),)
# The API also starts Stripe Connect's OAuth: the platform's client id and secret key.
STRIPE_CONNECT = (Setting("STRIPE_CONNECT_CLIENT_ID"), Setting("STRIPE_API_KEY", "stripe-api-key"))

SECRET_DESCRIPTIONS = {
    "stripe-webhook-secret": "The Stripe webhook endpoint's signing secret (whsec_…)",
    "stripe-api-key": "The platform's Stripe secret key, for Connect OAuth (sk_…)",
    "credentials-key": "Fernet key encrypting stored Stripe credentials (32 url-safe base64 bytes)",
    "jwt-secret": "HMAC key signing access tokens (32 characters or more)",
    "openai-api-key": "OpenAI API key for the chat model and embeddings",
    "mail-transport": "smtp://user:password@host:port of the mail relay",
}

# Cloud Scheduler's jobs and the messages they publish (UTC).
SCHEDULE = {
    "daily-refresh": ("15 2 * * *", DailyRefresh()),
    "reconcile-tick": ("*/5 * * * *", ReconcileTick()),
}


def _settings(needs: tuple[Requirement, ...], *extra: Setting) -> list[Setting]:
    found: dict[str, Setting] = {}
    for setting in (*EVERY_RUNTIME, *(s for need in needs for s in SETTINGS[need]), *extra):
        found.setdefault(setting.env, setting)
    return sorted(found.values(), key=lambda s: s.env)


def _runtime(kind: str, needs: tuple[Requirement, ...], *extra: Setting, **more: Any) -> dict:
    settings = _settings(needs, *extra)
    return {
        "kind": kind,
        "needs": list(needs),
        "env": [s.env for s in settings if s.secret is None],
        "secrets": {s.env: s.secret for s in settings if s.secret is not None},
        **more,
    }


def names() -> dict[str, Any]:
    """The deployment, by name, as Terraform reads it."""
    topics = {key: TOPICS[key] for key in sorted(TOPICS)}
    functions: dict[str, Any] = {
        WEBHOOK: _runtime("http", WEBHOOK_NEEDS, source=f"functions/{WEBHOOK}"),
        API: _runtime("http", API_NEEDS, *STRIPE_CONNECT, source=f"functions/{API}"),
    }
    subscriptions = []
    for name, function in sorted(FUNCTIONS.items()):
        triggers = sorted({m.TOPIC for m in function.messages})
        functions[name] = _runtime(
            "event", function.needs, source=f"functions/{name}", topics=triggers
        )
        subscriptions += [
            {"name": f"{topic}-{name}", "topic": topic, "function": name} for topic in triggers
        ]
    dead = sorted(dead_letter_topic(topic) for topic in TOPICS.values())
    functions[DEAD_LETTERS] = _runtime(
        "event", DEAD_LETTER_NEEDS, source=f"functions/{DEAD_LETTERS}", topics=dead
    )
    subscriptions += [
        {"name": f"{topic}-{DEAD_LETTERS}", "topic": topic, "function": DEAD_LETTERS}
        for topic in dead
    ]
    return {
        "about": "Written by `python -m vaultra.deployment --write` from the code; do not edit.",
        "functions": dict(sorted(functions.items())),
        "services": {AGENT: _runtime("service", AGENT_NEEDS, source="agent_service")},
        "topics": topics,
        "dead_letter_topics": {key: dead_letter_topic(topic) for key, topic in topics.items()},
        "subscriptions": sorted(subscriptions, key=lambda s: s["name"]),
        "scheduler": {
            job: {
                "schedule": cron,
                "time_zone": "Etc/UTC",
                "topic": message.TOPIC,
                "data": message.encode().decode("utf-8"),
                "attributes": message_attributes(message),
            }
            for job, (cron, message) in SCHEDULE.items()
        },
        "secrets": {
            secret: {
                "env": sorted(
                    {
                        s.env
                        for group in (*SETTINGS.values(), STRIPE_CONNECT)
                        for s in group
                        if s.secret == secret
                    }
                )[0],
                "description": description,
            }
            for secret, description in sorted(SECRET_DESCRIPTIONS.items())
        },
        "database": {
            "pool_size": POOL_SIZE,
            "max_overflow": MAX_OVERFLOW,
            "peak_connections_per_instance": POOL_SIZE + MAX_OVERFLOW,
        },
        "requirements": list(get_args(Requirement)),
    }


def render() -> str:
    return json.dumps(names(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The deployment's names, from the code.")
    parser.add_argument("--write", action="store_true", help=f"write them to {NAMES_FILE.name}")
    args = parser.parse_args(argv)
    if args.write:
        NAMES_FILE.write_text(render(), encoding="utf-8")
        print(f"wrote {NAMES_FILE}")
    else:
        print(render(), end="")


if __name__ == "__main__":
    main()
