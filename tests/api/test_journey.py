"""A founder's whole first visit, end to end on `vaultra serve` (a subprocess on loopback, its
local bus running the real functions): sign up → a business → demo data → the summary's score,
which is the score `vaultra score` computes for the same business and day → a recommendation
marked done → a what-if → the lender report downloaded (the PDF opens, the CSV parses) → a share
link the lender views, then revoked."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import create_engine, text

from tests.support.served import REPO, Served, vaultra_serve

PASSWORD = "a journey of a thousand miles"
SCORE_WITHIN_S = 60.0


@pytest.fixture
def served(pg_admin_url: str, template_database: str, tmp_path: Path) -> Iterator[Served]:
    with vaultra_serve(pg_admin_url, template_database, tmp_path) as running:
        yield running


def vaultra(served: Served, *args: str) -> str:
    """`vaultra ARGS…` against the server's database, as an operator runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "vaultra.cli", *args],
        cwd=REPO,
        env=served.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def mailed_token(served: Served, address: str, prefix: str) -> str:
    """The token of the newest mail to `address` (locally, mail is the outbox table)."""
    engine = create_engine(
        served.env["DATABASE_URL"].replace("postgresql://", "postgresql+pg8000://")
    )
    try:
        with engine.connect() as conn:
            body = conn.execute(
                text(
                    "SELECT body FROM mail_outbox WHERE to_address = :a "
                    "ORDER BY created_at DESC LIMIT 1"
                ),
                {"a": address},
            ).scalar_one()
    finally:
        engine.dispose()
    found = re.search(rf"token=({prefix}[A-Za-z0-9_-]+)", body)
    assert found, body
    return found[1]


def scored_summary(api: httpx.Client, business: str) -> dict[str, Any]:
    """The summary once today is scored: the month ends of the imported history are scored too,
    concurrently, and one of them may land first (then the summary shows it, without a plan: a
    past day's scoring leaves recommendations to the current day)."""
    deadline = time.monotonic() + SCORE_WITHIN_S
    while True:
        summary = api.get(f"/api/v1/businesses/{business}/summary")
        assert summary.status_code == 200, summary.text
        today = datetime.now(UTC).date().isoformat()
        if summary.json()["score"] is not None and summary.json()["as_of"] == today:
            return dict(summary.json())
        assert time.monotonic() < deadline, f"no score within {SCORE_WITHIN_S:g} s"
        time.sleep(0.5)


def test_a_founders_first_visit_from_sign_up_to_a_revoked_share_link(served: Served) -> None:
    email = "founder@example.com"
    with httpx.Client(base_url=served.url, timeout=30) as api:
        # sign up, sign in, a business
        assert (
            api.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD}).status_code
            == 201
        )
        session = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert session.status_code == 200 and session.json()["token_type"] == "bearer"
        api.headers["Authorization"] = f"Bearer {session.json()['access_token']}"
        created = api.post("/api/v1/businesses", json={"name": "Northwind Analytics"})
        assert created.status_code == 201
        business = created.json()["id"]

        # demo data through the real ingest path, scored within a minute
        started = time.monotonic()
        demo = api.post(
            f"/api/v1/businesses/{business}/demo-data", json={"scenario": "steady_saas"}
        )
        assert demo.status_code == 202, demo.text
        account = demo.json()["account_id"]
        summary = scored_summary(api, business)
        scored_after_s = time.monotonic() - started
        assert scored_after_s < SCORE_WITHIN_S

        # the same score as `vaultra score` for the same business and day
        cli = json.loads(
            vaultra(served, "score", account, "--test-mode", "--json", "--as-of", summary["as_of"])
        )
        assert (summary["score"], summary["confidence"]) == (cli["score"], cli["confidence"])
        assert {c["key"]: c["points"] for c in summary["components"]} == {
            c["key"]: c["points"] for c in cli["components"]
        }

        # a recommendation marked done leaves this week's plan
        plan = api.get(f"/api/v1/businesses/{business}/recommendations").json()["items"]
        assert plan, "steady_saas triggers at least one recommendation"
        first = plan[0]["key"]
        done = api.put(
            f"/api/v1/businesses/{business}/recommendations/{first}/status",
            json={"status": "done"},
        )
        assert done.status_code == 200 and done.json()["status"] == "done"
        after = {
            r["key"]: r
            for r in api.get(f"/api/v1/businesses/{business}/recommendations").json()["items"]
        }
        assert after[first]["status"] == "done" and not after[first]["this_week"]

        # a what-if starts from the summary's score and saves nothing
        what_if = api.post(
            f"/api/v1/businesses/{business}/what-if",
            json={"changes": [{"metric": "mrr", "change_by_percent": 10}]},
        )
        assert what_if.status_code == 200, what_if.text
        assert what_if.json()["score_before"] == summary["score"]
        assert what_if.json()["saved"] is False
        assert api.get(f"/api/v1/businesses/{business}/summary").json()["score"] == summary["score"]

        # the lender report: the PDF opens, the CSV parses
        report = api.post(f"/api/v1/businesses/{business}/reports")
        assert report.status_code == 201, report.text
        links = report.json()["downloads"]
        pdf = httpx.get(links["pdf_url"].replace(_origin(links["pdf_url"]), served.url))
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "Northwind Analytics" in words and str(summary["score"]) in words
        table = httpx.get(links["csv_url"].replace(_origin(links["csv_url"]), served.url))
        rows = list(csv.DictReader(io.StringIO(table.text)))
        assert {"metric", "unit", "definition"} <= set(rows[0])
        by_metric = {row["metric"]: row for row in rows}
        assert int(by_metric["readiness_score"][summary["as_of"]]) == summary["score"]

        # sharing needs a verified address: the link in the mail verifies it
        token = mailed_token(served, email, "vlt_ev_")
        assert api.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 200
        share = api.post(
            f"/api/v1/businesses/{business}/reports/{report.json()['id']}/share",
            json={"label": "Lighter Capital", "expires_in_days": 14},
        )
        assert share.status_code == 201, share.text
        shared = share.json()

        # the lender views it (no account, no token but the link's)
        with httpx.Client(base_url=served.url, timeout=30) as lender:
            viewed = lender.get(f"/api/v1/shared/{shared['token']}")
            assert viewed.status_code == 200
            assert viewed.json()["summary"]["score"] == summary["score"]
            views = api.get(f"/api/v1/businesses/{business}/shares/{shared['id']}/views")
            assert len(views.json()["items"]) == 1

            revoked = api.post(f"/api/v1/businesses/{business}/shares/{shared['id']}/revoke")
            assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
            assert lender.get(f"/api/v1/shared/{shared['token']}").status_code == 404
            assert lender.get(f"/api/v1/shared/{shared['token']}/report.pdf").status_code == 404


def _origin(url: str) -> str:
    """The scheme and host of a link (the public URL it was made for)."""
    found = re.match(r"^https?://[^/]+", url)
    assert found, url
    return found[0]
