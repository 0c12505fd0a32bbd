"""Passwords: hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended set),
never stored or logged otherwise; checked in constant time, including for unknown accounts."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10  # NIST SP 800-63B asks for at least 8; founders' financial data asks for more
MAX_LENGTH = 256  # beyond this, hashing is a denial-of-service lever, not a security gain

_hasher = PasswordHasher()
# Verified against when the account does not exist, so that an unknown address costs the same
# time as a wrong password and the answer tells nothing.
_DUMMY_HASH = _hasher.hash("vaultra-no-such-account")


class WeakPassword(ValueError):
    """The password does not meet the policy; the message says which rule."""


def check_policy(password: str, email: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password must be at most {MAX_LENGTH} characters long")
    if password.strip().lower() == email.strip().lower():
        raise WeakPassword("the password must not be the email address")
    if len(set(password)) < 4:
        raise WeakPassword("the password must not repeat a few characters")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash (no such account), spends the same time and
    answers False."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's (rehash at next login)."""
    return _hasher.check_needs_rehash(password_hash)
