"""A directory-backed object store: buckets, versioned objects, SHA-256 checksums.

Standard library only: the same file runs inside cloudcore (``local`` and ``baremetal``
drivers) and, uploaded next to :mod:`._objectd`, as the host's presign endpoint, so both sides
read and write one layout::

    <root>/<bucket>/bucket.json                       config, tags (managed-by), created
    <root>/<bucket>/objects/<h[:2]>/<h>/<vid>.bin     one version's bytes
    <root>/<bucket>/objects/<h[:2]>/<h>/<vid>.json    its sidecar: key, size, sha256, type, ...

``h`` is the SHA-256 of the key's UTF-8 bytes, so no key (``..``, ``/``, unicode, 1,024 bytes)
ever becomes a path of its own: nothing a key contains can escape the bucket's folder. A version
id ``vid`` is a nanosecond timestamp plus random hex, so versions sort by age and concurrent
writers never collide. Every file is written to a temporary name in its folder, ``fsync``-ed and
renamed into place; a version exists once its sidecar is renamed (the data file is renamed
first), so a reader never sees a partial object and a crash leaves only ignorable temporaries.
Versioning follows S3's rules (a delete on a versioned bucket adds a delete marker; an
unversioned or suspended bucket keeps one ``null`` version per key).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, Protocol

__all__ = [
    "CHUNK",
    "DirStore",
    "LocalFS",
    "StoreError",
    "StoreFS",
    "key_dir",
]

CHUNK = 1024 * 1024
MANAGED = ("managed-by", "cloudcore")


class StoreError(Exception):
    """A refused store operation; ``code`` is S3's error code for the same case."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class StoreFS(Protocol):
    """The file operations the store needs (a local folder, or a host over SFTP)."""

    def read(self, path: str) -> bytes | None:
        """A small file's bytes, ``None`` when missing."""

    def write_atomic(self, path: str, chunks: Iterable[bytes]) -> None:
        """Write to a temporary file in ``path``'s folder (made 0700 when missing), fsync it,
        rename it to ``path``."""

    def open_chunks(self, path: str) -> tuple[Iterator[bytes], Callable[[], None]]:
        """The file's bytes as chunks and a close function (``FileNotFoundError`` if gone)."""

    def listdir(self, path: str) -> list[str]:
        """Names in a folder (``[]`` when it does not exist)."""

    def remove(self, path: str) -> None:
        """Delete a file (quietly when missing)."""

    def rmdir(self, path: str) -> None:
        """Delete an empty folder (quietly when missing or not empty)."""

    def rmtree(self, path: str) -> None:
        """Delete a folder and everything in it (quietly when missing)."""

    def rename(self, src: str, dst: str) -> None:
        """Rename atomically."""

    def docs(self, path: str) -> list[dict[str, Any]]:
        """Every ``*.json`` sidecar below ``path`` (temporaries and unreadable files skipped)."""


class LocalFS:
    """:class:`StoreFS` on this machine's file system."""

    def read(self, path: str) -> bytes | None:
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def write_atomic(self, path: str, chunks: Iterable[bytes]) -> None:
        folder = os.path.dirname(path)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        tmp = os.path.join(folder, f".tmp-{secrets.token_hex(8)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)  # the rename itself survives a crash
        finally:
            os.close(dfd)

    def open_chunks(self, path: str) -> tuple[Iterator[bytes], Callable[[], None]]:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the returned function

        def chunks() -> Iterator[bytes]:
            while block := fh.read(CHUNK):
                yield block

        return chunks(), fh.close

    def listdir(self, path: str) -> list[str]:
        try:
            return os.listdir(path)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)

    def rmdir(self, path: str) -> None:
        with contextlib.suppress(OSError):
            os.rmdir(path)

    def rmtree(self, path: str) -> None:
        shutil.rmtree(path, ignore_errors=True)

    def rename(self, src: str, dst: str) -> None:
        os.replace(src, dst)

    def docs(self, path: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for folder, _dirs, files in os.walk(path):
            for name in files:
                if name.endswith(".json") and not name.startswith("."):
                    raw = self.read(os.path.join(folder, name))
                    doc = _parse(raw)
                    if doc is not None:
                        out.append(doc)
        return out


def _parse(raw: bytes | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _dump(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n").encode()


def key_dir(key: str) -> str:
    """The folder of a key's versions, relative to the bucket's ``objects`` folder."""
    h = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{h[:2]}/{h}"


def new_version_id() -> str:
    """A version id: sorts by creation time; random enough that writers never collide."""
    return f"{time.time_ns():020d}{secrets.token_hex(6)}"


def managed(doc: dict[str, Any] | None) -> bool:
    """Whether a ``bucket.json`` carries cloudcore's managed-by tag."""
    return bool(doc and doc.get("tags", {}).get(MANAGED[0]) == MANAGED[1])


class DirStore:
    """Buckets and objects under one root folder (see the module docs).

    Args:
        fs: Where the files are.
        root: The folder holding one folder per bucket.
        hook: Called as ``hook(api, mutating)`` before each operation touches the files (the
            driver counts calls and injects faults there).
    """

    def __init__(
        self, fs: StoreFS, root: str, hook: Callable[[str, bool], None] | None = None
    ) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self._hook = hook

    def _call(self, api: str, mutating: bool) -> None:
        if self._hook is not None:
            self._hook(api, mutating)

    # ------------------------------------------------------------ paths
    def bucket_path(self, bucket: str) -> str:
        """The bucket's folder (``bucket`` is a validated bucket name)."""
        if not bucket or "/" in bucket or bucket.startswith("."):
            raise StoreError("InvalidBucketName", f"invalid bucket name {bucket!r}")
        return f"{self.root}/{bucket}"

    def _objects(self, bucket: str) -> str:
        return f"{self.bucket_path(bucket)}/objects"

    def _kdir(self, bucket: str, key: str) -> str:
        return f"{self._objects(bucket)}/{key_dir(key)}"

    # ------------------------------------------------------------ buckets
    def bucket_doc(self, bucket: str) -> dict[str, Any] | None:
        """The bucket's ``bucket.json`` (managed or not), ``None`` when there is none."""
        return _parse(self.fs.read(f"{self.bucket_path(bucket)}/bucket.json"))

    def managed_bucket(self, bucket: str) -> dict[str, Any]:
        """The ``bucket.json`` of a managed bucket (``NoSuchBucket`` otherwise)."""
        doc = self.bucket_doc(bucket)
        if not managed(doc):
            raise StoreError("NoSuchBucket", f"no bucket {bucket!r} managed by cloudcore")
        assert doc is not None
        return doc

    def write_bucket(self, bucket: str, doc: dict[str, Any]) -> None:
        """Write ``bucket.json`` (creates the bucket)."""
        self._call("PutBucket", True)
        self.fs.write_atomic(f"{self.bucket_path(bucket)}/bucket.json", [_dump(doc)])

    def bucket_names(self) -> list[str]:
        """Names of every bucket folder (managed or not), sorted."""
        return sorted(n for n in self.fs.listdir(self.root) if not n.startswith("."))

    def is_empty(self, bucket: str) -> bool:
        """Whether no version (nor delete marker) is left in the bucket."""
        return not self.fs.docs(self._objects(bucket))

    def remove_bucket(self, bucket: str) -> None:
        """Delete the bucket's folder: renamed aside first, so it vanishes at once."""
        self._call("DeleteBucket", True)
        path = self.bucket_path(bucket)
        trash = f"{self.root}/.trash-{bucket}-{secrets.token_hex(4)}"
        try:
            self.fs.rename(path, trash)
        except FileNotFoundError:
            return
        self.fs.rmtree(trash)

    # ------------------------------------------------------------ versions
    def versions(self, bucket: str, key: str) -> list[dict[str, Any]]:
        """Every version sidecar of ``key``, oldest first."""
        folder = self._kdir(bucket, key)
        out = []
        for name in sorted(self.fs.listdir(folder)):
            if name.endswith(".json") and not name.startswith("."):
                doc = _parse(self.fs.read(f"{folder}/{name}"))
                if doc is not None and doc.get("key") == key:
                    out.append(doc)
        return out

    def find(self, bucket: str, key: str, version: str | None) -> dict[str, Any]:
        """The latest (or the given) version's sidecar; ``NoSuchKey`` when absent or a marker."""
        found = self.versions(bucket, key)
        if version is None:
            if not found or found[-1]["marker"]:
                raise StoreError("NoSuchKey", f"no object {key!r} in bucket {bucket!r}")
            return found[-1]
        for doc in found:
            if (doc["version"] or "null") == version:
                if doc["marker"]:
                    raise StoreError("NoSuchKey", f"version {version!r} of {key!r} is a marker")
                return doc
        raise StoreError("NoSuchVersion", f"object {key!r} has no version {version!r}")

    def data_path(self, bucket: str, doc: dict[str, Any]) -> str:
        """Where a version's bytes are."""
        return f"{self._kdir(bucket, doc['key'])}/{doc['vid']}.bin"

    def open(
        self, bucket: str, key: str, version: str | None
    ) -> tuple[dict[str, Any], Iterator[bytes], Callable[[], None]]:
        """A version's sidecar and its bytes (retried when a concurrent write replaced it)."""
        self._call("GetObject", False)
        self.managed_bucket(bucket)
        for _ in range(5):
            doc = self.find(bucket, key, version)
            try:
                chunks, close = self.fs.open_chunks(self.data_path(bucket, doc))
            except FileNotFoundError:
                continue  # replaced between listing and opening: look again
            return doc, chunks, close
        raise StoreError("SlowDown", f"{bucket}/{key} changes too fast to be read")

    def head(self, bucket: str, key: str, version: str | None) -> dict[str, Any]:
        """A version's sidecar."""
        self._call("HeadObject", False)
        self.managed_bucket(bucket)
        return self.find(bucket, key, version)

    def put(
        self,
        bucket: str,
        key: str,
        chunks: Iterable[bytes],
        *,
        content_type: str | None,
        metadata: dict[str, str],
        expect_sha256: str | None = None,
        expect_size: int | None = None,
    ) -> dict[str, Any]:
        """Write a new version from ``chunks`` (streamed); returns its sidecar.

        Raises:
            StoreError: ``NoSuchBucket``; ``BadDigest`` when the bytes do not match
                ``expect_sha256`` / ``expect_size`` (nothing is written then).
        """
        self._call("PutObject", True)
        versioned = bool(self.managed_bucket(bucket)["config"].get("versioning"))
        folder = self._kdir(bucket, key)
        vid = new_version_id()
        digest = hashlib.sha256()
        size = 0

        def hashed() -> Iterator[bytes]:
            nonlocal size
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                yield chunk

        data = f"{folder}/{vid}.bin"
        self.fs.write_atomic(data, hashed())
        sha = digest.hexdigest()
        if (expect_sha256 is not None and sha != expect_sha256) or (
            expect_size is not None and size != expect_size
        ):
            self.fs.remove(data)
            raise StoreError("BadDigest", f"{bucket}/{key}: the data changed while written")
        doc = {
            "key": key,
            "vid": vid,
            "version": vid if versioned else None,
            "size": size,
            "sha256": sha,
            "content_type": content_type or "application/octet-stream",
            "metadata": dict(metadata),
            "modified": datetime.now(UTC).isoformat(),
            "marker": False,
        }
        self._commit(bucket, folder, doc, versioned)
        return doc

    def _commit(self, bucket: str, folder: str, doc: dict[str, Any], versioned: bool) -> None:
        self.fs.write_atomic(f"{folder}/{doc['vid']}.json", [_dump(doc)])
        if not versioned:  # one null version per key: drop the older null versions
            for old in self.versions(bucket, doc["key"]):
                if old["version"] is None and old["vid"] < doc["vid"]:
                    self._drop(folder, old)

    def _drop(self, folder: str, doc: dict[str, Any]) -> None:
        self.fs.remove(f"{folder}/{doc['vid']}.json")
        self.fs.remove(f"{folder}/{doc['vid']}.bin")

    def delete(self, bucket: str, key: str, version: str | None) -> None:
        """Delete as S3 does (see the module docs); quietly when already gone."""
        self._call("DeleteObject", True)
        versioned = bool(self.managed_bucket(bucket)["config"].get("versioning"))
        folder = self._kdir(bucket, key)
        found = self.versions(bucket, key)
        if version is not None:
            for doc in found:
                if (doc["version"] or "null") == version:
                    self._drop(folder, doc)
        elif not found or found[-1]["marker"]:
            return
        elif versioned:
            self._marker(bucket, folder, key, vid_version=True)
        else:
            for doc in found:
                if doc["version"] is None:
                    self._drop(folder, doc)
            if any(doc["version"] is not None for doc in found):
                self._marker(bucket, folder, key, vid_version=False)
        if not self.fs.listdir(folder):
            self.fs.rmdir(folder)

    def _marker(self, bucket: str, folder: str, key: str, *, vid_version: bool) -> None:
        vid = new_version_id()
        doc: dict[str, Any] = {
            "key": key,
            "vid": vid,
            "version": vid if vid_version else None,
            "size": 0,
            "sha256": "",
            "content_type": None,
            "metadata": {},
            "modified": datetime.now(UTC).isoformat(),
            "marker": True,
        }
        self.fs.write_atomic(f"{folder}/{vid}.json", [_dump(doc)])

    def copy(self, bucket: str, key: str, dest: str, new_key: str) -> dict[str, Any]:
        """Copy the latest version (bytes verified against its SHA-256 on the way)."""
        doc, chunks, close = self.open(bucket, key, None)
        try:
            return self.put(
                dest,
                new_key,
                chunks,
                content_type=doc["content_type"],
                metadata=doc["metadata"],
                expect_sha256=doc["sha256"],
                expect_size=doc["size"],
            )
        finally:
            close()

    def list_page(
        self, bucket: str, prefix: str | None, after: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """Latest versions in key order after ``after`` under ``prefix``: ``limit`` of them,
        and whether more follow."""
        self._call("ListObjects", False)
        self.managed_bucket(bucket)
        latest: dict[str, dict[str, Any]] = {}
        for doc in self.fs.docs(self._objects(bucket)):
            key = doc.get("key")
            if not isinstance(key, str) or not isinstance(doc.get("vid"), str):
                continue
            if prefix is not None and not key.startswith(prefix):
                continue
            if after is not None and key <= after:
                continue
            have = latest.get(key)
            if have is None or doc["vid"] > have["vid"]:
                latest[key] = doc
        keys = sorted(k for k, d in latest.items() if not d["marker"])
        return [latest[k] for k in keys[:limit]], len(keys) > limit
