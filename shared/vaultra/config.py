"""One place for configuration: environment variables (and `.env`), validated once.

Secrets are `SecretStr` so that a repr, a log line or a traceback never shows them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The repository root, when running from a checkout; `.vaultra/` under it holds local state.
_REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    # --- LLM (from the product brief) -------------------------------------------------------
    llm_provider: Literal["openai", "ollama", "offline"] = Field(
        "offline", alias="LLM_PROVIDER", description="openai | ollama | offline (local demo)"
    )
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    # None: the SDK's default (api.openai.com); any OpenAI-compatible server otherwise.
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    openai_model: str = Field("gpt-4o-mini", alias="OPENAI_MODEL")
    ollama_base_url: str = Field("http://127.0.0.1:11434", alias="OLLAMA_BASE_URL")
    ollama_model: str = Field("llama3.1:8b", alias="OLLAMA_MODEL")
    # One model request may take this long (a whole streamed answer included), and is retried
    # this many times, with exponential backoff, on a connection error, 408, 429 or 5xx.
    llm_timeout_s: float = Field(60.0, gt=0, le=600, alias="LLM_TIMEOUT_S")
    llm_max_retries: int = Field(2, ge=0, le=6, alias="LLM_MAX_RETRIES")
    # Tokens (prompt + completion) one user may spend a day; the chat refuses beyond it.
    llm_daily_tokens: int = Field(200_000, ge=0, alias="LLM_DAILY_TOKENS")

    # --- Knowledge retrieval ---------------------------------------------------------------
    # How the knowledge base is searched (bench/agent_eval measured all three; docs/BENCHMARKS.md)
    retrieval: Literal["lexical", "dense", "hybrid"] = Field("hybrid", alias="VAULTRA_RETRIEVAL")
    # What embeds passages and questions for dense and hybrid retrieval: all-MiniLM-L6-v2 in
    # process (offline), OpenAI's or Ollama's embeddings API; "none" for lexical search only.
    embeddings: Literal["minilm", "openai", "ollama", "none"] = Field(
        "minilm", alias="VAULTRA_EMBEDDINGS"
    )
    openai_embedding_model: str = Field("text-embedding-3-small", alias="OPENAI_EMBEDDING_MODEL")
    ollama_embedding_model: str = Field("nomic-embed-text", alias="OLLAMA_EMBEDDING_MODEL")
    # Where passage vectors are searched: PostgreSQL with pgvector, or a Pinecone index.
    vector_store: Literal["postgres", "pinecone"] = Field("postgres", alias="VAULTRA_VECTOR_STORE")
    pinecone_host: str | None = Field(None, alias="PINECONE_HOST")

    # --- Database ---------------------------------------------------------------------------
    database_url: SecretStr | None = Field(None, alias="DATABASE_URL")
    instance_connection_name: str | None = Field(None, alias="INSTANCE_CONNECTION_NAME")
    db_iam_user: str | None = Field(None, alias="DB_IAM_USER")
    db_name: str = Field("vaultra", alias="DB_NAME")
    # Which of the instance's addresses the connector dials: Terraform gives Cloud SQL a private
    # IP only, reached through the VPC connector (the connector's own default is the public one).
    db_ip_type: Literal["private", "public", "psc"] = Field("private", alias="DB_IP_TYPE")
    vaultra_home: Path = Field(_REPO_ROOT / ".vaultra", alias="VAULTRA_HOME")
    # The dashboard as `make site` builds it (Astro's static output), served by `vaultra serve`.
    site_dir: Path = Field(_REPO_ROOT / "frontend" / "dist", alias="VAULTRA_SITE_DIR")
    knowledge_dir: Path = Field(
        _REPO_ROOT / "agent_service" / "knowledge",
        alias="VAULTRA_KNOWLEDGE_DIR",
        description="The knowledge base's articles (`*.md`), indexed by `vaultra knowledge index`",
    )

    # --- Stripe -----------------------------------------------------------------------------
    stripe_api_key: SecretStr | None = Field(None, alias="STRIPE_API_KEY")
    stripe_api_base: str = Field("https://api.stripe.com", alias="STRIPE_API_BASE")
    stripe_webhook_secret: SecretStr | None = Field(None, alias="STRIPE_WEBHOOK_SECRET")
    stripe_webhook_tolerance_s: int = Field(300, alias="STRIPE_WEBHOOK_TOLERANCE")
    stripe_connect_client_id: str | None = Field(None, alias="STRIPE_CONNECT_CLIENT_ID")
    # Where founders approve Connect OAuth and where codes are exchanged (a loopback server in
    # tests and the local demo).
    stripe_connect_base: str = Field("https://connect.stripe.com", alias="STRIPE_CONNECT_BASE")
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

    # The reconciliation tick leaves changes younger than this to their own messages.
    reconcile_grace_s: float = Field(60.0, ge=0, le=3600, alias="RECONCILE_GRACE_S")
    # How often `vaultra serve` ticks (Cloud Scheduler's job does it in the cloud).
    reconcile_interval_s: float = Field(120.0, ge=1, le=3600, alias="RECONCILE_INTERVAL_S")
    # Raw Stripe events (stripe_events) are deleted this long after they were received, by the
    # daily refresh; events still waiting for their account to be linked are kept.
    raw_event_retention_days: int = Field(90, ge=7, le=3650, alias="RAW_EVENT_RETENTION_DAYS")

    # --- The API ---------------------------------------------------------------------------
    # Signs access tokens (HS256). Locally a key is generated under VAULTRA_HOME; deployed, it
    # comes from Secret Manager and is required.
    jwt_secret: SecretStr | None = Field(None, alias="VAULTRA_JWT_SECRET")
    access_token_ttl_s: int = Field(900, ge=60, le=3600, alias="ACCESS_TOKEN_TTL_S")
    refresh_token_ttl_s: int = Field(
        30 * 86400, ge=3600, le=90 * 86400, alias="REFRESH_TOKEN_TTL_S"
    )
    # Where founders reach Vaultra (links in mails and share links); one origin in production.
    public_url: str = Field("http://127.0.0.1:8000", alias="VAULTRA_PUBLIC_URL")
    # Browser origins allowed to call the API across origins: development servers only (in
    # production the dashboard and the API share one origin).
    cors_origins: list[str] = Field(default_factory=list, alias="VAULTRA_CORS_ORIGINS")
    # Mail: "log" keeps mail in the outbox table and the log (local); an smtp:// URL, which may
    # carry the relay's credentials (so it is a secret), relays it.
    mail_transport: SecretStr = Field(SecretStr("log"), alias="VAULTRA_MAIL_TRANSPORT")
    mail_from: str = Field("Vaultra <no-reply@vaultra.local>", alias="VAULTRA_MAIL_FROM")
    # Reports' files: a Google Cloud Storage bucket (deployed), or a folder under VAULTRA_HOME
    # (local) whose downloads the API signs and serves itself.
    reports_bucket: str | None = Field(None, alias="VAULTRA_REPORTS_BUCKET")
    # How long a report's download link works.
    report_link_ttl_s: int = Field(300, ge=30, le=3600, alias="REPORT_LINK_TTL_S")

    # --- Where this runs --------------------------------------------------------------------
    # "production" refuses to start without its required settings; so does any process on
    # Google's runtime, which sets K_SERVICE (Cloud Run, Cloud Functions gen2).
    environment: Literal["local", "production"] = Field("local", alias="VAULTRA_ENV")
    platform_service: str | None = Field(None, alias="K_SERVICE")

    @field_validator("stripe_api_base", "stripe_connect_base", "public_url")
    @classmethod
    def _no_trailing_slash(cls, v: str) -> str:
        return v.rstrip("/")

    @property
    def deployed(self) -> bool:
        return self.environment == "production" or self.platform_service is not None

    def webhook_secrets(self) -> list[str]:
        """All configured signing secrets; during a rotation both old and new are accepted."""
        if self.stripe_webhook_secret is None:
            return []
        raw = self.stripe_webhook_secret.get_secret_value()
        return [s.strip() for s in raw.split(",") if s.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]


class ConfigurationError(RuntimeError):
    """A deployed runtime is missing a setting it needs, or has a placeholder in it."""


Requirement = Literal[
    "database",
    "event_bus",
    "credentials_key",
    "webhook_secret",
    "jwt_secret",
    "public_url",
    "mail",
    "reports_bucket",
    "llm",
    "knowledge",
]

# Values people leave in templates: "changeme" anywhere, or a whole value that only names its kind.
_PLACEHOLDER = re.compile(
    r"change[-_ ]?me|replace[-_ ]?me|^(placeholder|todo|tbd|dummy|secret|password|none|null)$"
    r"|^x+$|^<.*>$|^\$\{.*\}$|^(whsec|sk_test|sk_live|rk_test|rk_live)_(x+|\.+)?$",
    re.IGNORECASE,
)


def _is_placeholder(value: str) -> bool:
    return not value.strip() or bool(_PLACEHOLDER.search(value.strip()))


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _problems(settings: Settings, need: Requirement) -> list[str]:
    if need == "database":
        if settings.instance_connection_name:
            return [] if settings.db_iam_user else ["DB_IAM_USER (with INSTANCE_CONNECTION_NAME)"]
        url = _secret(settings.database_url)
        if url is None:
            return ["INSTANCE_CONNECTION_NAME or DATABASE_URL (no embedded database when deployed)"]
        return ["DATABASE_URL is a placeholder"] if _is_placeholder(url) else []
    if need == "event_bus":
        problems = []
        if settings.event_bus != "pubsub":
            problems.append("VAULTRA_EVENT_BUS=pubsub (the local bus reaches no other instance)")
        if not settings.gcp_project or _is_placeholder(settings.gcp_project):
            problems.append("GCP_PROJECT")
        return problems
    if need == "credentials_key":
        key = _secret(settings.credentials_key)
        if key is None or _is_placeholder(key):
            return ["VAULTRA_CREDENTIALS_KEY (each instance would otherwise make its own key)"]
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            valid = False
        return [] if valid else ["VAULTRA_CREDENTIALS_KEY is not 32 url-safe base64 bytes"]
    if need == "public_url":
        url = settings.public_url
        local = re.match(r"^https?://(127\.|localhost|\[::1\])", url)
        if not url.startswith("https://") or local or _is_placeholder(url):
            return ["VAULTRA_PUBLIC_URL (the https origin founders reach: mails and share links)"]
        return []
    if need == "mail":
        if not settings.mail_transport.get_secret_value().startswith("smtp://"):
            return ["VAULTRA_MAIL_TRANSPORT=smtp://… (the local outbox reaches nobody)"]
        return []
    if need == "reports_bucket":
        bucket = settings.reports_bucket
        if not bucket or _is_placeholder(bucket):
            return ["VAULTRA_REPORTS_BUCKET (instances share no disk for the reports' files)"]
        return []
    if need == "llm":
        if settings.llm_provider == "openai" and _is_placeholder(
            _secret(settings.openai_api_key) or ""
        ):
            return ["OPENAI_API_KEY (LLM_PROVIDER=openai)"]
        if settings.llm_provider == "ollama" and _is_placeholder(settings.ollama_base_url):
            return ["OLLAMA_BASE_URL (LLM_PROVIDER=ollama)"]
        return []
    if need == "knowledge":
        problems = []
        if settings.embeddings == "openai" and _is_placeholder(
            _secret(settings.openai_api_key) or ""
        ):
            problems.append("OPENAI_API_KEY (VAULTRA_EMBEDDINGS=openai)")
        if settings.vector_store == "pinecone":
            if _is_placeholder(_secret(settings.pinecone_api_key) or ""):
                problems.append("PINECONE_API_KEY (VAULTRA_VECTOR_STORE=pinecone)")
            if not settings.pinecone_host or _is_placeholder(settings.pinecone_host):
                problems.append("PINECONE_HOST (VAULTRA_VECTOR_STORE=pinecone)")
        return problems
    if need == "jwt_secret":
        secret = _secret(settings.jwt_secret)
        if secret is None or _is_placeholder(secret) or len(secret) < 32:
            return ["VAULTRA_JWT_SECRET (32 characters or more; each instance would make its own)"]
        return []
    secrets = settings.webhook_secrets()
    if not secrets or any(_is_placeholder(s) or not s.startswith("whsec_") for s in secrets):
        return ["STRIPE_WEBHOOK_SECRET (the endpoint's whsec_… signing secret)"]
    return []


def check_deployment(settings: Settings, needs: Iterable[Requirement], runtime: str) -> None:
    """In a deployed runtime, refuse to start without every setting `runtime` needs.

    Locally nothing is required: the embedded database, the local bus and a generated key serve.
    The message names the settings, never their values."""
    if not settings.deployed:
        return
    problems = [problem for need in needs for problem in _problems(settings, need)]
    if problems:
        raise ConfigurationError(f"{runtime} refuses to start: set " + "; ".join(problems))
