"""Every command runs as a user runs it: on a fresh database, with its own VAULTRA_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from vaultra.bootstrap import reset_runtime
from vaultra.config import get_settings


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAULTRA_HOME", str(tmp_path))
    monkeypatch.setenv("VAULTRA_EVENT_BUS", "local")
    # Full-text search only: embedding the knowledge base takes seconds, and the commands'
    # behaviour is the same whichever method searches (tests/services/test_knowledge.py
    # measures the methods themselves).
    monkeypatch.setenv("VAULTRA_EMBEDDINGS", "none")
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    get_settings.cache_clear()
    reset_runtime()
    yield
    reset_runtime()
    get_settings.cache_clear()
