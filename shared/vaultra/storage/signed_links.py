"""Short-lived download links the API serves itself (the local store's stand-in for signed URLs).

A token is `v1.<payload>.<mac>`: the payload (URL-safe base64 of JSON) names the object key, the
file name to save it as and the expiry (Unix seconds); the MAC is HMAC-SHA256 over `v1.<payload>`
with a key only the server holds. Anyone holding the token may download that one object until it
expires; nobody can make one for another object or extend it without the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

VERSION = "v1"
MAX_TOKEN = 1000


class InvalidLink(Exception):
    """Malformed, forged or expired — which of these is never said."""


@dataclass(frozen=True)
class LinkClaims:
    key: str
    filename: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    def __init__(
        self, secret: bytes, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        if len(secret) < 32:
            raise ValueError("the link signing key must be at least 32 bytes")
        self._secret = secret
        self._clock = clock

    def _mac(self, signed: str) -> str:
        return _b64(hmac.new(self._secret, signed.encode(), hashlib.sha256).digest())

    def sign(self, key: str, filename: str, expires_in: timedelta) -> str:
        expires = int((self._clock() + expires_in).timestamp())
        payload = _b64(json.dumps({"k": key, "f": filename, "x": expires}).encode())
        signed = f"{VERSION}.{payload}"
        return f"{signed}.{self._mac(signed)}"

    def verify(self, token: str) -> LinkClaims:
        if len(token) > MAX_TOKEN or token.count(".") != 2:
            raise InvalidLink
        version, payload, mac = token.split(".")
        signed = f"{version}.{payload}"
        if version != VERSION or not hmac.compare_digest(mac, self._mac(signed)):
            raise InvalidLink
        try:
            claims = json.loads(_unb64(payload))
            key, filename, expires = str(claims["k"]), str(claims["f"]), int(claims["x"])
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise InvalidLink from None
        expires_at = datetime.fromtimestamp(expires, UTC)
        if expires_at <= self._clock():
            raise InvalidLink
        return LinkClaims(key, filename, expires_at)
