"""The database as services see it: units of work (one transaction and the repositories working
in it), and the questions PostgreSQL answers about data versions.

- `Database.transaction()` — read-write, READ COMMITTED, committed on success;
- `Database.snapshot()` — read-only, REPEATABLE READ: every read sees one consistent snapshot;
- `Database.session()` — one connection across several transactions, for session-level advisory
  locks (a metrics computation holds its business while it waits, computes and announces).

Driver errors leave as `DatabaseUnavailable` or `DataRejected` (`vaultra.db.errors`), so nothing
above this package handles SQLAlchemy's or pg8000's types.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

from sqlalchemy import Connection, Engine, text

from vaultra.db.audit import AuditLog
from vaultra.db.businesses import Businesses
from vaultra.db.callers import Callers
from vaultra.db.checkpoints import BackfillCheckpoints
from vaultra.db.conversations import Conversations
from vaultra.db.dashboard_queries import DashboardQueries
from vaultra.db.dead_letters import DeadLetters
from vaultra.db.errors import translate
from vaultra.db.invitations import Invitations
from vaultra.db.job_runs import JobRuns
from vaultra.db.knowledge import KnowledgeChunks
from vaultra.db.ledger import Ledger
from vaultra.db.locks import Locks
from vaultra.db.memberships import Members, Memberships
from vaultra.db.metric_runs import MetricRuns
from vaultra.db.oauth_states import OAuthStates
from vaultra.db.outbox import Outbox
from vaultra.db.personal_tokens import PersonalTokens
from vaultra.db.rate_limits import RateLimits
from vaultra.db.readiness import Readiness
from vaultra.db.reconciliation import Reconciliation
from vaultra.db.reports import Reports
from vaultra.db.sharing import ShareLinks
from vaultra.db.stripe_events import StripeEvents
from vaultra.db.sync_progress import SyncProgress
from vaultra.db.user_tokens import UserTokens
from vaultra.db.users import RefreshTokens, Users
from vaultra.db.your_data import YourData
from vaultra.domain.metrics.formulas import POLICY_VERSION
from vaultra.domain.scoring.model import MODEL_VERSION

_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        translated = translate(exc)
        if translated is exc:
            raise
        raise translated from exc


class UnitOfWork:
    """One transaction on one connection; repositories are created on first use."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @cached_property
    def events(self) -> StripeEvents:
        return StripeEvents(self.conn)

    @cached_property
    def businesses(self) -> Businesses:
        return Businesses(self.conn)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.conn)

    @cached_property
    def metrics(self) -> MetricRuns:
        return MetricRuns(self.conn, POLICY_VERSION)

    @cached_property
    def readiness(self) -> Readiness:
        return Readiness(self.conn, MODEL_VERSION)

    @cached_property
    def jobs(self) -> JobRuns:
        return JobRuns(self.conn)

    @cached_property
    def checkpoints(self) -> BackfillCheckpoints:
        return BackfillCheckpoints(self.conn)

    @cached_property
    def dead_letters(self) -> DeadLetters:
        return DeadLetters(self.conn)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.conn)

    @cached_property
    def users(self) -> Users:
        return Users(self.conn)

    @cached_property
    def knowledge(self) -> KnowledgeChunks:
        return KnowledgeChunks(self.conn)

    @cached_property
    def conversations(self) -> Conversations:
        return Conversations(self.conn)

    @cached_property
    def callers(self) -> Callers:
        return Callers(self.conn)

    @cached_property
    def refresh_tokens(self) -> RefreshTokens:
        return RefreshTokens(self.conn)

    @cached_property
    def memberships(self) -> Memberships:
        return Memberships(self.conn)

    @cached_property
    def members(self) -> Members:
        return Members(self.conn)

    @cached_property
    def invitations(self) -> Invitations:
        return Invitations(self.conn)

    @cached_property
    def user_tokens(self) -> UserTokens:
        return UserTokens(self.conn)

    @cached_property
    def personal_tokens(self) -> PersonalTokens:
        return PersonalTokens(self.conn)

    @cached_property
    def rate_limits(self) -> RateLimits:
        return RateLimits(self.conn)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.conn)

    @cached_property
    def reconciliation(self) -> Reconciliation:
        return Reconciliation(self.conn, POLICY_VERSION, MODEL_VERSION)

    @cached_property
    def reports(self) -> Reports:
        return Reports(self.conn)

    @cached_property
    def share_links(self) -> ShareLinks:
        return ShareLinks(self.conn)

    @cached_property
    def your_data(self) -> YourData:
        return YourData(self.conn)

    @cached_property
    def dashboard(self) -> DashboardQueries:
        return DashboardQueries(self.conn, MODEL_VERSION, POLICY_VERSION)

    @cached_property
    def oauth_states(self) -> OAuthStates:
        return OAuthStates(self.conn)

    @cached_property
    def sync_progress(self) -> SyncProgress:
        return SyncProgress(self.conn, MODEL_VERSION)

    # --- data versions (see docs/ARCHITECTURE.md, "Bursts compute once") -------------------

    def transaction_id(self) -> str:
        """This transaction's id (`xid8`): a reader whose snapshot sees it saw every change
        this transaction made."""
        return str(self.conn.execute(text("SELECT pg_current_xact_id()::text")).scalar_one())

    def read_snapshot(self) -> str:
        """The snapshot this transaction reads (under REPEATABLE READ, all its reads)."""
        return str(self.conn.execute(text("SELECT pg_current_snapshot()::text")).scalar_one())

    def sees(self, transaction_id: str, snapshot: str) -> bool:
        """Whether `transaction_id` had committed when `snapshot` was taken."""
        return bool(
            self.conn.execute(
                text("SELECT pg_visible_in_snapshot(CAST(:x AS xid8), CAST(:s AS pg_snapshot))"),
                {"x": transaction_id, "s": snapshot},
            ).scalar_one()
        )


class Session:
    """One connection held across transactions (its advisory locks last as long as it does).

    Locks still held when the session ends are released; if that fails, the connection is
    discarded rather than returned to the pool, so a lock can never outlive its holder.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._locks = Locks(conn)
        self._held: set[tuple[str, str]] = set()

    def try_lock(self, namespace: str, value: object) -> bool:
        with _translated():
            taken = self._locks.try_session_lock(namespace, value)
            self._conn.commit()
        if taken:
            self._held.add((namespace, str(value)))
        return taken

    def unlock(self, namespace: str, value: object) -> None:
        self._held.discard((namespace, str(value)))
        with _translated():
            self._locks.release_session_lock(namespace, value)
            self._conn.commit()

    def release_all(self) -> None:
        for namespace, value in list(self._held):
            try:
                self.unlock(namespace, value)
            except Exception:
                self._conn.invalidate()
                return

    @contextmanager
    def transaction(self, *, consistent: bool = False) -> Iterator[UnitOfWork]:
        """A transaction on this session's connection; `consistent`: REPEATABLE READ."""
        with _translated():
            self._conn.execution_options(
                isolation_level="REPEATABLE READ" if consistent else "READ COMMITTED"
            )
            with self._conn.begin():
                yield UnitOfWork(self._conn)


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        with _translated(), self.engine.begin() as conn:
            yield UnitOfWork(conn)

    @contextmanager
    def snapshot(self) -> Iterator[UnitOfWork]:
        """Read-only, one consistent snapshot for every read; rolled back at the end.

        The transaction's mode is set by its first statement rather than by switching the
        connection's isolation level (SQLAlchemy sets it, then resets it at checkin, each a
        statement and a commit): a snapshot costs the driver's BEGIN, this SET, its reads and a
        ROLLBACK."""
        with _translated(), self.engine.connect() as conn, conn.begin() as transaction:
            conn.exec_driver_sql(_SNAPSHOT)
            yield UnitOfWork(conn)
            transaction.rollback()

    @contextmanager
    def reads(self) -> Iterator[UnitOfWork]:
        """Reads outside any transaction (PostgreSQL's autocommit): each statement sees what was
        committed when it started, and one statement's view is consistent in itself. For a read
        of one or two statements this saves the transaction's three round trips (BEGIN, SET,
        ROLLBACK); anything that must see several statements in one snapshot uses `snapshot`.
        Only reads belong here: nothing written would be rolled back.

        The driver's autocommit flag is set on the pooled connection for the block and cleared
        after (SQLAlchemy's AUTOCOMMIT isolation level would cost a statement and a commit at
        checkin to reset the connection)."""
        with _translated(), self.engine.connect() as conn:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            dbapi.autocommit = True
            try:
                yield UnitOfWork(conn)
            finally:
                dbapi.autocommit = False

    @contextmanager
    def session(self) -> Iterator[Session]:
        with _translated(), self.engine.connect() as conn:
            session = Session(conn)
            try:
                yield session
            finally:
                session.release_all()

    def check(self) -> None:
        """Raise `DatabaseUnavailable` unless a trivial query answers (readiness probes)."""
        with _translated(), self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
