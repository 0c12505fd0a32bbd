"""Which key reads a linked account: its own (decrypted) key, else the platform key plus the
Stripe-Account header — checked against the loopback Stripe API, which enforces the key."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr
from vaultra.config import Settings
from vaultra.db.businesses import LinkedAccount
from vaultra.services import credentials
from vaultra.services.stripe_access import NoStripeCredentials, client_for_account
from vaultra_dev.stripe_api import StripeApiServer

ACCOUNT = "acct_1AccessTest00001"
CUSTOMER = {"id": "cus_1", "object": "customer", "created": 1_700_000_000}


def settings(tmp_path: Path, base_url: str, platform_key: str | None) -> Settings:
    return Settings(  # type: ignore[call-arg]
        VAULTRA_HOME=tmp_path,
        STRIPE_API_BASE=base_url,
        STRIPE_API_KEY=SecretStr(platform_key) if platform_key else None,
    )


def test_an_accounts_own_key_is_used_without_the_connect_header(tmp_path: Path) -> None:
    with StripeApiServer(api_key="rk_test_own_key") as server:
        server.add_account(ACCOUNT, {"customers": [CUSTOMER]})
        config = settings(tmp_path, server.base_url, platform_key="sk_test_platform")
        link = LinkedAccount(
            uuid.uuid4(), ACCOUNT, False, credentials.encrypt(config, "rk_test_own_key")
        )

        listed = client_for_account(config, link).v1.customers.list().data

        assert [c.id for c in listed] == ["cus_1"]
        assert {acct for _, _, acct in server.requests} == {None}


def test_the_platform_key_reads_through_the_stripe_account_header(tmp_path: Path) -> None:
    with StripeApiServer(api_key="sk_test_platform") as server:
        server.add_account(ACCOUNT, {"customers": [CUSTOMER]})
        server.add_account("acct_1SomeoneElse000", {"customers": []})
        config = settings(tmp_path, server.base_url, platform_key="sk_test_platform")

        listed = (
            client_for_account(config, LinkedAccount(uuid.uuid4(), ACCOUNT, False))
            .v1.customers.list()
            .data
        )

        assert [c.id for c in listed] == ["cus_1"]
        assert {acct for _, _, acct in server.requests} == {ACCOUNT}


def test_no_key_at_all_is_a_clear_error(tmp_path: Path) -> None:
    config = settings(tmp_path, "http://127.0.0.1:9", platform_key=None)

    with pytest.raises(NoStripeCredentials, match="STRIPE_API_KEY"):
        client_for_account(config, LinkedAccount(uuid.uuid4(), ACCOUNT, False))
