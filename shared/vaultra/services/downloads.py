"""The downloads the API serves itself: a local store's signed links (`GET /api/v1/downloads/
{token}`). With Google Cloud Storage, links point at the bucket and this serves nothing."""

from __future__ import annotations

from dataclasses import dataclass

from vaultra.storage import InvalidKey, ObjectMissing, ObjectStore
from vaultra.storage.local import LocalStore
from vaultra.storage.signed_links import InvalidLink


class LinkNotFound(LookupError):
    """Malformed, forged, expired, or its file is gone: never said which."""


@dataclass(frozen=True)
class Download:
    data: bytes
    content_type: str
    filename: str


class Downloads:
    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    def open(self, token: str) -> Download:
        if not isinstance(self._store, LocalStore):
            raise LinkNotFound
        try:
            found, filename = self._store.open_link(token)
        except (InvalidLink, InvalidKey, ObjectMissing):
            raise LinkNotFound from None
        return Download(found.data, found.content_type, filename)
