"""A business that sells in euros, in a real browser on the real local stack: the what-if's money
slider moves the founder's own amount and shows it in euros — the score's bands are in US
dollars, which the founder's revenue is not written in — and the breakdown says at which rate,
Stripe's own, the two were compared."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine
from vaultra.bootstrap import Runtime
from vaultra.config import Settings
from vaultra.db.unit_of_work import Database
from vaultra.events.local_bus import LocalBus

from tests.api.dashboard_data import score_profile
from tests.e2e.conftest import Console, sign_up_in_the_browser
from tests.support.served import Served

pytestmark = pytest.mark.integration
EMAIL = "patron@example.com"
PASSWORD = "croissants every morning"


def scored_in_euros(served: Served, business: uuid.UUID) -> None:
    """Today's metrics of a business selling in euros, scored by the real services on the
    served database: 220,000.00 EUR over 12 months, Stripe having settled its dollar sales at
    1 USD = 0.92 EUR."""
    engine = create_engine(served.env["DATABASE_URL"])
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        DATABASE_URL=served.env["DATABASE_URL"],
        VAULTRA_HOME=served.env["VAULTRA_HOME"],
        VAULTRA_EMBEDDINGS="none",
    )
    try:
        runtime = Runtime(settings, database=Database(engine), publisher=LocalBus())
        today = datetime.now(UTC).date()
        score_profile(runtime, business, today, "eur", fx_rates_12m={"usd": 920_000}, arr=None)
    finally:
        engine.dispose()


def test_the_money_slider_of_a_business_in_euros_moves_euros(
    page: tuple[Page, Console], served: Served, tmp_path: Path
) -> None:
    tab, console = page
    sign_up_in_the_browser(tab, EMAIL, PASSWORD)
    with httpx.Client(base_url=served.url) as api:
        login = api.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        created = api.post("/api/v1/businesses", json={"name": "Brasserie"}, headers=headers)
    scored_in_euros(served, uuid.UUID(created.json()["id"]))

    tab.reload()
    expect(tab.get_by_test_id("readiness-score")).to_have_text(re.compile(r"^\d{1,3}$"))
    slider = tab.locator("#what-if-gross_volume_12m")
    shown = tab.locator('output[for="what-if-gross_volume_12m"]')
    expect(shown).to_have_text("0 % (€220,000)")
    with tab.expect_response(lambda r: r.url.endswith("/what-if")) as simulated:
        slider.focus()
        slider.press("End")  # +100 %

    expect(shown).to_have_text("+100 % (€440,000)")
    assert simulated.value.request.post_data_json == {
        "changes": [{"metric": "gross_volume_12m", "change_by_percent": 100}]
    }
    assert simulated.value.status == 200
    # the breakdown compares the euros with the dollar bands at the rate Stripe applied
    expect(
        tab.get_by_text("= 239,130 USD at 1 USD = 0.92 EUR, the rate Stripe applied")
    ).to_be_visible()
    assert console.errors == []
