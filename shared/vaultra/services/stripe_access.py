"""Which key reads a linked account: its own restricted key or access token, stored encrypted,
or else the platform's key (`STRIPE_API_KEY`) with the `Stripe-Account` header."""

from __future__ import annotations

import stripe

from vaultra.config import Settings
from vaultra.db.businesses import LinkedAccount
from vaultra.services import credentials
from vaultra.stripe.client import build_client


class NoStripeCredentials(RuntimeError):
    """Neither the connection nor the deployment holds a key that can read the account."""


def client_for_account(settings: Settings, link: LinkedAccount) -> stripe.StripeClient:
    if link.credentials_encrypted is not None:
        api_key, header_account = credentials.decrypt(settings, link.credentials_encrypted), None
    elif settings.stripe_api_key is not None:
        api_key, header_account = settings.stripe_api_key.get_secret_value(), link.account_id
    else:
        raise NoStripeCredentials(
            "STRIPE_API_KEY is not set (the platform key that reads connected accounts)"
        )
    return build_client(
        api_key,
        settings.stripe_api_base,
        account=header_account,
        requests_per_s=settings.stripe_max_requests_per_s,
    )


class ConnectNotConfigured(RuntimeError):
    """The deployment has no Connect platform: `STRIPE_CONNECT_CLIENT_ID` or the platform's key
    (`STRIPE_API_KEY`) is missing."""


def connect_client(settings: Settings) -> stripe.StripeClient:
    """The platform's client for Connect OAuth: its key, its `client_id`, Stripe's Connect base."""
    # Empty counts as unset: Terraform passes "" when a deployment leaves Connect off.
    if not settings.stripe_connect_client_id or settings.stripe_api_key is None:
        raise ConnectNotConfigured(
            "Stripe Connect is not configured here (STRIPE_CONNECT_CLIENT_ID and STRIPE_API_KEY)"
        )
    return build_client(
        settings.stripe_api_key.get_secret_value(),
        settings.stripe_api_base,
        account=None,
        requests_per_s=settings.stripe_max_requests_per_s,
        connect_base=settings.stripe_connect_base,
        client_id=settings.stripe_connect_client_id,
    )


def platform_livemode(settings: Settings) -> bool:
    """Whether the platform's key is a live one: Connect grants access in the key's mode."""
    key = settings.stripe_api_key.get_secret_value() if settings.stripe_api_key else ""
    return key.startswith(("sk_live_", "rk_live_"))


def key_client(settings: Settings, api_key: str) -> stripe.StripeClient:
    """A client reading with a founder's own key (it names its account: no `Stripe-Account`)."""
    return build_client(
        api_key,
        settings.stripe_api_base,
        account=None,
        requests_per_s=settings.stripe_max_requests_per_s,
    )
