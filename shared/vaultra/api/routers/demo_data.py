"""Demo data for founders without Stripe: a generated history, loaded as a real import is."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import BusinessAccess, ClientIp, RuntimeDep, Writer
from vaultra.api.problems import ApiError, responses
from vaultra.sample_data.archetypes import Archetype
from vaultra.services.demo_data import HasStripeData, UnknownScenario
from vaultra.services.tenancy import Forbidden

router = APIRouter(tags=["demo data"])


class DemoDataRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"scenario": "steady_saas"}]}
    )
    scenario: Archetype = Field(
        description="steady_saas: two years of a growing B2B SaaS; seasonal_ecommerce: two years "
        "of a web shop with a holiday peak; risky_merchant: a year of a merchant with a dispute "
        "problem; early_stage: three months of a new SaaS."
    )


class DemoDataAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scenario": "steady_saas",
                    "account_id": "acct_demo_5d2c1c9e3f614a0b8d7e1f2a3b4c5d6e",
                    "history_until": "2026-11-29T10:00:00Z",
                    "progress": "/api/v1/businesses/5d2c1c9e-3f61-4a0b-8d7e-1f2a3b4c5d6e/stripe/sync",
                }
            ]
        }
    )
    scenario: Archetype
    account_id: str = Field(description="The synthetic test-mode account holding the data.")
    history_until: datetime = Field(description="The generated history ends here.")
    progress: str = Field(description="Where the import's progress is read.")


@router.post(
    "/businesses/{business_id}/demo-data",
    operation_id="loadDemoData",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DemoDataAccepted,
    responses=responses(401, 403, 404, 409, 413, 422),
    summary="Load demo data into a business",
)
def load_demo_data(
    body: DemoDataRequest,
    access: BusinessAccess,
    _writer: Writer,
    runtime: RuntimeDep,
    ip: ClientIp,
) -> DemoDataAccepted:
    """Links the business to a synthetic test-mode account and loads the scenario's history off
    the request, through the same ingest path as Stripe's webhooks; metrics and the score follow
    (a score within a minute). Owner only; once per business, and only for one that was never
    connected to Stripe (409 `has-stripe-data`)."""
    try:
        requested = runtime.demo_data.request(access, body.scenario, ip=ip)
    except Forbidden as exc:
        raise ApiError(403, str(exc), kind="owner-only") from None
    except UnknownScenario as exc:
        raise ApiError(422, str(exc), kind="unknown-scenario") from None
    except HasStripeData as exc:
        raise ApiError(409, str(exc), kind="has-stripe-data") from None
    return DemoDataAccepted(
        scenario=requested.scenario,
        account_id=requested.account_id,
        history_until=requested.history_until,
        progress=f"/api/v1/businesses/{access.business_id}/stripe/sync",
    )
