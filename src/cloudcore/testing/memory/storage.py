"""Memory object storage: managed buckets, versions, streamed objects, presigned URLs.

Bucket metadata and object metadata live in the shared state (section ``buckets``); object bytes
live in the blob store (:mod:`.blobs`), written before the metadata commit and deleted after it.
The API calls are S3's (``CreateBucket``, ``PutObject``, ``CreateMultipartUpload`` /
``UploadPart`` / ``CompleteMultipartUpload`` above ``multipart_threshold``, ``ListObjectsV2``
one call per page, ...), each subject to fault injection. Versioning follows S3: a put on a
versioned bucket adds a version, a delete adds a delete marker, and an unversioned (or
suspended) bucket keeps one ``null`` version per key
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html). Lifecycle rules are
recorded, not run (objects never expire here); CORS and public reads are enforced by the
presign endpoint (:mod:`.presign`).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
from datetime import datetime
from typing import Any, Literal, Protocol

from ..._objectio import CHUNK, ObjectSource, ObjectStream
from ...errors import AlreadyExists, Conflict, IntegrityError, NotFound
from ...models import MANAGED_BY_KEY, MANAGED_BY_VALUE, utcnow
from ...models.storage import Bucket, BucketConfig, ObjectInfo
from ._core import MemoryCore
from .blobs import BlobWriter
from .presign import PresignServer

__all__ = ["MAX_PARTS", "MemoryStorage"]

MAX_PARTS = 10_000
"""Parts per multipart upload (S3's limit:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html)."""

DELETE_BATCH = 1000
"""Versions per ``DeleteObjects`` call when a bucket is force-deleted (S3's limit:
https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html)."""

# Each portable field is set by its own API call, as on S3: a converging create_bucket makes one
# write per field that differs and none when nothing does.
_FIELD_APIS = (
    ("versioning", "PutBucketVersioning"),
    ("public_read", "PutBucketPolicy"),
    ("lifecycle", "PutBucketLifecycleConfiguration"),
    ("cors_origins", "PutBucketCors"),
    ("tags", "PutBucketTagging"),
    ("extras", "PutBucketOptions"),
)


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _managed(entry: dict[str, Any]) -> bool:
    return bool(entry.get("tags", {}).get(MANAGED_BY_KEY) == MANAGED_BY_VALUE)


def _token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _untoken(token: str) -> str:
    return base64.urlsafe_b64decode(token.encode()).decode()


class MemoryStorage(MemoryCore):
    """Buckets and objects (see the module docs); presigned URLs are served by a small HTTP
    server on 127.0.0.1 that starts with the first ``presign`` and stops with ``close()``."""

    _presign_lock = threading.Lock()
    _presigner: PresignServer | None = None

    # ------------------------------------------------------------ helpers
    def _entry(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        """The managed bucket ``name`` (``NotFound`` when missing or not managed)."""
        entry: dict[str, Any] | None = data["buckets"].get(name)
        if entry is None or not _managed(entry):
            raise NotFound(f"no bucket {name!r} managed by cloudcore")
        return entry

    def _bucket(self, name: str, entry: dict[str, Any]) -> Bucket:
        config = BucketConfig.model_validate(entry["config"])
        url = f"{self._presign_server().endpoint}/{name}" if config.public_read else None
        return Bucket(
            name=name,
            config=config,
            url=url,
            region=self._region,
            created_at=datetime.fromisoformat(entry["created"]),
        )

    def _info(self, bucket: str, key: str, rec: dict[str, Any]) -> ObjectInfo:
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=rec["size"],
            checksum=f"sha256:{rec['sha256']}",
            etag=f'"{rec["etag"]}"',
            version=rec["version"],
            content_type=rec["content_type"],
            metadata=rec["metadata"],
            modified_at=datetime.fromisoformat(rec["modified"]),
            checksum_source=rec["source"],
        )

    @staticmethod
    def _find(entry: dict[str, Any], bucket: str, key: str, version: str | None) -> dict[str, Any]:
        versions: list[dict[str, Any]] = entry["objects"].get(key) or []
        if version is None:
            if not versions or versions[-1]["marker"]:
                raise NotFound(f"no object {key!r} in bucket {bucket!r}")
            return versions[-1]
        for rec in versions:
            if (rec["version"] or "null") == version:
                if rec["marker"]:
                    raise NotFound(f"version {version!r} of {key!r} is a delete marker")
                return rec
        raise NotFound(f"object {key!r} in bucket {bucket!r} has no version {version!r}")

    def _add_version(self, entry: dict[str, Any], key: str, rec: dict[str, Any]) -> list[str]:
        """Make ``rec`` the latest version of ``key``; returns the blobs it replaced."""
        versions: list[dict[str, Any]] = entry["objects"].setdefault(key, [])
        dropped: list[str] = []
        if entry["config"]["versioning"]:
            rec["version"] = uuid.uuid4().hex
        else:  # one null version per key: an overwrite replaces it
            rec["version"] = None
            dropped = [v["blob"] for v in versions if v["version"] is None and v["blob"]]
            versions[:] = [v for v in versions if v["version"] is not None]
        versions.append(rec)
        return dropped

    def _drop(self, blobs: list[str]) -> None:
        for blob in blobs:
            self._blobs.delete(blob)

    def _commit(
        self,
        api: str,
        bucket: str,
        key: str,
        writer: BlobWriter,
        etag: str,
        content_type: str | None,
        metadata: dict[str, str],
        source: Literal["cloudcore", "provider"],
    ) -> ObjectInfo:
        """Record a written blob as the new version of ``key`` (the blob is dropped on failure)."""
        blob = writer.commit()
        rec = {
            "blob": blob,
            "size": writer.size,
            "sha256": writer.sha256,
            "etag": etag,
            "content_type": content_type or "application/octet-stream",
            "metadata": dict(metadata),
            "modified": utcnow().isoformat(),
            "marker": False,
            "source": source,
        }
        try:
            with self._state.open() as data:
                self._api(api, mutating=True)
                dropped = self._add_version(self._entry(data, bucket), key, rec)
        except BaseException:
            self._blobs.delete(blob)
            raise
        self._drop(dropped)
        return self._info(bucket, key, rec)

    def _presign_server(self) -> PresignServer:
        with self._presign_lock:
            if self._presigner is None:
                self._presigner = PresignServer(self)
            return self._presigner

    def _close(self) -> None:
        with self._presign_lock:
            server, self._presigner = self._presigner, None
        if server is not None:
            server.close()
        super()._close()

    # ------------------------------------------------------------ buckets
    def _create_bucket(self, config: BucketConfig) -> Bucket:
        name = config.name
        wanted = config.model_dump(mode="json")
        with self._state.open() as data:
            self._api("HeadBucket", mutating=False)
            entry: dict[str, Any] | None = data["buckets"].get(name)
            if entry is not None and not _managed(entry):
                raise AlreadyExists(
                    f"bucket {name!r} exists and is not managed by cloudcore; it is left alone"
                )
            if entry is None:
                self._api("CreateBucket", mutating=True)
                entry = {
                    "config": BucketConfig(name=name).model_dump(mode="json"),
                    "tags": self._tags(name),
                    "created": utcnow().isoformat(),
                    "objects": {},
                }
                data["buckets"][name] = entry
            for field, api in _FIELD_APIS:
                if entry["config"][field] != wanted[field]:
                    self._api(api, mutating=True)
                    entry["config"][field] = wanted[field]
                    if field == "tags":
                        entry["tags"] = self._tags(name, config.tags)
            return self._bucket(name, entry)

    def _get_bucket(self, name: str) -> Bucket:
        entry = self._read("HeadBucket", lambda data: self._entry(data, name))
        return self._bucket(name, entry)

    def _delete_bucket(self, name: str, force: bool) -> None:
        dropped: list[str] = []
        with self._state.open() as data:
            self._api("HeadBucket", mutating=False)
            entry: dict[str, Any] | None = data["buckets"].get(name)
            if entry is None:
                return
            if not _managed(entry):
                raise Conflict(
                    f"bucket {name!r} exists but is not managed by cloudcore; "
                    "cloudcore never deletes what it does not manage"
                )
            versions = [v for vs in entry["objects"].values() for v in vs]
            if versions and not force:
                raise Conflict(
                    f"bucket {name!r} is not empty ({len(entry['objects'])} keys, "
                    f"{len(versions)} versions); delete_bucket(..., force=True) deletes them"
                )
            for start in range(0, len(versions), DELETE_BATCH):
                self._api("DeleteObjects", mutating=True)
                dropped += [v["blob"] for v in versions[start : start + DELETE_BATCH] if v["blob"]]
            self._api("DeleteBucket", mutating=True)
            del data["buckets"][name]
        self._drop(dropped)

    def _list_buckets(self) -> list[Bucket]:
        def items(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
            return [(n, e) for n, e in sorted(data["buckets"].items()) if _managed(e)]

        return [self._bucket(n, e) for n, e in self._pages("ListBuckets", items)]

    # ------------------------------------------------------------ objects
    def _part_size(self, size: int) -> int:
        return max(self.multipart_threshold, -(-size // MAX_PARTS))

    def _put_object(
        self,
        bucket: str,
        key: str,
        source: ObjectSource,
        content_type: str | None,
        metadata: dict[str, str],
    ) -> ObjectInfo:
        writer = self._blobs.writer()
        multipart = source.size > self.multipart_threshold
        try:
            if multipart:
                with self._state.open() as data:
                    self._api_call("CreateMultipartUpload", mutating=True)
                    self._entry(data, bucket)
            part = self._part_size(source.size) if multipart else CHUNK
            part_md5s: list[bytes] = []
            with source.open() as fh:
                while chunk := fh.read(part):
                    if multipart:
                        self._api_call("UploadPart", mutating=True)
                        part_md5s.append(hashlib.md5(chunk, usedforsecurity=False).digest())
                    writer.write(chunk)
            if writer.size != source.size or writer.sha256 != source.sha256:
                # S3 answers BadDigest when the body does not match the checksum sent with it
                raise IntegrityError(
                    f"{bucket}/{key}: the data changed while it was being uploaded"
                )
        except BaseException:
            writer.abort()
            raise
        if multipart:
            combined = hashlib.md5(b"".join(part_md5s), usedforsecurity=False).hexdigest()
            etag, api = f"{combined}-{len(part_md5s)}", "CompleteMultipartUpload"
        else:
            etag, api = writer.md5, "PutObject"
        return self._commit(api, bucket, key, writer, etag, content_type, metadata, "cloudcore")

    def _open_object(self, bucket: str, key: str, version: str | None) -> ObjectStream:
        with self._state.open() as data:
            self._api("GetObject", mutating=False)
            rec = self._find(self._entry(data, bucket), bucket, key, version)
            chunks, fh = self._blobs.open(rec["blob"])  # opened under the lock: a delete
            info = self._info(bucket, key, rec)  # after this cannot cut the read short
        return ObjectStream(info, chunks, close=fh.close if fh is not None else None)

    def _head_object(self, bucket: str, key: str, version: str | None) -> ObjectInfo:
        def read(data: dict[str, Any]) -> ObjectInfo:
            return self._info(
                bucket, key, self._find(self._entry(data, bucket), bucket, key, version)
            )

        return self._read("HeadObject", read)

    def _list_objects(
        self, bucket: str, prefix: str | None, page_token: str | None
    ) -> tuple[list[ObjectInfo], str | None]:
        after = _untoken(page_token) if page_token else None

        def page(data: dict[str, Any]) -> tuple[list[ObjectInfo], str | None]:
            objects: dict[str, list[dict[str, Any]]] = self._entry(data, bucket)["objects"]
            keys = sorted(
                k
                for k, versions in objects.items()
                if versions
                and not versions[-1]["marker"]
                and (prefix is None or k.startswith(prefix))
                and (after is None or k > after)
            )
            chunk = keys[: self.page_size]
            more = len(keys) > self.page_size
            items = [self._info(bucket, k, objects[k][-1]) for k in chunk]
            return items, (_token(chunk[-1]) if more else None)

        return self._read("ListObjectsV2", page)

    def _delete_object(self, bucket: str, key: str, version: str | None) -> None:
        dropped: list[str] = []
        with self._state.open() as data:
            self._api_call("DeleteObject", mutating=True)
            entry = self._entry(data, bucket)
            versions: list[dict[str, Any]] = entry["objects"].get(key) or []
            if version is not None:
                found = [v for v in versions if (v["version"] or "null") == version]
                if not found:
                    return  # that version is gone already
                self._state.mark_dirty()
                versions.remove(found[0])
                dropped = [found[0]["blob"]] if found[0]["blob"] else []
            elif not versions or versions[-1]["marker"]:
                return  # gone already
            else:
                self._state.mark_dirty()
                marker: dict[str, Any] = {"blob": None, "size": 0, "sha256": "", "etag": ""}
                marker.update(marker=True, content_type=None, metadata={}, source="cloudcore")
                marker["modified"] = utcnow().isoformat()
                if entry["config"]["versioning"]:
                    versions.append({**marker, "version": uuid.uuid4().hex})
                else:
                    dropped = [v["blob"] for v in versions if v["version"] is None and v["blob"]]
                    versions[:] = [v for v in versions if v["version"] is not None]
                    if versions:  # older versions stay, hidden behind a null marker
                        versions.append({**marker, "version": None})
            if not versions:
                entry["objects"].pop(key, None)
        self._drop(dropped)

    def _copy_object(self, bucket: str, key: str, dest_bucket: str, new_key: str) -> ObjectInfo:
        with self._state.open() as data:
            self._api("CopyObject", mutating=True)
            rec = dict(self._find(self._entry(data, bucket), bucket, key, None))
            target = self._entry(data, dest_bucket)
            rec["blob"] = self._blobs.share(rec["blob"])
            rec["modified"] = utcnow().isoformat()
            try:
                dropped = self._add_version(target, new_key, rec)
            except BaseException:  # pragma: no cover - nothing above raises after share()
                self._blobs.delete(rec["blob"])
                raise
        self._drop(dropped)
        return self._info(dest_bucket, new_key, rec)

    def _presign(
        self,
        bucket: str,
        key: str,
        method: Literal["GET", "PUT"],
        expires_in: int,
        content_type: str | None,
    ) -> str:
        self._read("HeadBucket", lambda data: self._entry(data, bucket))
        return self._presign_server().sign(method, bucket, key, expires_in, content_type)

    # -------------------------------------------- the presign endpoint's side
    def _http_bucket(self, bucket: str) -> BucketConfig | None:
        """The config of a managed bucket, ``None`` when missing or not managed."""
        entry = self._state_read(lambda data: data["buckets"].get(bucket))
        if entry is None or not _managed(entry):
            return None
        return BucketConfig.model_validate(entry["config"])

    def _http_get(self, bucket: str, key: str) -> ObjectStream:
        """A GET through the endpoint (a presigned or public read)."""
        return self._open_object(bucket, key, None)

    def _http_put(
        self, bucket: str, key: str, body: _Readable, length: int, content_type: str | None
    ) -> ObjectInfo:
        """A PUT through the endpoint: ``length`` bytes of ``body`` become the new version."""
        writer = self._blobs.writer()
        try:
            left = length
            while left:
                chunk = body.read(min(CHUNK, left))
                if not chunk:
                    raise ConnectionError("the client sent less than its Content-Length")
                writer.write(chunk)
                left -= len(chunk)
        except BaseException:
            writer.abort()
            raise
        return self._commit(
            "PutObject", bucket, key, writer, writer.md5, content_type, {}, "provider"
        )

    def _state_read(self, fn: Any) -> Any:
        with self._state.open() as data:
            return fn(data)

    # ------------------------------------------------------ for tests
    def seed_bucket(self, name: str, objects: dict[str, bytes], *, managed: bool = False) -> None:
        """Create a bucket as someone else would (not managed by cloudcore unless ``managed``)
        holding ``objects``: the "buckets cloudcore does not manage" of the conformance suite."""
        blobs = []
        for key, content in objects.items():
            writer = self._blobs.writer()
            writer.write(content)
            blobs.append((key, writer))
        with self._state.open() as data:
            if name in data["buckets"]:
                raise AlreadyExists(f"bucket {name!r} exists")
            self._state.mark_dirty()
            entry = {
                "config": BucketConfig(name=name).model_dump(mode="json"),
                "tags": self._tags(name) if managed else {"owner": "someone-else"},
                "created": utcnow().isoformat(),
                "objects": {},
            }
            for key, writer in blobs:
                rec = {"blob": writer.commit(), "size": writer.size, "sha256": writer.sha256}
                rec.update(etag=writer.md5, content_type="application/octet-stream", metadata={})
                rec.update(modified=utcnow().isoformat(), marker=False, source="provider")
                self._add_version(entry, key, rec)
            data["buckets"][name] = entry

    def bucket_contents(self, name: str) -> dict[str, bytes] | None:
        """Every current object of a bucket, managed or not (``None`` when it does not exist)."""
        with self._state.open() as data:
            entry = data["buckets"].get(name)
            if entry is None:
                return None
            out = {}
            for key, versions in entry["objects"].items():
                if versions and not versions[-1]["marker"]:
                    chunks, _ = self._blobs.open(versions[-1]["blob"])
                    out[key] = b"".join(chunks)
            return out

    def remove_bucket(self, name: str) -> None:
        """Delete a bucket whatever manages it (test cleanup; quietly when gone)."""
        with self._state.open() as data:
            if name not in data["buckets"]:
                return
            self._state.mark_dirty()
            entry = data["buckets"].pop(name)
        self._drop([v["blob"] for vs in entry["objects"].values() for v in vs if v["blob"]])

    def corrupt_object(self, bucket: str, key: str, *, truncate: bool = False) -> None:
        """Change the stored bytes of the latest version of ``key`` (flip the first byte, or
        drop the last one) and keep the checksum it was stored with: what a bad disk does."""
        with self._state.open() as data:
            rec = self._find(data["buckets"][bucket], bucket, key, None)
            chunks, _ = self._blobs.open(rec["blob"])
            content = b"".join(chunks)
            if not content:
                raise ValueError("an empty object has no byte to corrupt")
            bad = content[:-1] if truncate else bytes([content[0] ^ 0xFF]) + content[1:]
            self._state.mark_dirty()
            rec = self._find(data["buckets"][bucket], bucket, key, None)  # the live record
            old, rec["blob"] = rec["blob"], self._blobs.replace(rec["blob"], bad)
        self._blobs.delete(old)
