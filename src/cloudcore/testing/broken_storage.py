"""Deliberately broken storage variants of the memory driver (see :mod:`.broken`): each breaks
one promise of the ``storage`` capability, and the storage suite must catch it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ..errors import CloudcoreError, NotFound
from ..models.storage import Bucket, BucketConfig, ObjectInfo
from ..provider.storage import MAX_PRESIGN_SECONDS
from .memory import MemoryProvider

__all__ = [
    "BucketCreateNotIdempotent",
    "CopyLosesMetadata",
    "DeleteMissingObjectFails",
    "DeletesNonEmptyBucket",
    "ListsUnmanagedBuckets",
    "NoChecksumVerification",
    "ObjectListDropsLastPage",
    "PrefixLeaksSiblings",
    "PresignNeverExpires",
    "SwallowsListErrors",
    "VersionsOverwritten",
]


class ObjectListDropsLastPage(MemoryProvider):
    """``list_objects`` stops one page early when the listing spans several pages."""

    def _list_objects(self, bucket: str, prefix: str | None, page_token: str | None) -> Any:
        items, token = super()._list_objects(bucket, prefix, page_token)
        if token is not None and super()._list_objects(bucket, prefix, token)[1] is None:
            return items, None
        return items, token


class PrefixLeaksSiblings(MemoryProvider):
    """A prefix ending in ``/`` also matches its siblings (``a/`` lists ``ab/1``)."""

    def _list_objects(self, bucket: str, prefix: str | None, page_token: str | None) -> Any:
        return super()._list_objects(bucket, prefix.rstrip("/") if prefix else prefix, page_token)


class _Trusting:
    algorithm = "sha256"

    def update(self, data: bytes) -> None:
        """Ignores the data."""

    def matches(self) -> bool:
        return True


class NoChecksumVerification(MemoryProvider):
    """Reads are never checked against the stored checksum (only the size is)."""

    def _open_object(self, bucket: str, key: str, version: str | None) -> Any:
        stream = super()._open_object(bucket, key, version)
        stream.verifier = _Trusting()
        return stream


class BucketCreateNotIdempotent(MemoryProvider):
    """``create_bucket`` rewrites the bucket's tags even when nothing changed."""

    def _create_bucket(self, config: BucketConfig) -> Bucket:
        made = super()._create_bucket(config)
        with self._state.open() as data:
            self._api("PutBucketTagging", mutating=True)
            data["buckets"][config.name]["tags"] = self._tags(config.name, config.tags)
        return made


class DeletesNonEmptyBucket(MemoryProvider):
    """``delete_bucket`` deletes a non-empty bucket without ``force``."""

    def _delete_bucket(self, name: str, force: bool) -> None:
        super()._delete_bucket(name, True)


class PresignNeverExpires(MemoryProvider):
    """Presigned URLs ignore ``expires_in`` and stay valid for the longest time allowed."""

    def _presign(
        self,
        bucket: str,
        key: str,
        method: Literal["GET", "PUT"],
        expires_in: int,
        content_type: str | None,
    ) -> str:
        return super()._presign(bucket, key, method, MAX_PRESIGN_SECONDS, content_type)


class ListsUnmanagedBuckets(MemoryProvider):
    """``list_buckets`` lists every bucket, also those cloudcore does not manage."""

    def _list_buckets(self) -> list[Bucket]:
        with self._state.open() as data:
            entries = sorted(data["buckets"].items())
        return [
            Bucket(
                name=name,
                config=BucketConfig.model_validate(entry["config"]),
                created_at=datetime.fromisoformat(entry["created"]),
            )
            for name, entry in entries
        ]


class VersionsOverwritten(MemoryProvider):
    """A put on a versioned bucket replaces the older versions instead of keeping them."""

    def _add_version(self, entry: dict[str, Any], key: str, rec: dict[str, Any]) -> list[str]:
        dropped = super()._add_version(entry, key, rec)
        versions = entry["objects"][key]
        if entry["config"]["versioning"] and len(versions) > 1:
            dropped += [v["blob"] for v in versions[:-1] if v["blob"]]
            del versions[:-1]
        return dropped


class DeleteMissingObjectFails(MemoryProvider):
    """``delete_object`` of an object that is not there raises ``NotFound``."""

    def _delete_object(self, bucket: str, key: str, version: str | None) -> None:
        self._head_object(bucket, key, version)
        super()._delete_object(bucket, key, version)


class SwallowsListErrors(MemoryProvider):
    """A failed listing page is swallowed: the listing ends early, silently."""

    def _list_objects(self, bucket: str, prefix: str | None, page_token: str | None) -> Any:
        try:
            return super()._list_objects(bucket, prefix, page_token)
        except CloudcoreError as exc:
            if isinstance(exc, NotFound):
                raise
            return [], None


class CopyLosesMetadata(MemoryProvider):
    """``copy_object`` drops the content type and the user metadata."""

    def _copy_object(self, bucket: str, key: str, dest_bucket: str, new_key: str) -> ObjectInfo:
        with self.get_object(bucket, key) as reader:
            data = reader.read()
        return self.put_object(dest_bucket, new_key, data)
