"""Import a linked account's Stripe history through the list API.

- Calendar-month `created` windows, newest first, so the recent months — what a first score needs —
  land first; after the first `FIRST_SCORE_WINDOWS` months a "stripe data changed" is published.
- Every batch commits its rows together with its checkpoint (the last imported id of the window):
  an interrupted run resumes where it stopped; a window done is never fetched again. A window's
  resources are imported by two writer threads, each (resource, window) on one of them.
- Pages come from the SDK's auto-pagination; the SDK retries 5xx and connection errors, the
  throttled client keeps within Stripe's rate limits, and a 429 or a failure that outlasts the SDK's
  retries backs off and resumes the window from its checkpoint.
- Rows are written by the same normalization and upserts as the webhook, versioned by the moment
  the page was read, so a backfill and live webhooks can interleave in any order.
- Then the last 30 days of events (all Stripe keeps) are stored and applied, and the subscription
  history before them is rebuilt (vaultra.db.subscription_history).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe

from vaultra.db.businesses import LinkedAccount
from vaultra.db.checkpoints import Checkpoint
from vaultra.db.ledger_writer import Batch, InvalidRow
from vaultra.db.unit_of_work import Database
from vaultra.events.publisher import Publisher
from vaultra.services.apply_events import apply_and_store_imported, record_default_currency
from vaultra.services.data_changed import announce_committed
from vaultra.stripe import mapping
from vaultra.stripe.events import MalformedEvent, ParsedEvent, parse_event

log = logging.getLogger(__name__)

EVENTS_RETENTION = timedelta(days=30)
FIRST_SCORE_WINDOWS = 3
# With no account creation date, stop after this many empty months in a row.
EMPTY_WINDOWS_TO_STOP = 12
MAX_HISTORY_YEARS = 15
RETRYABLE = (stripe.RateLimitError, stripe.APIConnectionError, stripe.APIError)


@dataclass(frozen=True)
class Resource:
    name: str  # the list endpoint, also the checkpoint key
    service: Callable[[stripe.StripeClient], Any]
    params: dict[str, Any] = field(default_factory=dict)


# Order within a window: customers and subscriptions first, the money movements after.
RESOURCES: tuple[Resource, ...] = (
    Resource("customers", lambda c: c.v1.customers),
    Resource("subscriptions", lambda c: c.v1.subscriptions, {"status": "all"}),
    Resource("invoices", lambda c: c.v1.invoices),
    Resource("charges", lambda c: c.v1.charges),
    Resource("refunds", lambda c: c.v1.refunds),
    Resource("disputes", lambda c: c.v1.disputes),
    Resource("payouts", lambda c: c.v1.payouts),
    Resource("balance_transactions", lambda c: c.v1.balance_transactions),
)


def _once(request: Callable[[], Any]) -> Any:
    return request()


class BackfillFailed(RuntimeError):
    """The backfill stopped. `retryable`: a later run may succeed (rate limits, Stripe outage);
    otherwise only a change can fix it (bad key, no access to the account, bad request)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m")


@dataclass
class BackfillReport:
    objects: int = 0
    windows: int = 0
    windows_skipped: int = 0
    events: int = 0
    states_rebuilt: int = 0
    retries: int = 0


ProgressFn = Callable[[str, str, int], None]  # (window label, resource, objects imported)


def month_windows(start: datetime, end: datetime) -> Iterator[Window]:
    """Calendar months covering [start, end), newest first; the newest ends at `end`."""
    cursor = datetime(end.year, end.month, 1, tzinfo=UTC)
    upper = end
    while upper > start:
        yield Window(
            max(cursor, start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)), upper
        )
        upper = cursor
        cursor = (cursor - timedelta(days=1)).replace(day=1)


class Backfill:
    def __init__(
        self,
        db: Database,
        client: stripe.StripeClient,
        account: LinkedAccount,
        publisher: Publisher,
        *,
        batch_size: int = 1000,
        max_attempts: int = 6,
        backoff_s: float = 1.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        progress: ProgressFn | None = None,
        writers: int = 2,
    ) -> None:
        self.db, self.client, self.account, self.publisher = db, client, account, publisher
        self.batch_size, self.max_attempts, self.backoff_s = batch_size, max_attempts, backoff_s
        self.clock, self.sleep = clock, sleep
        self.progress = progress or (lambda *_: None)
        # Resources of a window are imported by `writers` threads, each on its own connection:
        # PostgreSQL works on one batch while Python prepares the next (docs/BENCHMARKS.md).
        # Each (resource, window) stays on one thread, so its checkpoint advances in order.
        self.writers = writers
        self.report = BackfillReport()
        self._report_lock = threading.Lock()

    def _count(self, field_name: str, n: int = 1) -> None:
        with self._report_lock:
            setattr(self.report, field_name, getattr(self.report, field_name) + n)

    # --- the run ---------------------------------------------------------------------------

    def run(self) -> BackfillReport:
        started = self.clock()
        account_created = self._account_details()
        floor = account_created or started.replace(year=started.year - MAX_HISTORY_YEARS)
        checkpoints = self._checkpoints()
        empty_streak = 0
        with ThreadPoolExecutor(max_workers=self.writers, thread_name_prefix="backfill") as pool:
            for index, window in enumerate(month_windows(floor, started)):
                imported = self._import_window(pool, window, checkpoints)
                self.report.windows += 1
                if index + 1 == FIRST_SCORE_WINDOWS:
                    self._publish()  # recent months are in: a first score can be computed now
                empty_streak = empty_streak + 1 if imported == 0 else 0
                if account_created is None and empty_streak >= EMPTY_WINDOWS_TO_STOP:
                    break
        self.report.events = self._import_recent_events(started)
        with self.db.transaction() as uow:
            self.report.states_rebuilt = uow.ledger.rebuild_subscription_history(
                self.account.business_id, started - EVENTS_RETENTION
            )
        self._publish()
        return self.report

    def _import_window(
        self,
        pool: ThreadPoolExecutor,
        window: Window,
        checkpoints: dict[tuple[str, datetime], Checkpoint],
    ) -> int:
        """All resources of one window; returns the objects seen. The first failure is raised
        once the other resources of the window have stopped."""
        futures = [
            pool.submit(self._import, r, window, checkpoints.get((r.name, window.start)))
            for r in RESOURCES
        ]
        wait(futures)
        return sum(f.result() for f in futures)

    def _account_details(self) -> datetime | None:
        """When the account was created (how far back to import), and its default currency
        recorded as the business's: the currency Stripe settles in, read rather than inferred."""
        read_at = self.clock()
        try:
            account = self._call(lambda: self.client.v1.accounts.retrieve_current())
        except BackfillFailed:
            log.info("account details unavailable; scanning back until empty months")
            return None
        details = account.to_dict(for_json=True)
        with self.db.transaction() as uow:
            record_default_currency(uow, self.account.business_id, details, read_at)
        created = details.get("created")
        return datetime.fromtimestamp(created, UTC) if created else None

    # --- one resource in one window --------------------------------------------------------

    def _import(self, resource: Resource, window: Window, checkpoint: Checkpoint | None) -> int:
        """Import one (resource, window), resuming from its checkpoint; returns objects seen."""
        if checkpoint is not None and checkpoint.completed_at is not None:
            if checkpoint.completed_at >= window.end:
                self._count("windows_skipped")
                return int(checkpoint.objects)
            # Completed while it was the current month: newer objects may have arrived since.
            self._reset_checkpoint(resource, window)
            checkpoint = None
        cursor = checkpoint.cursor if checkpoint is not None else None
        count = int(checkpoint.objects) if checkpoint is not None else 0
        attempt = 0
        while True:
            try:
                for n in self._pages(resource, window, cursor):
                    count += n
                    self.progress(window.label, resource.name, n)
                break
            except RETRYABLE as exc:
                attempt += 1
                if attempt >= self.max_attempts:
                    raise BackfillFailed(
                        f"{resource.name} {window.label}: still failing after {attempt} attempts "
                        f"({type(exc).__name__}: {exc.user_message or exc})",
                        retryable=True,
                    ) from exc
                self._count("retries")
                delay = self.backoff_s * 2 ** (attempt - 1)
                log.warning(
                    "%s %s: %s; retrying in %.1fs",
                    resource.name,
                    window.label,
                    type(exc).__name__,
                    delay,
                )
                self.sleep(delay)
                cursor = self._checkpoint_cursor(resource, window)
            except stripe.StripeError as exc:
                raise BackfillFailed(
                    f"{resource.name} {window.label}: {type(exc).__name__}: {exc.user_message or exc}",
                    retryable=False,
                ) from exc
        self._save_checkpoint(resource, window, None, 0, completed=True)
        return count

    def _pages(self, resource: Resource, window: Window, cursor: str | None) -> Iterator[int]:
        """Import the window page by page; yields the size of each committed batch."""
        params: dict[str, Any] = {
            "limit": 100,
            "created": {"gte": int(window.start.timestamp()), "lt": _ceil_ts(window.end)},
            **resource.params,
        }
        if cursor:
            params["starting_after"] = cursor
        pending: list[dict[str, Any]] = []
        for page in self._list_pages(f"/v1/{resource.name}", params):
            pending.extend(page)
            if len(pending) >= self.batch_size:
                self._flush(resource, window, pending)
                yield len(pending)
                pending = []
        if pending:
            self._flush(resource, window, pending)
            yield len(pending)

    def _list_pages(
        self, path: str, params: dict[str, Any], call: Callable[[Callable[[], Any]], Any] = _once
    ) -> Iterator[list[dict[str, Any]]]:
        """A list endpoint's pages, newest first, as plain dicts: the SDK's request (its keys,
        account header, API version, retries and our throttle) and Stripe's cursor pagination
        (`starting_after` the page's last id while `has_more`), without the SDK's object tree,
        whose construction cost the import more time than the requests did (docs/BENCHMARKS.md,
        "Connect → first score"). `call` wraps each request (retries between pages)."""
        params = dict(params)
        while True:
            response = call(lambda: self.client.raw_request("get", path, **params))
            page = response.data
            objects: list[dict[str, Any]] = page.get("data") or []
            if objects:
                yield objects
            if not page.get("has_more") or not objects:
                return
            params["starting_after"] = objects[-1]["id"]

    def _flush(self, resource: Resource, window: Window, objects: list[dict[str, Any]]) -> str:
        """Normalize and write a batch and advance the checkpoint, in one transaction."""
        read_at = self.clock().timestamp()
        batch = Batch()
        for obj in objects:
            if obj.get("object") == "invoice":
                self._complete_invoice_lines(obj)
            try:
                rows = mapping.normalize(obj, observed_at=int(read_at), source="snapshot")
                batch.add(rows, read_at, "")
            except (mapping.MalformedObject, InvalidRow) as exc:
                log.warning("skipping a malformed %s: %s", resource.name, exc)
        last_id = str(objects[-1]["id"])
        with self.db.transaction() as uow:
            uow.ledger.write(self.account.business_id, self.account.livemode, batch)
            uow.checkpoints.save(
                self.account.business_id,
                resource.name,
                (window.start, window.end),
                last_id,
                len(objects),
            )
        self._count("objects", len(objects))
        return last_id

    def _complete_invoice_lines(self, invoice: dict[str, Any]) -> None:
        lines = invoice.get("lines") or {}
        if not lines.get("has_more"):
            return
        listing = self._call(
            lambda: self.client.v1.invoices.line_items.list(invoice["id"], params={"limit": 100})
        )
        lines["data"] = [line.to_dict(for_json=True) for line in listing.auto_paging_iter()]
        lines["has_more"] = False

    # --- the last 30 days of events --------------------------------------------------------

    def _import_recent_events(self, started: datetime) -> int:
        since = int((started - EVENTS_RETENTION).timestamp())
        params = {"limit": 100, "created": {"gte": since}}
        received = []
        for page in self._list_pages("/v1/events", params, self._call):
            for listed in page:
                body = json.dumps(listed)
                try:
                    received.append((parse_event(body), body))
                except MalformedEvent as exc:
                    log.warning("skipping a malformed recent event: %s", exc)
        received = [(e, body) for e, body in received if e.livemode == self.account.livemode]
        events: list[ParsedEvent] = [e for e, _ in received]
        if not events:
            return 0
        with self.db.transaction() as uow:
            apply_and_store_imported(uow, self.account, received)
        return len(events)

    # --- checkpoints, retries, publishing --------------------------------------------------

    def _checkpoints(self) -> dict[tuple[str, datetime], Checkpoint]:
        with self.db.transaction() as uow:
            return uow.checkpoints.all(self.account.business_id)

    def _reset_checkpoint(self, resource: Resource, window: Window) -> None:
        with self.db.transaction() as uow:
            uow.checkpoints.reset(self.account.business_id, resource.name, window.start)

    def _checkpoint_cursor(self, resource: Resource, window: Window) -> str | None:
        with self.db.transaction() as uow:
            return uow.checkpoints.cursor(self.account.business_id, resource.name, window.start)

    def _save_checkpoint(
        self,
        resource: Resource,
        window: Window,
        cursor: str | None,
        added: int,
        *,
        completed: bool = False,
    ) -> None:
        with self.db.transaction() as uow:
            uow.checkpoints.save(
                self.account.business_id,
                resource.name,
                (window.start, window.end),
                cursor,
                added,
                completed=completed,
            )

    def _call(self, fn: Callable[[], Any]) -> Any:
        for attempt in range(1, self.max_attempts + 1):
            try:
                return fn()
            except RETRYABLE as exc:
                if attempt == self.max_attempts:
                    raise BackfillFailed(
                        f"{type(exc).__name__}: {exc.user_message or exc}", retryable=True
                    ) from exc
                self._count("retries")
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
            except stripe.StripeError as exc:
                raise BackfillFailed(
                    f"{type(exc).__name__}: {exc.user_message or exc}", retryable=False
                ) from exc
        raise AssertionError("unreachable")

    def _publish(self) -> None:
        announce_committed(self.db, self.publisher, self.account, "backfill", self.clock())


def _ceil_ts(moment: datetime) -> int:
    ts = moment.timestamp()
    return int(ts) if ts == int(ts) else int(ts) + 1
