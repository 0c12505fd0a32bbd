"""One place for configuration: environment variables (and `.env`), validated once.

Secrets are `SecretStr` so that a repr, a log line or a traceback never shows them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vaultra.events import topics

# The repository root, when running from a checkout; `.vaultra/` under it holds local state.
_REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    # --- LLM (from the product brief) -------------------------------------------------------
    llm_provider: Literal["openai", "ollama", "offline"] = Field(
        "offline", alias="LLM_PROVIDER", description="openai | ollama | offline (local demo)"
    )
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    ollama_base_url: str = Field("http://127.0.0.1:11434", alias="OLLAMA_BASE_URL")
    ollama_model: str = Field("llama3.1:8b", alias="OLLAMA_MODEL")

    # --- Database ---------------------------------------------------------------------------
    database_url: SecretStr | None = Field(None, alias="DATABASE_URL")
    instance_connection_name: str | None = Field(None, alias="INSTANCE_CONNECTION_NAME")
    db_iam_user: str | None = Field(None, alias="DB_IAM_USER")
    db_name: str = Field("vaultra", alias="DB_NAME")
    vaultra_home: Path = Field(_REPO_ROOT / ".vaultra", alias="VAULTRA_HOME")

    # --- Stripe -----------------------------------------------------------------------------
    stripe_api_key: SecretStr | None = Field(None, alias="STRIPE_API_KEY")
    stripe_api_base: str = Field("https://api.stripe.com", alias="STRIPE_API_BASE")
    stripe_webhook_secret: SecretStr | None = Field(None, alias="STRIPE_WEBHOOK_SECRET")
    stripe_webhook_tolerance_s: int = Field(300, alias="STRIPE_WEBHOOK_TOLERANCE")
    stripe_connect_client_id: str | None = Field(None, alias="STRIPE_CONNECT_CLIENT_ID")
    stripe_max_requests_per_s: float = Field(20.0, alias="STRIPE_MAX_REQUESTS_PER_S")

    # Key that encrypts Stripe credentials at rest (Fernet, urlsafe base64 of 32 bytes).
    # Locally a key is generated under VAULTRA_HOME; in production it comes from Secret Manager.
    credentials_key: SecretStr | None = Field(None, alias="VAULTRA_CREDENTIALS_KEY")

    # --- Other services ---------------------------------------------------------------------
    pinecone_api_key: SecretStr | None = Field(None, alias="PINECONE_API_KEY")
    gcp_project: str | None = Field(None, alias="GCP_PROJECT")
    event_bus: Literal["local", "pubsub"] = Field("local", alias="VAULTRA_EVENT_BUS")

    # How long a metrics computation waits, holding its business, before reading the ledger: the
    # rest of a burst of "data changed" messages arrives meanwhile and is then already seen.
    metrics_debounce_s: float = Field(2.0, ge=0, le=60, alias="METRICS_DEBOUNCE_S")

    # Pub/Sub topic names; defaults from vaultra.events.topics, the names Terraform creates.
    topic_stripe_data_changed: str = Field(
        topics.STRIPE_DATA_CHANGED, alias="TOPIC_STRIPE_DATA_CHANGED"
    )
    topic_backfill_requested: str = Field(
        topics.BACKFILL_REQUESTED, alias="TOPIC_BACKFILL_REQUESTED"
    )
    topic_metrics_computed: str = Field(topics.METRICS_COMPUTED, alias="TOPIC_METRICS_COMPUTED")
    topic_daily_refresh: str = Field(topics.DAILY_REFRESH, alias="TOPIC_DAILY_REFRESH")
    topic_metrics_refresh_requested: str = Field(
        topics.METRICS_REFRESH_REQUESTED, alias="TOPIC_METRICS_REFRESH_REQUESTED"
    )

    @field_validator("stripe_api_base")
    @classmethod
    def _no_trailing_slash(cls, v: str) -> str:
        return v.rstrip("/")

    def webhook_secrets(self) -> list[str]:
        """All configured signing secrets; during a rotation both old and new are accepted."""
        if self.stripe_webhook_secret is None:
            return []
        raw = self.stripe_webhook_secret.get_secret_value()
        return [s.strip() for s in raw.split(",") if s.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]
