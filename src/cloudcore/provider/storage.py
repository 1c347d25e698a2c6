"""The ``storage`` capability: buckets and streamed, checksummed objects.

Protocol (:class:`StorageProtocol`), implementation on the base provider with the driver hooks
(:class:`StorageMethods`), and composition routing (:class:`StorageRouting`).

Promises every driver keeps (the conformance suite checks them):

- ``create_bucket`` converges: an existing bucket cloudcore manages is brought to the config (zero
  writes when it already matches); a bucket of that name cloudcore does not manage is
  ``AlreadyExists`` and is never changed.
- Object operations act only on buckets cloudcore manages (any other bucket is ``NotFound``).
- ``put_object`` streams (memory use does not grow with the object) and returns the object's
  SHA-256; ``get_object`` verifies the bytes against the stored checksum and raises
  :class:`~cloudcore.errors.IntegrityError` instead of returning corrupted data.
- ``delete_object`` of a missing object and ``delete_bucket`` of a missing bucket succeed;
  ``delete_bucket`` refuses a non-empty bucket (``Conflict``) unless ``force=True``, and refuses
  a bucket cloudcore does not manage (``Conflict``; ``NotFound`` is accepted too), with or
  without ``force``.
- ``presign`` returns a URL a plain HTTP client uses with no credentials, refused after it expires.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

from .._objectio import ObjectReader, ObjectSource, ObjectStream
from ..capabilities import Capability
from ..errors import ConfigurationError
from ..models.storage import (
    Bucket,
    BucketConfig,
    ObjectInfo,
    check_bucket_name,
    check_content_type,
    check_metadata,
    check_object_key,
    check_version,
)
from ._core import ProviderCore, RouterCore, coerce

__all__ = ["MAX_PRESIGN_SECONDS", "StorageMethods", "StorageProtocol", "StorageRouting"]

C = Capability.STORAGE

MAX_PRESIGN_SECONDS = 7 * 24 * 3600
"""Longest validity of a presigned URL: 7 days (SigV4's and Cloud Storage V4's maximum)."""


def _bucket(value: object, field: str = "bucket") -> str:
    try:
        return check_bucket_name(value)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigurationError(f"{field}: {exc} (got {value!r})", field=field) from None


def _key(value: object, field: str = "key") -> str:
    try:
        return check_object_key(value)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigurationError(f"{field}: {exc} (got {value!r})", field=field) from None


def _version(value: object) -> str | None:
    try:
        return None if value is None else check_version(value)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigurationError(f"version: {exc} (got {value!r})", field="version") from None


class StorageProtocol(Protocol):
    """Object storage."""

    def create_bucket(self, config: BucketConfig) -> Bucket: ...
    def get_bucket(self, name: str) -> Bucket: ...
    def delete_bucket(self, name: str, force: bool = False) -> None: ...
    def list_buckets(self) -> list[Bucket]: ...
    def put_object(
        self,
        bucket: str,
        key: str,
        data: Any,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo: ...
    def get_object(self, bucket: str, key: str, version: str | None = None) -> ObjectReader: ...
    def download_object(
        self, bucket: str, key: str, path: str | os.PathLike[str], version: str | None = None
    ) -> ObjectInfo: ...
    def head_object(self, bucket: str, key: str, version: str | None = None) -> ObjectInfo: ...
    def list_objects(self, bucket: str, prefix: str | None = None) -> Iterator[ObjectInfo]: ...
    def delete_object(self, bucket: str, key: str, version: str | None = None) -> None: ...
    def copy_object(
        self, bucket: str, key: str, new_key: str, dest_bucket: str | None = None
    ) -> ObjectInfo: ...
    def presign(
        self,
        bucket: str,
        key: str,
        method: Literal["GET", "PUT"] = "GET",
        expires_in: int = 3600,
        content_type: str | None = None,
    ) -> str: ...


class StorageMethods(ProviderCore):
    """``storage`` on a driver: public methods, then the ``_`` hooks a driver implements."""

    # -------------------------------------------------------------- buckets
    def create_bucket(self, config: BucketConfig) -> Bucket:
        """Create the bucket, or bring the managed bucket of that name to ``config``.

        Returns:
            The bucket as it now is (its config read back).

        Raises:
            AlreadyExists: a bucket of that name exists and cloudcore does not manage it.
        """
        self.require(C)
        config = coerce(BucketConfig, config, "config")
        feats = [
            f
            for f, on in (
                ("versioning", config.versioning),
                ("public", config.public_read),
                ("lifecycle", bool(config.lifecycle)),
                ("cors", bool(config.cors_origins)),
            )
            if on
        ]
        if any(r.noncurrent_expire_days for r in config.lifecycle) and not config.versioning:
            raise ConfigurationError(
                "lifecycle: noncurrent_expire_days needs versioning=True", field="lifecycle"
            )
        self.require(C, *feats)
        return self._invoke("create_bucket", config.name, lambda: self._create_bucket(config))

    def get_bucket(self, name: str) -> Bucket:
        """The managed bucket ``name`` with its configuration read back (read-only).

        Raises:
            NotFound: no bucket of that name is managed here.
        """
        self.require(C)
        name = _bucket(name, "name")
        return self._invoke("get_bucket", name, lambda: self._get_bucket(name))

    def delete_bucket(self, name: str, force: bool = False) -> None:
        """Delete a managed bucket; succeeds when it is already gone.

        Args:
            force: Delete every object (and every version) first. Without it a non-empty
                bucket is refused with ``Conflict``.

        Raises:
            Conflict: not empty without ``force``, or not managed by cloudcore (whatever force).
        """
        self.require(C)
        name = _bucket(name, "name")
        if not isinstance(force, bool):
            raise ConfigurationError("force: must be a bool", field="force")
        self._invoke("delete_bucket", name, lambda: self._delete_bucket(name, force))

    def list_buckets(self) -> list[Bucket]:
        """Every bucket cloudcore manages here, by name."""
        self.require(C)
        return self._invoke(
            "list_buckets", None, lambda: sorted(self._list_buckets(), key=lambda b: b.name)
        )

    # -------------------------------------------------------------- objects
    def put_object(
        self,
        bucket: str,
        key: str,
        data: Any,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Write an object (streamed; multipart above the driver's threshold).

        Args:
            bucket: A managed bucket.
            key: The object key (the portable key rule, :func:`cloudcore.models.storage.check_object_key`).
            data: ``bytes``, a path to a file, or a binary file object (read from its current
                position to its end).
            content_type: MIME type (``application/octet-stream`` when omitted).
            metadata: User metadata (lowercase keys; printable ASCII values; 2 KiB in all).

        Returns:
            The object's metadata, with its SHA-256 as ``checksum``.
        """
        self.require(C)
        bucket = _bucket(bucket)
        key = _key(key)
        if content_type is not None:
            try:
                check_content_type(content_type)
            except ValueError as exc:
                raise ConfigurationError(f"content_type: {exc}", field="content_type") from None
        meta = dict(metadata or {})
        try:
            check_metadata(meta)
        except ValueError as exc:
            raise ConfigurationError(f"metadata: {exc}", field="metadata") from None
        with ObjectSource(data) as source:
            return self._invoke(
                "put_object",
                f"{bucket}/{key}",
                lambda: self._put_object(bucket, key, source, content_type, meta),
            )

    def get_object(self, bucket: str, key: str, version: str | None = None) -> ObjectReader:
        """A streaming reader of the object (latest, or ``version``), verified at its end.

        Raises:
            NotFound: no such bucket, object or version.
        """
        self.require(C, *(["versioning"] if version else []))
        bucket, key, version = _bucket(bucket), _key(key), _version(version)
        where = f"{bucket}/{key}"
        stream = self._invoke("get_object", where, lambda: self._open_object(bucket, key, version))
        return ObjectReader(
            stream.chunks,
            stream.info,
            verifier=stream.verifier,
            translate=lambda exc: self._reading_error(exc, where),
            on_close=stream.close,
        )

    def download_object(
        self, bucket: str, key: str, path: str | os.PathLike[str], version: str | None = None
    ) -> ObjectInfo:
        """Write the object to ``path`` (atomically: a verified temporary file is renamed into
        place, so ``path`` never holds partial or corrupted data)."""
        target = Path(path)
        if target.is_dir():
            raise ConfigurationError(f"path: {str(target)!r} is a directory", field="path")
        if not target.parent.is_dir():
            raise ConfigurationError(
                f"path: the folder {str(target.parent)!r} does not exist", field="path"
            )
        tmp = target.with_name(f".{target.name}.cloudcore-{uuid.uuid4().hex[:8]}.part")
        try:
            with self.get_object(bucket, key, version) as reader, tmp.open("wb") as out:
                for chunk in reader.iter_chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
                info = reader.info
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return info

    def head_object(self, bucket: str, key: str, version: str | None = None) -> ObjectInfo:
        """The object's metadata (read-only).

        Raises:
            NotFound: no such bucket, object or version.
        """
        self.require(C, *(["versioning"] if version else []))
        bucket, key, version = _bucket(bucket), _key(key), _version(version)
        return self._invoke(
            "head_object", f"{bucket}/{key}", lambda: self._head_object(bucket, key, version)
        )

    def list_objects(self, bucket: str, prefix: str | None = None) -> Iterator[ObjectInfo]:
        """The objects of a bucket (latest versions), in key order, optionally under ``prefix``.

        Pages are fetched as the iterator advances; the first page is fetched now, so a missing
        bucket raises ``NotFound`` here.
        """
        self.require(C)
        bucket = _bucket(bucket)
        if prefix is not None and (
            not isinstance(prefix, str)
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in prefix)
            or len(prefix.encode()) > 1024
        ):
            raise ConfigurationError(
                "prefix: a string of at most 1024 bytes without control characters",
                field="prefix",
            )
        prefix = prefix or None
        items, token = self._invoke(
            "list_objects", bucket, lambda: self._list_objects(bucket, prefix, None)
        )

        def pages(items: list[ObjectInfo], token: str | None) -> Iterator[ObjectInfo]:
            yield from items
            while token is not None:
                items, token = self._invoke(
                    "list_objects",
                    bucket,
                    lambda page=token: self._list_objects(bucket, prefix, page),  # type: ignore[misc]
                )
                yield from items

        return pages(items, token)

    def delete_object(self, bucket: str, key: str, version: str | None = None) -> None:
        """Delete an object (on a versioned bucket: hide it behind a delete marker, or delete
        one ``version`` for good); succeeds when it is already gone."""
        self.require(C, *(["versioning"] if version else []))
        bucket, key, version = _bucket(bucket), _key(key), _version(version)
        self._invoke(
            "delete_object", f"{bucket}/{key}", lambda: self._delete_object(bucket, key, version)
        )

    def copy_object(
        self, bucket: str, key: str, new_key: str, dest_bucket: str | None = None
    ) -> ObjectInfo:
        """Copy an object to ``new_key`` (in ``dest_bucket``, by default the same bucket),
        server-side where the provider can; content type, metadata and checksum go with it."""
        self.require(C)
        bucket, key, new_key = _bucket(bucket), _key(key), _key(new_key, "new_key")
        dest = _bucket(dest_bucket, "dest_bucket") if dest_bucket is not None else bucket
        return self._invoke(
            "copy_object",
            f"{dest}/{new_key}",
            lambda: self._copy_object(bucket, key, dest, new_key),
        )

    def presign(
        self,
        bucket: str,
        key: str,
        method: Literal["GET", "PUT"] = "GET",
        expires_in: int = 3600,
        content_type: str | None = None,
    ) -> str:
        """A URL that reads (``GET``) or writes (``PUT``) one object with no credentials, until
        ``expires_in`` seconds from now (at most 7 days).

        Args:
            content_type: For ``PUT``: the ``Content-Type`` the upload must send (signed).
        """
        self.require(C, "presign")
        bucket, key = _bucket(bucket), _key(key)
        if method not in ("GET", "PUT"):
            raise ConfigurationError(f"method: 'GET' or 'PUT' (got {method!r})", field="method")
        if (
            isinstance(expires_in, bool)
            or not isinstance(expires_in, int)
            or not 1 <= expires_in <= MAX_PRESIGN_SECONDS
        ):
            raise ConfigurationError(
                f"expires_in: whole seconds from 1 to {MAX_PRESIGN_SECONDS} (got {expires_in!r})",
                field="expires_in",
            )
        if content_type is not None:
            if method != "PUT":
                raise ConfigurationError(
                    "content_type: only a PUT URL signs a content type", field="content_type"
                )
            try:
                check_content_type(content_type)
            except ValueError as exc:
                raise ConfigurationError(f"content_type: {exc}", field="content_type") from None
        return self._invoke(
            "presign",
            f"{bucket}/{key}",
            lambda: self._presign(bucket, key, method, expires_in, content_type),
        )

    def _reading_error(self, exc: Exception, where: str) -> Any:
        from .._context import CallContext

        return self._translate(exc, CallContext(self.name, "get_object", where, ()))

    # ------------------------------------------------------- driver hooks
    def _create_bucket(self, config: BucketConfig) -> Bucket:
        """Create the bucket (tagged as managed) or converge a managed one to ``config``; zero
        writes when it matches. ``AlreadyExists`` for a bucket cloudcore does not manage."""
        self._missing("storage", "_create_bucket")

    def _get_bucket(self, name: str) -> Bucket:
        """The managed bucket with its portable config read back (``NotFound`` otherwise)."""
        self._missing("storage", "_get_bucket")

    def _delete_bucket(self, name: str, force: bool) -> None:
        """Delete a managed bucket (``Conflict`` when not empty and not ``force``); return
        quietly when gone. Never delete a bucket cloudcore does not manage."""
        self._missing("storage", "_delete_bucket")

    def _list_buckets(self) -> list[Bucket]:
        """Every managed bucket."""
        self._missing("storage", "_list_buckets")

    def _put_object(
        self,
        bucket: str,
        key: str,
        source: ObjectSource,
        content_type: str | None,
        metadata: dict[str, str],
    ) -> ObjectInfo:
        """Upload ``source.open()`` (``source.size`` bytes), recording ``source.sha256`` with
        the object; multipart above the driver's threshold. ``NotFound`` for an unmanaged or
        missing bucket."""
        self._missing("storage", "_put_object")

    def _open_object(self, bucket: str, key: str, version: str | None) -> ObjectStream:
        """Start reading an object: its info (with the checksum to verify), its bytes as an
        iterable of chunks, and how to release the connection."""
        self._missing("storage", "_open_object")

    def _head_object(self, bucket: str, key: str, version: str | None) -> ObjectInfo:
        """The object's info (``NotFound`` when absent)."""
        self._missing("storage", "_head_object")

    def _list_objects(
        self, bucket: str, prefix: str | None, page_token: str | None
    ) -> tuple[list[ObjectInfo], str | None]:
        """One page of objects in key order, and the token of the next page (``None``: last)."""
        self._missing("storage", "_list_objects")

    def _delete_object(self, bucket: str, key: str, version: str | None) -> None:
        """Delete; return quietly when already gone."""
        self._missing("storage", "_delete_object")

    def _copy_object(self, bucket: str, key: str, dest_bucket: str, new_key: str) -> ObjectInfo:
        """Copy server-side where possible, keeping content type, metadata and checksum."""
        self._missing("storage", "_copy_object")

    def _presign(
        self,
        bucket: str,
        key: str,
        method: Literal["GET", "PUT"],
        expires_in: int,
        content_type: str | None,
    ) -> str:
        """A URL usable with no credentials until it expires."""
        self._missing("storage", "_presign")


class StorageRouting(RouterCore):
    """``storage`` in a composition."""

    def create_bucket(self, config: BucketConfig) -> Bucket:
        return self._route(C).create_bucket(config)

    def get_bucket(self, name: str) -> Bucket:
        return self._route(C).get_bucket(name)

    def delete_bucket(self, name: str, force: bool = False) -> None:
        self._route(C).delete_bucket(name, force)

    def list_buckets(self) -> list[Bucket]:
        return self._route(C).list_buckets()

    def put_object(
        self,
        bucket: str,
        key: str,
        data: Any,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        return self._route(C).put_object(bucket, key, data, content_type, metadata)

    def get_object(self, bucket: str, key: str, version: str | None = None) -> ObjectReader:
        return self._route(C).get_object(bucket, key, version)

    def download_object(
        self, bucket: str, key: str, path: str | os.PathLike[str], version: str | None = None
    ) -> ObjectInfo:
        return self._route(C).download_object(bucket, key, path, version)

    def head_object(self, bucket: str, key: str, version: str | None = None) -> ObjectInfo:
        return self._route(C).head_object(bucket, key, version)

    def list_objects(self, bucket: str, prefix: str | None = None) -> Iterator[ObjectInfo]:
        return self._route(C).list_objects(bucket, prefix)

    def delete_object(self, bucket: str, key: str, version: str | None = None) -> None:
        self._route(C).delete_object(bucket, key, version)

    def copy_object(
        self, bucket: str, key: str, new_key: str, dest_bucket: str | None = None
    ) -> ObjectInfo:
        return self._route(C).copy_object(bucket, key, new_key, dest_bucket)

    def presign(
        self,
        bucket: str,
        key: str,
        method: Literal["GET", "PUT"] = "GET",
        expires_in: int = 3600,
        content_type: str | None = None,
    ) -> str:
        return self._route(C).presign(bucket, key, method, expires_in, content_type)
