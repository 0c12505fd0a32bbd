"""Your data: the export holds everything of the caller's own businesses and nothing of another
tenant's, without a secret; deleting the account leaves no row of the person, takes the
businesses they alone own with their files, and leaves everyone else's as it was."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from vaultra.bootstrap import Runtime
from vaultra.storage import ObjectMissing

from tests.api.conftest import PASSWORD, User
from tests.api.stored_data import ledger_rows, scored_business
from tests.support.onboarding import verify_email

SECRET_COLUMNS = {"password_hash", "token_hash", "credentials_encrypted", "state_hash"}


def member(engine: Engine, business: str, user: User, role: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO memberships (business_id, user_id, role) VALUES (:b, :u, :r)"),
            {"b": business, "u": user.id, "r": role},
        )


def report_of(client: TestClient, user: User, business: str) -> dict[str, Any]:
    made = client.post(f"/api/v1/businesses/{business}/reports", headers=user.headers)
    assert made.status_code == 201, made.text
    return dict(made.json())


def export(client: TestClient, user: User) -> zipfile.ZipFile:
    answer = client.get("/api/v1/me/export", headers=user.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["content-disposition"].startswith('attachment; filename="vaultra-export-')
    return zipfile.ZipFile(io.BytesIO(answer.content))


def table(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


def test_the_export_holds_the_callers_businesses_and_nothing_of_another_tenant(
    client: TestClient, alice: User, bob: User, runtime: Runtime, engine: Engine
) -> None:
    mine = alice.business(client, "Alice's")["id"]
    theirs = bob.business(client, "Bob's")["id"]
    member(engine, theirs, alice, "viewer")  # a member of Bob's, not its owner
    for business, marker in ((mine, "alice"), (theirs, "bob")):
        ledger_rows(engine, business, marker)
    scored_business(runtime, engine, mine, months=2)
    scored_business(runtime, engine, theirs, months=2)
    report = report_of(client, alice, mine)
    report_of(client, bob, theirs)

    archive = export(client, alice)

    names = archive.namelist()
    everything = "\n".join(archive.read(n).decode() for n in names)
    mine_only = "\n".join(
        archive.read(n).decode() for n in names if n != "account/my_memberships.csv"
    )
    assert "README.txt" in names and f"reports/{mine}/{report['id']}.csv" in names
    assert [r["id"] for r in table(archive, "businesses/charges.csv")] == ["ch_alice"]
    assert [r["id"] for r in table(archive, "businesses/customers.csv")] == ["cus_alice"]
    assert {r["business_id"] for r in table(archive, "businesses/metric_snapshots.csv")} == {mine}
    assert len(table(archive, "businesses/readiness_scores.csv")) == 3
    assert [r["id"] for r in table(archive, "businesses/reports.csv")] == [report["id"]]
    assert table(archive, "account/account.csv")[0]["email"] == alice.email
    assert {r["business_id"] for r in table(archive, "account/my_memberships.csv")} == {
        mine,
        theirs,
    }
    assert (
        "ch_bob" not in everything and "cus_bob" not in everything and bob.email not in everything
    )
    assert theirs not in mine_only  # Bob's business appears only as Alice's membership of it
    for name in names:
        if name.endswith(".csv") and not name.startswith("reports/"):
            header = next(csv.reader(io.StringIO(archive.read(name).decode())), [])
            assert not SECRET_COLUMNS & set(header), name
    with engine.connect() as conn:
        audited = conn.execute(
            text("SELECT detail FROM audit_log WHERE action = 'data.exported' AND user_id = :u"),
            {"u": alice.id},
        ).scalar_one()
    assert audited == {"businesses": [mine]}


def test_someone_without_a_business_exports_their_account_alone(
    client: TestClient, alice: User
) -> None:
    archive = export(client, alice)

    assert table(archive, "account/account.csv")[0]["id"] == alice.id
    assert table(archive, "businesses/businesses.csv") == []
    assert not any(n.startswith("reports/") for n in archive.namelist())


def rows_mentioning(engine: Engine, *needles: str) -> dict[str, int]:
    """Every table's rows whose text holds any of `needles` (the whole row, cast to text)."""
    found: dict[str, int] = {}
    with engine.connect() as conn:
        tables = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        for name in tables:
            count = conn.execute(
                text(
                    f'SELECT count(*) FROM "{name}" t WHERE '
                    + " OR ".join(f"CAST(t AS text) ILIKE :n{i}" for i in range(len(needles)))
                ),
                {f"n{i}": f"%{needle}%" for i, needle in enumerate(needles)},
            ).scalar_one()
            if count:
                found[name] = count
    return found


def test_deleting_the_account_leaves_no_row_of_the_person(
    client: TestClient, alice: User, bob: User, runtime: Runtime, engine: Engine
) -> None:
    alone = alice.business(client, "Alice alone")["id"]
    shared = alice.business(client, "Alice and Bob")["id"]
    theirs = bob.business(client, "Bob's")["id"]
    member(engine, shared, bob, "owner")
    member(engine, theirs, alice, "viewer")
    promoted = client.patch(  # Bob's action about her: the audit log names her as its subject
        f"/api/v1/businesses/{theirs}/members/{alice.id}",
        json={"role": "owner"},
        headers=bob.headers,
    )
    assert promoted.status_code == 200, promoted.text
    ledger_rows(engine, alone, "alone")
    scored_business(runtime, engine, alone, months=1)
    scored_business(runtime, engine, shared, months=1)
    verify_email(engine, alice.id)
    report = report_of(client, alice, alone)
    made_in_shared = report_of(client, alice, shared)
    link = client.post(
        f"/api/v1/businesses/{alone}/reports/{report['id']}/share",
        json={"label": "Clearco"},
        headers=alice.headers,
    ).json()
    client.get(f"/api/v1/shared/{link['token']}")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO mail_outbox (to_address, subject, body) VALUES (:e, 'Verify', '…')"),
            {"e": alice.email},
        )
    assert rows_mentioning(engine, alice.id, alice.email)  # the scan does find her before

    deleted = client.request(
        "DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=alice.headers
    )

    assert deleted.status_code == 204
    assert rows_mentioning(engine, alice.id, alice.email) == {}
    assert rows_mentioning(engine, alone, "ch_alone") == {}  # her own business, all of it
    with pytest.raises(ObjectMissing):
        runtime.storage.get(
            f"businesses/{alone}/reports/{report['id']}/vaultra-report-2026-11-20.pdf"
        )
    assert client.get("/api/v1/me", headers=alice.headers).status_code == 401
    login = client.post("/api/v1/auth/login", json={"email": alice.email, "password": PASSWORD})
    assert login.status_code == 401
    # Bob keeps what is his, and the business they owned together with its report
    kept = client.get("/api/v1/businesses", headers=bob.headers).json()["items"]
    assert {b["name"] for b in kept} == {"Alice and Bob", "Bob's"}
    assert (
        client.get(
            f"/api/v1/businesses/{shared}/reports/{made_in_shared['id']}", headers=bob.headers
        ).status_code
        == 200
    )
    with engine.connect() as conn:
        [(who, ip, detail)] = conn.execute(
            text("SELECT user_id, ip, detail FROM audit_log WHERE action = 'account.deleted'")
        ).all()
    assert who is None and ip is None
    assert detail == {"businesses_deleted": 1, "memberships_removed": 2}


def test_a_wrong_password_deletes_nothing(client: TestClient, alice: User) -> None:
    business = alice.business(client)["id"]

    refused = client.request(
        "DELETE", "/api/v1/me", json={"password": "not my password"}, headers=alice.headers
    )
    empty = client.request("DELETE", "/api/v1/me", json={}, headers=alice.headers)

    assert refused.status_code == 403 and refused.json()["type"].endswith("/wrong-password")
    assert empty.status_code == 422
    assert client.get(f"/api/v1/businesses/{business}", headers=alice.headers).status_code == 200


def test_a_deleted_account_can_be_made_again_from_scratch(client: TestClient, alice: User) -> None:
    alice.business(client, "Old")
    client.request("DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=alice.headers)

    again = User(client, alice.email)

    assert again.id != alice.id
    assert client.get("/api/v1/businesses", headers=again.headers).json()["items"] == []
    assert uuid.UUID(again.id)
