"""The loopback Stripe API server, driven only through the official `stripe` SDK."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe
from vaultra_dev.stripe_api import EVENT_RETENTION_S, OAUTH_CODE_TTL_S, StripeApiServer

T0 = 1_700_000_000
DAY = 86_400


def client_for(
    server: StripeApiServer, *, api_key: str | None = None, retries: int = 0
) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key or server.api_key,
        base_addresses={"api": server.base_url},
        max_network_retries=retries,
    )


def customers(n: int, *, prefix: str = "cus_", start: int = T0) -> list[dict[str, Any]]:
    # Every third customer shares its `created` with the previous one: ties are ordered by id.
    return [
        {
            "id": f"{prefix}{i:05d}",
            "object": "customer",
            "created": start + (i - i % 3) * 60,
            "email": f"c{i}@example.com",
        }
        for i in range(n)
    ]


def newest_first(objects: list[dict[str, Any]]) -> list[str]:
    ordered = sorted(objects, key=lambda o: (o["created"], o["id"]), reverse=True)
    return [o["id"] for o in ordered]


def subscription(id_: str, status: str, created: int, customer: str = "cus_00000") -> dict:
    return {
        "id": id_,
        "object": "subscription",
        "status": status,
        "created": created,
        "customer": customer,
        "items": {"object": "list", "data": [{"id": f"si_{id_}", "price": {"id": "price_1"}}]},
    }


@pytest.fixture
def server() -> Iterator[StripeApiServer]:
    with StripeApiServer() as srv:
        yield srv


def test_auto_paging_returns_every_object_once_newest_first(server: StripeApiServer) -> None:
    objs = customers(260)
    server.add_account("acct_a", {"customers": objs})
    client = client_for(server)

    first = client.v1.customers.list({"limit": 100})
    assert first.url == "/v1/customers"
    assert first.has_more is True
    ids = [c.id for c in first.auto_paging_iter()]

    assert ids == newest_first(objs)
    assert len(set(ids)) == 260
    paths = [path for _, path, _ in server.requests]
    assert len(paths) == 3
    assert "starting_after=" not in paths[0]
    assert f"starting_after={ids[99]}" in paths[1]
    assert f"starting_after={ids[199]}" in paths[2]


def test_default_limit_bounds_and_ending_before(server: StripeApiServer) -> None:
    objs = customers(30)
    server.add_account("acct_a", {"customers": objs})
    client = client_for(server)
    order = newest_first(objs)

    page = client.v1.customers.list()
    assert [c.id for c in page.data] == order[:10]
    assert page.has_more is True

    for bad in (0, 101):
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.customers.list({"limit": bad})
        assert info.value.param == "limit"

    before = client.v1.customers.list({"limit": 5, "ending_before": order[20]})
    assert [c.id for c in before.data] == order[15:20]
    assert before.has_more is True
    backwards = client.v1.customers.list({"limit": 4, "ending_before": order[10]})
    assert [c.id for c in backwards.auto_paging_iter()] == list(reversed(order[:10]))

    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.list({"starting_after": "cus_nope"})
    assert info.value.code == "resource_missing"
    assert info.value.param == "starting_after"


def test_created_windows_partition_the_history(server: StripeApiServer) -> None:
    objs = [
        {"id": f"ch_{i:04d}", "object": "charge", "created": T0 + i * 3_600, "amount": 100}
        for i in range(120)
    ]
    server.add_account("acct_a", {"charges": objs})
    client = client_for(server)

    bounds = [T0, T0 + 10 * 3_600, T0 + 50 * 3_600, T0 + 50 * 3_600 + 1, T0 + 200 * 3_600]
    seen: list[str] = []
    for lo, hi in itertools.pairwise(bounds):
        window = client.v1.charges.list({"limit": 7, "created": {"gte": lo, "lt": hi}})
        ids = [c.id for c in window.auto_paging_iter()]
        assert all(lo <= next(o for o in objs if o["id"] == i)["created"] < hi for i in ids)
        seen += ids
    assert sorted(seen) == sorted(o["id"] for o in objs)
    assert len(seen) == len(set(seen))

    assert [c.id for c in client.v1.charges.list({"created": T0 + 3_600})] == ["ch_0001"]
    gt_lte = client.v1.charges.list({"created": {"gt": T0, "lte": T0 + 2 * 3_600}})
    assert [c.id for c in gt_lte] == ["ch_0002", "ch_0001"]
    assert "created[gte]=" in server.requests[0][1]

    with pytest.raises(stripe.InvalidRequestError):
        client.v1.charges.list({"created": {"after": T0}})  # type: ignore[typeddict-unknown-key]


def test_stripe_account_header_isolates_accounts(server: StripeApiServer) -> None:
    server.add_account("acct_a", {"customers": customers(150, prefix="cus_a")})
    server.add_account("acct_b", {"customers": customers(120, prefix="cus_b")})
    client = client_for(server)

    a_ids = [
        c.id
        for c in client.v1.customers.list(
            {"limit": 100}, {"stripe_account": "acct_a"}
        ).auto_paging_iter()
    ]
    b_ids = [
        c.id
        for c in client.v1.customers.list(
            {"limit": 100}, {"stripe_account": "acct_b"}
        ).auto_paging_iter()
    ]
    assert len(a_ids) == 150 and len(b_ids) == 120
    assert not set(a_ids) & set(b_ids)
    assert all(i.startswith("cus_b") for i in b_ids)
    # Every page, including those the auto-pager fetched, carried the header.
    assert [acct for _, _, acct in server.requests] == ["acct_a"] * 2 + ["acct_b"] * 2

    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.retrieve(a_ids[0], options={"stripe_account": "acct_b"})
    assert info.value.http_status == 404
    with pytest.raises(stripe.PermissionError):
        client.v1.customers.list(options={"stripe_account": "acct_unknown"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.list()  # two accounts and no header: ambiguous


def test_account_object(server: StripeApiServer) -> None:
    server.add_account(
        "acct_solo",
        {"charges": [{"id": "ch_1", "created": T0 + 500, "currency": "eur"}]},
        created=None,
    )
    client = client_for(server)

    account = client.v1.accounts.retrieve_current()  # no header: the only account
    assert account.id == "acct_solo"
    assert account.object == "account"
    assert account.created == T0 + 500 - DAY
    assert account.default_currency == "eur"
    assert account.charges_enabled is True
    assert client.v1.accounts.retrieve("acct_solo").id == "acct_solo"

    server.add_account("acct_two", {}, created=T0, currency="gbp")
    other = client.v1.accounts.retrieve_current(options={"stripe_account": "acct_two"})
    assert (other.created, other.default_currency) == (T0, "gbp")


def test_subscriptions_exclude_canceled_unless_asked(server: StripeApiServer) -> None:
    subs = [
        subscription("sub_active", "active", T0 + 4),
        subscription("sub_canceled", "canceled", T0 + 3),
        subscription("sub_past_due", "past_due", T0 + 2),
        subscription("sub_expired", "incomplete_expired", T0 + 1, customer="cus_other"),
    ]
    server.add_account("acct_a", {"subscriptions": subs})
    client = client_for(server)

    def ids(params: dict[str, Any]) -> list[str]:
        return [s.id for s in client.v1.subscriptions.list(params).auto_paging_iter()]

    assert ids({}) == ["sub_active", "sub_past_due", "sub_expired"]
    assert ids({"status": "all"}) == ["sub_active", "sub_canceled", "sub_past_due", "sub_expired"]
    assert ids({"status": "canceled"}) == ["sub_canceled"]
    assert ids({"status": "ended"}) == ["sub_canceled", "sub_expired"]
    assert ids({"status": "all", "customer": "cus_other"}) == ["sub_expired"]
    assert ids({"price": "price_1", "status": "all"})[0] == "sub_active"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.list({"status": "bogus"})  # type: ignore[typeddict-item]


def test_common_filters(server: StripeApiServer) -> None:
    objects = {
        "charges": [
            {"id": "ch_1", "created": T0 + 1, "customer": "cus_1"},
            {"id": "ch_2", "created": T0 + 2, "customer": {"id": "cus_2", "object": "customer"}},
        ],
        "refunds": [
            {"id": "re_1", "created": T0 + 3, "charge": "ch_1"},
            {"id": "re_2", "created": T0 + 4, "charge": "ch_2"},
        ],
        "disputes": [{"id": "dp_1", "created": T0 + 5, "charge": "ch_2"}],
        "invoices": [
            {"id": "in_1", "created": T0 + 6, "subscription": "sub_1", "customer": "cus_1"},
            {
                "id": "in_2",
                "created": T0 + 7,
                "customer": "cus_2",
                "parent": {"subscription_details": {"subscription": "sub_2"}},
            },
        ],
        "balance_transactions": [
            {"id": "txn_1", "created": T0 + 8, "type": "charge"},
            {"id": "txn_2", "created": T0 + 9, "type": "payout"},
            {"id": "txn_3", "created": T0 + 10, "type": "charge"},
        ],
        "payouts": [{"id": "po_1", "created": T0 + 11, "arrival_date": T0 + DAY}],
    }
    server.add_account("acct_a", objects)
    client = client_for(server)
    v1 = client.v1

    assert [c.id for c in v1.charges.list({"customer": "cus_2"})] == ["ch_2"]
    assert [r.id for r in v1.refunds.list({"charge": "ch_1"})] == ["re_1"]
    assert [d.id for d in v1.disputes.list({"charge": "ch_2"})] == ["dp_1"]
    assert [i.id for i in v1.invoices.list({"subscription": "sub_2"})] == ["in_2"]
    assert [i.id for i in v1.invoices.list({"customer": "cus_1"})] == ["in_1"]
    txns = v1.balance_transactions.list({"type": "charge"})
    assert [t.id for t in txns] == ["txn_3", "txn_1"]
    assert [p.id for p in v1.payouts.list({"arrival_date": {"gte": T0 + DAY}})] == ["po_1"]
    assert v1.products.list().data == []  # a known resource with no data is an empty list
    # `expand` is accepted and ignored.
    assert [c.id for c in v1.charges.list({"expand": ["data.customer"]})] == ["ch_2", "ch_1"]
    assert v1.charges.retrieve("ch_1", {"expand": ["customer"]}).customer == "cus_1"

    with pytest.raises(stripe.InvalidRequestError) as info:
        v1.charges.list({"bogus": "1"})  # type: ignore[typeddict-unknown-key]
    assert info.value.param == "bogus"


def test_invoice_lines_are_truncated_inline_and_paged_in_full(server: StripeApiServer) -> None:
    lines = [{"id": f"il_{i:03d}", "object": "line_item", "amount": i} for i in range(25)]
    invoice = {
        "id": "in_big",
        "object": "invoice",
        "created": T0,
        "lines": {"object": "list", "data": lines, "has_more": False, "url": "/x"},
    }
    small = {"id": "in_small", "created": T0 - 1, "lines": {"object": "list", "data": lines[:3]}}
    server.add_account("acct_a", {"invoices": [invoice, small]})
    client = client_for(server)
    expected = [line["id"] for line in lines]

    listed = client.v1.invoices.list()
    big = listed.data[0]
    assert len(big.lines.data) == 10
    assert big.lines.has_more is True
    assert big.lines.total_count == 25
    assert big.lines.url == "/v1/invoices/in_big/lines"
    assert listed.data[1].lines.has_more is False

    assert [line.id for line in big.lines.auto_paging_iter()] == expected
    page = client.v1.invoices.line_items.list("in_big", {"limit": 7, "starting_after": "il_006"})
    assert [line.id for line in page.data] == expected[7:14]
    assert [line.id for line in page.auto_paging_iter()] == expected[7:]
    retrieved = client.v1.invoices.retrieve("in_big")
    assert len(retrieved.lines.data) == 10
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.line_items.list("in_missing")
    assert lines[0] == {"id": "il_000", "object": "line_item", "amount": 0}  # input untouched


def test_events_older_than_30_days_are_gone(server: StripeApiServer) -> None:
    now = T0 + 100 * DAY

    def event(id_: str, age_s: int, type_: str) -> dict[str, Any]:
        return {
            "id": id_,
            "object": "event",
            "account": "acct_a",
            "created": now - age_s,
            "type": type_,
            "data": {"object": {"id": "ch_1", "object": "charge"}},
            "pending_webhooks": 1 if id_ == "evt_recent" else 0,
        }

    events = [
        event("evt_old", EVENT_RETENTION_S + 60, "charge.succeeded"),
        event("evt_edge", EVENT_RETENTION_S, "invoice.paid"),
        event("evt_mid", 10 * DAY, "charge.dispute.created"),
        event("evt_recent", 3_600, "charge.refunded"),
    ]
    server.add_account("acct_a", {}, events, now=now)
    client = client_for(server)
    v1 = client.v1

    assert [e.id for e in v1.events.list().auto_paging_iter()] == [
        "evt_recent",
        "evt_mid",
        "evt_edge",
    ]
    assert [e.id for e in v1.events.list({"type": "charge.*"})] == ["evt_recent", "evt_mid"]
    types = v1.events.list({"types": ["invoice.paid", "charge.succeeded"]})
    assert [e.id for e in types] == ["evt_edge"]
    recent = v1.events.list({"created": {"gte": now - DAY}})
    assert [e.id for e in recent] == ["evt_recent"]
    assert [e.id for e in v1.events.list({"delivery_success": False})] == ["evt_recent"]
    assert v1.events.retrieve("evt_mid").data.object.id == "ch_1"
    with pytest.raises(stripe.InvalidRequestError):
        v1.events.retrieve("evt_old")
    with pytest.raises(stripe.InvalidRequestError):
        v1.events.list({"starting_after": "evt_old"})


def test_errors_surface_as_sdk_exceptions(server: StripeApiServer) -> None:
    server.add_account("acct_a", {"customers": customers(2)})

    with pytest.raises(stripe.AuthenticationError) as auth:
        client_for(server, api_key="sk_test_wrong").v1.customers.list()
    assert auth.value.http_status == 401
    assert auth.value.request_id is not None and auth.value.request_id.startswith("req_")

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client_for(server).v1.customers.retrieve("cus_missing")
    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"

    ok = client_for(server).v1.customers.retrieve("cus_00001")
    assert ok.email == "c1@example.com"
    assert ok.last_response.request_id.startswith("req_")
    assert ok.last_response.headers["Content-Type"] == "application/json"


def test_balance_transactions_and_disputes_are_retrieved_by_id_as_stripe_answers_them(
    server: StripeApiServer,
) -> None:
    withdrawal = {
        "id": "txn_dp_1",
        "object": "balance_transaction",
        "amount": -3241,
        "currency": "usd",
        "fee": 1500,
        "net": -4741,
        "source": "dp_1",
        "type": "adjustment",
        "created": T0,
    }
    server.add_account(
        "acct_a",
        {
            "balance_transactions": [
                {
                    "id": "txn_ch_1",
                    "object": "balance_transaction",
                    "amount": 4321,
                    "currency": "usd",
                    "exchange_rate": 1.08025,
                    "source": "ch_1",
                    "type": "charge",
                    "created": T0,
                }
            ],
            "disputes": [
                {
                    "id": "dp_1",
                    "object": "dispute",
                    "amount": 3000,
                    "currency": "eur",
                    "charge": "ch_1",
                    "status": "needs_response",
                    "created": T0,
                    "balance_transactions": [withdrawal],
                }
            ],
        },
    )
    v1 = client_for(server).v1

    txn = v1.balance_transactions.retrieve("txn_ch_1")
    dispute = v1.disputes.retrieve("dp_1", {"expand": ["charge"]})  # expand: accepted, ignored
    with pytest.raises(stripe.InvalidRequestError) as missing:
        v1.balance_transactions.retrieve("txn_missing")

    assert isinstance(txn, stripe.BalanceTransaction) and txn.exchange_rate == 1.08025
    assert [t.to_dict() for t in dispute.balance_transactions] == [withdrawal]  # embedded whole
    assert isinstance(dispute.balance_transactions[0], stripe.BalanceTransaction)
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert [path for _, path, _ in server.requests] == [
        "/v1/balance_transactions/txn_ch_1",
        "/v1/disputes/dp_1?expand[0]=charge",
        "/v1/balance_transactions/txn_missing",
    ]


def test_injected_failures_are_retried_by_the_sdk() -> None:
    with StripeApiServer(fail_every=2) as server:
        server.add_account("acct_a", {"customers": customers(5)})
        assert client_for(server).v1.customers.list().data  # request 1 succeeds
        with pytest.raises(stripe.APIError) as info:
            client_for(server).v1.customers.retrieve("cus_00001")  # request 2 fails
        assert info.value.http_status == 500

        # Request 4 fails and the SDK retries it (request 5).
        assert client_for(server).v1.customers.list().data  # request 3
        retried = client_for(server, retries=2).v1.customers.retrieve("cus_00001")
        assert retried.id == "cus_00001"
        assert server.failures == 2
        assert len(server.requests) == 5


def test_rate_limit_is_a_429_the_sdk_does_not_retry() -> None:
    now = [1_000.0]
    with StripeApiServer(rate_limit_per_s=2, clock=lambda: now[0]) as server:
        server.add_account("acct_a", {"customers": customers(3)})
        server.add_account("acct_b", {"customers": customers(3, prefix="cus_b")})
        a = {"stripe_account": "acct_a"}
        client = client_for(server, retries=3)

        client.v1.customers.list(options=a)
        client.v1.customers.list(options=a)
        with pytest.raises(stripe.RateLimitError) as info:
            client.v1.customers.list(options=a)
        assert info.value.http_status == 429
        assert info.value.json_body["error"]["code"] == "rate_limit"
        assert info.value.headers["Retry-After"] == "1"
        assert len(server.requests) == 3  # like Stripe's real rate limits: no SDK retry
        assert server.rate_limited == 1

        client.v1.customers.list(options={"stripe_account": "acct_b"})  # own bucket
        now[0] += 0.5
        client.v1.customers.list(options=a)  # one token refilled
        assert server.rate_limited == 1


@dataclass(frozen=True)
class _History:
    account: str
    livemode: bool
    now: int
    objects: dict[str, list[dict[str, Any]]]
    events: list[dict[str, Any]] = field(default_factory=list)
    currency: str = "usd"


def test_add_history_and_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    history = _History(
        account="acct_hist",
        livemode=True,
        now=T0,
        objects={"customers": customers(3)},
        events=[{"id": "evt_1", "created": T0 - 5, "type": "customer.created", "data": {}}],
        currency="cad",
    )
    with StripeApiServer() as server:
        server.add_history(history)
        client = client_for(server)
        assert client.v1.accounts.retrieve_current().default_currency == "cad"
        assert [e.id for e in client.v1.events.list()] == ["evt_1"]
        customer = client.v1.customers.list().data[0]
        assert customer.livemode is True
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.customers.list({"limit": 500})
    assert "livemode" not in history.objects["customers"][0]
    captured = capfd.readouterr()
    assert captured.err == ""


# --- Connect: OAuth and keys of one account ---------------------------------------------------


def connect_client(server: StripeApiServer) -> stripe.StripeClient:
    return stripe.StripeClient(
        server.api_key,
        client_id=server.client_id,
        base_addresses={"api": server.base_url, "connect": server.base_url},
        max_network_retries=0,
    )


def authorize(server: StripeApiServer, state: str = "s1") -> dict[str, list[str]]:
    """The browser on the authorize page: the query Stripe redirects back with."""
    url = connect_client(server).oauth.authorize_url(
        params={"scope": "read_only", "state": state, "redirect_uri": "https://app.test/cb"}
    )
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://app.test/cb"
    return parse_qs(location.query)


def test_oauth_gives_a_read_only_token_of_the_approving_account(server: StripeApiServer) -> None:
    server.add_account("acct_founder", {"customers": customers(2)})
    server.add_account("acct_other", {"customers": customers(1, prefix="cus_o")})
    server.oauth_user = "acct_founder"

    back = authorize(server)
    token = connect_client(server).oauth.token(
        params={"grant_type": "authorization_code", "code": back["code"][0]}
    )

    assert back["state"] == ["s1"] and back["scope"] == ["read_only"]
    assert token.stripe_user_id == "acct_founder" and token.scope == "read_only"
    assert token.livemode is False and token.token_type == "bearer"
    assert token.access_token.startswith("rk_test_")
    own = client_for(server, api_key=token.access_token)
    assert own.v1.accounts.retrieve_current().id == "acct_founder"
    assert len(own.v1.customers.list().data) == 2
    with pytest.raises(stripe.PermissionError):
        own.v1.customers.list(options={"stripe_account": "acct_other"})


def test_a_declined_authorization_redirects_with_access_denied(server: StripeApiServer) -> None:
    server.add_account("acct_founder", {})
    server.oauth_user = None

    back = authorize(server, state="s2")

    assert back["error"] == ["access_denied"] and back["state"] == ["s2"]
    assert "code" not in back


def test_a_code_is_single_use_and_reusing_it_revokes_its_token(server: StripeApiServer) -> None:
    server.add_account("acct_founder", {})
    server.oauth_user = "acct_founder"
    code = authorize(server)["code"][0]
    client = connect_client(server)
    token = client.oauth.token(params={"grant_type": "authorization_code", "code": code})

    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        client.oauth.token(params={"grant_type": "authorization_code", "code": code})
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        client.oauth.token(params={"grant_type": "authorization_code", "code": "ac_unknown"})
    with pytest.raises(stripe.AuthenticationError):
        client_for(server, api_key=token.access_token).v1.accounts.retrieve_current()


def test_a_code_expires_after_five_minutes() -> None:
    now = [float(T0)]
    with StripeApiServer(clock=lambda: now[0]) as server:
        server.add_account("acct_founder", {})
        server.oauth_user = "acct_founder"
        code = authorize(server)["code"][0]
        now[0] += OAUTH_CODE_TTL_S + 1

        with pytest.raises(stripe.oauth_error.InvalidGrantError, match="expired"):
            connect_client(server).oauth.token(
                params={"grant_type": "authorization_code", "code": code}
            )


def test_deauthorizing_revokes_the_accounts_tokens(server: StripeApiServer) -> None:
    server.add_account("acct_founder", {})
    server.oauth_user = "acct_founder"
    client = connect_client(server)
    token = client.oauth.token(
        params={"grant_type": "authorization_code", "code": authorize(server)["code"][0]}
    )

    answer = client.oauth.deauthorize(params={"stripe_user_id": "acct_founder"})

    assert answer.stripe_user_id == "acct_founder"
    with pytest.raises(stripe.AuthenticationError):
        client_for(server, api_key=token.access_token).v1.accounts.retrieve_current()
    with pytest.raises(stripe.oauth_error.InvalidClientError):
        client.oauth.deauthorize(params={"stripe_user_id": "acct_founder"})


def test_a_restricted_key_reads_its_own_account_only(server: StripeApiServer) -> None:
    server.add_account("acct_a", {"customers": customers(2)}, livemode=True)
    server.add_account("acct_b", {"customers": customers(1, prefix="cus_b")})

    key = server.add_restricted_key("acct_a")
    client = client_for(server, api_key=key)

    assert key.startswith("rk_live_")
    assert client.v1.accounts.retrieve_current().id == "acct_a"
    with pytest.raises(stripe.PermissionError):
        client.v1.accounts.retrieve("acct_b")
    with pytest.raises(stripe.oauth_error.InvalidClientError):  # only the platform exchanges
        connect_client(server).oauth.token(
            params={"grant_type": "authorization_code", "code": "x"}, options={"api_key": key}
        )
