"""The memory driver's state: plain JSON-able dicts, thread-safe, optionally shared through a file.

With ``state_file`` set, every operation takes an exclusive ``flock`` on ``<file>.lock``, reloads
the file if another process changed it, and writes it back atomically (0600, rename) when the
operation changed anything. Separate CLI invocations therefore see one state.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["MemoryState", "empty_state"]

SECTIONS = (
    "services",
    "databases",
    "backups",
    "caches",
    "zones",
    "waf",
    "secrets",
    "buckets",
    "counters",
)


def empty_state() -> dict[str, Any]:
    """A fresh, empty state."""
    return {section: {} for section in SECTIONS}


class MemoryState:
    """Holds the state; :meth:`open` gives exclusive access to it for one operation.

    Args:
        path: JSON file shared by processes, or ``None`` for this process only.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._lock = threading.RLock()
        self._path = Path(path) if path is not None else None
        self._data = empty_state()
        self._stamp: tuple[int, int] | None = None
        self._depth = 0
        self._snapshot: dict[str, Any] | None = None
        self._dirty = False
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def path(self) -> Path | None:
        """The shared file, if any."""
        return self._path

    @contextlib.contextmanager
    def open(self) -> Iterator[dict[str, Any]]:
        """Exclusive access to the state dict; changes are saved on exit (if file-backed).

        On an exception the in-memory state is rolled back to what it was, so a failed
        operation leaves nothing half-done.
        """
        with self._lock:
            self._depth += 1
            outer = self._depth == 1
            lock_fd = self._acquire_file() if outer else None
            try:
                if outer:
                    self._dirty = False
                    self._snapshot = None
                    self._reload()
                yield self._data
                if outer and self._dirty:
                    self._save()
            except BaseException:
                if outer and self._snapshot is not None:
                    self._data = self._snapshot
                raise
            finally:
                if outer:
                    self._snapshot = None
                self._depth -= 1
                if lock_fd is not None:
                    fcntl.flock(lock_fd, fcntl.LOCK_UN)
                    os.close(lock_fd)

    def mark_dirty(self) -> None:
        """Called before the first change of an operation: keeps a copy to roll back to."""
        if not self._dirty:
            self._snapshot = copy.deepcopy(self._data)
            self._dirty = True

    def _acquire_file(self) -> int | None:
        if self._path is None:
            return None
        fd = os.open(str(self._path) + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    def _file_stamp(self) -> tuple[int, int] | None:
        assert self._path is not None
        try:
            st = self._path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _reload(self) -> None:
        if self._path is None:
            return
        stamp = self._file_stamp()
        if stamp is None:
            self._data = empty_state()
        elif stamp != self._stamp:
            loaded = json.loads(self._path.read_text())
            data = empty_state()
            data.update({k: v for k, v in loaded.items() if k in SECTIONS})
            self._data = data
        self._stamp = stamp

    def _save(self) -> None:
        if self._path is None:
            return
        text = json.dumps(self._data, sort_keys=True, separators=(",", ":"))
        tmp = self._path.with_name(self._path.name + ".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, self._path)
        self._stamp = self._file_stamp()

    def next_id(self, data: dict[str, Any], counter: str) -> int:
        """Increment and return a named counter inside ``data`` (call within :meth:`open`)."""
        counters: dict[str, int] = data["counters"]
        counters[counter] = counters.get(counter, 0) + 1
        return counters[counter]
