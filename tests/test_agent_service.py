"""The agent service as Cloud Run runs it: `agent_service/main.py`'s app answers its probes and
MCP at /mcp (401 without a token), and its image is built to run as a non-root user from a pinned
base, with a health check on the liveness probe."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from vaultra.bootstrap import reset_runtime
from vaultra.config import get_settings

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = (REPO / "agent_service" / "Dockerfile").read_text()


def test_the_image_runs_as_a_non_root_user_from_a_pinned_base() -> None:
    bases = re.findall(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE)
    assert bases and all(
        re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:\w+)?", b) for b in bases
    )
    [user] = re.findall(r"^USER (\S+)", DOCKERFILE, re.MULTILINE)
    assert not user.startswith(("0", "root"))
    assert "/healthz" in re.search(r"^HEALTHCHECK .*$", DOCKERFILE, re.MULTILINE).group(0)  # type: ignore[union-attr]
    assert "uv sync --locked --no-dev" in DOCKERFILE


@pytest.mark.integration
def test_the_service_answers_its_probes_and_mcp(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAULTRA_HOME", str(tmp_path))
    monkeypatch.setenv("VAULTRA_EMBEDDINGS", "none")
    get_settings.cache_clear()
    reset_runtime()
    monkeypatch.syspath_prepend(str(REPO / "agent_service"))
    sys.modules.pop("main", None)
    try:
        import main  # agent_service/main.py

        with TestClient(main.app, base_url="http://127.0.0.1:8080") as client:
            assert client.get("/healthz").status_code == 200
            assert client.get("/readyz").status_code == 200
            refused = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
            assert refused.status_code == 401
            assert "resource_metadata" in refused.headers["www-authenticate"]
    finally:
        sys.modules.pop("main", None)
        reset_runtime()
        get_settings.cache_clear()
