from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from sqlalchemy import Engine
from vaultra.bootstrap import reset_runtime
from vaultra.config import get_settings
from vaultra.db.unit_of_work import Database
from vaultra.events import topics
from vaultra.events.cloudevent import message_from_cloud_event
from vaultra.events.local_bus import get_local_bus, reset_local_bus
from vaultra.events.messages import StripeDataChanged
from vaultra.services.businesses import add_business

from tests.support.stripe_payloads import ACCOUNT, SECRET

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", f"{SECRET},whsec_old_secret_being_rolled")
    monkeypatch.setenv("VAULTRA_EVENT_BUS", "local")
    monkeypatch.setenv("METRICS_DEBOUNCE_S", "0")
    get_settings.cache_clear()
    reset_runtime()
    reset_local_bus()
    yield
    reset_runtime()
    get_settings.cache_clear()
    reset_local_bus()


@pytest.fixture
def published(function_env: None) -> list[StripeDataChanged]:
    """Every "stripe data changed" message the function publishes, decoded off the local bus."""
    received: list[StripeDataChanged] = []

    def record(event: Any) -> None:
        received.append(message_from_cloud_event(event, StripeDataChanged))

    get_local_bus().subscribe(topics.STRIPE_DATA_CHANGED, record)
    return received


@pytest.fixture
def webhook_client(function_env: None) -> Any:
    app = functions_framework.create_app(
        "stripe_webhook", str(FUNCTIONS / "stripe_webhook" / "main.py"), "http"
    )
    return app.test_client()


@pytest.fixture
def business(engine: Engine, function_env: None) -> Any:
    """A business linked to the test account the signed test payloads belong to."""
    return add_business(Database(engine), "Burst Co", ACCOUNT, livemode=False).business_id
