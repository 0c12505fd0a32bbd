"""Lender reports through the API: made from the stored score and metrics, a PDF that opens and
says what the score says, a CSV that parses month by month, downloaded through short-lived links,
and never reachable through another tenant."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine, text
from vaultra.bootstrap import Runtime

from tests.api.conftest import User
from tests.api.stored_data import DAY, month_ends, scored_business

PUBLIC_URL = "http://127.0.0.1:8000"


def make_report(client: TestClient, user: User, business: str) -> dict[str, Any]:
    made = client.post(f"/api/v1/businesses/{business}/reports", headers=user.headers)
    assert made.status_code == 201, made.text
    return dict(made.json())


def download(client: TestClient, url: str) -> bytes:
    """A download link, fetched as the lender's browser would: no bearer token."""
    answer = client.get(url.removeprefix(PUBLIC_URL))
    assert answer.status_code == 200, answer.text
    return answer.content


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_report_pdf_opens_and_holds_the_score_and_what_it_rests_on(
    client: TestClient, alice: User, runtime: Runtime, engine: Engine
) -> None:
    business = alice.business(client, "Acme Analytics")["id"]
    scored_business(runtime, engine, business)

    report = make_report(client, alice, business)
    data = download(client, report["downloads"]["pdf_url"])

    reader = PdfReader(io.BytesIO(data))
    words = pdf_text(data)
    summary = report["summary"]
    assert data.startswith(b"%PDF-") and len(reader.pages) >= 2
    assert reader.metadata is not None and "Acme Analytics" in str(reader.metadata.title)
    assert f"Readiness score {summary['score']} / 100" in words
    assert "period covered 2026-05-01 to 2026-11-20" in words
    assert "data through" in words and "2026-11-20T05:00:00+00:00" in words
    assert "Stripe last heard from 2026-11-20T05:40:00+00:00" in words
    assert summary["last_synced_at"] == "2026-11-20T05:40:00+00:00"
    for component in summary["components"]:
        assert component["title"] in words and f"{component['points']} / " in words
    for fit in summary["lender_fit"]:
        assert fit["lender"] in words
    assert "MRR at the end of D" in words  # the metrics' definitions, from the catalogue
    assert "score model score-3" in words and "metrics policy metrics-3" in words
    assert words.count("Estimates are not offers") >= len(reader.pages)  # on every page


def test_the_report_csv_parses_with_the_months_and_the_stored_values(
    client: TestClient, alice: User, runtime: Runtime, engine: Engine
) -> None:
    business = alice.business(client)["id"]
    scored_business(runtime, engine, business, months=6)

    report = make_report(client, alice, business)
    rows = list(
        csv.DictReader(io.StringIO(download(client, report["downloads"]["csv_url"]).decode()))
    )

    days = [d.isoformat() for d in [*month_ends(DAY, 6), DAY]]
    by_metric = {row["metric"]: row for row in rows}
    assert list(rows[0])[4:] == days
    assert [int(by_metric["mrr"][d]) for d in days] == [
        1_700_000,
        1_750_000,
        1_800_000,
        1_850_000,
        1_900_000,
        1_950_000,
        2_000_000,
    ]
    assert by_metric["mrr"]["unit"] == "minor units of USD"
    assert by_metric["mrr"]["definition"] == "MRR at the end of D"
    assert by_metric["customer_churn_rate"]["2026-11-20"] == "0.02"
    assert by_metric["mrr_by_currency[usd]"]["2026-11-20"] == "2000000"
    # A rate per currency, one row each, in millionths of the reporting currency.
    assert by_metric["fx_rates_12m[eur]"]["2026-11-20"] == "1085000"
    assert by_metric["fx_rates_12m[eur]"]["unit"] == (
        "millionths of the reporting currency per unit of the currency named"
    )
    assert by_metric["arpa"]["2026-11-20"] == ""  # not stored: an empty cell, not a zero
    assert int(by_metric["readiness_score"]["2026-11-20"]) == report["score"]
    assert all(by_metric["readiness_score"][d] for d in days)  # every month end was scored
    assert (
        sum(int(r["2026-11-20"]) for r in rows if r["metric"].startswith("score_component."))
        >= report["score"]
    )


def test_a_report_keeps_what_it_said_when_the_day_is_scored_again(
    client: TestClient, alice: User, runtime: Runtime, engine: Engine
) -> None:
    business = alice.business(client)["id"]
    scored_business(runtime, engine, business)
    report = make_report(client, alice, business)
    with engine.begin() as conn:  # the day's score replaced by a later computation
        conn.execute(
            text("UPDATE readiness_scores SET score = 3 WHERE business_id = :b"), {"b": business}
        )

    again = client.get(
        f"/api/v1/businesses/{business}/reports/{report['id']}", headers=alice.headers
    )

    assert again.status_code == 200
    assert again.json()["summary"] == report["summary"] and report["score"] != 3
    assert make_report(client, alice, business)["score"] == 3  # a new report reads the new score


def test_without_a_score_there_is_no_report(client: TestClient, alice: User) -> None:
    business = alice.business(client)["id"]

    answer = client.post(f"/api/v1/businesses/{business}/reports", headers=alice.headers)

    assert answer.status_code == 409
    assert answer.json()["type"].endswith("/no-score-yet")
    assert client.get(f"/api/v1/businesses/{business}/reports", headers=alice.headers).json() == {
        "items": [],
        "next_cursor": None,
    }


def test_reports_are_listed_newest_first_a_page_at_a_time(
    client: TestClient, alice: User, runtime: Runtime, engine: Engine
) -> None:
    business = alice.business(client)["id"]
    scored_business(runtime, engine, business, months=2)
    made = [make_report(client, alice, business)["id"] for _ in range(3)]

    first = client.get(f"/api/v1/businesses/{business}/reports?limit=2", headers=alice.headers)
    rest = client.get(
        f"/api/v1/businesses/{business}/reports?limit=2&cursor={first.json()['next_cursor']}",
        headers=alice.headers,
    )

    listed = [r["id"] for r in first.json()["items"] + rest.json()["items"]]
    assert listed == made[::-1] and rest.json()["next_cursor"] is None
    assert first.json()["items"][0]["as_of"] == DAY.isoformat()
    assert "downloads" not in first.json()["items"][0]


def test_a_download_link_is_short_lived_and_cannot_be_bent(
    client: TestClient, alice: User, runtime: Runtime, engine: Engine
) -> None:
    business = alice.business(client)["id"]
    scored_business(runtime, engine, business, months=1)
    report = make_report(client, alice, business)
    link = report["downloads"]["pdf_url"]
    token = link.rsplit("/", 1)[1]
    version, payload, mac = token.split(".")

    tampered = client.get(f"/api/v1/downloads/{version}.{payload}A.{mac}")
    unknown = client.get("/api/v1/downloads/v1.e30.AAAA")

    lives = datetime.fromisoformat(report["downloads"]["expires_at"]) - datetime.now(UTC)
    assert tampered.status_code == unknown.status_code == 404
    assert tampered.json()["detail"] == unknown.json()["detail"]
    assert timedelta(minutes=4) < lives <= timedelta(minutes=5)  # REPORT_LINK_TTL_S
    assert client.get(link.removeprefix(PUBLIC_URL)).headers["content-disposition"] == (
        'attachment; filename="vaultra-report-2026-11-20.pdf"'
    )


def test_a_viewer_reads_reports_but_only_an_owner_makes_one(
    client: TestClient, alice: User, bob: User, runtime: Runtime, engine: Engine
) -> None:
    business = alice.business(client)["id"]
    scored_business(runtime, engine, business, months=1)
    report = make_report(client, alice, business)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO memberships (business_id, user_id, role) VALUES (:b, :u, 'viewer')"),
            {"b": business, "u": bob.id},
        )

    read = client.get(f"/api/v1/businesses/{business}/reports/{report['id']}", headers=bob.headers)
    make = client.post(f"/api/v1/businesses/{business}/reports", headers=bob.headers)

    assert read.status_code == 200 and read.json()["summary"] == report["summary"]
    assert make.status_code == 403


def test_another_tenants_report_id_answers_404_and_reveals_nothing(
    client: TestClient, alice: User, bob: User, runtime: Runtime, engine: Engine
) -> None:
    mine = alice.business(client, "Alice's")["id"]
    theirs = bob.business(client, "Bob's")["id"]
    scored_business(runtime, engine, theirs, months=1)
    their_report = make_report(client, bob, theirs)["id"]

    through_mine = client.get(
        f"/api/v1/businesses/{mine}/reports/{their_report}", headers=alice.headers
    )
    through_theirs = client.get(
        f"/api/v1/businesses/{theirs}/reports/{their_report}", headers=alice.headers
    )
    nobody = client.get(f"/api/v1/businesses/{mine}/reports/{uuid.uuid4()}", headers=alice.headers)

    assert through_mine.status_code == through_theirs.status_code == nobody.status_code == 404
    assert through_mine.json()["detail"] == nobody.json()["detail"] == "no such report"
    for answer in (through_mine, through_theirs):
        assert "Bob" not in answer.text and "downloads" not in answer.text
    assert (
        client.get(f"/api/v1/businesses/{mine}/reports", headers=alice.headers).json()["items"]
        == []
    )


def test_making_a_report_is_audited_with_ids_only(
    client: TestClient, alice: User, runtime: Runtime, engine: Engine
) -> None:
    business = alice.business(client)["id"]
    scored_business(runtime, engine, business, months=1)

    report = make_report(client, alice, business)

    with engine.connect() as conn:
        detail = conn.execute(
            text(
                "SELECT detail FROM audit_log WHERE action = 'report.created' AND business_id = :b"
            ),
            {"b": business},
        ).scalar_one()
    assert detail == {"report_id": report["id"]}


def test_deleting_a_business_deletes_its_reports_files(
    client: TestClient, alice: User, runtime: Runtime, engine: Engine
) -> None:
    business = alice.business(client)["id"]
    scored_business(runtime, engine, business, months=1)
    link = make_report(client, alice, business)["downloads"]["pdf_url"]

    deleted = client.delete(f"/api/v1/businesses/{business}", headers=alice.headers)

    assert deleted.status_code == 204
    assert client.get(link.removeprefix(PUBLIC_URL)).status_code == 404
    assert not (
        runtime.settings.vaultra_home / "storage" / "objects" / "businesses" / business
    ).exists()
