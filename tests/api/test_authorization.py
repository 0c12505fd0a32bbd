"""Authorization, route by route, read from the OpenAPI document: a new route cannot escape it.

Every operation is either public (named below, with why) or private. A private operation answers
401 to no token, a forged, an expired or another audience's token; an operation under a business
answers 404 to another tenant's ids — never their data. Each operation documents what it can
answer.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from vaultra.bootstrap import Runtime

from tests.api.accounts_support import bearer, personal_token, verify
from tests.api.conftest import User, forged_token

# Operations anyone may call, and why. Anything else must demand a bearer token.
PUBLIC = {
    "signUp": "creates an account",
    "logIn": "gives the token",
    "refreshSession": "authenticated by its refresh token",
    "logOut": "authenticated by its refresh token; signing out twice is harmless",
    "getSharedReport": "a lender's view: the share link's token is the credential",
    "getSharedReportPdf": "a lender's view: the share link's token is the credential",
    "getSharedReportCsv": "a lender's view: the share link's token is the credential",
    "downloadFile": "a short-lived signed link: its HMAC'd token is the credential",
    "verifyEmail": "authenticated by its mailed token (the link may open on another device)",
    "requestPasswordReset": "for who cannot sign in; always 202, says nothing",
    "confirmPasswordReset": "authenticated by its mailed token",
    "completeStripeConnect": "the browser's return from Stripe: authenticated by its single-use "
    "OAuth state, bound to the user, the business and the browser that asked",
}
# Writes a read-only personal access token may make, and why. Every other write answers it 403.
READ_ONLY_WRITES = {
    "simulateWhatIf": "a simulation: nothing is saved",
}
METHODS = ("get", "post", "put", "patch", "delete")
PARAMETER = re.compile(r"\{([a-z_]+)\}")


def operations(client: TestClient) -> Iterator[tuple[str, str, dict[str, Any]]]:
    document = client.get("/api/v1/openapi.json").json()
    for path, item in sorted(document["paths"].items()):
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def example_body(operation: dict[str, Any], client: TestClient) -> Any:
    """The request body's first example, or an empty object: authorization is decided before the
    body is read, so any body the schema accepts — or none — must still get 401/404."""
    content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
    if not content:
        return None
    schema = content.get("schema", {})
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"][name]
    examples = schema.get("examples") or []
    return examples[0] if examples else {}


def call(
    client: TestClient, method: str, path: str, operation: dict[str, Any], headers: dict[str, str]
) -> Any:
    return client.request(
        method.upper(), path, json=example_body(operation, client), headers=headers
    )


def bad_tokens(user: User, runtime: Runtime) -> dict[str, dict[str, str]]:
    secret = runtime._jwt_secret()
    return {
        "no token": {},
        "not a bearer": {"Authorization": f"Basic {user.token}"},
        "forged": {"Authorization": f"Bearer {forged_token(user.id)}"},
        "expired": {
            "Authorization": f"Bearer {forged_token(user.id, secret=secret, expired=True)}"
        },
        "another audience": {
            "Authorization": f"Bearer {forged_token(user.id, secret=secret, audience='vaultra-mcp')}"
        },
        "garbage": {"Authorization": "Bearer ' OR 1=1 --"},
    }


def test_every_operation_is_public_on_purpose_or_demands_a_bearer_token(client: TestClient) -> None:
    found = list(operations(client))
    assert found, "the document lists no operation"

    for method, path, operation in found:
        name = operation["operationId"]
        secured = bool(operation.get("security"))
        assert secured is (name not in PUBLIC), f"{method.upper()} {path} ({name})"
    assert PUBLIC.keys() <= {op["operationId"] for _, _, op in found}


def test_every_private_operation_refuses_a_missing_forged_expired_or_foreign_token(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = alice.business(client)["id"]

    for method, template, operation in operations(client):
        if operation["operationId"] in PUBLIC:
            continue
        path = PARAMETER.sub(
            lambda m: business if m[1] == "business_id" else str(uuid.uuid4()), template
        )
        for kind, headers in bad_tokens(alice, runtime).items():
            answer = call(client, method, path, operation, headers)
            assert answer.status_code == 401, (
                f"{method.upper()} {template} with {kind}: {answer.status_code}"
            )
            assert answer.headers["content-type"] == "application/problem+json"


def test_every_operation_under_a_business_answers_404_to_another_tenant(
    client: TestClient, alice: User, bob: User
) -> None:
    theirs = bob.business(client, "Bob's")["id"]
    checked = 0

    for method, template, operation in operations(client):
        if "{business_id}" not in template:
            continue
        path = PARAMETER.sub(
            lambda m: theirs if m[1] == "business_id" else str(uuid.uuid4()), template
        )
        answer = call(client, method, path, operation, alice.headers)
        assert answer.status_code == 404, f"{method.upper()} {template}: {answer.status_code}"
        assert "Bob" not in answer.text
        checked += 1
    assert checked >= 3
    # and Bob's business is untouched by all of it
    assert client.get(f"/api/v1/businesses/{theirs}", headers=bob.headers).json()["name"] == "Bob's"


def test_every_private_write_refuses_a_read_only_token_and_changes_nothing(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    verify(client, runtime, alice)  # so no route stops at "verify your email" first
    business = alice.business(client)["id"]
    token = bearer(personal_token(client, alice))
    checked = 0

    for method, template, operation in operations(client):
        name = operation["operationId"]
        if method == "get" or name in PUBLIC or name in READ_ONLY_WRITES:
            continue
        path = PARAMETER.sub(
            lambda m: business if m[1] == "business_id" else str(uuid.uuid4()), template
        )
        answer = call(client, method, path, operation, token)
        assert answer.status_code == 403, f"{method.upper()} {template}: {answer.status_code}"
        assert answer.json()["type"].endswith("/read-only-token"), template
        assert "403" in operation["responses"], template
        checked += 1
    assert checked >= 10
    assert client.get(f"/api/v1/businesses/{business}", headers=alice.headers).status_code == 200
    assert client.get("/api/v1/me", headers=token).status_code == 200


def test_every_operation_documents_what_it_can_answer(client: TestClient) -> None:
    for method, path, operation in operations(client):
        documented = set(operation["responses"])
        where = f"{method.upper()} {path}"
        if operation["operationId"] not in PUBLIC:
            assert "401" in documented, where
        if "{business_id}" in path:
            assert "404" in documented, where
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in documented, where
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert "application/problem+json" in answer.get("content", {}), f"{where} {status}"


@pytest.mark.parametrize("path", ["/api/v1/businesses", "/api/v1/me"])
def test_lists_and_the_caller_show_only_the_callers_own(
    client: TestClient, alice: User, bob: User, path: str
) -> None:
    bob.business(client, "Bob's")

    answer = client.get(path, headers=alice.headers)

    assert answer.status_code == 200
    assert "Bob" not in answer.text and bob.email not in answer.text
