"""Encryption at rest of per-connection Stripe credentials (an OAuth access token or a restricted
key), with Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`.

The key is `VAULTRA_CREDENTIALS_KEY` (Secret Manager in production). Locally, when it is unset, a
key is generated once into `$VAULTRA_HOME/credentials.key` (mode 0600) so the demo needs no set-up.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from vaultra.config import Settings
from vaultra.services.local_keys import local_key


class CredentialsKeyError(RuntimeError):
    pass


def fernet(settings: Settings) -> Fernet:
    if settings.credentials_key is not None:
        key = settings.credentials_key.get_secret_value().encode()
    elif settings.deployed:
        # A key made here would exist on this instance only: what it encrypts could not be read
        # anywhere else, nor after a restart.
        raise CredentialsKeyError("VAULTRA_CREDENTIALS_KEY must be set in a deployed runtime")
    else:
        key = local_key(settings.vaultra_home, "credentials.key", Fernet.generate_key)
    try:
        return Fernet(key)
    except ValueError as exc:
        raise CredentialsKeyError(
            "VAULTRA_CREDENTIALS_KEY must be 32 url-safe base64-encoded bytes"
        ) from exc


def encrypt(settings: Settings, secret: str) -> bytes:
    return fernet(settings).encrypt(secret.encode())


def decrypt(settings: Settings, token: bytes) -> str:
    try:
        return fernet(settings).decrypt(token).decode()
    except InvalidToken as exc:
        raise CredentialsKeyError("stored credentials cannot be decrypted with this key") from exc
