"""The stripe SDK client Vaultra reads accounts with: pointed at `STRIPE_API_BASE`, retrying
transient failures, and throttled to stay inside Stripe's rate limits (25 requests/s in test mode,
100/s live; the default budget of 20/s leaves room for the account's own traffic)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import stripe

# The API version whose object shapes vaultra.stripe.mapping reads. Pinned per request so that a
# backfill sees the same shapes as the webhook endpoint (created with this `api_version`), whatever
# the account's default version or the SDK's own pin.
STRIPE_API_VERSION = "2024-06-20"

# Retries the SDK makes by itself on connection errors, 409 and 5xx (with its own backoff).
SDK_NETWORK_RETRIES = 3


class RateLimiter:
    """A token bucket: at most `rate` acquisitions per second on average, bursts up to `burst`."""

    def __init__(
        self,
        rate: float,
        burst: int = 5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate, self.burst = rate, burst
        self._tokens = float(burst)
        self._clock, self._sleep = clock, sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
            self._tokens -= 1
        if wait > 0:
            self._sleep(wait)


class ThrottledHTTPClient(stripe.RequestsClient):
    """The SDK's default HTTP client, taking a token before every attempt (retries included)."""

    def __init__(self, limiter: RateLimiter, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._limiter = limiter

    # The SDK's own RequestsClient.request already differs from its HTTPClient base's signature.
    def request(  # type: ignore[override]
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        self._limiter.acquire()
        return super().request(method, url, headers, post_data)


def build_client(
    api_key: str,
    api_base: str,
    *,
    account: str | None,
    requests_per_s: float,
    connect_base: str | None = None,
    client_id: str | None = None,
) -> stripe.StripeClient:
    """`account` sets the `Stripe-Account` header: read a connected account with the platform key.
    `connect_base` and `client_id`: the platform's Connect OAuth (`client.oauth`)."""
    return stripe.StripeClient(
        api_key,
        stripe_account=account,
        stripe_version=STRIPE_API_VERSION,
        base_addresses=(
            {"api": api_base, "connect": connect_base} if connect_base else {"api": api_base}
        ),
        client_id=client_id,
        max_network_retries=SDK_NETWORK_RETRIES,
        http_client=ThrottledHTTPClient(RateLimiter(requests_per_s)),
    )
