"""Fetch the settled amounts that a business's foreign-currency charges, refunds and disputes lack.

Metrics count a charge, refund or dispute in another currency than the account's with the amount
Stripe settled it at: its balance transaction. Balance transactions have no events, so one that
arrived by webhook is left out ("unconverted") until something brings its balance transaction.
The reconciliation tick finds the businesses holding such objects and asks for them
(`SettlementsRequested`); this job fetches them through the stripe SDK, as the business's own
connection, and writes them like the backfill does:

- what is missing is one set-based query (`vaultra.db.settlements`), in the account currency the
  metrics resolve, oldest first, at most `LIMIT` objects a run and created within `LOOKBACK`;
- a charge's or refund's balance transaction is retrieved by its id; a dispute's come embedded in
  the dispute (`balance_transactions`, zero to two of them), which is retrieved;
- requests go through the same throttled client as the backfill; rate limits and Stripe's
  unavailability are retried with a backoff, then the run stops and keeps what it has (the next
  tick asks again);
- an object Stripe has no balance transaction for (404, a dispute without a withdrawal yet) is
  recorded and waits, longer after each failure, until it is given up; the others go on;
- refused credentials (401, 403) — or none, or none this deployment can decrypt — are recorded
  against the objects of the run, which then wait the same way: no run keeps knocking with a key
  Stripe refuses;
- rows are upserted by the ledger writer (version: the read time), and "stripe data changed"
  goes out when any was written, so the metrics count them. Runs of one business take turns.

A demo account (`acct_demo_…`) is synthetic: nothing is asked for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe

from vaultra.db import locks
from vaultra.db.businesses import LinkedAccount
from vaultra.db.ledger_writer import Batch, InvalidRow
from vaultra.db.settlements import FetchPolicy, Unsettled
from vaultra.db.unit_of_work import Database, Session
from vaultra.events.publisher import Publisher
from vaultra.services.businesses import is_demo_account
from vaultra.services.credentials import CredentialsKeyError
from vaultra.services.data_changed import announce_committed
from vaultra.services.stripe_access import NoStripeCredentials
from vaultra.stripe import mapping

log = logging.getLogger(__name__)

# Objects arrive by webhook within days of their creation (Stripe retries a delivery for three
# days and keeps events for thirty); an older one without its balance transaction waits for a
# backfill, which lists them all.
LOOKBACK = timedelta(days=35)
# Objects fetched per run, at most: 200 requests, ten seconds at the default 20 requests/s.
LIMIT = 200
# A failed object is tried again after 10 minutes, then 20, 40 and 80; after 5 failures, never.
RETRY_S = 600.0
GIVE_UP_AFTER = 5
# Rows are committed every so many objects, so a run cut short keeps what it fetched.
FLUSH_EVERY = 50
RETRYABLE = (stripe.RateLimitError, stripe.APIConnectionError, stripe.APIError)
REFUSED = (stripe.AuthenticationError, stripe.PermissionError)


def fetch_policy(now: datetime) -> FetchPolicy:
    """Which objects are due as of `now` (the job and the reconciliation tick agree on it)."""
    return FetchPolicy(since=now - LOOKBACK, retry_s=RETRY_S, give_up_after=GIVE_UP_AFTER)


@dataclass
class SettlementReport:
    due: int = 0  # objects due when the run started
    settled: int = 0  # objects whose settled amount was written
    balance_transactions: int = 0  # rows written
    missing: int = 0  # objects Stripe gave no settled amount for (recorded, tried again later)
    retries: int = 0
    refused: str | None = None  # the credentials were refused, or there were none: stopped
    interrupted: str | None = None  # Stripe stayed unavailable or rate limited: stopped
    busy: bool = False  # another run holds the business


class Settlements:
    def __init__(
        self,
        db: Database,
        connect: Callable[[], stripe.StripeClient],
        account: LinkedAccount,
        publisher: Publisher,
        *,
        limit: int = LIMIT,
        max_attempts: int = 4,
        backoff_s: float = 1.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.db, self.connect, self.account, self.publisher = db, connect, account, publisher
        self.limit, self.max_attempts, self.backoff_s = limit, max_attempts, backoff_s
        self.clock, self.sleep = clock, sleep

    def run(self) -> SettlementReport:
        report = SettlementReport()
        if is_demo_account(self.account.account_id):
            return report  # synthetic: no Stripe holds its balance transactions
        business = self.account.business_id
        policy = fetch_policy(self.clock())
        with self.db.session() as session:
            if not session.try_lock(locks.SETTLEMENTS, business):
                report.busy = True  # the holder fetches what this run would have
                return report
            with session.transaction(consistent=True) as uow:
                currency = uow.ledger.currency(business)
                due = (
                    uow.ledger.unsettled(business, currency, policy, self.limit) if currency else []
                )
            report.due = len(due)
            if due:
                self._fetch_all(session, due, policy, report)
        if report.balance_transactions:
            self._publish()
        return report

    # --- fetching --------------------------------------------------------------------------

    def _fetch_all(
        self, session: Session, due: list[Unsettled], policy: FetchPolicy, report: SettlementReport
    ) -> None:
        try:
            client = self.connect()
        except (NoStripeCredentials, CredentialsKeyError) as exc:  # never a secret in the text
            report.refused = f"no credentials: {exc}"
            self._write(session, Batch(), [(o, report.refused) for o in due], [], policy)
            return
        batch = Batch()
        failures: list[tuple[Unsettled, str]] = []
        settled: list[str] = []
        for index, item in enumerate(due):
            try:
                found = self._fetch(client, item, report)
            except REFUSED as exc:
                report.refused = _describe(exc)
                failures += [(o, report.refused) for o in due[index:]]
                break
            except RETRYABLE as exc:
                report.interrupted = _describe(exc)
                break
            except stripe.StripeError as exc:  # 404 and any other answer about this object
                failures.append((item, _describe(exc)))
                report.missing += 1
                continue
            written, problem = self._add(batch, item, found)
            report.balance_transactions += written
            if problem is None:
                settled.append(item.id)
                report.settled += 1
            else:
                failures.append((item, problem))
                report.missing += 1
            if len(settled) + len(failures) >= FLUSH_EVERY:
                self._write(session, batch, failures, settled, policy)
                batch, failures, settled = Batch(), [], []
        self._write(session, batch, failures, settled, policy)
        if report.refused or report.interrupted:
            log.warning(
                "settled amounts of %s stopped after %d of %d object(s): %s",
                self.account.business_id,
                report.settled + report.missing,
                report.due,
                report.refused or report.interrupted,
            )

    def _fetch(
        self, client: stripe.StripeClient, item: Unsettled, report: SettlementReport
    ) -> list[dict[str, Any]]:
        """The object's balance transactions as Stripe sends them (JSON-ready dicts)."""
        if item.kind == "dispute":
            dispute = self._call(lambda: client.v1.disputes.retrieve(item.id), report)
            embedded = dispute.to_dict(for_json=True).get("balance_transactions") or []
            return [t for t in embedded if isinstance(t, dict)]
        txn_id = item.balance_transaction_id
        assert txn_id is not None  # charges and refunds are only due with one
        txn = self._call(lambda: client.v1.balance_transactions.retrieve(txn_id), report)
        return [txn.to_dict(for_json=True)]

    def _add(
        self, batch: Batch, item: Unsettled, found: list[dict[str, Any]]
    ) -> tuple[int, str | None]:
        """Add the rows; returns how many, and why the object is still unsettled (None: it is
        not)."""
        read_at = self.clock().timestamp()
        added = 0
        for obj in found:
            if obj.get("object") != "balance_transaction":
                return added, "not a balance transaction"
            try:
                batch.add(mapping.balance_transaction(obj), read_at, "")
            except (mapping.MalformedObject, InvalidRow) as exc:
                log.warning("skipping a malformed balance transaction of %s: %s", item.id, exc)
                return added, "malformed balance transaction"
            added += 1
        if item.kind == "dispute" and not any(_amount(t) < 0 for t in found):
            return added, "no withdrawal yet"  # the metrics read a dispute's withdrawal
        if not found:
            return added, "no balance transaction yet"
        return added, None

    def _call(self, fn: Callable[[], Any], report: SettlementReport) -> Any:
        """`fn()`, retrying rate limits and Stripe's unavailability with a backoff (the SDK has
        retried connection errors and 5xx already); the last such error is raised."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                return fn()
            except RETRYABLE:
                if attempt == self.max_attempts:
                    raise
                report.retries += 1
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    # --- writing and publishing ------------------------------------------------------------

    def _write(
        self,
        session: Session,
        batch: Batch,
        failures: list[tuple[Unsettled, str]],
        settled: list[str],
        policy: FetchPolicy,
    ) -> None:
        business = self.account.business_id
        with session.transaction() as uow:
            uow.ledger.record_settlement_failures(business, failures)
            uow.ledger.forget_settlement_failures(business, settled, policy.since)
            if batch:  # last: it records the ledger's change, whose row lock lasts to the commit
                uow.ledger.write(business, self.account.livemode, batch)

    def _publish(self) -> None:
        announce_committed(self.db, self.publisher, self.account, "settlement", self.clock())


def _amount(txn: dict[str, Any]) -> int:
    value = txn.get("amount")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _describe(exc: stripe.StripeError) -> str:
    """An error as it is recorded: its class, HTTP status and Stripe's code — never the message,
    which may quote what was sent."""
    parts = [str(part) for part in (exc.http_status, getattr(exc, "code", None)) if part]
    return f"{type(exc).__name__} ({' '.join(parts)})" if parts else type(exc).__name__
