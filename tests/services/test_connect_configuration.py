"""Stripe Connect's OAuth is off unless both the client id and the platform key are set; an empty
client id (what Terraform passes when a deployment leaves Connect off) counts as unset, so the API
answers 503 connect-not-configured instead of sending founders to Stripe with no client id."""

from __future__ import annotations

import pytest
from vaultra.config import Settings
from vaultra.services.stripe_access import ConnectNotConfigured, connect_client


@pytest.mark.parametrize(
    ("client_id", "api_key"),
    [("", "sk_test_platform"), (None, "sk_test_platform"), ("ca_123", None)],
)
def test_connect_without_a_client_id_or_a_key_is_not_configured(
    client_id: str | None, api_key: str | None
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, STRIPE_CONNECT_CLIENT_ID=client_id, STRIPE_API_KEY=api_key
    )
    with pytest.raises(ConnectNotConfigured, match="STRIPE_CONNECT_CLIENT_ID"):
        connect_client(settings)


def test_connect_with_both_is_configured() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, STRIPE_CONNECT_CLIENT_ID="ca_123", STRIPE_API_KEY="sk_test_platform"
    )
    assert connect_client(settings) is not None
