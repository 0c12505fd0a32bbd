"""Members and invitations: an owner invites by email, the invited address joins, owners manage
roles, a business never loses its last owner, and another business's member or invitation id is
404."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from vaultra.bootstrap import Runtime

from tests.api.accounts_support import token_in_latest, verify
from tests.api.conftest import User

ACCEPT = "/api/v1/invitations/accept"


def members_of(business: str) -> str:
    return f"/api/v1/businesses/{business}/members"


def invitations_of(business: str) -> str:
    return f"/api/v1/businesses/{business}/invitations"


def invite(client: TestClient, owner: User, business: str, email: str, role: str) -> Any:
    return client.post(
        invitations_of(business), json={"email": email, "role": role}, headers=owner.headers
    )


def join(
    client: TestClient, runtime: Runtime, owner: User, business: str, member: User, role: str
) -> None:
    assert invite(client, owner, business, member.email, role).status_code == 201
    token = token_in_latest(runtime, member.email, "You are invited")
    accepted = client.post(ACCEPT, json={"token": token}, headers=member.headers)
    assert accepted.status_code == 200, accepted.text


def test_an_invited_address_joins_with_the_mailed_link_once(
    client: TestClient, runtime: Runtime, alice: User
) -> None:
    verify(client, runtime, alice)
    business = alice.business(client, "Acme")["id"]

    invited = invite(client, alice, business, "CFO@example.com", "viewer")
    cfo = User(client, "cfo@example.com")  # signs up after being invited
    token = token_in_latest(runtime, cfo.email, "You are invited to Acme")
    accepted = client.post(ACCEPT, json={"token": token}, headers=cfo.headers)
    again = client.post(ACCEPT, json={"token": token}, headers=cfo.headers)
    members = client.get(members_of(business), headers=cfo.headers).json()["items"]

    assert invited.status_code == 201 and invited.json()["email"] == "cfo@example.com"
    assert token.startswith("vlt_inv_")
    assert accepted.json()["id"] == business and accepted.json()["role"] == "viewer"
    assert again.status_code == 400
    assert [(m["email"], m["role"]) for m in members] == [
        ("alice@example.com", "owner"),
        ("cfo@example.com", "viewer"),
    ]
    assert client.get(invitations_of(business), headers=alice.headers).json()["items"] == []


def test_an_invitation_to_another_address_is_refused_and_stays_usable(
    client: TestClient, runtime: Runtime, alice: User, bob: User
) -> None:
    verify(client, runtime, alice)
    business = alice.business(client)["id"]
    invite(client, alice, business, "cfo@example.com", "owner")
    token = token_in_latest(runtime, "cfo@example.com", "You are invited")

    stolen = client.post(ACCEPT, json={"token": token}, headers=bob.headers)
    cfo = User(client, "cfo@example.com")
    rightful = client.post(ACCEPT, json={"token": token}, headers=cfo.headers)

    assert stolen.status_code == 403
    assert stolen.json()["type"].endswith("/invitation-for-another-address")
    assert client.get(f"/api/v1/businesses/{business}", headers=bob.headers).status_code == 404
    assert rightful.status_code == 200 and rightful.json()["role"] == "owner"


def test_a_viewer_sees_the_members_but_manages_nothing(
    client: TestClient, runtime: Runtime, alice: User, bob: User
) -> None:
    verify(client, runtime, alice)
    verify(client, runtime, bob)
    business = alice.business(client)["id"]
    join(client, runtime, alice, business, bob, "viewer")

    listed = client.get(members_of(business), headers=bob.headers)
    attempts = [
        invite(client, bob, business, "x@example.com", "viewer"),
        client.get(invitations_of(business), headers=bob.headers),
        client.patch(
            f"{members_of(business)}/{alice.id}", json={"role": "viewer"}, headers=bob.headers
        ),
        client.patch(
            f"{members_of(business)}/{bob.id}", json={"role": "owner"}, headers=bob.headers
        ),
        client.delete(f"{members_of(business)}/{alice.id}", headers=bob.headers),
    ]

    assert listed.status_code == 200
    assert [a.status_code for a in attempts] == [403] * len(attempts)


def test_the_last_owner_can_be_neither_demoted_nor_removed(
    client: TestClient, runtime: Runtime, alice: User, bob: User
) -> None:
    verify(client, runtime, alice)
    business = alice.business(client)["id"]
    join(client, runtime, alice, business, bob, "viewer")

    demote = client.patch(
        f"{members_of(business)}/{alice.id}", json={"role": "viewer"}, headers=alice.headers
    )
    leave = client.delete(f"{members_of(business)}/{alice.id}", headers=alice.headers)
    promote = client.patch(
        f"{members_of(business)}/{bob.id}", json={"role": "owner"}, headers=alice.headers
    )
    demote_now = client.patch(
        f"{members_of(business)}/{alice.id}", json={"role": "viewer"}, headers=alice.headers
    )
    bob_alone = client.delete(f"{members_of(business)}/{bob.id}", headers=bob.headers)

    assert demote.status_code == 409 and demote.json()["type"].endswith("/last-owner")
    assert leave.status_code == 409
    assert promote.status_code == 200 and promote.json()["role"] == "owner"
    assert demote_now.status_code == 200 and demote_now.json()["role"] == "viewer"
    assert bob_alone.status_code == 409  # bob is now the last owner


def test_a_removed_member_no_longer_reaches_the_business(
    client: TestClient, runtime: Runtime, alice: User, bob: User
) -> None:
    verify(client, runtime, alice)
    business = alice.business(client)["id"]
    join(client, runtime, alice, business, bob, "viewer")

    removed = client.delete(f"{members_of(business)}/{bob.id}", headers=alice.headers)

    assert removed.status_code == 204
    assert client.get(f"/api/v1/businesses/{business}", headers=bob.headers).status_code == 404
    assert [
        m["email"] for m in client.get(members_of(business), headers=alice.headers).json()["items"]
    ] == [alice.email]


def test_a_member_may_leave(client: TestClient, runtime: Runtime, alice: User, bob: User) -> None:
    verify(client, runtime, alice)
    business = alice.business(client)["id"]
    join(client, runtime, alice, business, bob, "viewer")

    left = client.delete(f"{members_of(business)}/{bob.id}", headers=bob.headers)

    assert left.status_code == 204
    assert client.get(f"/api/v1/businesses/{business}", headers=bob.headers).status_code == 404


def test_another_businesss_member_or_invitation_id_is_404_and_reveals_nothing(
    client: TestClient, runtime: Runtime, alice: User, bob: User
) -> None:
    verify(client, runtime, alice)
    verify(client, runtime, bob)
    alices = alice.business(client, "Alice's")["id"]
    bobs = bob.business(client, "Bob's")["id"]
    bobs_invitation = invite(client, bob, bobs, "friend@example.com", "viewer").json()["id"]

    answers = [
        client.patch(
            f"{members_of(alices)}/{bob.id}", json={"role": "viewer"}, headers=alice.headers
        ),
        client.delete(f"{members_of(alices)}/{bob.id}", headers=alice.headers),
        client.delete(f"{invitations_of(alices)}/{bobs_invitation}", headers=alice.headers),
        client.delete(f"{invitations_of(alices)}/{uuid.uuid4()}", headers=alice.headers),
    ]

    assert [a.status_code for a in answers] == [404] * len(answers)
    assert all("Bob" not in a.text and bob.email not in a.text for a in answers)
    assert [
        i["id"] for i in client.get(invitations_of(bobs), headers=bob.headers).json()["items"]
    ] == [bobs_invitation]
    assert [
        m["email"] for m in client.get(members_of(bobs), headers=bob.headers).json()["items"]
    ] == [bob.email]


def test_a_revoked_invitation_cannot_be_accepted_and_inviting_again_replaces_the_link(
    client: TestClient, runtime: Runtime, alice: User, bob: User
) -> None:
    verify(client, runtime, alice)
    business = alice.business(client)["id"]
    first = invite(client, alice, business, bob.email, "viewer").json()
    first_token = token_in_latest(runtime, bob.email, "You are invited")
    invite(client, alice, business, bob.email, "owner")
    second_token = token_in_latest(runtime, bob.email, "You are invited")
    [pending] = client.get(invitations_of(business), headers=alice.headers).json()["items"]

    revoked = client.delete(f"{invitations_of(business)}/{pending['id']}", headers=alice.headers)

    assert pending["id"] != first["id"] and pending["role"] == "owner"
    assert revoked.status_code == 204
    for token in (first_token, second_token):
        assert client.post(ACCEPT, json={"token": token}, headers=bob.headers).status_code == 400


def test_inviting_a_member_again_is_a_conflict(
    client: TestClient, runtime: Runtime, alice: User, bob: User
) -> None:
    verify(client, runtime, alice)
    business = alice.business(client)["id"]
    join(client, runtime, alice, business, bob, "viewer")

    again = invite(client, alice, business, "BOB@example.com", "owner")
    bad = invite(client, alice, business, "not an address", "viewer")
    bad_role = invite(client, alice, business, "x@example.com", "admin")

    assert again.status_code == 409 and again.json()["type"].endswith("/already-member")
    assert bad.status_code == 422 and bad_role.status_code == 422


def test_membership_changes_are_in_the_audit_log(
    client: TestClient, runtime: Runtime, alice: User, bob: User
) -> None:
    verify(client, runtime, alice)
    business = alice.business(client)["id"]
    join(client, runtime, alice, business, bob, "viewer")
    client.patch(f"{members_of(business)}/{bob.id}", json={"role": "owner"}, headers=alice.headers)
    client.delete(f"{members_of(business)}/{bob.id}", headers=alice.headers)

    with runtime.database.snapshot() as uow:
        rows = uow.conn.exec_driver_sql(
            "SELECT action, user_id::text, detail FROM audit_log "
            f"WHERE business_id = '{business}' ORDER BY at, id"
        ).all()

    assert [(a, u) for a, u, _ in rows] == [
        ("business.created", alice.id),
        ("member.invited", alice.id),
        ("member.joined", bob.id),
        ("member.role_changed", alice.id),
        ("member.removed", alice.id),
    ]
    assert rows[3][2] == {"member_id": bob.id, "role": "owner"}
    assert all("@" not in str(detail) for _, _, detail in rows)
