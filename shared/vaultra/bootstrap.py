"""The composition root: every runtime — each Cloud Function, `vaultra serve`, the CLI, later the
API and the agent — gets its adapters and services here, built once per process.

A `Runtime` builds lazily and caches the database (one engine and pool), the publisher (one Pub/Sub
client, or the process's local bus) and the services over them. Entry points never build an
adapter themselves (an import-linter contract keeps them away from `vaultra.db`, the Stripe
adapter and SQLAlchemy); they call the runtime.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cached_property

import stripe
from mcp.server.mcpserver import MCPServer

from vaultra.config import Settings, get_settings
from vaultra.db.businesses import LinkedAccount
from vaultra.db.engine import build_engine
from vaultra.db.migrate import grant_runtime, upgrade
from vaultra.db.unit_of_work import Database
from vaultra.events.cloudevent import DeadLetter
from vaultra.events.publisher import Publisher
from vaultra.health import LIVE, HealthReport, check_health
from vaultra.llm.base import LLMProvider
from vaultra.llm.embeddings import Embedder, VectorStore
from vaultra.services import credentials
from vaultra.services.accounts import Accounts
from vaultra.services.agent import Agent
from vaultra.services.agent_mcp import build_mcp
from vaultra.services.agent_tools import AgentTools
from vaultra.services.auth_tokens import AccessTokens
from vaultra.services.backfill import Backfill, ProgressFn
from vaultra.services.businesses import LinkResult, add_business, current_link, current_links
from vaultra.services.daily_refresh import fan_out_daily_refresh, prune_raw_events
from vaultra.services.dashboard import Dashboard
from vaultra.services.dead_letters import record_dead_letter
from vaultra.services.demo_data import DemoData
from vaultra.services.downloads import Downloads
from vaultra.services.email_verification import EmailVerification
from vaultra.services.jobs import Jobs
from vaultra.services.knowledge import KnowledgeBase
from vaultra.services.local_keys import local_key
from vaultra.services.local_login import LocalDemoLogin
from vaultra.services.mail import Mailer, build_mailer
from vaultra.services.members import Members
from vaultra.services.metrics import Metrics
from vaultra.services.onboarding import StripeOnboarding
from vaultra.services.owner_mail import OwnerMail
from vaultra.services.password_reset import PasswordReset
from vaultra.services.personal_tokens import PersonalTokens
from vaultra.services.rate_limits import RateLimiter
from vaultra.services.readiness import Readiness
from vaultra.services.reconcile import ReconcileReport, reconcile
from vaultra.services.reports import Reports
from vaultra.services.settlements import Settlements
from vaultra.services.sharing import Sharing
from vaultra.services.stripe_access import client_for_account
from vaultra.services.tenancy import Tenancy
from vaultra.services.webhook import WebhookReceiver
from vaultra.services.what_if import WhatIf
from vaultra.services.your_data import YourData
from vaultra.storage import ObjectStore


def build_publisher(settings: Settings) -> tuple[Publisher, Callable[[], None] | None]:
    """The bus chosen by `VAULTRA_EVENT_BUS` and how to release it: "pubsub" (one client per
    process, closed with the runtime) or "local" (the process's bus, which outlives it)."""
    if settings.event_bus == "pubsub":
        if not settings.gcp_project:
            raise ValueError("GCP_PROJECT must be set when VAULTRA_EVENT_BUS=pubsub")
        from vaultra.events.pubsub import PubSubPublisher

        publisher = PubSubPublisher(settings.gcp_project)
        return publisher, publisher.close
    from vaultra.events.local_bus import get_local_bus

    return get_local_bus(), None


def build_store(settings: Settings, clock: Callable[[], datetime]) -> ObjectStore:
    """Reports' storage chosen by `VAULTRA_REPORTS_BUCKET`: that Cloud Storage bucket, or —
    locally only — a folder under VAULTRA_HOME (a function instance's disk would lose it)."""
    if settings.reports_bucket:
        from vaultra.storage.gcs import GcsStore, gcs_client

        return GcsStore(gcs_client(settings.gcp_project), settings.reports_bucket)
    if settings.deployed:
        raise ValueError("VAULTRA_REPORTS_BUCKET must be set in a deployed runtime")
    from vaultra.storage.local import LocalStore
    from vaultra.storage.signed_links import LinkSigner

    key = local_key(settings.vaultra_home, "downloads.key", lambda: secrets.token_hex(32).encode())
    return LocalStore(
        settings.vaultra_home / "storage", LinkSigner(key, clock=clock), settings.public_url
    )


def build_llm(settings: Settings) -> LLMProvider:
    """The model chosen by `LLM_PROVIDER`: OpenAI (its key required), Ollama, or the offline
    rules."""
    if settings.llm_provider == "openai":
        if settings.openai_api_key is None:
            raise ValueError("OPENAI_API_KEY must be set when LLM_PROVIDER=openai")
        from vaultra.llm.openai_chat import OpenAIChat

        return OpenAIChat(
            api_key=settings.openai_api_key.get_secret_value(),
            model=settings.openai_model,
            base_url=settings.openai_base_url,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )
    if settings.llm_provider == "ollama":
        from vaultra.llm.ollama_chat import OllamaChat

        return OllamaChat(
            host=settings.ollama_base_url,
            model=settings.ollama_model,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )
    from vaultra.llm.offline import OfflineModel

    return OfflineModel()


def build_embedder(settings: Settings) -> Embedder | None:
    """The passages' embedder chosen by `VAULTRA_EMBEDDINGS` (None: lexical search only)."""
    if settings.embeddings == "none":
        return None
    if settings.embeddings == "openai":
        if settings.openai_api_key is None:
            raise ValueError("OPENAI_API_KEY must be set when VAULTRA_EMBEDDINGS=openai")
        from vaultra.llm.remote_embeddings import OpenAIEmbeddings

        return OpenAIEmbeddings(
            api_key=settings.openai_api_key.get_secret_value(),
            model=settings.openai_embedding_model,
            base_url=settings.openai_base_url,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )
    if settings.embeddings == "ollama":
        from vaultra.llm.remote_embeddings import OllamaEmbeddings

        return OllamaEmbeddings(
            host=settings.ollama_base_url,
            model=settings.ollama_embedding_model,
            timeout_s=settings.llm_timeout_s,
        )
    from vaultra.llm.minilm import MiniLM

    return MiniLM()


def build_vector_store(settings: Settings) -> VectorStore | None:
    """Pinecone when `VAULTRA_VECTOR_STORE=pinecone`; None: PostgreSQL (pgvector) itself."""
    if settings.vector_store != "pinecone":
        return None
    if settings.pinecone_api_key is None or not settings.pinecone_host:
        raise ValueError("PINECONE_API_KEY and PINECONE_HOST must be set for Pinecone")
    from vaultra.llm.pinecone_store import PineconeStore

    return PineconeStore.connect(
        api_key=settings.pinecone_api_key.get_secret_value(), host=settings.pinecone_host
    )


class Runtime:
    """One process's adapters and services. `publisher`/`database` may be given (tests, the
    local stack); otherwise they are built from the settings on first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        publisher: Publisher | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._database = database
        self._publisher = publisher
        self._release_publisher: Callable[[], None] | None = None

    # --- adapters --------------------------------------------------------------------------

    @property
    def database(self) -> Database:
        with self._lock:
            if self._database is None:
                self._database = Database(build_engine(self.settings))
            return self._database

    @property
    def publisher(self) -> Publisher:
        with self._lock:
            if self._publisher is None:
                self._publisher, self._release_publisher = build_publisher(self.settings)
            return self._publisher

    def migrate(self) -> None:
        upgrade(self.database.engine)

    def grant_runtime_role(self, users: list[str]) -> None:
        """Make each database user (a deployed runtime's own) a member of the runtimes' role;
        `UnknownDatabaseUser` names any that does not exist, and then none is granted."""
        grant_runtime(self.database.engine, users)

    # --- services --------------------------------------------------------------------------

    @cached_property
    def webhook(self) -> WebhookReceiver:
        return WebhookReceiver(
            self.database,
            self.publisher,
            self.settings.webhook_secrets(),
            self.settings.stripe_webhook_tolerance_s,
            clock=self.clock,
            on_access_revoked=lambda business, account: self.owner_mail.stripe_access_revoked(
                business, account
            ),
        )

    @cached_property
    def metrics(self) -> Metrics:
        return Metrics(
            self.database,
            self.publisher,
            debounce_s=self.settings.metrics_debounce_s,
            clock=self.clock,
        )

    @cached_property
    def readiness(self) -> Readiness:
        return Readiness(self.database)

    @cached_property
    def jobs(self) -> Jobs:
        return Jobs(self.database)

    @cached_property
    def access_tokens(self) -> AccessTokens:
        return AccessTokens(self._jwt_secret(), self.settings.access_token_ttl_s, clock=self.clock)

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(
            self.database,
            self.access_tokens,
            refresh_ttl_s=self.settings.refresh_token_ttl_s,
            clock=self.clock,
        )

    @cached_property
    def tenancy(self) -> Tenancy:
        return Tenancy(self.database, self.accounts)

    @cached_property
    def storage(self) -> ObjectStore:
        return build_store(self.settings, self.clock)

    @cached_property
    def reports(self) -> Reports:
        return Reports(
            self.database,
            self.storage,
            link_ttl_s=self.settings.report_link_ttl_s,
            clock=self.clock,
        )

    @cached_property
    def sharing(self) -> Sharing:
        return Sharing(self.database, self.storage, clock=self.clock)

    @cached_property
    def your_data(self) -> YourData:
        return YourData(self.database, self.storage, self.reports, clock=self.clock)

    @cached_property
    def downloads(self) -> Downloads:
        return Downloads(self.storage)

    @cached_property
    def mailer(self) -> Mailer:
        return build_mailer(self.settings, self.database, self.clock)

    @cached_property
    def email_verification(self) -> EmailVerification:
        return EmailVerification(
            self.database, self.mailer, public_url=self.settings.public_url, clock=self.clock
        )

    @cached_property
    def password_reset(self) -> PasswordReset:
        return PasswordReset(
            self.database, self.mailer, public_url=self.settings.public_url, clock=self.clock
        )

    @cached_property
    def personal_tokens(self) -> PersonalTokens:
        return PersonalTokens(self.database, clock=self.clock)

    @cached_property
    def members(self) -> Members:
        return Members(
            self.database,
            self.mailer,
            self.email_verification,
            public_url=self.settings.public_url,
            clock=self.clock,
        )

    @cached_property
    def local_login(self) -> LocalDemoLogin:
        return LocalDemoLogin(
            self.database,
            deployed=self.settings.deployed,
            home=self.settings.vaultra_home,
            clock=self.clock,
        )

    @cached_property
    def owner_mail(self) -> OwnerMail:
        return OwnerMail(self.database, self.mailer, public_url=self.settings.public_url)

    @cached_property
    def rate_limits(self) -> RateLimiter:
        return RateLimiter(self.database, clock=self.clock)

    @cached_property
    def knowledge(self) -> KnowledgeBase:
        embedder = build_embedder(self.settings)
        method = self.settings.retrieval if embedder is not None else "lexical"
        return KnowledgeBase(
            self.database,
            embedder=embedder,
            store=build_vector_store(self.settings) if embedder is not None else None,
            method=method,
        )

    @cached_property
    def agent_tools(self) -> AgentTools:
        return AgentTools(
            self.accounts,
            self.tenancy,
            self.dashboard,
            self.what_if,
            self.knowledge,
            self.rate_limits,
        )

    @cached_property
    def mcp(self) -> MCPServer:
        """The agent's tools as an MCP server: served at /mcp, and called in process by chat."""
        return build_mcp(self.agent_tools, public_url=self.settings.public_url)

    @cached_property
    def llm(self) -> LLMProvider:
        return build_llm(self.settings)

    @cached_property
    def agent(self) -> Agent:
        return Agent(
            self.database,
            self.tenancy,
            self.mcp,
            self.llm,
            self.rate_limits,
            daily_tokens=self.settings.llm_daily_tokens,
            clock=self.clock,
        )

    @cached_property
    def dashboard(self) -> Dashboard:
        return Dashboard(self.database)

    @cached_property
    def what_if(self) -> WhatIf:
        return WhatIf(self.database)

    @cached_property
    def onboarding(self) -> StripeOnboarding:
        return StripeOnboarding(self.database, self.publisher, self.settings, clock=self.clock)

    @cached_property
    def demo_data(self) -> DemoData:
        return DemoData(self.database, self.publisher, clock=self.clock)

    def _jwt_secret(self) -> str:
        if self.settings.jwt_secret is not None:
            return self.settings.jwt_secret.get_secret_value()
        if self.settings.deployed:  # `check_deployment` refuses to start first; never made here
            raise ValueError("VAULTRA_JWT_SECRET must be set in a deployed runtime")
        return local_key(
            self.settings.vaultra_home, "jwt.key", lambda: secrets.token_urlsafe(48).encode()
        ).decode()

    def add_business(
        self, name: str, account_id: str, *, livemode: bool, restricted_key: str | None = None
    ) -> LinkResult:
        secret = credentials.encrypt(self.settings, restricted_key) if restricted_key else None
        return add_business(self.database, name, account_id, livemode, secret)

    def link(self, account_id: str, test_mode: bool | None = None) -> LinkedAccount:
        """The account's one current link (`NotLinked` if none, or if both modes are linked
        and `test_mode` does not choose)."""
        return current_link(self.database, account_id, test_mode)

    def links(self, account_id: str) -> list[LinkedAccount]:
        return current_links(self.database, account_id)

    def stripe_client(self, link: LinkedAccount) -> stripe.StripeClient:
        return client_for_account(self.settings, link)

    def backfill(self, link: LinkedAccount, progress: ProgressFn | None = None) -> Backfill:
        return Backfill(
            self.database, self.stripe_client(link), link, self.publisher, progress=progress
        )

    def settlements(self, link: LinkedAccount) -> Settlements:
        """The settled amounts the link's business lacks, fetched with the link's credentials
        (built when the run has something to fetch)."""
        return Settlements(
            self.database,
            lambda: self.stripe_client(link),
            link,
            self.publisher,
            clock=self.clock,
        )

    def fan_out_daily_refresh(self, as_of: date) -> int:
        return fan_out_daily_refresh(self.database, self.publisher, as_of, clock=self.clock)

    def prune_raw_events(self) -> int:
        return prune_raw_events(
            self.database, self.settings.raw_event_retention_days, clock=self.clock
        )

    def reconcile(self) -> ReconcileReport:
        return reconcile(
            self.database,
            self.publisher,
            grace_s=self.settings.reconcile_grace_s,
            clock=self.clock,
        )

    def record_dead_letter(self, letter: DeadLetter) -> bool:
        return record_dead_letter(self.database, letter)

    def health(self, *, ready: bool) -> HealthReport:
        """Liveness (`ready=False`): the process answers. Readiness: the database answers a query
        and the event bus accepts messages; each named with its state."""
        if not ready:
            return LIVE
        return check_health({"database": self.database.check, "event_bus": self._check_bus})

    def _check_bus(self) -> None:
        check = getattr(self.publisher, "check", None)
        if check is not None:
            check()

    def close(self) -> None:
        """Release what this runtime built: the pool's connections, the Pub/Sub client."""
        with self._lock:
            database, self._database = self._database, None
            release, self._release_publisher = self._release_publisher, None
            self._publisher = None
        if database is not None:
            database.dispose()
        # the model and the knowledge base's clients, closed only if they were built
        llm = self.__dict__.pop("llm", None)
        if llm is not None:
            llm.close()
        knowledge = self.__dict__.pop("knowledge", None)
        if knowledge is not None:
            knowledge.close()
        if release is not None:
            release()


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def get_runtime() -> Runtime:
    """The process's runtime, built from the settings on first use — and again should the
    settings be reloaded (`get_settings.cache_clear()`, which only tests do)."""
    global _runtime
    settings = get_settings()
    with _runtime_lock:
        previous = runtime = _runtime
        if runtime is None or runtime.settings is not settings:
            runtime = _runtime = Runtime(settings)
    if previous is not None and previous is not runtime:
        previous.close()
    return runtime


def use_runtime(runtime: Runtime) -> Runtime:
    """Make `runtime` the process's (the local stack, tests); the previous one is closed."""
    global _runtime
    with _runtime_lock:
        previous, _runtime = _runtime, runtime
    if previous is not None and previous is not runtime:
        previous.close()
    return runtime


def reset_runtime() -> None:
    """Close and forget the process's runtime (tests): the next `get_runtime()` builds anew."""
    global _runtime
    with _runtime_lock:
        previous, _runtime = _runtime, None
    if previous is not None:
        previous.close()
