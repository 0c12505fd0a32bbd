"""A loopback HTTP server that speaks the part of Google Cloud Storage's JSON API the object
store adapter uses, so the official `google-cloud-storage` client can be tested end to end:

    with GcsApiServer(buckets=["reports"]) as server:
        client = storage.Client(
            project="test", credentials=AnonymousCredentials(),
            client_options={"api_endpoint": server.base_url},
        )

What it reproduces (https://cloud.google.com/storage/docs/json_api/v1/objects):

* `POST /upload/storage/v1/b/{bucket}/o?uploadType=multipart` — a `multipart/related` body: the
  object's JSON metadata, then its bytes; a `crc32c` or `md5Hash` in the metadata is checked
  against the bytes (400 on a mismatch), as GCS does. `uploadType=media&name=…` too.
* `GET /download/storage/v1/b/{bucket}/o/{object}?alt=media` — the bytes, with `Content-Type`,
  `X-Goog-Hash: crc32c=…,md5=…` (the client verifies it) and `X-Goog-Generation`.
* `GET /storage/v1/b/{bucket}/o/{object}` — the object resource.
* `GET /storage/v1/b/{bucket}/o?prefix=…&maxResults=…&pageToken=…` — a page of objects in name
  order, with `nextPageToken` while more remain.
* `DELETE /storage/v1/b/{bucket}/o/{object}` — 204.
* `GET /storage/v1/b/{bucket}` — the bucket resource (the client reads it on its own at times).

Object names are percent-encoded in paths (`a%2Fb.pdf`). Errors have GCS's JSON error shape
(`{"error": {"code", "message", "errors"}}`), so the client raises `NotFound` and friends. Only
the listed buckets exist; anything else is 404. It checks no credentials.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import google_crc32c

from vaultra_dev.loopback import free_port

__all__ = ["GcsApiServer", "StoredBlob"]

DEFAULT_PAGE = 1000


@dataclass
class StoredBlob:
    data: bytes
    content_type: str
    generation: int
    created: datetime

    @property
    def md5(self) -> str:
        return base64.b64encode(hashlib.md5(self.data).digest()).decode()

    @property
    def crc32c(self) -> str:
        return base64.b64encode(google_crc32c.Checksum(self.data).digest()).decode()


class _Failure(Exception):
    def __init__(self, code: int, message: str, reason: str) -> None:
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason


class GcsApiServer:
    """The fake; `objects[bucket][name]` is its state, open to tests."""

    def __init__(self, buckets: list[str], port: int | None = None) -> None:
        self.objects: dict[str, dict[str, StoredBlob]] = {b: {} for b in buckets}
        self.requests: list[tuple[str, str]] = []  # (method, path) of each request
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._generation = 1_700_000_000_000_000
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> GcsApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # --- the API ------------------------------------------------------------------------------

    def _bucket(self, name: str) -> dict[str, StoredBlob]:
        if name not in self.objects:
            raise _Failure(404, f"The specified bucket does not exist: {name}", "notFound")
        return self.objects[name]

    def _blob(self, bucket: str, name: str) -> StoredBlob:
        found = self._bucket(bucket).get(name)
        if found is None:
            raise _Failure(404, f"No such object: {bucket}/{name}", "notFound")
        return found

    def resource(self, bucket: str, name: str, blob: StoredBlob) -> dict[str, Any]:
        stamp = blob.created.isoformat().replace("+00:00", "Z")
        return {
            "kind": "storage#object",
            "id": f"{bucket}/{name}/{blob.generation}",
            "name": name,
            "bucket": bucket,
            "generation": str(blob.generation),
            "metageneration": "1",
            "contentType": blob.content_type,
            "size": str(len(blob.data)),
            "md5Hash": blob.md5,
            "crc32c": blob.crc32c,
            "timeCreated": stamp,
            "updated": stamp,
            "storageClass": "STANDARD",
        }

    def _insert(self, bucket: str, query: dict[str, str], ctype: str, body: bytes) -> Any:
        upload_type = query.get("uploadType")
        if upload_type == "multipart":
            metadata, data, content_type = _multipart(ctype, body)
            name = metadata.get("name") or query.get("name")
        elif upload_type == "media":
            metadata, data, content_type = {}, body, ctype
            name = query.get("name")
        else:
            raise _Failure(400, f"unsupported uploadType {upload_type!r}", "invalid")
        if not name:
            raise _Failure(400, "Required object name", "required")
        content_type = metadata.get("contentType") or content_type or "application/octet-stream"
        with self._lock:
            target = self._bucket(bucket)
            self._generation += 1
            blob = StoredBlob(data, content_type, self._generation, datetime.now(UTC))
        for field, actual in (("crc32c", blob.crc32c), ("md5Hash", blob.md5)):
            if field in metadata and metadata[field] != actual:
                raise _Failure(400, f"Provided {field} doesn't match calculated", "invalid")
        with self._lock:
            target[name] = blob
        return self.resource(bucket, name, blob)

    def _list(self, bucket: str, query: dict[str, str]) -> Any:
        prefix = query.get("prefix", "")
        size = min(int(query.get("maxResults", DEFAULT_PAGE)), DEFAULT_PAGE)
        after = query.get("pageToken", "")
        with self._lock:
            names = sorted(n for n in self._bucket(bucket) if n.startswith(prefix) and n > after)
            page = names[:size]
            items = [self.resource(bucket, n, self.objects[bucket][n]) for n in page]
        answer: dict[str, Any] = {"kind": "storage#objects", "items": items}
        if len(names) > size:
            answer["nextPageToken"] = page[-1]
        return answer

    def _delete(self, bucket: str, name: str) -> None:
        with self._lock:
            self._blob(bucket, name)
            del self.objects[bucket][name]

    # --- HTTP -------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _route(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                # split the raw path: an object name's "/" arrives as %2F
                segments = parts.path.strip("/").split("/")
                server.requests.append((method, parts.path))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    self._answer(method, segments, query, body)
                except _Failure as failure:
                    error = {"code": failure.code, "message": failure.message}
                    self._json(
                        failure.code,
                        {"error": {**error, "errors": [{**error, "reason": failure.reason}]}},
                    )

            def _answer(
                self, method: str, segments: list[str], query: dict[str, str], body: bytes
            ) -> None:
                match method, segments:
                    case "POST", ["upload", "storage", "v1", "b", bucket, "o"]:
                        ctype = self.headers.get("Content-Type", "")
                        self._json(200, server._insert(unquote(bucket), query, ctype, body))
                    case "GET", ["download", "storage", "v1", "b", bucket, "o", name]:
                        blob = server._blob(unquote(bucket), unquote(name))
                        self._bytes(blob)
                    case "GET", ["storage", "v1", "b", bucket]:
                        bucket = unquote(bucket)
                        server._bucket(bucket)
                        resource = {"kind": "storage#bucket", "id": bucket, "name": bucket}
                        self._json(200, resource)
                    case "GET", ["storage", "v1", "b", bucket, "o"]:
                        self._json(200, server._list(unquote(bucket), query))
                    case "GET", ["storage", "v1", "b", bucket, "o", name]:
                        bucket, name = unquote(bucket), unquote(name)
                        blob = server._blob(bucket, name)
                        if query.get("alt") == "media":
                            self._bytes(blob)
                        else:
                            self._json(200, server.resource(bucket, name, blob))
                    case "DELETE", ["storage", "v1", "b", bucket, "o", name]:
                        server._delete(unquote(bucket), unquote(name))
                        self.send_response(204)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                    case _:
                        raise _Failure(404, f"Not Found: {method} {self.path}", "notFound")

            def _json(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _bytes(self, blob: StoredBlob) -> None:
                self.send_response(200)
                self.send_header("Content-Type", blob.content_type)
                self.send_header("Content-Length", str(len(blob.data)))
                self.send_header("X-Goog-Hash", f"crc32c={blob.crc32c},md5={blob.md5}")
                self.send_header("X-Goog-Generation", str(blob.generation))
                self.send_header("X-Goog-Metageneration", "1")
                self.send_header("X-Goog-Storage-Class", "STANDARD")
                self.end_headers()
                self.wfile.write(blob.data)

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_DELETE(self) -> None:
                self._route("DELETE")

        return Handler


def _multipart(ctype: str, body: bytes) -> tuple[dict[str, Any], bytes, str]:
    """The JSON metadata, the bytes and their content type of a `multipart/related` upload."""
    boundary = next(
        (
            p.split("=", 1)[1].strip().strip('"')
            for p in ctype.split(";")
            if p.strip().startswith("boundary=")
        ),
        None,
    )
    if not ctype.startswith("multipart/related") or not boundary:
        raise _Failure(400, "a multipart upload needs multipart/related with a boundary", "invalid")
    separator = b"--" + boundary.encode()
    parts = body.split(separator)
    # ["", metadata part, media part, "--…"]: each part is headers, a blank line, the body + CRLF
    if len(parts) < 4 or not parts[-1].startswith(b"--"):
        raise _Failure(400, "malformed multipart body", "invalid")
    sections = []
    for part in parts[1:3]:
        head, _, content = part.partition(b"\r\n\r\n")
        headers = {
            line.split(b":", 1)[0].strip().lower(): line.split(b":", 1)[1].strip()
            for line in head.strip().split(b"\r\n")
            if b":" in line
        }
        sections.append((headers, content[:-2] if content.endswith(b"\r\n") else content))
    (_, metadata_bytes), (media_headers, data) = sections
    try:
        metadata = json.loads(metadata_bytes)
    except ValueError:
        raise _Failure(400, "the metadata part is not JSON", "parseError") from None
    return metadata, data, media_headers.get(b"content-type", b"").decode()
