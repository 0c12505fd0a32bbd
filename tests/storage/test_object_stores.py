"""The object store port and its two adapters: a folder with links the API signs itself, and
Google Cloud Storage through its official client against a loopback server speaking its JSON API;
and the V4 signed URLs GCS downloads go through, checked signature and all."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from google.auth.credentials import AnonymousCredentials
from google.cloud.storage import Client
from google.oauth2 import service_account
from vaultra.bootstrap import build_store
from vaultra.config import Settings
from vaultra.storage import InvalidKey, ObjectMissing, ObjectStore
from vaultra.storage.gcs import GcsStore
from vaultra.storage.local import LocalStore
from vaultra.storage.signed_links import InvalidLink, LinkSigner
from vaultra_dev.gcs_api import GcsApiServer

BUCKET = "vaultra-reports"
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def gcs() -> Iterator[GcsApiServer]:
    with GcsApiServer([BUCKET]) as server:
        yield server


def anonymous_client(server: GcsApiServer) -> Client:
    return Client(
        project="test",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": server.base_url},
    )


@pytest.fixture(params=["local", "gcs"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalStore(tmp_path, LinkSigner(b"k" * 32), "https://vaultra.test")
        return
    with GcsApiServer([BUCKET]) as server:
        yield GcsStore(anonymous_client(server), BUCKET)


def test_an_object_put_is_read_back_with_its_content_type(store: ObjectStore) -> None:
    data = bytes(range(256)) * 10  # binary, CR LF and NUL included

    store.put("businesses/b1/reports/r1/report.pdf", data, "application/pdf")
    found = store.get("businesses/b1/reports/r1/report.pdf")

    assert found.data == data and found.content_type == "application/pdf"
    with pytest.raises(ObjectMissing):
        store.get("businesses/b1/reports/r1/other.pdf")


def test_deleting_a_prefix_deletes_what_is_under_it_and_nothing_else(store: ObjectStore) -> None:
    for key in ("businesses/b1/a.csv", "businesses/b1/reports/r/b.pdf", "businesses/b10/c.csv"):
        store.put(key, b"x", "text/csv")

    deleted = store.delete_prefix("businesses/b1/")

    assert deleted == 2
    assert store.get("businesses/b10/c.csv").data == b"x"
    for gone in ("businesses/b1/a.csv", "businesses/b1/reports/r/b.pdf"):
        with pytest.raises(ObjectMissing):
            store.get(gone)
    assert store.delete_prefix("businesses/nothing/") == 0


@pytest.mark.parametrize("key", ["../escape.pdf", "/etc/passwd", "a//b", "a/./b", "", "a/b c"])
def test_a_key_cannot_leave_its_folder_or_be_odd(store: ObjectStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        store.put(key, b"x", "text/plain")


def test_a_local_link_downloads_its_object_until_it_expires(tmp_path: Path) -> None:
    clock = Clock()
    store = LocalStore(tmp_path, LinkSigner(b"k" * 32, clock=clock), "https://vaultra.test")
    store.put("businesses/b1/report.pdf", b"%PDF-", "application/pdf")

    url = store.download_url("businesses/b1/report.pdf", timedelta(minutes=5), filename="r.pdf")
    token = url.removeprefix("https://vaultra.test/api/v1/downloads/")
    found, filename = store.open_link(token)
    clock.now += timedelta(minutes=5)

    assert url.startswith("https://vaultra.test/api/v1/downloads/")
    assert found.data == b"%PDF-" and filename == "r.pdf"
    with pytest.raises(InvalidLink):
        store.open_link(token)


def test_a_forged_altered_or_foreign_local_link_is_refused(tmp_path: Path) -> None:
    ours = LinkSigner(b"k" * 32)
    theirs = LinkSigner(b"z" * 32)
    token = ours.sign("businesses/b1/report.pdf", "r.pdf", timedelta(minutes=5))
    version, payload, mac = token.split(".")
    other_payload = ours.sign("businesses/b2/report.pdf", "r.pdf", timedelta(minutes=5)).split(".")[
        1
    ]

    for forged in (
        theirs.sign("businesses/b1/report.pdf", "r.pdf", timedelta(minutes=5)),
        f"{version}.{other_payload}.{mac}",
        f"v2.{payload}.{mac}",
        f"{token}x",
        "not-a-token",
        "a.b.c",
    ):
        with pytest.raises(InvalidLink):
            ours.verify(forged)
    assert ours.verify(token).key == "businesses/b1/report.pdf"


def test_the_gcs_store_speaks_the_json_api(gcs: GcsApiServer) -> None:
    store = GcsStore(anonymous_client(gcs), BUCKET)

    store.put("businesses/b1/r/report.csv", b"month,mrr\n", "text/csv")

    [(name, blob)] = gcs.objects[BUCKET].items()
    assert name == "businesses/b1/r/report.csv" and blob.content_type == "text/csv"
    assert ("POST", f"/upload/storage/v1/b/{BUCKET}/o") in gcs.requests
    assert store.get(name).data == b"month,mrr\n"
    assert store.delete_prefix("businesses/b1/") == 1 and gcs.objects[BUCKET] == {}


def _service_account() -> tuple[service_account.Credentials, rsa.RSAPublicKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "vaultra-test",
        "private_key_id": "key-1",
        "private_key": pem,
        "client_email": "reports@vaultra-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    credentials = service_account.Credentials.from_service_account_info(info)  # type: ignore[no-untyped-call]
    return credentials, key.public_key()


def test_a_gcs_download_url_is_a_v4_signed_url_of_the_object_and_its_expiry(
    gcs: GcsApiServer,
) -> None:
    credentials, public_key = _service_account()
    client = Client(
        project="vaultra-test",
        credentials=credentials,
        client_options={"api_endpoint": gcs.base_url},
    )
    store = GcsStore(client, BUCKET)
    key = "businesses/b1/reports/r1/vaultra-report-2026-11-20.pdf"

    url = store.download_url(key, timedelta(minutes=5), filename="vaultra-report-2026-11-20.pdf")

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    assert f"{parts.scheme}://{parts.netloc}" == gcs.base_url
    assert parts.path == f"/{BUCKET}/{quote(key, safe='/~')}"
    assert query["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert query["X-Goog-Expires"] == "300"
    assert query["X-Goog-Credential"].startswith("reports@vaultra-test.iam.gserviceaccount.com/")
    assert query["response-content-disposition"] == (
        'attachment; filename="vaultra-report-2026-11-20.pdf"'
    )
    # The signature is the service account's RSA signature of the V4 string-to-sign:
    # https://cloud.google.com/storage/docs/authentication/signatures
    signed = sorted((k, v) for k, v in query.items() if k != "X-Goog-Signature")
    canonical_query = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in signed)
    canonical_request = "\n".join(
        [
            "GET",
            parts.path,
            canonical_query,
            f"host:{parts.netloc}\n",
            query["X-Goog-SignedHeaders"],
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = query["X-Goog-Credential"].split("/", 1)[1]
    string_to_sign = "\n".join(
        [
            "GOOG4-RSA-SHA256",
            query["X-Goog-Date"],
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    public_key.verify(  # raises InvalidSignature otherwise
        bytes.fromhex(query["X-Goog-Signature"]),
        string_to_sign.encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    assert scope.endswith("/auto/storage/goog4_request")


def test_a_gcs_download_url_lives_at_most_seven_days(gcs: GcsApiServer) -> None:
    credentials, _ = _service_account()
    client = Client(
        project="t", credentials=credentials, client_options={"api_endpoint": gcs.base_url}
    )

    with pytest.raises(ValueError, match="seven days"):
        GcsStore(client, BUCKET).download_url("a.pdf", timedelta(days=8), filename="a.pdf")


def test_the_composition_root_picks_the_store_from_the_settings(
    tmp_path: Path, gcs: GcsApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = Settings(_env_file=None, VAULTRA_HOME=str(tmp_path))  # type: ignore[call-arg]
    bucket = Settings(_env_file=None, VAULTRA_HOME=str(tmp_path), VAULTRA_REPORTS_BUCKET=BUCKET)  # type: ignore[call-arg]
    deployed = Settings(_env_file=None, VAULTRA_HOME=str(tmp_path), VAULTRA_ENV="production")  # type: ignore[call-arg]
    # The client's documented emulator switch: anonymous credentials, this endpoint.
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs.base_url)

    in_folder = build_store(local, lambda: NOW)
    in_bucket = build_store(bucket, lambda: NOW)
    in_bucket.put("businesses/b/x.csv", b"1", "text/csv")

    assert isinstance(in_folder, LocalStore) and isinstance(in_bucket, GcsStore)
    assert list(gcs.objects[BUCKET]) == ["businesses/b/x.csv"]
    assert (tmp_path / "downloads.key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(ValueError, match="VAULTRA_REPORTS_BUCKET"):
        build_store(deployed, lambda: NOW)
