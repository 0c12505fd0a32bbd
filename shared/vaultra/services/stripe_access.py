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
