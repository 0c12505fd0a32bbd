"""The agent's chat: a question about one business, answered as a stream of server-sent events,
and the founder's conversations (their own; a fellow member's are not found).

`POST …/chat` answers `text/event-stream`, each event one `data:` line of JSON:
`{"type": "delta", "text"}` as the answer is written, `{"type": "tool", "name", "arguments"}`
before each tool runs, `{"type": "regenerating", "unverified"}` when the answer so far failed the
grounding check and is being rewritten (clear it), and last `{"type": "done", "answer",
"conversation_id", "tool_calls", "citations", "unverified"}` — or `{"type": "error", "message"}`
when the model could not be reached. Whatever can be refused is refused before the stream starts,
as a problem: 404 for a business or conversation that is not the caller's, 422, 429 (the chat's
rate or the day's token budget).

Asking spends the account's budget and writes a conversation, so a read-only token may not.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vaultra.api.deps import (
    BearerToken,
    BusinessAccess,
    BusinessId,
    RawBearerToken,
    RuntimeDep,
    Writer,
)
from vaultra.api.pagination import Cursor, Limit, Page, decode_cursor, split_page
from vaultra.api.problems import ApiError, responses
from vaultra.services.agent import (
    MAX_MESSAGE,
    ChatHeldBack,
    DailyBudgetSpent,
    InvalidMessage,
)
from vaultra.services.auth_tokens import InvalidToken
from vaultra.services.tenancy import NotFound

router = APIRouter(tags=["chat"])

ConversationId = Annotated[uuid.UUID, Path(description="The conversation's id.")]


class ChatIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"message": "What's hurting my funding readiness?"}]},
    )
    # No NUL: PostgreSQL's text cannot hold it, and the question is stored with its answer.
    message: str = Field(min_length=1, max_length=MAX_MESSAGE, pattern=r"^[^\x00]*$")
    conversation_id: uuid.UUID | None = Field(
        None, description="Continue this conversation; omit to start one."
    )


class ConversationOut(BaseModel):
    id: uuid.UUID
    title: str = Field(description="The first question, shortened.")
    created_at: datetime
    updated_at: datetime
    messages: int


class ToolCallOut(BaseModel):
    name: str
    arguments: dict[str, Any]


class CitationOut(BaseModel):
    kind: Literal["tool", "article"]
    ref: str


class MessageOut(BaseModel):
    id: uuid.UUID
    role: Literal["user", "assistant"]
    content: str
    tool_calls: list[ToolCallOut]
    citations: list[CitationOut]
    unverified: list[str] = Field(description="Numbers the grounding check could not find.")
    created_at: datetime


class ConversationDetail(ConversationOut):
    items: list[MessageOut]


class DeltaEvent(BaseModel):
    type: Literal["delta"]
    text: str = Field(description="The next piece of the answer.")


class ToolEvent(BaseModel):
    type: Literal["tool"]
    name: str
    arguments: dict[str, Any]


class RegeneratingEvent(BaseModel):
    type: Literal["regenerating"]
    unverified: list[str] = Field(description="Numbers of the answer so far found in no result.")


class DoneEvent(BaseModel):
    type: Literal["done"]
    answer: str
    conversation_id: uuid.UUID
    tool_calls: list[ToolCallOut]
    citations: list[CitationOut]
    unverified: list[str]


class ErrorEvent(BaseModel):
    type: Literal["error"]
    message: str


def _event_schema() -> dict[str, Any]:
    """One server-sent event (OpenAPI 3.1 describes a `text/event-stream` by its events): its
    `data` is one of the event objects, as JSON."""
    models = (DeltaEvent, ToolEvent, RegeneratingEvent, DoneEvent, ErrorEvent)
    variants = []
    for model in models:
        # ToolCallOut and CitationOut are components already (a conversation's messages use them)
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schema.pop("$defs", None)
        variants.append(schema)
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"oneOf": variants},
            },
            "event": {"type": "string", "enum": ["message"]},
        },
    }


_STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-sent events, each a `data:` line of JSON: `delta`, `tool` and "
        "`regenerating` events as the answer is made, then `done` (or `error`).",
        "content": {"text/event-stream": {"schema": _event_schema()}},
    }
}


@router.post(
    "/businesses/{business_id}/chat",
    operation_id="chat",
    response_class=StreamingResponse,
    responses={**_STREAM_DOC, **responses(401, 403, 404, 422, 429)},
    summary="Ask the agent about this business",
)
async def chat(
    business_id: BusinessId,
    body: ChatIn,
    _writer: Writer,
    bearer: BearerToken,
    runtime: RuntimeDep,
    token: RawBearerToken,  # the tools run as the caller: the MCP server checks this token again
) -> StreamingResponse:
    try:
        turn = await run_in_threadpool(
            runtime.agent.start, bearer, token, business_id, body.message, body.conversation_id
        )
    except InvalidToken:
        raise ApiError(401, "the token is invalid or has expired") from None
    except NotFound as missing:
        raise ApiError(404, str(missing)) from None
    except InvalidMessage as wrong:
        raise ApiError(422, str(wrong)) from None
    except ChatHeldBack as held:
        raise ApiError(
            429, str(held), kind="rate-limited", headers={"Retry-After": str(held.retry_after)}
        ) from None
    except DailyBudgetSpent as spent:
        raise ApiError(429, str(spent), kind="daily-budget-spent") from None

    def events() -> Iterator[str]:
        for event in turn.events():
            yield f"data: {json.dumps(event, default=str)}\n\n"

    # A sync generator: Starlette iterates it in a worker thread, one event at a time.
    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/businesses/{business_id}/conversations",
    operation_id="listConversations",
    response_model=Page[ConversationOut],
    responses=responses(400, 401, 404, 422),
    summary="Your conversations about this business",
)
def list_conversations(
    access: BusinessAccess, runtime: RuntimeDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[ConversationOut]:
    """Newest first. Only your own: another member's conversations are theirs."""
    found = runtime.agent.conversations(access, before=decode_cursor(cursor), limit=limit + 1)
    page, next_cursor = split_page(found, limit, lambda c: (c.updated_at, c.id))
    return Page[ConversationOut](
        items=[ConversationOut.model_validate(c, from_attributes=True) for c in page],
        next_cursor=next_cursor,
    )


@router.get(
    "/businesses/{business_id}/conversations/{conversation_id}",
    operation_id="getConversation",
    response_model=ConversationDetail,
    responses=responses(401, 404, 422),
    summary="A conversation with its messages",
)
def get_conversation(
    conversation_id: ConversationId, access: BusinessAccess, runtime: RuntimeDep
) -> ConversationDetail:
    try:
        found = runtime.agent.conversation(access, conversation_id)
    except NotFound:
        raise ApiError(404, "no such conversation") from None
    return ConversationDetail(
        **ConversationOut.model_validate(found.row, from_attributes=True).model_dump(),
        items=[MessageOut.model_validate(m, from_attributes=True) for m in found.messages],
    )


@router.delete(
    "/businesses/{business_id}/conversations/{conversation_id}",
    operation_id="deleteConversation",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
    summary="Delete a conversation",
)
def delete_conversation(
    conversation_id: ConversationId, access: BusinessAccess, _writer: Writer, runtime: RuntimeDep
) -> None:
    try:
        runtime.agent.delete_conversation(access, conversation_id)
    except NotFound:
        raise ApiError(404, "no such conversation") from None
