"""schemathesis against the running API (`vaultra serve` on loopback), every operation of its
OpenAPI document: generated requests — valid, invalid, unicode, injection strings, huge numbers —
never get a 5xx, and every answer's status, content type and body are the ones documented.

The requests are a signed-in founder's, with their own business's id in business paths (but for
deletions), so the routes do real work rather than stopping at "no such business".
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from vaultra.bootstrap import Runtime
from vaultra.config import Settings
from vaultra.web.app import create_app

from tests.support.served import vaultra_serve

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Fuzzed:
    url: str
    token: str
    business_id: str


@pytest.fixture(scope="module")
def served(
    pg_admin_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fuzzed]:
    home = tmp_path_factory.mktemp("fuzz-home")
    with vaultra_serve(pg_admin_url, template_database, home) as running:
        with httpx.Client(base_url=running.url) as http:
            # Not a password the document shows as an example: schemathesis sends examples, and
            # one that matched would change the password or delete the account mid-run.
            account = {"email": "fuzz@example.com", "password": secrets.token_urlsafe(24)}
            http.post("/api/v1/auth/signup", json=account).raise_for_status()
            token = http.post("/api/v1/auth/login", json=account).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            business = http.post("/api/v1/businesses", json={"name": "Fuzz"}, headers=headers)
            business.raise_for_status()
        yield Fuzzed(running.url, token, business.json()["id"])


def api_document() -> dict[str, object]:
    """The document `vaultra serve` serves, built in-process for collection (no database is
    touched to build it); a test checks it is the one served."""
    settings_ = Settings(_env_file=None, DATABASE_URL="postgresql://unused@127.0.0.1/unused")  # type: ignore[call-arg]
    return create_app(Runtime(settings_)).openapi()


schema = schemathesis.openapi.from_dict(api_document())


def test_the_fuzzed_document_is_the_one_the_server_serves(served: Fuzzed) -> None:
    assert httpx.get(f"{served.url}/api/v1/openapi.json").json() == api_document()


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_is_documented_and_none_is_a_server_error(
    case: schemathesis.Case, served: Fuzzed
) -> None:
    if case.path_parameters and "business_id" in case.path_parameters and case.method != "DELETE":
        case.path_parameters["business_id"] = served.business_id
    case.call_and_validate(
        base_url=served.url,
        headers={"Authorization": f"Bearer {served.token}"},
        checks=CHECKS,
        timeout=30,
    )


def test_an_oversized_body_is_refused_before_it_is_read(served: Fuzzed) -> None:
    body = b'{"name": "' + b"x" * (2 << 20) + b'"}'

    answer = httpx.post(
        f"{served.url}/api/v1/businesses",
        content=body,
        headers={"Authorization": f"Bearer {served.token}", "Content-Type": "application/json"},
    )

    assert answer.status_code == 413


@pytest.mark.parametrize(
    "query",
    [
        "limit=1000000000",
        "limit=-1",
        "limit=abc",
        "cursor=' OR 1=1 --",
        "cursor=%00%00",
        "limit=1e3",
    ],
)
def test_hostile_page_parameters_get_a_clear_4xx(served: Fuzzed, query: str) -> None:
    answer = httpx.get(
        f"{served.url}/api/v1/businesses?{query}",
        headers={"Authorization": f"Bearer {served.token}"},
    )

    assert answer.status_code in (400, 422), answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"]


@pytest.mark.parametrize(
    "name",
    ["Ünïcødé ✓ 企業", "'; DROP TABLE businesses; --", "<script>alert(1)</script>", "\u202e evil"],
)
def test_unicode_and_injection_strings_are_stored_as_text(served: Fuzzed, name: str) -> None:
    headers = {"Authorization": f"Bearer {served.token}"}

    created = httpx.post(f"{served.url}/api/v1/businesses", json={"name": name}, headers=headers)

    assert created.status_code == 201, created.text
    assert created.json()["name"] == " ".join(name.split())
