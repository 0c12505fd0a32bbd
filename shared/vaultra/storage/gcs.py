"""The object store as a Google Cloud Storage bucket (production), through google-cloud-storage.

Downloads are V4 signed URLs: signing is local computation with a service account's private key.
On Google's runtimes the default credentials hold no key; the adapter then signs through the IAM
Credentials API (`signBlob`) with the runtime's own service account, which needs the
`iam.serviceAccounts.signBlob` permission on itself (roles/iam.serviceAccountTokenCreator).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import google.auth.transport.requests
from google.api_core.exceptions import NotFound
from google.auth.credentials import Signing
from google.cloud.storage import Client

from vaultra.storage import ObjectMissing, StoredObject, check_key

# GCS caps V4 signed URLs at seven days.
MAX_EXPIRY = timedelta(days=7)


class GcsStore:
    def __init__(self, client: Client, bucket: str) -> None:
        self._client = client
        self._bucket = client.bucket(bucket)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._bucket.blob(check_key(key)).upload_from_string(data, content_type=content_type)

    def get(self, key: str) -> StoredObject:
        blob = self._bucket.blob(check_key(key))
        try:
            data = blob.download_as_bytes()
        except NotFound:
            raise ObjectMissing(key) from None
        # the download fills the blob's metadata from the response headers
        return StoredObject(data, blob.content_type or "application/octet-stream")

    def delete_prefix(self, prefix: str) -> int:
        check_key(prefix, prefix=True)
        deleted = 0
        for blob in self._client.list_blobs(self._bucket, prefix=prefix):
            try:
                blob.delete()
            except NotFound:  # deleted meanwhile: what we wanted
                continue
            deleted += 1
        return deleted

    def download_url(self, key: str, expires_in: timedelta, *, filename: str) -> str:
        if not timedelta(seconds=1) <= expires_in <= MAX_EXPIRY:
            raise ValueError("a signed URL lives between one second and seven days")
        blob = self._bucket.blob(check_key(key))
        return str(
            blob.generate_signed_url(
                version="v4",
                expiration=expires_in,
                method="GET",
                response_disposition=f'attachment; filename="{filename}"',
                **self._signing(),
            )
        )

    def _signing(self) -> dict[str, Any]:
        """How to sign: the credentials' own key, or IAM signBlob with a fresh access token."""
        credentials = self._client._credentials
        if isinstance(credentials, Signing):
            return {"credentials": credentials}
        if not credentials.valid:
            credentials.refresh(google.auth.transport.requests.Request())
        return {
            "service_account_email": credentials.service_account_email,
            "access_token": credentials.token,
        }


def gcs_client(project: str | None) -> Client:
    """A client with the runtime's default credentials (the function's service account)."""
    return Client(project=project)
