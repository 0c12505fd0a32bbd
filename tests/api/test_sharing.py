"""Sharing a report with a lender: a link shown once, whose every view is logged for the founder;
revoked or expired it answers 404 like a link that never was; only a verified owner shares; and
another tenant's links are not there."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine, text
from vaultra.bootstrap import Runtime

from tests.api.conftest import User
from tests.api.stored_data import scored_business
from tests.support.onboarding import verify_email

LENDER = {"User-Agent": "LenderBrowser/1.0"}


def shared_report(
    client: TestClient, user: User, runtime: Runtime, engine: Engine, name: str = "Acme"
) -> tuple[str, dict[str, Any]]:
    business = user.business(client, name)["id"]
    scored_business(runtime, engine, business, months=2)
    made = client.post(f"/api/v1/businesses/{business}/reports", headers=user.headers)
    assert made.status_code == 201, made.text
    return business, dict(made.json())


def share(
    client: TestClient, user: User, business: str, report: str, **body: Any
) -> dict[str, Any]:
    created = client.post(
        f"/api/v1/businesses/{business}/reports/{report}/share",
        json={"label": "Lighter Capital", **body},
        headers=user.headers,
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_sharing_needs_a_verified_email_address(
    client: TestClient, alice: User, runtime: Runtime, engine: Engine
) -> None:
    business, report = shared_report(client, alice, runtime, engine)

    refused = client.post(
        f"/api/v1/businesses/{business}/reports/{report['id']}/share",
        json={"label": "Lighter Capital"},
        headers=alice.headers,
    )
    verify_email(engine, alice.id)

    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/email-not-verified")
    assert share(client, alice, business, report["id"])["status"] == "active"


def test_a_shared_report_is_viewed_by_the_lender_and_each_view_is_logged(
    client: TestClient, alice: User, runtime: Runtime, engine: Engine
) -> None:
    business, report = shared_report(client, alice, runtime, engine)
    verify_email(engine, alice.id)
    created = share(client, alice, business, report["id"], expires_in_days=14)
    token = created["token"]

    summary = client.get(f"/api/v1/shared/{token}", headers=LENDER)
    pdf = client.get(f"/api/v1/shared/{token}/report.pdf", headers=LENDER)
    rows = client.get(f"/api/v1/shared/{token}/report.csv", headers=LENDER)
    views = client.get(
        f"/api/v1/businesses/{business}/shares/{created['id']}/views", headers=alice.headers
    ).json()["items"]
    listed = client.get(f"/api/v1/businesses/{business}/shares", headers=alice.headers).json()

    assert created["url"].endswith(f"/shared#token={token}") and token.startswith("vlt_sh_")
    assert summary.status_code == 200 and summary.headers["x-robots-tag"] == "noindex, nofollow"
    assert summary.json()["summary"] == report["summary"] and summary.json()["label"] == (
        "Lighter Capital"
    )
    assert "Readiness score" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert pdf.headers["content-type"] == "application/pdf"
    assert next(csv.reader(io.StringIO(rows.text)))[:4] == ["metric", "group", "unit", "definition"]
    assert [v["what"] for v in views] == ["csv", "pdf", "summary"]  # newest first
    assert {v["user_agent"] for v in views} == {"LenderBrowser/1.0"}
    assert all(v["ip"] and v["viewed_at"] for v in views)
    [link] = listed["items"]
    assert link["views"] == 3 and link["last_viewed_at"] == views[0]["viewed_at"]
    assert token not in str(listed)  # shown once, never listed
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM share_links")).scalar_one()
    assert token not in stored and len(stored) == 64


def test_a_revoked_link_answers_404_like_one_that_never_was_and_keeps_its_views(
    client: TestClient, alice: User, runtime: Runtime, engine: Engine
) -> None:
    business, report = shared_report(client, alice, runtime, engine)
    verify_email(engine, alice.id)
    created = share(client, alice, business, report["id"])
    token = created["token"]
    assert client.get(f"/api/v1/shared/{token}").status_code == 200

    revoked = client.post(
        f"/api/v1/businesses/{business}/shares/{created['id']}/revoke", headers=alice.headers
    )
    again = client.post(
        f"/api/v1/businesses/{business}/shares/{created['id']}/revoke", headers=alice.headers
    )

    never = client.get("/api/v1/shared/vlt_sh_" + "A" * 43)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    for path in ("", "/report.pdf", "/report.csv"):
        gone = client.get(f"/api/v1/shared/{token}{path}")
        assert gone.status_code == 404, path
        assert gone.json()["detail"] == never.json()["detail"] == "no such shared report"
    assert revoked.json()["views"] == 1  # the view before, still listed


def test_an_expired_link_answers_404(
    client: TestClient, alice: User, runtime: Runtime, engine: Engine
) -> None:
    business, report = shared_report(client, alice, runtime, engine)
    verify_email(engine, alice.id)
    created = share(client, alice, business, report["id"], expires_in_days=1)
    with engine.begin() as conn:
        conn.execute(text("UPDATE share_links SET expires_at = now() - interval '1 second'"))

    answer = client.get(f"/api/v1/shared/{created['token']}")
    link = client.get(
        f"/api/v1/businesses/{business}/shares/{created['id']}", headers=alice.headers
    )

    assert answer.status_code == 404 and answer.json()["detail"] == "no such shared report"
    assert link.json()["status"] == "expired" and link.json()["views"] == 0


def test_a_link_is_refused_a_bad_label_or_lifetime(
    client: TestClient, alice: User, runtime: Runtime, engine: Engine
) -> None:
    business, report = shared_report(client, alice, runtime, engine)
    verify_email(engine, alice.id)
    path = f"/api/v1/businesses/{business}/reports/{report['id']}/share"

    for body in (
        {"label": ""},
        {"label": "   "},
        {"label": "a\x00b"},
        {"label": "x" * 201},
        {"label": "Lender", "expires_in_days": 0},
        {"label": "Lender", "expires_in_days": 91},
        {"label": "Lender", "token": "mine"},
    ):
        answer = client.post(path, json=body, headers=alice.headers)
        assert answer.status_code == 422, body
    assert (
        client.get(f"/api/v1/businesses/{business}/shares", headers=alice.headers).json()["items"]
        == []
    )


def test_another_tenants_share_links_and_reports_answer_404_and_reveal_nothing(
    client: TestClient, alice: User, bob: User, runtime: Runtime, engine: Engine
) -> None:
    mine, _ = shared_report(client, alice, runtime, engine, "Alice's")
    theirs, their_report = shared_report(client, bob, runtime, engine, "Bob's")
    verify_email(engine, alice.id)
    verify_email(engine, bob.id)
    their_link = share(client, bob, theirs, their_report["id"])

    answers = [
        client.get(f"/api/v1/businesses/{mine}/shares/{their_link['id']}", headers=alice.headers),
        client.get(
            f"/api/v1/businesses/{mine}/shares/{their_link['id']}/views", headers=alice.headers
        ),
        client.post(
            f"/api/v1/businesses/{mine}/shares/{their_link['id']}/revoke", headers=alice.headers
        ),
        client.post(
            f"/api/v1/businesses/{mine}/reports/{their_report['id']}/share",
            json={"label": "Mine now"},
            headers=alice.headers,
        ),
        client.get(f"/api/v1/businesses/{mine}/shares/{uuid.uuid4()}", headers=alice.headers),
    ]

    for answer in answers:
        assert answer.status_code == 404, answer.request.url
        assert "Bob" not in answer.text and "Lighter" not in answer.text
    assert (
        client.get(f"/api/v1/businesses/{mine}/shares", headers=alice.headers).json()["items"] == []
    )
    assert client.get(f"/api/v1/shared/{their_link['token']}").status_code == 200  # untouched


def test_a_viewer_sees_the_links_but_only_an_owner_shares_or_revokes(
    client: TestClient, alice: User, bob: User, runtime: Runtime, engine: Engine
) -> None:
    business, report = shared_report(client, alice, runtime, engine)
    verify_email(engine, alice.id)
    verify_email(engine, bob.id)
    created = share(client, alice, business, report["id"])
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO memberships (business_id, user_id, role) VALUES (:b, :u, 'viewer')"),
            {"b": business, "u": bob.id},
        )

    listed = client.get(f"/api/v1/businesses/{business}/shares", headers=bob.headers)
    shared = client.post(
        f"/api/v1/businesses/{business}/reports/{report['id']}/share",
        json={"label": "Clearco"},
        headers=bob.headers,
    )
    revoked = client.post(
        f"/api/v1/businesses/{business}/shares/{created['id']}/revoke", headers=bob.headers
    )

    assert listed.status_code == 200 and len(listed.json()["items"]) == 1
    assert shared.status_code == revoked.status_code == 403


def test_sharing_and_revoking_are_audited_with_ids_only(
    client: TestClient, alice: User, runtime: Runtime, engine: Engine
) -> None:
    business, report = shared_report(client, alice, runtime, engine)
    verify_email(engine, alice.id)
    created = share(client, alice, business, report["id"])
    client.post(
        f"/api/v1/businesses/{business}/shares/{created['id']}/revoke", headers=alice.headers
    )

    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action, detail::text FROM audit_log WHERE action LIKE 'share.%' "
                "ORDER BY at, action"
            )
        ).all()

    assert [action for action, _ in rows] == ["share.created", "share.revoked"]
    assert all(created["token"] not in detail for _, detail in rows)
    assert created["id"] in rows[0][1] and report["id"] in rows[0][1]
