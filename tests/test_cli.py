"""The `vaultra` command, run as a user runs it (in-process through Typer's runner)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner
from vaultra.bootstrap import dispose_engines
from vaultra.cli import app
from vaultra.config import get_settings
from vaultra.demo.stripe_api_server import StripeApiServer

from tests.support import histories

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAULTRA_HOME", str(tmp_path))
    monkeypatch.setenv("VAULTRA_EVENT_BUS", "local")
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    get_settings.cache_clear()
    yield
    dispose_engines()
    get_settings.cache_clear()


def test_business_add_prints_the_new_business_as_json(engine: Engine) -> None:
    result = runner.invoke(
        app,
        [
            "business",
            "add",
            "--name",
            "Acme",
            "--stripe-account",
            "acct_1Acme000000001",
            "--test-mode",
            "--json",
        ],
    )

    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT b.name, c.account_id, c.livemode FROM businesses b "
                "JOIN stripe_connections c ON c.business_id = b.id"
            )
        ).one()
    assert created["id"] and tuple(row) == ("Acme", "acct_1Acme000000001", False)


def test_business_add_rejects_a_bad_account_id_and_creates_nothing(engine: Engine) -> None:
    result = runner.invoke(app, ["business", "add", "--name", "Acme", "--stripe-account", "cus_1"])

    assert result.exit_code == 2
    assert "acct_" in result.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM businesses")).scalar_one() == 0


def test_linking_an_account_twice_in_one_mode_is_refused() -> None:
    args = ["business", "add", "--name", "Acme", "--stripe-account", "acct_1Acme000000001"]
    assert runner.invoke(app, args).exit_code == 0

    again = runner.invoke(app, args)

    assert again.exit_code == 2 and "already linked" in again.output


def test_restricted_key_is_stored_encrypted(engine: Engine) -> None:
    result = runner.invoke(
        app,
        [
            "business",
            "add",
            "--name",
            "Acme",
            "--stripe-account",
            "acct_1Acme000000001",
            "--restricted-key-stdin",
        ],
        input="rk_test_secret_value\n",
    )

    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT credentials_encrypted FROM stripe_connections")).scalar()
    assert stored and b"rk_test_secret_value" not in bytes(stored)


def test_backfill_needs_a_linked_account() -> None:
    result = runner.invoke(app, ["backfill", "acct_1NotLinked00000"])

    assert result.exit_code == 2 and "not linked" in result.output


def link_hand_made_account() -> None:
    args = ["business", "add", "--name", "Hand-made", "--stripe-account", histories.ACCOUNT]
    assert runner.invoke(app, [*args, "--test-mode"]).exit_code == 0


@contextmanager
def hand_made_stripe_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeApiServer]:
    """A loopback Stripe API serving the hand-made history, configured as the CLI's Stripe."""
    with StripeApiServer() as server:
        server.add_account(
            histories.ACCOUNT,
            histories.objects(),
            histories.events(),
            now=histories.NOW,
            created=histories.NOW - 120 * histories.DAY,
        )
        monkeypatch.setenv("STRIPE_API_KEY", server.api_key)
        monkeypatch.setenv("STRIPE_API_BASE", server.base_url)
        monkeypatch.setenv("STRIPE_MAX_REQUESTS_PER_S", "500")
        get_settings.cache_clear()
        yield server


def test_backfill_imports_the_account_through_the_configured_api(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    link_hand_made_account()
    with hand_made_stripe_api(monkeypatch):
        result = runner.invoke(app, ["backfill", histories.ACCOUNT])

    assert result.exit_code == 0, result.output
    assert "imported 18 objects" in result.stdout
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM charges")).scalar_one() == 3


def backfill_hand_made_history(monkeypatch: pytest.MonkeyPatch) -> None:
    link_hand_made_account()
    with hand_made_stripe_api(monkeypatch):
        assert runner.invoke(app, ["backfill", histories.ACCOUNT]).exit_code == 0


def test_metrics_prints_the_hand_made_history_as_json(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    backfill_hand_made_history(monkeypatch)

    result = runner.invoke(app, ["metrics", histories.ACCOUNT, "--as-of", "2026-05-28", "--json"])

    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["account"], out["as_of"], out["currency"]) == (
        histories.ACCOUNT,
        "2026-05-28",
        "usd",
    )
    m = out["metrics"]
    # Charges of 2,000 on 3 March, 2 April and 2 May 2026.
    assert m["gross_volume_month"] == 2000 and m["gross_volume_12m"] == 6000
    assert m["revenue_growth_mom"] == 0.0  # 2,000 ÷ 2,000 − 1
    # The 90 days from 28 February hold all three charges, the 500 refund and the dispute.
    assert m["refund_rate_90d"] == 0.083333  # 500 ÷ 6,000
    assert m["dispute_activity_ratio_90d"] == 0.333333  # 1 ÷ 3
    assert m["disputes_count_month"] == 0  # the dispute is from March
    # One paid (6 April) and one failed payout (8 May) arrived in the 90 days.
    assert m["payout_failure_rate_90d"] == 0.5 and m["payout_paid_streak"] == 0
    # Two seats at 1,000 a month, rebuilt from the invoices (the backfill runs today, so the
    # event of 18 May adding a third seat is older than Stripe's 30 days of events).
    assert (m["mrr_previous_month_end"], m["mrr"], m["mrr_expansion"]) == (2000, 2000, 0)
    assert m["arr"] == 24000 and m["paying_customers"] == 1 and m["arpa"] == 2000
    assert m["months_of_history"] == 3  # March, April, May
    assert m["data_through"] == "2026-05-06T20:26:40Z"  # the failed payout, the latest object
    assert m["nrr_12m"] is None and "twelve months" in out["notes"]["nrr_12m"]
    with engine.connect() as conn:
        saved = conn.execute(
            text("SELECT value FROM metric_snapshots WHERE metric = 'mrr'")
        ).scalar_one()
    assert saved == 2000


def test_metrics_are_as_of_today_by_default(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    backfill_hand_made_history(monkeypatch)

    result = runner.invoke(app, ["metrics", histories.ACCOUNT, "--json"])

    out = json.loads(result.stdout)
    assert out["as_of"] == datetime.now(UTC).date().isoformat()
    assert out["metrics"]["mrr"] == 3000  # three seats, as the backfill read the subscription


def test_metrics_table_shows_money_in_units_with_the_currency(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    backfill_hand_made_history(monkeypatch)

    result = runner.invoke(app, ["metrics", histories.ACCOUNT, "--as-of", "2026-05-28"])

    assert result.exit_code == 0, result.output
    assert "20.00 USD" in result.stdout  # MRR 2,000 cents
    assert "no MRR twelve months before D" in result.stdout


def test_metrics_rejects_a_malformed_day_and_an_unlinked_account() -> None:
    bad_day = runner.invoke(app, ["metrics", "acct_1NotLinked00000", "--as-of", "28/05/2026"])
    unlinked = runner.invoke(app, ["metrics", "acct_1NotLinked00000"])

    assert bad_day.exit_code == 2 and "YYYY-MM-DD" in bad_day.output
    assert unlinked.exit_code == 2 and "not linked" in unlinked.output


def test_demo_loads_four_businesses_by_both_paths(engine: Engine) -> None:
    result = runner.invoke(app, ["demo", "--scale", "0.05"])

    assert result.exit_code == 0, result.output
    assert result.stdout.count("webhook deliveries") == 2
    assert result.stdout.count("backfilled") == 2
    with engine.connect() as conn:
        per_business = conn.execute(
            text(
                "SELECT b.name, (SELECT count(*) FROM charges c WHERE c.business_id = b.id) "
                "FROM businesses b ORDER BY b.name"
            )
        ).all()
    assert len(per_business) == 4 and all(n > 0 for _, n in per_business)
