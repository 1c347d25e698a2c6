"""Storage probes of the moto targets: buckets cloudcore does not manage, and damaged objects.

:class:`MotoBuckets` is the :class:`~cloudcore.testing.probes.BucketSeeder` and
:class:`~cloudcore.testing.probes.ObjectCorrupter` of a target whose S3 stand-in is the moto
server of this process (the AWS target, and the Cloudflare target's R2 stand-in), in the
server's own account. Seeding goes
through a plain boto3 client (another tool making a bucket, without cloudcore's mark);
corruption changes the bytes moto stores for an object and keeps everything else (its ETag, its
metadata with the checksum cloudcore recorded): what a bad disk does behind the API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["MotoBuckets"]


class MotoBuckets:
    """Seeder and corrupter over the in-process moto server (see the module docs).

    Args:
        client: A plain (uninstrumented) boto3 S3 client on the moto server.
        account: The account the server answers as (``CountingMotoServer.account``).
    """

    def __init__(self, client: Callable[[], Any], account: str) -> None:
        self._client = client
        self._account = account

    def create_unmanaged_bucket(self, name: str, objects: Mapping[str, bytes]) -> None:
        s3 = self._client()
        s3.create_bucket(Bucket=name)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "owner", "Value": "ops"}]})
        for key, data in objects.items():
            s3.put_object(Bucket=name, Key=key, Body=data)

    def read_unmanaged_bucket(self, name: str) -> dict[str, bytes] | None:
        s3 = self._client()
        try:
            listing = s3.list_objects_v2(Bucket=name)
        except s3.exceptions.NoSuchBucket:
            return None
        return {
            o["Key"]: s3.get_object(Bucket=name, Key=o["Key"])["Body"].read()
            for o in listing.get("Contents") or []
        }

    def remove_unmanaged_bucket(self, name: str) -> None:
        s3 = self._client()
        try:
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
                for v in (page.get("Versions") or []) + (page.get("DeleteMarkers") or []):
                    s3.delete_object(Bucket=name, Key=v["Key"], VersionId=v["VersionId"])
            s3.delete_bucket(Bucket=name)
        except s3.exceptions.NoSuchBucket:
            return

    def corrupt_object(self, bucket: str, key: str, *, truncate: bool = False) -> None:
        from moto.s3.models import s3_backends

        fake = s3_backends[self._account]["aws"].get_object(bucket, key)
        if fake is None:
            raise KeyError(f"{bucket}/{key}")
        content = fake.value
        if not content:
            raise ValueError("an empty object has no byte to corrupt")
        _ = fake.etag  # computed now, from the good bytes: the ETag stays what it was
        bad = content[:-1] if truncate else bytes([content[0] ^ 0xFF]) + content[1:]
        fake.value = bad  # type: ignore[misc]
