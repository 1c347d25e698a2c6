"""``storage``: Cloud Storage buckets and objects through ``google-cloud-storage``.

Buckets carry the labels ``managed-by=cloudcore`` and ``cloudcore-name``; a bucket without them
is never listed, changed or deleted. Bucket names map one to one (Cloud Storage names are global:
pick names that are yours). Portable fields map as :mod:`._storage_map` documents.

Objects: uploads stream from the source; above :attr:`GCPStorage.multipart_threshold` they use
a resumable upload in chunks of that size (memory stays at one chunk), below it one multipart
request. Each object cloudcore writes carries its SHA-256 in the custom metadata key
``cloudcore-sha256`` and reads verify it; objects written by others (a presigned upload) are
verified against Google's CRC32C. Reads stream the media download of the exact generation that
was looked up. Versions are generations (``version`` is the generation number on versioned
buckets). Presigned URLs are V4 signed URLs
(https://cloud.google.com/storage/docs/access-control/signed-urls), signed with a service
account key (``signing_credentials``, or ``credentials`` when they can sign).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import IO, Any, Literal
from urllib.parse import quote

from cloudcore._objectio import CHUNK, ObjectSource, ObjectStream
from cloudcore.errors import AlreadyExists, ConfigurationError, Conflict, NotFound
from cloudcore.models.storage import Bucket, BucketConfig, ObjectInfo

from ._base import GCPBase, managed
from ._errors import raise_for_response
from ._storage_map import (
    PUBLIC_MEMBER,
    PUBLIC_ROLE,
    check_bucket_config,
    config_from,
    cors_for,
    current_labels,
    labels_of,
    lifecycle_for,
)

__all__ = ["GCPStorage"]

SHA_KEY = "cloudcore-sha256"


class _Crc32c:
    algorithm = "crc32c"

    def __init__(self, expected_b64: str) -> None:
        import google_crc32c

        self._sum: Any = google_crc32c.Checksum()  # type: ignore[no-untyped-call]
        self._expected = expected_b64

    def update(self, data: bytes) -> None:
        self._sum.update(data)

    def matches(self) -> bool:
        return base64.b64encode(self._sum.digest()).decode() == self._expected


class _FromStart(io.RawIOBase):
    """The source seen from its first byte (resumable uploads require ``tell() == 0`` at
    start and use ``tell``/``seek`` for chunk offsets; a caller's file may start further on)."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner
        self._start = inner.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._inner.tell() - self._start

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            offset += self._start
        return self._inner.seek(offset, whence) - self._start

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class GCPStorage(GCPBase):
    """Cloud Storage (mixed into :class:`~cloudcore_gcp.provider.GCPProvider`)."""

    multipart_threshold = 8 * 1024 * 1024
    """Resumable upload above this size, in chunks of it (a multiple of 256 KiB, as required:
    https://cloud.google.com/storage/docs/performing-resumable-uploads#chunked-upload)."""
    object_page_size = 1000
    """Objects per listing page (``maxResults``; 1,000 is the API's most)."""

    # ------------------------------------------------------------ helpers
    def _gcs(self) -> Any:
        return self.clients.storage()

    def _lookup(self, name: str) -> Any:
        """The bucket resource, or ``None`` (one GET)."""
        return self._gcs().lookup_bucket(name, retry=None, timeout=self._timeout)

    def _managed_bucket(self, name: str) -> Any:
        found = self._lookup(name)
        if found is None or not managed(found.labels):
            raise NotFound(f"no bucket {name!r} managed by cloudcore")
        return found

    def _is_public(self, bucket: Any) -> bool:
        policy = bucket.get_iam_policy(retry=None, timeout=self._timeout)
        return any(
            b.get("role") == PUBLIC_ROLE and PUBLIC_MEMBER in (b.get("members") or ())
            for b in policy.bindings
        )

    def _set_public(self, bucket: Any, public: bool) -> None:
        policy = bucket.get_iam_policy(retry=None, timeout=self._timeout)
        bindings = [b for b in policy.bindings if b.get("role") != PUBLIC_ROLE]
        viewers = next((b for b in policy.bindings if b.get("role") == PUBLIC_ROLE), None)
        members = set(viewers.get("members") or ()) if viewers else set()
        members = members | {PUBLIC_MEMBER} if public else members - {PUBLIC_MEMBER}
        if members:
            bindings.append({"role": PUBLIC_ROLE, "members": sorted(members)})
        policy.bindings = bindings
        bucket.set_iam_policy(policy, retry=None, timeout=self._timeout)

    def _model(self, bucket: Any, public: bool) -> Bucket:
        config = config_from(bucket, public)
        base = self.clients.storage_base()
        return Bucket(
            name=bucket.name,
            config=config,
            provider_name=bucket.name,
            url=f"{base}/{bucket.name}" if public else None,
            region=bucket.location,
            created_at=bucket.time_created,
        )

    def _info(self, bucket: str, blob: Any, versioned: bool) -> ObjectInfo:
        meta = dict(blob.metadata or {})
        sha = meta.pop(SHA_KEY, None)
        user = {k: v for k, v in meta.items() if not k.startswith("cloudcore-")}
        checksum: str | None
        source: Literal["cloudcore", "provider"]
        if sha:
            checksum, source = f"sha256:{sha}", "cloudcore"
        else:
            checksum, source = (f"crc32c:{blob.crc32c}" if blob.crc32c else None), "provider"
        return ObjectInfo(
            bucket=bucket,
            key=blob.name,
            size=int(blob.size or 0),
            checksum=checksum,
            etag=blob.etag,
            version=str(blob.generation) if versioned and blob.generation else None,
            content_type=blob.content_type,
            metadata=user,
            modified_at=blob.updated,
            checksum_source=source,
        )

    # ------------------------------------------------------------ buckets
    def _create_bucket(self, config: BucketConfig) -> Bucket:
        check_bucket_config(config)
        found = self._lookup(config.name)
        if found is not None and not managed(found.labels):
            raise AlreadyExists(
                f"bucket {config.name!r} exists and is not managed by cloudcore; it is left alone"
            )
        if found is None:
            new = self._gcs().bucket(config.name)
            new.labels = labels_of(config)
            new.versioning_enabled = config.versioning
            new.cors = cors_for(config)
            new.lifecycle_rules = lifecycle_for(config)
            found = self._gcs().create_bucket(
                new, location=self.location, retry=None, timeout=self._timeout
            )
        self._converge_bucket(found, config)
        public = self._is_public(found)
        if public != config.public_read:
            self._set_public(found, config.public_read)
            public = config.public_read
        return self._model(found, public)

    def _converge_bucket(self, bucket: Any, config: BucketConfig) -> None:
        """One PATCH of the fields that differ (none when all match)."""
        changed = False
        if current_labels(bucket) != labels_of(config):
            bucket.labels = labels_of(config)  # replaces the whole label set
            changed = True
        if bool(bucket.versioning_enabled) != config.versioning:
            bucket.versioning_enabled = config.versioning
            changed = True
        if list(bucket.cors or []) != cors_for(config):
            bucket.cors = cors_for(config)
            changed = True
        if list(bucket.lifecycle_rules or []) != lifecycle_for(config):
            bucket.lifecycle_rules = lifecycle_for(config)
            changed = True
        if changed:
            bucket.patch(retry=None, timeout=self._timeout)

    def _get_bucket(self, name: str) -> Bucket:
        found = self._managed_bucket(name)
        return self._model(found, self._is_public(found))

    def _delete_bucket(self, name: str, force: bool) -> None:
        found = self._lookup(name)
        if found is None:
            return
        if not managed(found.labels):
            raise Conflict(
                f"bucket {name!r} exists but is not managed by cloudcore; "
                "cloudcore never deletes what it does not manage"
            )
        blobs = self._gcs().list_blobs(
            name, versions=True, page_size=self.object_page_size, retry=None
        )
        for blob in blobs:
            if not force:
                raise Conflict(
                    f"bucket {name!r} is not empty; delete_bucket(..., force=True) deletes "
                    "its objects"
                )
            try:
                found.blob(blob.name, generation=blob.generation).delete(
                    retry=None, timeout=self._timeout
                )
            except Exception as exc:
                if not isinstance(self._map_error(exc), NotFound):
                    raise
        found.delete(retry=None, timeout=self._timeout)

    def _list_buckets(self) -> list[Bucket]:
        out = []
        for bucket in self._gcs().list_buckets(project=self.project, retry=None):
            if managed(bucket.labels):
                out.append(self._model(bucket, self._is_public(bucket)))
        return out

    # ------------------------------------------------------------ objects
    def _put_object(
        self,
        bucket: str,
        key: str,
        source: ObjectSource,
        content_type: str | None,
        metadata: dict[str, str],
    ) -> ObjectInfo:
        found = self._managed_bucket(bucket)
        chunked = source.size > self.multipart_threshold
        blob = found.blob(key, chunk_size=self.multipart_threshold if chunked else None)
        blob.metadata = {**metadata, SHA_KEY: source.sha256}
        ctype = content_type or "application/octet-stream"
        blob.content_type = ctype  # in the metadata too: the media part's header may be parsed
        with source.open() as fh:
            blob.upload_from_file(
                _FromStart(fh),
                size=source.size,
                content_type=ctype,
                retry=None,
                timeout=self._timeout,
            )
        return self._info(bucket, blob, bool(found.versioning_enabled))

    def _blob(self, found: Any, key: str, version: str | None) -> Any:
        generation: int | None = None
        if version is not None:
            if not version.isdigit():
                raise NotFound(f"object {key!r} has no version {version!r}")
            generation = int(version)
        blob = found.get_blob(key, generation=generation, retry=None, timeout=self._timeout)
        if blob is None:
            raise NotFound(f"no object {key!r} in bucket {found.name!r}")
        return blob

    def _open_object(self, bucket: str, key: str, version: str | None) -> ObjectStream:
        found = self._managed_bucket(bucket)
        blob = self._blob(found, key, version)
        info = self._info(bucket, blob, bool(found.versioning_enabled))
        url = (
            f"{self.clients.storage_base()}/download/storage/v1/b/{quote(bucket, safe='')}/o/"
            f"{quote(key, safe='')}?alt=media&generation={blob.generation}"
        )
        response = self.clients.session("storage").get(url, stream=True, timeout=self._timeout)
        try:
            raise_for_response(response)
        except BaseException:
            response.close()
            raise
        verifier = None
        if info.checksum and info.checksum.startswith("crc32c:"):
            verifier = _Crc32c(info.checksum.split(":", 1)[1])
        # raw bytes as stored: no transparent decompression of a gzip Content-Encoding
        chunks = response.raw.stream(CHUNK, decode_content=False)
        return ObjectStream(info, chunks, close=response.close, verifier=verifier)

    def _head_object(self, bucket: str, key: str, version: str | None) -> ObjectInfo:
        found = self._managed_bucket(bucket)
        return self._info(bucket, self._blob(found, key, version), bool(found.versioning_enabled))

    def _list_objects(
        self, bucket: str, prefix: str | None, page_token: str | None
    ) -> tuple[list[ObjectInfo], str | None]:
        found = self._managed_bucket(bucket)
        versioned = bool(found.versioning_enabled)
        it = self._gcs().list_blobs(
            bucket,
            prefix=prefix,
            page_size=self.object_page_size,
            page_token=page_token,
            retry=None,
            timeout=self._timeout,
        )
        page = next(it.pages)
        items = [self._info(bucket, blob, versioned) for blob in page]
        return items, it.next_page_token or None

    def _delete_object(self, bucket: str, key: str, version: str | None) -> None:
        found = self._managed_bucket(bucket)
        generation = None
        if version is not None:
            if not version.isdigit():
                return  # no such generation: already gone
            generation = int(version)
        try:
            found.blob(key, generation=generation).delete(retry=None, timeout=self._timeout)
        except Exception as exc:
            if not isinstance(self._map_error(exc), NotFound):
                raise

    def _copy_object(self, bucket: str, key: str, dest_bucket: str, new_key: str) -> ObjectInfo:
        found = self._managed_bucket(bucket)
        dest = found if dest_bucket == bucket else self._managed_bucket(dest_bucket)
        blob = self._blob(found, key, None)
        copied = found.copy_blob(blob, dest, new_key, retry=None, timeout=self._timeout)
        return self._info(dest_bucket, copied, bool(dest.versioning_enabled))

    def _presign(
        self,
        bucket: str,
        key: str,
        method: Literal["GET", "PUT"],
        expires_in: int,
        content_type: str | None,
    ) -> str:
        signer = self.clients.signer()
        if signer is None:
            raise ConfigurationError(
                "signing_credentials: V4 signed URLs need credentials that can sign (a service "
                "account key); pass signing_credentials=... to connect('gcp', ...)",
                field="signing_credentials",
            )
        found = self._managed_bucket(bucket)
        url: str = found.blob(key).generate_signed_url(
            version="v4",
            expiration=dt.timedelta(seconds=expires_in),
            method=method,
            content_type=content_type,
            credentials=signer,
            api_access_endpoint=self.clients.storage_base(),
        )
        return url
