"""Where the memory driver keeps object bytes: outside the JSON state, one immutable blob each.

The state (:mod:`.state`) holds object metadata only and is deep-copied to roll back a failed
operation, so bytes live here, addressed by a blob id the metadata names. A blob is written once
(streamed, hashed on the way in) and never changed: a new version or an overwrite writes a new
blob, a copy shares the bytes (a hard link, or the same ``bytes`` object), and a blob is deleted
only after the metadata naming it is committed away.

Without a state file the blobs are ``bytes`` in a dict; with one they are files in
``<state_file>.blobs/`` (0600, written to a temporary name and renamed), so separate processes
sharing the state file share the objects too.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Protocol

from ..._objectio import CHUNK
from ...errors import NotFound

__all__ = ["BlobStore", "BlobWriter", "DirectoryBlobs", "MemoryBlobs", "open_blob_store"]


class BlobWriter:
    """One blob being written: :meth:`write` chunks, then :meth:`commit` (or :meth:`abort`).

    Attributes:
        size: Bytes written so far.
    """

    def __init__(self) -> None:
        self.size = 0
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.blob_id = uuid.uuid4().hex

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``."""
        self._sha256.update(chunk)
        self._md5.update(chunk)
        self.size += len(chunk)
        self._write(chunk)

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of what was written."""
        return self._sha256.hexdigest()

    @property
    def md5(self) -> str:
        """Hex MD5 of what was written (the ETag of a single-part upload, as S3 makes it)."""
        return self._md5.hexdigest()

    def commit(self) -> str:
        """Make the blob readable; returns its id."""
        raise NotImplementedError

    def abort(self) -> None:
        """Drop what was written."""
        raise NotImplementedError

    def _write(self, chunk: bytes) -> None:
        raise NotImplementedError


class BlobStore(Protocol):
    """What the memory driver's storage needs from a blob store."""

    def writer(self) -> BlobWriter:
        """Start a new blob."""

    def open(self, blob_id: str) -> tuple[Iterator[bytes], IO[bytes] | None]:
        """The blob's bytes as chunks (and the file to close, if any); ``NotFound`` if gone."""

    def share(self, blob_id: str) -> str:
        """A new blob id holding the same bytes (a copy that costs no data)."""

    def replace(self, blob_id: str, data: bytes) -> str:
        """A new blob with ``data`` (for tests that corrupt stored bytes); returns its id."""

    def delete(self, blob_id: str) -> None:
        """Forget a blob (quietly when gone)."""


class _MemoryWriter(BlobWriter):
    def __init__(self, store: MemoryBlobs) -> None:
        super().__init__()
        self._store = store
        self._parts: list[bytes] = []

    def _write(self, chunk: bytes) -> None:
        self._parts.append(bytes(chunk))

    def commit(self) -> str:
        with self._store._lock:
            self._store._blobs[self.blob_id] = b"".join(self._parts)
        self._parts = []
        return self.blob_id

    def abort(self) -> None:
        self._parts = []


class MemoryBlobs:
    """Blobs as ``bytes`` in this process."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def writer(self) -> BlobWriter:
        return _MemoryWriter(self)

    def _get(self, blob_id: str) -> bytes:
        with self._lock:
            data = self._blobs.get(blob_id)
        if data is None:
            raise NotFound(f"blob {blob_id} is gone")
        return data

    def open(self, blob_id: str) -> tuple[Iterator[bytes], IO[bytes] | None]:
        data = self._get(blob_id)
        view = memoryview(data)
        return (bytes(view[i : i + CHUNK]) for i in range(0, len(data), CHUNK)), None

    def share(self, blob_id: str) -> str:
        data = self._get(blob_id)
        new = uuid.uuid4().hex
        with self._lock:
            self._blobs[new] = data
        return new

    def replace(self, blob_id: str, data: bytes) -> str:
        self._get(blob_id)
        new = uuid.uuid4().hex
        with self._lock:
            self._blobs[new] = bytes(data)
        return new

    def delete(self, blob_id: str) -> None:
        with self._lock:
            self._blobs.pop(blob_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._blobs)


class _FileWriter(BlobWriter):
    def __init__(self, store: DirectoryBlobs) -> None:
        super().__init__()
        self._final = store.path / self.blob_id
        self._tmp = store.path / f".{self.blob_id}.part"
        fd = os.open(self._tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        self._fh: IO[bytes] | None = os.fdopen(fd, "wb")

    def _write(self, chunk: bytes) -> None:
        assert self._fh is not None
        self._fh.write(chunk)

    def commit(self) -> str:
        assert self._fh is not None
        self._fh.close()
        self._fh = None
        os.replace(self._tmp, self._final)
        return self.blob_id

    def abort(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self._tmp.unlink(missing_ok=True)


class DirectoryBlobs:
    """Blobs as files in a directory shared by every process using the same state file.

    Args:
        path: The directory (created 0700 when the first blob is written).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def writer(self) -> BlobWriter:
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)  # on the first object only
        return _FileWriter(self)

    def _file(self, blob_id: str) -> Path:
        if not blob_id.isalnum():  # ids are uuid hex: never a path
            raise NotFound(f"blob {blob_id!r} is gone")
        return self.path / blob_id

    def open(self, blob_id: str) -> tuple[Iterator[bytes], IO[bytes] | None]:
        try:
            fh = self._file(blob_id).open("rb")
        except FileNotFoundError:
            raise NotFound(f"blob {blob_id} is gone") from None

        def chunks() -> Iterator[bytes]:
            try:
                while chunk := fh.read(CHUNK):
                    yield chunk
            finally:
                fh.close()

        return chunks(), fh

    def share(self, blob_id: str) -> str:
        new = uuid.uuid4().hex
        try:
            os.link(self._file(blob_id), self.path / new)  # blobs never change: a link is a copy
        except FileNotFoundError:
            raise NotFound(f"blob {blob_id} is gone") from None
        return new

    def replace(self, blob_id: str, data: bytes) -> str:
        if not self._file(blob_id).exists():
            raise NotFound(f"blob {blob_id} is gone")
        writer = self.writer()
        writer.write(data)
        return writer.commit()

    def delete(self, blob_id: str) -> None:
        self._file(blob_id).unlink(missing_ok=True)


def open_blob_store(state_file: Path | None) -> MemoryBlobs | DirectoryBlobs:
    """The blob store that goes with a state file (in memory without one)."""
    if state_file is None:
        return MemoryBlobs()
    return DirectoryBlobs(state_file.with_name(state_file.name + ".blobs"))
