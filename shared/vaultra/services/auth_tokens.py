"""Tokens: short-lived access tokens (JWT, HS256, PyJWT) and opaque secrets (refresh tokens,
personal access tokens, links) that are stored only as their SHA-256.

An access token names its audience: the API accepts only `vaultra-api` tokens, so a token issued
for another audience (step 5's MCP server, say) is refused here, and the other way round.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

ISSUER = "vaultra"
API_AUDIENCE = "vaultra-api"
ALGORITHM = "HS256"
_LEEWAY_S = 10  # clocks of two instances may differ a little
# Tokens whose signature and claims were verified, by the token itself: a browser sends the same
# access token with every request for its lifetime, and verifying it (PyJWT: the key, the HMAC,
# two base64 decodes, the JSON and the claims) was a tenth of the dashboard summary's CPU. Only
# expiry can change for a token already verified, so a hit checks it again; a forged or altered
# token is another string and is never found. Bounded: emptied when full.
_VERIFIED_MAX = 4096


class InvalidToken(Exception):
    """Missing, malformed, forged, expired or of another audience. Deliberately vague."""


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int  # seconds


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    token_id: str
    expires_at: datetime
    issued_at: datetime


class AccessTokens:
    def __init__(
        self,
        secret: str,
        ttl_s: int,
        *,
        audience: str = API_AUDIENCE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if len(secret) < 32:
            raise ValueError("the signing secret must be at least 32 characters")
        self._secret = secret
        self._ttl_s = ttl_s
        self._audience = audience
        self._clock = clock
        self._verified: dict[str, AccessClaims] = {}

    def issue(self, user_id: uuid.UUID) -> AccessToken:
        now = self._clock()
        claims = {
            "iss": ISSUER,
            "aud": self._audience,
            "sub": str(user_id),
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self._ttl_s)).timestamp()),
            "jti": secrets.token_hex(8),
        }
        return AccessToken(jwt.encode(claims, self._secret, algorithm=ALGORITHM), self._ttl_s)

    def verify(self, token: str) -> AccessClaims:
        known = self._verified.get(token)
        if known is not None:
            # As PyJWT decides expiry: its `exp` against the wall clock, with the leeway.
            if known.expires_at.timestamp() <= time.time() - _LEEWAY_S:
                self._verified.pop(token, None)
                raise InvalidToken("invalid access token")
            return known
        claims = self._decode(token)
        if len(self._verified) >= _VERIFIED_MAX:
            self._verified.clear()
        self._verified[token] = claims
        return claims

    def _decode(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],  # never "none", never what the token says
                audience=self._audience,
                issuer=ISSUER,
                leeway=_LEEWAY_S,
                options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"]},
            )
            return AccessClaims(
                uuid.UUID(claims["sub"]),
                str(claims["jti"]),
                datetime.fromtimestamp(claims["exp"], UTC),
                datetime.fromtimestamp(int(claims["iat"]), UTC),
            )
        except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
            raise InvalidToken("invalid access token") from exc


def new_secret(prefix: str) -> str:
    """An opaque secret: `prefix` + 256 random bits, URL-safe. Shown once, stored hashed."""
    return prefix + secrets.token_urlsafe(32)


def secret_hash(token: str) -> str:
    """What is stored of a secret: its SHA-256 (the secret itself has 256 bits of entropy, so a
    plain hash is enough; a password hash would only slow every request)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
