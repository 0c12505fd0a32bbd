"""The database refuses what the API's enumerations cannot be, whatever code writes the row."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError


@pytest.mark.parametrize(
    ("statement", "constraint"),
    [
        (
            "INSERT INTO memberships (business_id, user_id, role) VALUES (:b, :u, 'admin')",
            "ck_memberships_role",
        ),
        (
            "INSERT INTO personal_access_tokens (user_id, name, prefix, token_hash, scope, "
            "expires_at) VALUES (:u, 'x', 'vlt_pat_x', 'h', 'write', now())",
            "ck_personal_access_tokens_scope",
        ),
        (
            "INSERT INTO user_tokens (user_id, purpose, token_hash, expires_at) "
            "VALUES (:u, 'login', 'h', now())",
            "ck_user_tokens_purpose",
        ),
    ],
)
def test_an_unknown_role_scope_or_purpose_is_refused(
    engine: Engine, statement: str, constraint: str
) -> None:
    with engine.begin() as conn:
        user = conn.execute(
            text("INSERT INTO users (email) VALUES ('a@example.com') RETURNING id")
        ).scalar_one()
        business = conn.execute(
            text("INSERT INTO businesses (name) VALUES ('Acme') RETURNING id")
        ).scalar_one()

    with pytest.raises(DBAPIError, match=constraint), engine.begin() as conn:
        conn.execute(text(statement), {"u": user, "b": business})
