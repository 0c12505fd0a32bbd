"""The agent's conversations (`conversations`, `chat_messages`) and its model calls (`llm_calls`).

A conversation is its founder's own: every read and delete is scoped by user and business, so
another user's conversation id — even a fellow member's — is simply not found.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class ConversationRow:
    id: uuid.UUID
    business_id: uuid.UUID
    title: str
    created_at: datetime
    updated_at: datetime
    messages: int


@dataclass(frozen=True)
class ChatMessageRow:
    id: uuid.UUID
    role: str
    content: str
    tool_calls: list[Any]
    citations: list[Any]
    unverified: list[Any]
    created_at: datetime


_CONVERSATION = """
    SELECT c.id, c.business_id, c.title, c.created_at, c.updated_at,
           (SELECT count(*) FROM chat_messages m WHERE m.conversation_id = c.id) AS messages
    FROM conversations c
    WHERE c.user_id = :u AND c.business_id = :b
"""
_ONE = text(_CONVERSATION + " AND c.id = :c")
_PAGE = text(
    _CONVERSATION
    + " AND (CAST(:before_t AS timestamptz) IS NULL OR (c.updated_at, c.id) < (:before_t, :before_id))"
    " ORDER BY c.updated_at DESC, c.id DESC LIMIT :limit"
)
_CREATE = text(
    "INSERT INTO conversations (business_id, user_id, title) VALUES (:b, :u, :title) RETURNING id"
)
_TOUCH = text("UPDATE conversations SET updated_at = now() WHERE id = :c")
_DELETE = text("DELETE FROM conversations WHERE id = :c AND user_id = :u AND business_id = :b")
_ADD = text(
    "INSERT INTO chat_messages (conversation_id, role, content, tool_calls, citations, unverified)"
    " VALUES (:c, :role, :content, CAST(:tool_calls AS jsonb), CAST(:citations AS jsonb),"
    " CAST(:unverified AS jsonb)) RETURNING id"
)
_MESSAGES = text(
    "SELECT id, role, content, tool_calls, citations, unverified, created_at FROM ("
    " SELECT * FROM chat_messages WHERE conversation_id = :c"
    " ORDER BY created_at DESC, id DESC LIMIT :limit) latest"
    " ORDER BY created_at, id"
)
_RECORD_CALL = text(
    "INSERT INTO llm_calls (user_id, business_id, provider, model, prompt_tokens,"
    " completion_tokens, cost_micro_usd, duration_ms, outcome)"
    " VALUES (:u, :b, :provider, :model, :prompt, :completion, :cost, :ms, :outcome)"
)
_TOKENS_SINCE = text(
    "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) FROM llm_calls"
    " WHERE user_id = :u AND created_at >= :since"
)


class Conversations:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def create(self, business_id: uuid.UUID, user_id: uuid.UUID, title: str) -> uuid.UUID:
        found = self.conn.execute(_CREATE, {"b": business_id, "u": user_id, "title": title})
        return uuid.UUID(str(found.scalar_one()))

    def get(
        self, conversation_id: uuid.UUID, *, user_id: uuid.UUID, business_id: uuid.UUID
    ) -> ConversationRow | None:
        row = self.conn.execute(
            _ONE, {"c": conversation_id, "u": user_id, "b": business_id}
        ).one_or_none()
        return ConversationRow(*row) if row is not None else None

    def page(
        self,
        *,
        user_id: uuid.UUID,
        business_id: uuid.UUID,
        before: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[ConversationRow]:
        before_t, before_id = before if before is not None else (None, None)
        rows = self.conn.execute(
            _PAGE,
            {
                "u": user_id,
                "b": business_id,
                "before_t": before_t,
                "before_id": before_id,
                "limit": limit,
            },
        )
        return [ConversationRow(*row) for row in rows]

    def delete(
        self, conversation_id: uuid.UUID, *, user_id: uuid.UUID, business_id: uuid.UUID
    ) -> bool:
        done = self.conn.execute(_DELETE, {"c": conversation_id, "u": user_id, "b": business_id})
        return done.rowcount == 1

    def add_message(
        self,
        conversation_id: uuid.UUID,
        role: str,
        content: str,
        *,
        tool_calls: list[Any] | None = None,
        citations: list[Any] | None = None,
        unverified: list[Any] | None = None,
    ) -> uuid.UUID:
        found = self.conn.execute(
            _ADD,
            {
                "c": conversation_id,
                "role": role,
                "content": content,
                "tool_calls": json.dumps(tool_calls or []),
                "citations": json.dumps(citations or []),
                "unverified": json.dumps(unverified or []),
            },
        )
        self.conn.execute(_TOUCH, {"c": conversation_id})
        return uuid.UUID(str(found.scalar_one()))

    def messages(self, conversation_id: uuid.UUID, *, limit: int) -> list[ChatMessageRow]:
        """The conversation's latest `limit` messages, oldest first."""
        rows = self.conn.execute(_MESSAGES, {"c": conversation_id, "limit": limit})
        return [ChatMessageRow(*row) for row in rows]

    def record_llm_call(
        self,
        *,
        user_id: uuid.UUID,
        business_id: uuid.UUID | None,
        provider: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        cost_micro_usd: int,
        duration_ms: int,
        outcome: str,
    ) -> None:
        self.conn.execute(
            _RECORD_CALL,
            {
                "u": user_id,
                "b": business_id,
                "provider": provider,
                "model": model[:100],
                "prompt": prompt_tokens,
                "completion": completion_tokens,
                "cost": cost_micro_usd,
                "ms": duration_ms,
                "outcome": outcome,
            },
        )

    def tokens_since(self, user_id: uuid.UUID, since: datetime) -> int:
        return int(self.conn.execute(_TOKENS_SINCE, {"u": user_id, "since": since}).scalar_one())
