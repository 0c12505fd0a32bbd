"""The chat endpoint with the offline model (what `make demo` runs): a question streamed as
server-sent events, answered from the founder's own numbers through the tools, stored as a
conversation that only its founder can list, read or delete."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from vaultra.bootstrap import Runtime
from vaultra.services.knowledge import load_articles

from tests.api.conftest import User
from tests.api.stored_data import scored_business

pytestmark = pytest.mark.integration


def ask(client: TestClient, user: User, business: str, message: str, **extra: Any) -> list[Any]:
    with client.stream(
        "POST",
        f"/api/v1/businesses/{business}/chat",
        json={"message": message, **extra},
        headers=user.headers,
    ) as answer:
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in answer.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    return [json.loads(line.removeprefix("data: ")) for line in lines]


@pytest.fixture
def scored(client: TestClient, runtime: Runtime, engine: Engine, alice: User) -> str:
    business = alice.business(client)["id"]
    scored_business(runtime, engine, business)
    runtime.knowledge.index(load_articles(runtime.settings.knowledge_dir))
    return str(business)


def test_whats_hurting_my_readiness_is_answered_from_the_score_through_the_tools(
    client: TestClient, alice: User, scored: str
) -> None:
    events = ask(client, alice, scored, "What's hurting my funding readiness?")

    kinds = [e["type"] for e in events]
    assert kinds[-1] == "done" and "delta" in kinds
    assert [e["name"] for e in events if e["type"] == "tool"] == ["get_readiness_breakdown"]
    done = events[-1]
    summary = client.get(f"/api/v1/businesses/{scored}/summary", headers=alice.headers).json()
    assert f"Your readiness score is {summary['score']} out of 100" in done["answer"]
    assert done["answer"].startswith("Offline answer")
    assert "".join(e["text"] for e in events if e["type"] == "delta") == done["answer"]
    assert done["tool_calls"] == [
        {"name": "get_readiness_breakdown", "arguments": {"business_id": scored}}
    ]
    assert {"kind": "tool", "ref": "get_readiness_breakdown"} in done["citations"]
    assert done["unverified"] == []


def test_what_should_i_do_this_week_cites_the_recommendations_articles(
    client: TestClient, alice: User, scored: str
) -> None:
    done = ask(client, alice, scored, "What should I do this week?")[-1]

    recs = client.get(f"/api/v1/businesses/{scored}/recommendations", headers=alice.headers).json()[
        "items"
    ]
    open_titles = [r["title"] for r in recs if r["status"] == "open"][:3]
    assert open_titles and all(title in done["answer"] for title in open_titles)
    assert [c["name"] for c in done["tool_calls"]] == ["get_top_recommendations"]
    articles = {r["article"] for r in recs if r["title"] in open_titles}
    assert {c["ref"] for c in done["citations"] if c["kind"] == "article"} == articles


def test_a_conversation_continues_and_is_listed_read_and_deleted_by_its_founder_only(
    client: TestClient, alice: User, bob: User, scored: str
) -> None:
    first = ask(client, alice, scored, "How ready am I?")[-1]
    conversation = first["conversation_id"]
    ask(client, alice, scored, "And what should I do this week?", conversation_id=conversation)

    base = f"/api/v1/businesses/{scored}/conversations"
    listed = client.get(base, headers=alice.headers).json()["items"]
    assert [(c["id"], c["title"], c["messages"]) for c in listed] == [
        (conversation, "How ready am I?", 4)
    ]
    read = client.get(f"{base}/{conversation}", headers=alice.headers).json()
    assert [m["role"] for m in read["items"]] == ["user", "assistant", "user", "assistant"]

    # bob is not a member of the business: its conversations are not found
    assert client.get(f"{base}/{conversation}", headers=bob.headers).status_code == 404
    assert client.delete(f"{base}/{conversation}", headers=bob.headers).status_code == 404
    bobs = bob.business(client, "Bob's")["id"]
    stolen = client.post(
        f"/api/v1/businesses/{bobs}/chat",
        json={"message": "hi", "conversation_id": conversation},
        headers=bob.headers,
    )
    assert stolen.status_code == 404

    assert client.delete(f"{base}/{conversation}", headers=alice.headers).status_code == 204
    assert client.get(base, headers=alice.headers).json()["items"] == []


def test_another_tenants_business_and_bad_input_are_refused_before_the_stream(
    client: TestClient, alice: User, bob: User, scored: str
) -> None:
    url = f"/api/v1/businesses/{scored}/chat"
    assert client.post(url, json={"message": "score?"}, headers=bob.headers).status_code == 404
    unknown = f"/api/v1/businesses/{uuid.uuid4()}/chat"
    assert (
        client.post(unknown, json={"message": "score?"}, headers=alice.headers).status_code == 404
    )
    assert client.post(url, json={"message": ""}, headers=alice.headers).status_code == 422
    assert client.post(url, json={"message": "   "}, headers=alice.headers).status_code == 422
    assert client.post(url, json={"message": "x" * 2001}, headers=alice.headers).status_code == 422
    assert client.post(url, json={"message": "hi"}).status_code == 401


def test_a_read_only_token_may_not_chat(client: TestClient, alice: User, scored: str) -> None:
    pat = client.post("/api/v1/tokens", json={"name": "script"}, headers=alice.headers).json()
    answer = client.post(
        f"/api/v1/businesses/{scored}/chat",
        json={"message": "How ready am I?"},
        headers={"Authorization": f"Bearer {pat['token']}"},
    )
    assert answer.status_code == 403
    assert answer.json()["type"].endswith("read-only-token")


def test_a_question_with_a_nul_character_is_refused_naming_the_field(
    client: TestClient, alice: User
) -> None:
    business = alice.business(client)["id"]
    answer = client.post(
        f"/api/v1/businesses/{business}/chat",
        json={"message": "what is\x00 hurting me?"},
        headers=alice.headers,
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["location"] == "body.message"
