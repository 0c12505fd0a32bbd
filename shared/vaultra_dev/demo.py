"""`vaultra demo`: four generated businesses loaded the two ways real data arrives.

- Webhook path: the histories' events, signed with the endpoint secret, are POSTed to the local
  server (`vaultra serve`'s app, on a loopback port) — shuffled and with duplicates, as Stripe
  delivers them.
- Backfill path: the histories' objects are served by a loopback server of Stripe's list API and
  imported through the stripe SDK, exactly as a newly linked account is.

Everything is deterministic for a seed and a day, and running the demo again is harmless: linked
businesses are reused, redelivered events are no-ops, finished backfill windows are skipped. The
demo accounts name the generator version: a newer generator, whose ids differ, loads new businesses
instead of adding a second history to the old ones.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
import stripe
import uvicorn
from pydantic import SecretStr
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import Engine, text
from vaultra.bootstrap import Runtime
from vaultra.cli.render.readiness import print_components, print_recommendations
from vaultra.config import Settings
from vaultra.domain.metrics.catalog import BY_KEY, MetricDefinition
from vaultra.domain.metrics.display import format_value
from vaultra.domain.money import minor_units_per_unit
from vaultra.sample_data.generator import GENERATOR_VERSION, StripeHistory, generate
from vaultra.services.backfill import RESOURCES, Backfill
from vaultra.services.businesses import AccountAlreadyLinked, LinkedAccount
from vaultra.services.knowledge import load_articles
from vaultra.services.local_login import LocalLogin, LocalLoginRefused
from vaultra.services.metrics import month_ends_before
from vaultra.services.readiness import this_week
from vaultra.stripe.client import build_client
from vaultra.web.app import create_app

from vaultra_dev.loopback import free_port
from vaultra_dev.stripe_api import StripeApiServer

DEMO_WEBHOOK_SECRET = "whsec_vaultra_local_demo"


@dataclass(frozen=True)
class DemoBusiness:
    name: str
    archetype: str
    path: str  # webhook | backfill
    account: str


def demo_account(tag: str) -> str:
    """A demo business's account, named after the generator version ("acct_1DemoSteadySaaS_gen3"):
    a rerun of the same code finds the same business, and another generator version — whose ids
    for the seed are other ones — gets a business of its own, never a ledger holding two
    histories."""
    return f"acct_1Demo{tag}_{''.join(c for c in GENERATOR_VERSION if c.isalnum())}"


DEMO_BUSINESSES = (
    DemoBusiness("Northwind Analytics", "steady_saas", "webhook", demo_account("SteadySaaS")),
    DemoBusiness("Harbor & Pine Goods", "seasonal_ecommerce", "backfill", demo_account("Seasonal")),
    DemoBusiness("Quickfix Gadgets", "risky_merchant", "backfill", demo_account("RiskyMerch")),
    DemoBusiness("Seedling Labs", "early_stage", "webhook", demo_account("EarlyStage")),
)


def run_demo(settings: Settings, *, seed: int, console: Console, scale: float = 1.0) -> LocalLogin:
    if settings.deployed:
        # Generated businesses and a login with a printed password: never in a deployment.
        raise LocalLoginRefused(
            "`vaultra demo` runs only on a local machine (VAULTRA_ENV=local): it loads generated "
            "businesses and prints a login"
        )
    if not settings.webhook_secrets():
        settings = settings.model_copy(
            update={"stripe_webhook_secret": SecretStr(DEMO_WEBHOOK_SECRET)}
        )
    runtime = Runtime(settings)
    runtime.migrate()
    engine = runtime.database.engine
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    now = int(today.timestamp())
    histories = {
        b.account: generate(b.archetype, seed=seed, now=now, account=b.account, scale=scale)
        for b in DEMO_BUSINESSES
    }
    accounts = {b.account: _link(runtime, b) for b in DEMO_BUSINESSES}
    console.print(f"Histories made by the demo generator {GENERATOR_VERSION} (seed {seed}).")

    with _local_server(runtime) as base_url:
        for b in (b for b in DEMO_BUSINESSES if b.path == "webhook"):
            _deliver(
                base_url, histories[b.account], settings.webhook_secrets()[0], seed, console, b
            )
    with StripeApiServer() as stripe_api:
        for b in (b for b in DEMO_BUSINESSES if b.path == "backfill"):
            stripe_api.add_history(histories[b.account])
        for b in (b for b in DEMO_BUSINESSES if b.path == "backfill"):
            _backfill(runtime, stripe_api, accounts[b.account], console, b)
    console.print(summary(engine, accounts))
    console.print(metrics_summary(runtime, accounts, today.date(), console))
    readiness_summary(runtime, accounts, today.date(), console)
    login = runtime.local_login.ensure(a.business_id for a in accounts.values())
    ask_the_agent(runtime, login, accounts[DEMO_BUSINESSES[0].account].business_id, console)
    print_login(console, login)
    runtime.close()
    return login


DEMO_QUESTION = "What's hurting my funding readiness, and what should I do this week?"


def ask_the_agent(
    runtime: Runtime, login: LocalLogin, business_id: uuid.UUID, console: Console
) -> None:
    """The knowledge base indexed, then the founder's first question to the agent, answered as
    the chat answers it (through the MCP tools, as the demo login; offline unless LLM_PROVIDER
    names a model)."""
    with console.status("indexing the knowledge base…"):
        change = runtime.knowledge.index(load_articles(runtime.settings.knowledge_dir))
    console.print(
        f"Knowledge base: {change.added + change.changed + change.unchanged} passages "
        f"({runtime.knowledge.method} retrieval)."
    )
    session = runtime.accounts.sign_in(login.email, login.password)
    bearer = runtime.accounts.read_bearer(session.access_token)
    turn = runtime.agent.start(bearer, session.access_token, business_id, DEMO_QUESTION, None)
    console.print(f"\n[bold]You:[/] {DEMO_QUESTION}")
    for event in turn.events():
        if event["type"] == "tool":
            arguments = escape(json.dumps(event["arguments"]))
            console.print(f"[dim]  → {event['name']}({arguments})[/]")
        elif event["type"] == "done":
            # the answer cites articles as [kb-…]: text, not Rich markup
            console.print(Panel(escape(event["answer"]), title="Vaultra's agent", expand=False))
        elif event["type"] == "error":
            console.print(f"[red]The agent could not answer: {event['message']}[/]")


def print_login(console: Console, login: LocalLogin) -> None:
    """The account that owns the demo businesses, and how to reach them: the dashboard, or the
    API."""
    console.print(
        Panel.fit(
            f"[bold]{login.email}[/]  password [bold]{login.password}[/]\n\n"
            "The dashboard: [bold]http://127.0.0.1:8000/app[/] — log in with the address and\n"
            "password above. [bold]make demo[/] serves it next, until Ctrl-C; [bold]make serve[/]\n"
            "serves it again later.\n\n"
            "Or sign in to the API:\n"
            "  curl -s http://127.0.0.1:8000/api/v1/auth/login \\\n"
            "    -H 'content-type: application/json' \\\n"
            f'    -d \'{{"email": "{login.email}", "password": "{login.password}"}}\'\n'
            "and read the businesses with the token it answers: GET /api/v1/businesses, then\n"
            "GET /api/v1/businesses/{id}/summary (docs/API.md).",
            title="Local demo login (this machine only; the same on every run)",
        )
    )


def _link(runtime: Runtime, business: DemoBusiness) -> LinkedAccount:
    """The demo business's link, made on the first run and found on the next ones."""
    try:
        result = runtime.add_business(business.name, business.account, livemode=False)
    except AccountAlreadyLinked:
        return runtime.link(business.account, test_mode=True)
    return LinkedAccount(result.business_id, business.account, False)


@contextmanager
def _local_server(runtime: Runtime) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the local server did not start")
        threading.Event().wait(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _deliver(
    base_url: str,
    history: StripeHistory,
    secret: str,
    seed: int,
    console: Console,
    business: DemoBusiness,
) -> None:
    """POST every event, signed, in a shuffled order with ~5 % delivered twice."""
    rng = random.Random(seed)
    deliveries = list(history.events) + rng.sample(history.events, len(history.events) // 20)
    rng.shuffle(deliveries)
    url = f"{base_url}/stripe/webhook"
    with httpx.Client(timeout=30) as http, Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"webhooks → {business.name}", total=len(deliveries))

        def post(event: dict) -> int:
            body = json.dumps(event)
            header = stripe.WebhookSignature.generate_signature_header(body, secret)
            response = http.post(
                url,
                content=body,
                headers={"Stripe-Signature": header, "Content-Type": "application/json"},
            )
            bar.advance(task)
            return response.status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(post, deliveries))
    failures = [s for s in statuses if s != 200]
    if failures:
        raise RuntimeError(f"{len(failures)} webhook deliveries failed (HTTP {failures[0]})")
    console.print(
        f"[green]✓[/] {business.name}: {len(deliveries):,} webhook deliveries "
        f"({len(history.events):,} events, shuffled, with duplicates)"
    )


def _backfill(
    runtime: Runtime,
    stripe_api: StripeApiServer,
    account: LinkedAccount,
    console: Console,
    business: DemoBusiness,
) -> None:
    client = build_client(
        stripe_api.api_key,
        stripe_api.base_url,
        account=account.account_id,
        requests_per_s=runtime.settings.stripe_max_requests_per_s * 10,
    )
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"backfill → {business.name}", total=None)
        job = Backfill(
            runtime.database,
            client,
            account,
            runtime.publisher,
            progress=lambda _w, _r, n: bar.advance(task, n),
        )
        report = job.run()
    done_before = report.windows_skipped // len(RESOURCES)
    resumed = f" ({done_before} already imported)" if done_before else ""
    console.print(
        f"[green]✓[/] {business.name}: backfilled {report.objects:,} objects over "
        f"{report.windows} months{resumed}, {report.events:,} recent events"
    )


_SUMMARY = text(
    """
    SELECT
      (SELECT count(*) FROM customers WHERE business_id = :b) AS customers,
      (SELECT count(*) FROM subscriptions WHERE business_id = :b) AS subscriptions,
      (SELECT count(*) FROM charges WHERE business_id = :b AND status = 'succeeded') AS charges,
      (SELECT coalesce(sum(amount), 0) FROM charges
        WHERE business_id = :b AND status = 'succeeded') AS gross,
      (SELECT count(*) FROM refunds WHERE business_id = :b) AS refunds,
      (SELECT count(*) FROM disputes WHERE business_id = :b) AS disputes,
      (SELECT count(*) FROM payouts WHERE business_id = :b AND status = 'failed') AS failed_payouts,
      (SELECT count(*) FROM subscription_states WHERE business_id = :b) AS states,
      (SELECT max(created) FROM charges WHERE business_id = :b) AS data_through
    """
)


def summary(engine: Engine, accounts: dict[str, LinkedAccount]) -> Table:
    table = Table(title="Vaultra demo — what the ledger holds")
    for column in (
        "business",
        "path",
        "customers",
        "subscriptions",
        "charges",
        "gross volume",
        "refunds",
        "disputes",
        "failed payouts",
        "sub. states",
        "data through",
    ):
        table.add_column(column, justify="left" if column in ("business", "path") else "right")
    with engine.connect() as conn:
        for b in DEMO_BUSINESSES:
            r = conn.execute(_SUMMARY, {"b": accounts[b.account].business_id}).one()
            table.add_row(
                b.name,
                b.path,
                f"{r.customers:,}",
                f"{r.subscriptions:,}",
                f"{r.charges:,}",
                f"${r.gross / 100:,.2f}",
                f"{r.refunds:,}",
                f"{r.disputes:,}",
                f"{r.failed_payouts:,}",
                f"{r.states:,}",
                r.data_through.strftime("%Y-%m-%d") if r.data_through else "—",
            )
    return table


def metrics_summary(
    runtime: Runtime, accounts: dict[str, LinkedAccount], as_of: date, console: Console
) -> Table:
    """Each business's headline metrics as of today; also saves them and the last 12 month ends
    (the snapshot history trends are read from)."""
    table = Table(
        title=f"Metrics as of {as_of.isoformat()} (end of day, UTC) — `vaultra metrics ACCT` shows all"
    )
    columns = (
        ("MRR", "mrr"),
        ("paying", "paying_customers"),
        ("NRR", "nrr_12m"),
        ("churn 3m", "customer_churn_rate_3m"),
        ("gross 12m", "gross_volume_12m"),
        ("CMGR 6m", "cmgr_6m"),
        ("CV", "revenue_volatility_cv_12m"),
        ("refunds", "refund_rate_90d"),
        ("disputes 30d", "dispute_activity_ratio_30d"),
        ("payout fail", "payout_failure_rate_90d"),
        ("top", "top_customer_share_12m"),
        ("months", "months_of_history"),
    )
    table.add_column("business", no_wrap=True)
    for title, _ in columns:
        table.add_column(title, justify="right", no_wrap=True, min_width=max(len(title), 5))
    with console.status("computing metrics…"):
        for b in DEMO_BUSINESSES:
            business_id = accounts[b.account].business_id
            runtime.metrics.history(business_id, as_of)
            run = runtime.metrics.refresh(business_id, as_of, wait_s=60)
            if run.metrics is None:
                continue
            values = run.metrics.values
            table.add_row(
                b.name,
                *(_short(BY_KEY[key], values.get(key), run.metrics.currency) for _, key in columns),
            )
    return table


def readiness_summary(
    runtime: Runtime, accounts: dict[str, LinkedAccount], as_of: date, console: Console
) -> None:
    """Scores every business (today and the last 12 month ends, the score's trend), then shows
    the first demo business as a founder sees it: score, components, this week's plan."""
    table = Table(title=f"Readiness as of {as_of.isoformat()} — `vaultra score ACCT` explains it")
    for title in ("business", "score", "confidence", "losing most", "eligible lenders"):
        table.add_column(title, justify="right" if title == "score" else "left")
    scored = {}
    with console.status("scoring…"):
        for b in DEMO_BUSINESSES:
            business_id = accounts[b.account].business_id
            for day in month_ends_before(as_of, 12):
                runtime.readiness.score(business_id, day)
            result = runtime.readiness.score(business_id, as_of)
            if result is None:
                continue
            scored[b.account] = result
            score = result.assessment.score
            eligible = [f.lender for f in result.assessment.lender_fit if f.status == "eligible"]
            factor = score.top_factors[0] if score.top_factors else None
            table.add_row(
                b.name,
                str(score.score),
                score.confidence,
                f"{factor.title} (−{factor.points_lost})" if factor else "—",
                f"{len(eligible)} of {len(result.assessment.lender_fit)}",
            )
    console.print(table)
    focus = DEMO_BUSINESSES[0]
    if focus.account not in scored:
        return
    result = scored[focus.account]
    score = result.assessment.score
    console.print(
        f"[bold]{focus.name}[/] ({focus.account}): readiness [bold]{score.score}[/] / 100, "
        f"confidence {score.confidence}"
    )
    print_components(console, score)
    statuses = runtime.readiness.statuses(result.business_id)
    plan = this_week(result.recommendations, statuses)
    print_recommendations(console, plan, statuses, {r.key for r in plan}, title="This week's plan")


def _short(definition: MetricDefinition, value: object, currency: str | None) -> str:
    if value is None:
        return "—"
    if definition.kind == "money":
        return f"{int(value) / minor_units_per_unit(currency or 'usd'):,.0f}"  # type: ignore[call-overload]
    if definition.kind == "ratio":
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    return format_value(definition, value, currency)
