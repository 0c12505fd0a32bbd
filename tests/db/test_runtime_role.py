"""The runtimes' database role (migration 0011): a runtime's own database user, once granted
`vaultra_runtime` by `vaultra migrate --grant`, reads and writes every table — including one a
later migration makes — and can change no schema; an unknown user is refused by name, and then
no one is granted anything."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from vaultra.db.migrate import RUNTIME_ROLE, UnknownDatabaseUser, grant_runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def runtime_user(engine: Engine) -> Iterator[str]:
    # Shaped like a Cloud SQL IAM user: the service account's email without its domain suffix.
    name = f"fn-{uuid.uuid4().hex[:8]}@vaultra-prod.iam"
    quoted = engine.dialect.identifier_preparer.quote_identifier(name)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {quoted} LOGIN"))
    yield name
    with engine.begin() as conn:
        conn.execute(text(f"REVOKE {RUNTIME_ROLE} FROM {quoted}"))
        conn.execute(text(f"DROP ROLE {quoted}"))


def _as(engine: Engine, user: str) -> Engine:
    return create_engine(make_url(str(engine.url.render_as_string(False))).set(username=user))


def test_a_granted_runtime_reads_and_writes_rows_and_changes_no_schema(
    engine: Engine, runtime_user: str
) -> None:
    grant_runtime(engine, [runtime_user])
    grant_runtime(engine, [runtime_user])  # the build grants at every deploy: harmless twice
    with engine.begin() as owner:  # a table a later migration makes, after the grant
        owner.execute(text("CREATE TABLE later_table (id serial PRIMARY KEY, note text)"))
    runtime = _as(engine, runtime_user)
    try:
        with runtime.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() >= 0
            conn.execute(text("INSERT INTO later_table (note) VALUES ('written by a runtime')"))
            assert conn.execute(text("SELECT note FROM later_table")).scalar_one()
        with pytest.raises(ProgrammingError, match="permission denied"), runtime.begin() as conn:
            conn.execute(text("CREATE TABLE not_yours (id int)"))
        with pytest.raises(ProgrammingError, match="must be owner"), runtime.begin() as conn:
            conn.execute(text("ALTER TABLE users ADD COLUMN hijacked int"))
    finally:
        runtime.dispose()


def test_an_unknown_user_is_refused_by_name_and_nobody_is_granted(
    engine: Engine, runtime_user: str
) -> None:
    with pytest.raises(UnknownDatabaseUser, match=re.escape("no-such-runtime@vaultra-prod.iam")):
        grant_runtime(engine, [runtime_user, "no-such-runtime@vaultra-prod.iam"])
    with engine.connect() as conn:
        member = conn.execute(
            text("SELECT pg_has_role(:user, :role, 'MEMBER')"),
            {"user": runtime_user, "role": RUNTIME_ROLE},
        ).scalar_one()
    assert member is False
