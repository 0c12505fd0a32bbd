"""Deployed, the engine reaches Cloud SQL through the Cloud SQL Python Connector, as the
runtime's IAM database user, on the address Terraform gives the instance: the private one unless
DB_IP_TYPE says otherwise (the connector's own default is the public address, which the
instance does not have). The connector, a Google service client, is replaced by one that records
what it is asked and opens a connection to the test database."""

from __future__ import annotations

from typing import Any, ClassVar

import pg8000.dbapi
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from vaultra.config import Settings
from vaultra.db.engine import build_engine


class RecordingConnector:
    asked: ClassVar[list[dict[str, Any]]] = []
    database_url = ""

    def __init__(self, **options: Any) -> None:
        self.options = options

    def connect(self, instance: str, driver: str, **kwargs: Any) -> Any:
        RecordingConnector.asked.append({"instance": instance, "driver": driver, **kwargs})
        url = make_url(RecordingConnector.database_url)
        return pg8000.dbapi.connect(
            user=url.username, database=url.database, unix_sock=url.query["unix_sock"]
        )


@pytest.mark.parametrize(("configured", "dialled"), [(None, "private"), ("psc", "psc")])
def test_cloud_sql_is_reached_as_the_runtimes_iam_user_on_the_configured_address(
    monkeypatch: pytest.MonkeyPatch, database_url: str, configured: str | None, dialled: str
) -> None:
    import google.cloud.sql.connector as connector

    monkeypatch.setattr(connector, "Connector", RecordingConnector)
    RecordingConnector.asked = []
    RecordingConnector.database_url = database_url
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        INSTANCE_CONNECTION_NAME="vaultra-prod:europe-west1:vaultra-prod-pg",
        DB_IAM_USER="vaultra-prod-api@vaultra-prod.iam",
        DB_NAME="vaultra",
        **({"DB_IP_TYPE": configured} if configured else {}),
    )
    engine = build_engine(settings)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()
    [asked] = RecordingConnector.asked
    assert asked == {
        "instance": "vaultra-prod:europe-west1:vaultra-prod-pg",
        "driver": "pg8000",
        "user": "vaultra-prod-api@vaultra-prod.iam",
        "db": "vaultra",
        "enable_iam_auth": True,
        "ip_type": dialled,
    }
