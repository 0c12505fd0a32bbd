"""Where generated files live (reports' PDFs and CSVs): the object store port and its adapters.

- `vaultra.storage.local.LocalStore` — a folder under `VAULTRA_HOME`; a download is a short-lived
  HMAC-signed link served by the API itself (`GET /api/v1/downloads/{token}`);
- `vaultra.storage.gcs.GcsStore` — a Google Cloud Storage bucket; a download is a V4 signed URL.

Keys are paths the services build from ids (`businesses/<id>/reports/<id>/report.pdf`), checked
here so that no key can leave its folder or name a surprising object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

# Segments of letters, digits, dots, dashes and underscores; no empty, "." or ".." segment.
_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
MAX_KEY = 500


class InvalidKey(ValueError):
    """A key (or prefix) this store refuses: empty, too long, absolute, or escaping its folder."""


class ObjectMissing(LookupError):
    """No object under this key."""


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    content_type: str


def check_key(key: str, *, prefix: bool = False) -> str:
    """`key` if it is a safe relative path; a prefix may end with "/"."""
    body = key[:-1] if prefix and key.endswith("/") else key
    if not body or len(key) > MAX_KEY:
        raise InvalidKey("a storage key must be 1 to 500 characters")
    for segment in body.split("/"):
        if segment in (".", "..") or not _SEGMENT.match(segment):
            raise InvalidKey(f"unsafe storage key segment {segment!r}")
    return key


class ObjectStore(Protocol):
    """Put, read and delete bytes under keys; hand out a link that downloads one for a while."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> StoredObject:
        """The object, or `ObjectMissing`."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with `prefix`; how many were deleted."""
        ...

    def download_url(self, key: str, expires_in: timedelta, *, filename: str) -> str:
        """A URL anyone holding it may GET the object from until it expires, saved as
        `filename`."""
        ...
