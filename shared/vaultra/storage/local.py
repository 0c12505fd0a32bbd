"""The object store as a folder (locally, under `VAULTRA_HOME`): each object is a file, its
content type a small file beside it; downloads go through links the API signs and serves."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from vaultra.storage import ObjectMissing, StoredObject, check_key
from vaultra.storage.signed_links import LinkSigner

DOWNLOADS_PATH = "/api/v1/downloads/"


class LocalStore:
    def __init__(self, root: Path, signer: LinkSigner, public_url: str) -> None:
        self._objects = root / "objects"
        self._types = root / "content-types"
        self._signer = signer
        self._public_url = public_url.rstrip("/")

    def _paths(self, key: str) -> tuple[Path, Path]:
        check_key(key)
        return self._objects / key, self._types / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path, type_path = self._paths(key)
        for target, content in ((type_path, content_type.encode()), (path, data)):
            target.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: a reader never sees half a file.
            fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            os.replace(temporary, target)

    def get(self, key: str) -> StoredObject:
        path, type_path = self._paths(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        try:
            content_type = type_path.read_text().strip()
        except FileNotFoundError:
            content_type = "application/octet-stream"
        return StoredObject(data, content_type)

    def delete_prefix(self, prefix: str) -> int:
        check_key(prefix, prefix=True)
        folder, _, stem = prefix.rpartition("/")
        deleted = 0
        for base in (self._objects, self._types):
            parent = base / folder if folder else base
            if not parent.is_dir():
                continue
            doomed = [entry for entry in parent.iterdir() if entry.name.startswith(stem)]
            if base is self._objects:
                deleted = sum(
                    sum(1 for p in e.rglob("*") if p.is_file()) if e.is_dir() else 1 for e in doomed
                )
            for entry in doomed:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            if not stem and parent != base:  # "folder/": the folder goes too
                shutil.rmtree(parent, ignore_errors=True)
        return deleted

    def download_url(self, key: str, expires_in: timedelta, *, filename: str) -> str:
        check_key(key)
        token = self._signer.sign(key, filename, expires_in)
        return f"{self._public_url}{DOWNLOADS_PATH}{token}"

    def open_link(self, token: str) -> tuple[StoredObject, str]:
        """The object a download token names and the file name to save it as (`InvalidLink`
        for a bad or expired token, `ObjectMissing` once the object is gone)."""
        claims = self._signer.verify(token)
        return self.get(claims.key), claims.filename
