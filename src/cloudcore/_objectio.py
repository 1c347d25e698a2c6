"""Streams for object storage: what ``put_object`` reads from and what ``get_object`` returns.

:class:`ObjectSource` turns the ``data`` a caller passes (bytes, a file path, a binary file
object) into a seekable stream of known size and SHA-256, reading it once to hash it (a stream that
cannot seek is first spooled to a temporary file, so memory stays bounded whatever the size).
Drivers upload from :meth:`ObjectSource.open` and record :attr:`ObjectSource.sha256` with the
object.

:class:`ObjectReader` is the streaming reader ``get_object`` returns: it hashes what it hands out
and, at the end of the object, compares the digest (and the size) with the checksum the object was
stored with. A mismatch raises :class:`~cloudcore.errors.IntegrityError`: corrupted data is never
returned silently.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from .errors import CloudcoreError, ConfigurationError, IntegrityError
from .models.storage import ObjectInfo

__all__ = ["CHUNK", "ObjectReader", "ObjectSource", "ObjectStream", "Verifier", "verifier_for"]

CHUNK = 1024 * 1024
"""Bytes read at a time when hashing, spooling or copying."""

SPOOL_IN_MEMORY = 8 * 1024 * 1024
"""A non-seekable stream is spooled in memory up to this size, then to a temporary file."""


class ObjectSource:
    """The data of one ``put_object``: seekable, with its size and SHA-256 known.

    Args:
        data: ``bytes`` (or ``bytearray``/``memoryview``), a path (``str`` or ``os.PathLike``)
            to a regular file, or a binary file object (anything with ``read`` returning bytes).

    Raises:
        ConfigurationError: ``data`` is none of these, a text stream, or a missing file.
    """

    def __init__(self, data: Any) -> None:
        self._owned: IO[bytes] | None = None
        self._path: Path | None = None
        self._buffer: bytes | None = None
        self._stream: IO[bytes] | None = None
        if isinstance(data, bytes | bytearray | memoryview):
            self._buffer = bytes(data)
        elif isinstance(data, str | os.PathLike):
            path = Path(data)
            if not path.is_file():
                raise ConfigurationError(
                    f"data: {str(path)!r} is not a file (pass bytes to upload content)",
                    field="data",
                )
            self._path = path
        elif isinstance(data, io.TextIOBase):
            raise ConfigurationError(
                "data: a text stream; open the file in binary mode ('rb')", field="data"
            )
        elif hasattr(data, "read"):
            self._stream = data
        else:
            raise ConfigurationError(
                f"data: expected bytes, a file path or a binary file object, got "
                f"{type(data).__name__}",
                field="data",
            )
        self.size, self.sha256 = self._measure()

    def _measure(self) -> tuple[int, str]:
        digest = hashlib.sha256()
        if self._buffer is not None:
            digest.update(self._buffer)
            return len(self._buffer), digest.hexdigest()
        if self._path is not None:
            size = 0
            with self._path.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
            return size, digest.hexdigest()
        stream = self._stream
        assert stream is not None
        if _seekable(stream):
            start = stream.tell()
            size = 0
            while chunk := _read(stream, CHUNK):
                digest.update(chunk)
                size += len(chunk)
            stream.seek(start)
            self._start = start
            return size, digest.hexdigest()
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        size = 0
        while chunk := _read(stream, CHUNK):
            digest.update(chunk)
            spool.write(chunk)
            size += len(chunk)
        spool.seek(0)
        self._owned = spool
        self._stream = spool
        self._start = 0
        return size, digest.hexdigest()

    @property
    def checksum(self) -> str:
        """``"sha256:<hex>"``, as :attr:`ObjectInfo.checksum` carries it."""
        return f"sha256:{self.sha256}"

    @property
    def md5_base64(self) -> str:
        """The base64 MD5 of the content (for ``Content-MD5`` headers); reads the data again."""
        digest = hashlib.md5(usedforsecurity=False)
        with self.open() as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        return base64.b64encode(digest.digest()).decode()

    def open(self) -> IO[bytes]:
        """A binary stream positioned at the start of the data (close it when done; closing it
        does not close a file object the caller passed)."""
        if self._buffer is not None:
            return io.BytesIO(self._buffer)
        if self._path is not None:
            return self._path.open("rb")
        assert self._stream is not None
        self._stream.seek(self._start)
        return io.BufferedReader(_Unclosable(self._stream), CHUNK)

    def close(self) -> None:
        """Drop the spool, if one was made."""
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> ObjectSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ObjectSource {self.size} bytes sha256={self.sha256[:12]}…>"


def _seekable(stream: Any) -> bool:
    try:
        return bool(stream.seekable()) and isinstance(stream.tell(), int)
    except (AttributeError, OSError, ValueError):
        return False


def _read(stream: Any, size: int) -> bytes:
    chunk = stream.read(size)
    if chunk is None:
        return b""
    if not isinstance(chunk, bytes | bytearray | memoryview):
        raise ConfigurationError(
            f"data: the file object returned {type(chunk).__name__}, not bytes (open it in "
            "binary mode)",
            field="data",
        )
    return bytes(chunk)


class _Unclosable(io.RawIOBase):
    """A view of a caller's stream that leaves it open when closed."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


class Verifier(Protocol):
    """Hashes an object's bytes as they are read and says whether they match."""

    algorithm: str

    def update(self, data: bytes) -> None:
        """Feed the next bytes."""

    def matches(self) -> bool:
        """Whether everything fed so far hashes to the expected value."""


class _HashlibVerifier:
    def __init__(self, algorithm: str, expected_hex: str) -> None:
        self.algorithm = algorithm
        self._hash = hashlib.new(algorithm)
        self._expected = expected_hex.lower()

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def matches(self) -> bool:
        return self._hash.hexdigest() == self._expected


def verifier_for(checksum: str | None) -> Verifier | None:
    """A verifier for ``"sha256:<hex>"`` or ``"md5:<hex>"`` (``None`` for anything else;
    drivers pass their own verifier for provider-specific checksums such as CRC32C)."""
    if not checksum or ":" not in checksum:
        return None
    algorithm, _, value = checksum.partition(":")
    if algorithm in ("sha256", "md5") and value:
        return _HashlibVerifier(algorithm, value)
    return None


@dataclass
class ObjectStream:
    """What a driver's ``_open_object`` returns: the object's info, its bytes, how to stop.

    Attributes:
        info: The object's metadata; ``info.checksum`` and ``info.size`` are verified.
        chunks: The bytes, in order (any iterable of ``bytes``; read lazily).
        close: Releases the connection (called once, also when reading stops early).
        verifier: A provider-specific verifier (e.g. CRC32C) when ``info.checksum`` is not
            SHA-256 or MD5.
    """

    info: ObjectInfo
    chunks: Iterable[bytes]
    close: Callable[[], None] | None = None
    verifier: Verifier | None = None


class ObjectReader(io.RawIOBase):
    """A streaming reader of one object, verified end to end.

    Use it as a binary file (``read``, ``readinto``, iteration over chunks with
    :meth:`iter_chunks`) and close it, or as a context manager. ``info`` is the object's metadata.

    Args:
        chunks: The object's bytes, in order, as the driver receives them.
        info: The object's metadata (its ``checksum`` and ``size`` are verified).
        verifier: How to check the bytes; by default derived from ``info.checksum``
            (SHA-256 or MD5). ``None`` and no usable checksum: the size alone is checked.
        translate: Turns an exception raised while reading into a cloudcore error.
        on_close: Releases the driver's stream.

    Raises:
        IntegrityError: at the end of the data, when the bytes do not match the checksum or
            the size (also on every read after that).
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        info: ObjectInfo,
        *,
        verifier: Verifier | None = None,
        translate: Callable[[Exception], CloudcoreError] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.info = info
        self._chunks: Iterator[bytes] = iter(chunks)
        self._verifier = verifier if verifier is not None else verifier_for(info.checksum)
        self._translate = translate
        self._on_close = on_close
        self._pending = b""
        self._seen = 0
        self._done = False
        self._failure: IntegrityError | None = None

    @property
    def verified(self) -> bool:
        """Whether the whole object was read and matched its checksum (or size)."""
        return self._done and self._failure is None

    def readable(self) -> bool:
        return True

    def _next(self) -> bytes:
        if self._failure is not None:
            raise self._failure
        if self._done:
            return b""
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._finish()
            return b""
        except CloudcoreError:
            raise
        except Exception as exc:
            if self._translate is None:
                raise
            raise self._translate(exc) from exc
        if chunk:
            self._seen += len(chunk)
            if self._verifier is not None:
                self._verifier.update(chunk)
        return chunk

    def _finish(self) -> None:
        self._done = True
        where = f"{self.info.bucket}/{self.info.key}"
        if self._seen != self.info.size:
            self._failure = IntegrityError(
                f"object {where!r}: read {self._seen} bytes, the object has {self.info.size}",
                resource=where,
            )
        elif self._verifier is not None and not self._verifier.matches():
            self._failure = IntegrityError(
                f"object {where!r}: the data read does not match its "
                f"{self._verifier.algorithm} checksum",
                resource=where,
            )
        if self._failure is not None:
            raise self._failure

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending:
            chunk = self._next()
            if not chunk:
                return 0
            self._pending = chunk
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        if not self._pending:
            self._pending = self._next()
        out, self._pending = self._pending[:size], self._pending[size:]
        return out

    def readall(self) -> bytes:
        parts = [self._pending]
        self._pending = b""
        while chunk := self._next():
            parts.append(chunk)
        return b"".join(parts)

    def iter_chunks(self) -> Iterator[bytes]:
        """The remaining data, chunk by chunk as received (verified at the end)."""
        if self._pending:
            chunk, self._pending = self._pending, b""
            yield chunk
        while chunk := self._next():
            yield chunk

    def close(self) -> None:
        if not self.closed and self._on_close is not None:
            try:
                self._on_close()
            finally:
                self._on_close = None
        super().close()

    def __repr__(self) -> str:
        return f"<ObjectReader {self.info.bucket}/{self.info.key} {self.info.size} bytes>"
