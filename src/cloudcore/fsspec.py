"""An fsspec filesystem over cloudcore storage: ``cloudcore://bucket/key`` on any driver.

Registered under the ``fsspec.specs`` entry point as protocol ``cloudcore`` (extra
``cloudcore[fsspec]``), so pandas, DuckDB, Dask, PyArrow and anything else taking fsspec URLs
read and write objects through whichever provider cloudcore connects to::

    import pandas as pd
    opts = {"provider": "aws", "region": "eu-west-1"}          # as cloudcore.connect() takes
    df = pd.read_csv("cloudcore://reports/2026/q1.csv", storage_options=opts)
    df.to_parquet("cloudcore://reports/2026/q1.parquet", storage_options=opts)

    fs = CloudcoreFileSystem(cloud=provider)                     # an already connected provider

Options are those of :func:`cloudcore.connect`: ``provider`` (a driver name; default
``CLOUDCORE_PROVIDER`` or the profile's), ``profile``, and driver options; or ``cloud=`` a
connected provider (then nothing is cached by fsspec: the provider is the state).

Semantics: buckets are the top-level directories (``mkdir("name")`` creates one,
``rmdir("name")`` deletes an empty one); below them, directories are key prefixes up to a ``/``
and exist while objects are under them. A file opened for reading is downloaded whole and
verified against its checksum first (a corrupted object raises
:class:`~cloudcore.errors.IntegrityError`, never data), then served from a spooled temporary
file (memory up to 8 MiB, disk above), so seeks are free. A file opened for writing is spooled
the same way and uploaded with ``put_object`` when it is closed without an error (or on
``commit()`` inside an fsspec transaction). Missing paths raise ``FileNotFoundError``.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from fsspec.spec import AbstractFileSystem

from .errors import Conflict, NotFound, PermissionDenied
from .models.storage import BucketConfig, ObjectInfo

__all__ = ["CloudcoreFileSystem"]

SPOOL_BYTES = 8 * 1024 * 1024
"""A file is kept in memory up to this size, then on disk (temporary file)."""


@contextlib.contextmanager
def _os_errors(path: str) -> Iterator[None]:
    """cloudcore errors as the ``OSError`` subclasses fsspec callers expect."""
    try:
        yield
    except NotFound as exc:
        raise FileNotFoundError(errno.ENOENT, str(exc), path) from exc
    except PermissionDenied as exc:
        raise PermissionError(errno.EACCES, str(exc), path) from exc
    except Conflict as exc:
        raise OSError(errno.ENOTEMPTY, str(exc), path) from exc


class _ObjectFile(io.BufferedIOBase):
    """A spooled object: read (downloaded and verified) or written (uploaded on close)."""

    def __init__(self, fs: CloudcoreFileSystem, path: str, mode: str, autocommit: bool) -> None:
        super().__init__()
        self.fs, self.path, self.mode, self.autocommit = fs, path, mode, autocommit
        self._spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        self.info: ObjectInfo | None = None
        self._done = False

    @property
    def size(self) -> int:
        """Bytes in the file (for readers: the object's size)."""
        return self.info.size if self.info is not None else self._spool.tell()

    def readable(self) -> bool:
        return "r" in self.mode

    def writable(self) -> bool:
        return "r" not in self.mode

    def seekable(self) -> bool:
        return "r" in self.mode

    def read(self, size: int | None = -1) -> bytes:
        self._check("r")
        return self._spool.read(-1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        self._check("r")
        return self._spool.seek(offset, whence)

    def tell(self) -> int:
        return self._spool.tell()

    def write(self, data: Any) -> int:
        self._check("w")
        return self._spool.write(bytes(data))

    def _check(self, want: str) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if (want == "r") != ("r" in self.mode):
            raise io.UnsupportedOperation(f"file opened in mode {self.mode!r}")

    def commit(self) -> None:
        """Upload what was written (fsspec transactions call this)."""
        if not self._done and "r" not in self.mode:
            self._done = True
            self._spool.seek(0)
            bucket, key = self.fs._split(self.path, key_required=True)
            with _os_errors(self.path):
                self.info = self.fs.cloud.put_object(bucket, key, self._spool)
        self._spool.close()

    def discard(self) -> None:
        """Drop what was written, uploading nothing."""
        self._done = True
        self._spool.close()

    def close(self) -> None:
        if self.closed:
            return
        try:
            if "r" not in self.mode and self.autocommit:
                self.commit()
            elif "r" in self.mode:
                self._spool.close()
        finally:
            super().close()

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is not None and "r" not in self.mode:
            self.discard()  # a failed write uploads nothing
        self.close()


class _Instances(type(AbstractFileSystem)):  # type: ignore[misc]  # fsspec is untyped
    """fsspec caches filesystems by the text of their arguments; every provider object prints
    alike (``<MemoryProvider memory>``), so a filesystem over an explicit ``cloud=`` is never
    taken from (or put in) that cache: the provider object is the state."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("cloud") is not None:
            kwargs["skip_instance_cache"] = True
        return super().__call__(*args, **kwargs)


class CloudcoreFileSystem(AbstractFileSystem, metaclass=_Instances):  # type: ignore[misc]
    """fsspec's view of cloudcore storage (see the module docs).

    Args:
        provider: Driver name, as :func:`cloudcore.connect` takes it.
        profile: Profile in ``cloudcore.toml``.
        cloud: An already connected provider (``provider``/``profile``/options are then unused).
        options: Driver options for :func:`cloudcore.connect`.
    """

    protocol = "cloudcore"
    root_marker = ""

    def __init__(
        self,
        provider: str | None = None,
        *,
        profile: str | None = None,
        cloud: Any = None,
        **options: Any,
    ) -> None:
        fsspec_options = {
            k: options.pop(k)
            for k in ("use_listings_cache", "listings_expiry_time", "max_paths", "asynchronous")
            if k in options
        }
        super().__init__(**fsspec_options)
        if cloud is None:
            from .config import connect

            cloud = connect(provider, profile=profile, **options)
        self.cloud = cloud

    @classmethod
    def _split(cls, path: str, *, key_required: bool = False) -> tuple[str, str]:
        bucket, _, key = cls._strip_protocol(path).lstrip("/").partition("/")
        if not bucket or (key_required and not key):
            raise ValueError(f"{path!r}: expected BUCKET/KEY")
        return bucket, key

    # -------------------------------------------------------------- listing
    @staticmethod
    def _file(info: ObjectInfo) -> dict[str, Any]:
        return {
            "name": f"{info.bucket}/{info.key}",
            "size": info.size,
            "type": "file",
            "checksum": info.checksum,
            "etag": info.etag,
            "version": info.version,
            "content_type": info.content_type,
            "modified": info.modified_at,
        }

    @staticmethod
    def _dir(name: str) -> dict[str, Any]:
        return {"name": name, "size": 0, "type": "directory"}

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        """Buckets (at the root), or the files and directories right under ``path``."""
        path = self._strip_protocol(path)
        with _os_errors(path):
            if not path:
                out = [self._dir(b.name) for b in self.cloud.list_buckets()]
            else:
                out = self._children(path)
        return out if detail else [entry["name"] for entry in out]

    def _children(self, path: str) -> list[dict[str, Any]]:
        bucket, key = self._split(path)
        prefix = f"{key}/" if key else ""
        files: list[dict[str, Any]] = []
        dirs: dict[str, dict[str, Any]] = {}
        for info in self.cloud.list_objects(bucket, prefix or None):
            head, sep, _ = info.key[len(prefix) :].partition("/")
            if sep:
                name = f"{bucket}/{prefix}{head}"
                dirs.setdefault(name, self._dir(name))
            else:
                files.append(self._file(info))
        if not files and not dirs and key:
            return [self._file(self.cloud.head_object(bucket, key))]  # a file, or NotFound
        return sorted([*files, *dirs.values()], key=lambda e: str(e["name"]))

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        path = self._strip_protocol(path)
        if not path:
            return self._dir("")
        bucket, key = self._split(path)
        with _os_errors(path):
            if not key:
                self.cloud.get_bucket(bucket)
                return self._dir(bucket)
            try:
                return self._file(self.cloud.head_object(bucket, key))
            except NotFound:
                if next(iter(self.cloud.list_objects(bucket, f"{key}/")), None) is None:
                    raise
                return self._dir(path)

    def modified(self, path: str) -> datetime:
        """When the object was last written."""
        when = self.info(path).get("modified")
        if when is None:
            raise IsADirectoryError(errno.EISDIR, "a directory has no modification time", path)
        return when  # type: ignore[no-any-return]

    # ----------------------------------------------------------------- files
    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: Any = None,
        **kwargs: Any,
    ) -> _ObjectFile:
        path = self._strip_protocol(path)
        if mode not in ("rb", "wb", "xb"):
            raise ValueError(f"mode {mode!r}: objects are read ('rb') or written whole ('wb')")
        if mode == "xb" and self.exists(path):
            raise FileExistsError(errno.EEXIST, "the object exists", path)
        file = _ObjectFile(self, path, mode, autocommit)
        if mode == "rb":
            bucket, key = self._split(path, key_required=True)
            with _os_errors(path), self.cloud.get_object(bucket, key, kwargs.get("version")) as r:
                for chunk in r.iter_chunks():  # verified at the end: IntegrityError, not data
                    file._spool.write(chunk)
                file.info = r.info
            file._spool.seek(0)
        return file

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        with self.open(path, "rb", **kwargs) as f:
            data: bytes = f.read()
        return data[start:end]

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        if mode == "create" and self.exists(path):
            raise FileExistsError(errno.EEXIST, "the object exists", path)
        bucket, key = self._split(path, key_required=True)
        with _os_errors(path):
            self.cloud.put_object(bucket, key, bytes(value), kwargs.get("content_type"))

    def put_file(
        self, lpath: str, rpath: str, callback: Any = None, mode: str = "overwrite", **kwargs: Any
    ) -> None:
        """Upload a local file (streamed from disk, never read whole into memory)."""
        if os.path.isdir(lpath):
            return  # directories are key prefixes: nothing to create
        if mode == "create" and self.exists(rpath):
            raise FileExistsError(errno.EEXIST, "the object exists", rpath)
        bucket, key = self._split(rpath, key_required=True)
        with _os_errors(rpath):
            info = self.cloud.put_object(bucket, key, Path(lpath), kwargs.get("content_type"))
        if callback is not None:
            callback.set_size(info.size)
            callback.relative_update(info.size)

    def get_file(
        self, rpath: str, lpath: Any, callback: Any = None, outfile: Any = None, **kwargs: Any
    ) -> None:
        """Download an object to a local file (verified, then renamed into place)."""
        if outfile is None and not hasattr(lpath, "write") and self.isdir(rpath):
            os.makedirs(lpath, exist_ok=True)
            return
        bucket, key = self._split(rpath, key_required=True)
        with _os_errors(rpath):
            if outfile is not None or hasattr(lpath, "write"):
                with self.open(rpath, "rb") as f:
                    (outfile or lpath).write(f.read())
                return
            Path(lpath).parent.mkdir(parents=True, exist_ok=True)
            info = self.cloud.download_object(bucket, key, lpath, kwargs.get("version"))
        if callback is not None:
            callback.set_size(info.size)
            callback.relative_update(info.size)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy an object server-side."""
        bucket, key = self._split(path1, key_required=True)
        dest, new_key = self._split(path2, key_required=True)
        with _os_errors(path1):
            self.cloud.copy_object(bucket, key, new_key, dest)

    def rm_file(self, path: str) -> None:
        """Delete an object; a bare bucket name deletes the (empty) bucket."""
        bucket, key = self._split(path)
        with _os_errors(path):
            if key:
                self.cloud.delete_object(bucket, key)
            else:
                self.cloud.delete_bucket(bucket)

    def _rm(self, path: str) -> None:
        self.rm_file(path)

    # ----------------------------------------------------------- directories
    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Create a bucket (``kwargs`` are :class:`BucketConfig` fields); a deeper path needs
        nothing (directories are key prefixes), only its bucket, created with ``create_parents``."""
        bucket, key = self._split(path)
        with _os_errors(path):
            if key and not create_parents:
                self.cloud.get_bucket(bucket)  # FileNotFoundError when the bucket is missing
                return
            if key:
                with contextlib.suppress(NotFound):
                    self.cloud.get_bucket(bucket)
                    return
            self.cloud.create_bucket(BucketConfig(name=bucket, **kwargs))

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        bucket, key = self._split(path)
        if not key and not exist_ok and self.exists(bucket):
            raise FileExistsError(errno.EEXIST, "the bucket exists", path)
        self.mkdir(path, create_parents=True)

    def rmdir(self, path: str) -> None:
        """Delete an empty bucket (``OSError`` when it is not empty); deeper paths are key
        prefixes and vanish with their objects."""
        bucket, key = self._split(path)
        if not key:
            with _os_errors(path):
                self.cloud.delete_bucket(bucket)

    def invalidate_cache(self, path: str | None = None) -> None:
        """Nothing is cached: every listing asks the provider."""

    def close(self) -> None:
        """Close the provider connection."""
        self.cloud.close()
