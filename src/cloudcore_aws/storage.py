"""``storage`` on AWS: S3 buckets cloudcore manages (by tag), objects through the shared S3 code.

A bucket is managed when its tags say ``managed-by=cloudcore`` (set by ``create_bucket`` right
after ``CreateBucket``). Every operation on a bucket first checks that tag (once per bucket and
provider: the answer is cached, since only cloudcore sets it), so cloudcore never reads, writes or
deletes in a bucket someone else made. Objects, checksums, multipart uploads, ranged resumes and
presigned URLs are :mod:`cloudcore_aws._s3objects`; bucket fields :mod:`cloudcore_aws._s3buckets`.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from cloudcore.errors import AlreadyExists, Conflict, NotFound
from cloudcore.models import Resource, ResourceType
from cloudcore.models.storage import Bucket, BucketConfig

from ._base import AWSBase, check_extras, kv_tags, tag_dict
from ._errors import error_code
from ._s3buckets import S3BucketFields, absent, bucket_resource
from ._s3objects import S3Objects

__all__ = ["AWSStorage"]

_UNSET: dict[str, Any] = {
    "versioning": False,
    "public_read": False,
    "lifecycle": (),
    "cors_origins": (),
}


class AWSStorage(S3BucketFields, S3Objects, AWSBase):
    """S3 (see the module docs)."""

    def _s3(self) -> Any:
        return self._client("s3")

    def _managed_buckets(self) -> set[str]:
        found: set[str] | None = self.__dict__.get("_s3_known")
        if found is None:
            found = self.__dict__.setdefault("_s3_known", set())
        return found

    _s3_lock = threading.Lock()

    # ------------------------------------------------------------ management
    def _bucket_tags(self, name: str) -> dict[str, str] | None:
        """The bucket's tags (``{}`` when it has none); ``None`` when there is no such bucket."""
        try:
            resp = self.call(lambda: self._s3().get_bucket_tagging(Bucket=name))
        except Exception as exc:
            cause = exc.__cause__ or exc
            if absent(cause):
                return {}
            if error_code(cause) in ("NoSuchBucket", "404"):
                return None
            raise
        return tag_dict(resp.get("TagSet"))

    def _s3_check_managed(self, bucket: str) -> None:
        if bucket in self._managed_buckets():
            return
        tags = self._bucket_tags(bucket)
        if tags is None or not self._is_managed(tags):
            raise NotFound(f"no bucket {bucket!r} managed by cloudcore")
        with self._s3_lock:
            self._managed_buckets().add(bucket)

    def _forget(self, name: str) -> None:
        with self._s3_lock:
            self._managed_buckets().discard(name)

    def _forget_buckets(self) -> None:
        """Drop what is known about managed buckets (a test target resetting its stand-in)."""
        with self._s3_lock:
            self._managed_buckets().clear()

    def _user_tags(self, tags: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in tags.items() if k not in self._tags("x")}

    # ------------------------------------------------------------ buckets
    def _create_bucket(self, config: BucketConfig) -> Bucket:
        check_extras(config.extras, (), "BucketConfig")
        name = config.name
        s3 = self._s3()
        tags = self._bucket_tags(name)
        if tags is None:
            location: dict[str, Any] = {}
            if self.region and self.region != "us-east-1":
                location["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
            s3.create_bucket(Bucket=name, **location)
            s3.put_bucket_tagging(
                Bucket=name, Tagging={"TagSet": kv_tags(self._tags(name, config.tags))}
            )
            have = {k: v for k, v in _UNSET.items() if self._has_field(k)}
        else:
            if not self._is_managed(tags):
                raise AlreadyExists(
                    f"bucket {name!r} exists and is not managed by cloudcore; it is left alone"
                )
            have = self.s3_read_fields(name)
            if self._user_tags(tags) != config.tags:
                s3.put_bucket_tagging(
                    Bucket=name, Tagging={"TagSet": kv_tags(self._tags(name, config.tags))}
                )
        with self._s3_lock:
            self._managed_buckets().add(name)
        self.s3_write_fields(name, have, config)
        return self._bucket(name, config)

    def _has_field(self, field: str) -> bool:
        return (field if field != "cors_origins" else "cors") in self.bucket_fields

    def _bucket(self, name: str, config: BucketConfig) -> Bucket:
        base = self.endpoint_url or f"https://s3.{self.region or 'us-east-1'}.amazonaws.com"
        return Bucket(
            name=name,
            config=config,
            url=f"{base.rstrip('/')}/{name}",
            region=self.region,
        )

    def _read_bucket(self, name: str, tags: dict[str, str]) -> Bucket:
        fields = self.s3_read_fields(name)
        config = BucketConfig(name=name, tags=self._user_tags(tags), **fields)
        return self._bucket(name, config)

    def _get_bucket(self, name: str) -> Bucket:
        tags = self._bucket_tags(name)
        if tags is None or not self._is_managed(tags):
            raise NotFound(f"no bucket {name!r} managed by cloudcore")
        return self._read_bucket(name, tags)

    def _delete_bucket(self, name: str, force: bool) -> None:
        tags = self._bucket_tags(name)
        if tags is None:
            self._forget(name)
            return
        self._refuse_unmanaged(tags, f"bucket {name!r}")
        s3 = self._s3()
        if force:
            self.s3_empty(name, versions=True)
        else:
            page = self.call(lambda: s3.list_object_versions(Bucket=name, MaxKeys=1))
            if page.get("Versions") or page.get("DeleteMarkers"):
                raise Conflict(
                    f"bucket {name!r} is not empty; delete_bucket(..., force=True) deletes "
                    "every object and version in it"
                )
        self._forget(name)
        try:
            s3.delete_bucket(Bucket=name)
        except Exception as exc:
            if error_code(exc) != "NoSuchBucket":
                raise

    def _list_resources(
        self, type: ResourceType | None, tags: Mapping[str, str]
    ) -> Iterator[Resource]:
        """Discovery: managed buckets (``ListBuckets`` and one ``GetBucketTagging`` each), then
        what the other capabilities list."""
        found: list[Resource] = []
        if type in (None, ResourceType.BUCKET):
            listing = self.call(lambda: self._s3().list_buckets())
            for item in listing.get("Buckets") or []:
                name = str(item["Name"])
                have = self._bucket_tags(name)
                if have is None or not self._is_managed(have):
                    continue
                res = bucket_resource(
                    self.name,
                    self.region,
                    name,
                    have,
                    f"arn:aws:s3:::{name}",
                    item.get("CreationDate"),
                )
                if res.carries(tags):
                    found.append(res)
        if type is ResourceType.BUCKET:
            return iter(found)
        return itertools.chain(found, super()._list_resources(type, tags))

    def _list_buckets(self) -> list[Bucket]:
        names = [b["Name"] for b in self.call(lambda: self._s3().list_buckets()).get("Buckets", [])]
        found = []
        for name in names:
            tags = self._bucket_tags(name)
            if tags is not None and self._is_managed(tags):
                found.append(self._read_bucket(name, tags))
        return found
