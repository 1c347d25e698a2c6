"""The storage suite's view behind the gcp driver's back: buckets made without cloudcore's
labels (as another tool would), and damaged downloads (see :mod:`._gcs`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._gcs import GcsStandIn

__all__ = ["GcsProbe"]


class GcsProbe:
    """A :class:`~cloudcore.testing.probes.BucketSeeder` and
    :class:`~cloudcore.testing.probes.ObjectCorrupter` for the emulator."""

    def __init__(self, standin: GcsStandIn, project: str) -> None:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage  # type: ignore[attr-defined]

        self.standin = standin
        # straight to the emulator: what another tool does is not cloudcore's wire traffic
        self.client: Any = storage.Client(
            project=project,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": f"http://127.0.0.1:{standin.port}"},
        )

    def create_unmanaged_bucket(self, name: str, objects: Mapping[str, bytes]) -> None:
        bucket = self.client.create_bucket(name)
        bucket.labels = {"owner": "someone-else"}
        bucket.patch()
        for key, data in objects.items():
            bucket.blob(key).upload_from_string(data)

    def read_unmanaged_bucket(self, name: str) -> dict[str, bytes] | None:
        bucket = self.client.lookup_bucket(name)
        if bucket is None:
            return None
        return {b.name: b.download_as_bytes() for b in self.client.list_blobs(name)}

    def remove_unmanaged_bucket(self, name: str) -> None:
        bucket = self.client.lookup_bucket(name)
        if bucket is not None:
            for blob in self.client.list_blobs(name):
                blob.delete()
            bucket.delete()

    def corrupt_object(self, bucket: str, key: str, *, truncate: bool = False) -> None:
        self.standin.corrupt(bucket, key, truncate=truncate)
