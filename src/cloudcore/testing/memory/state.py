"""The memory driver's state: plain JSON-able dicts, thread-safe, optionally shared through a file.

With ``state_file`` set, every operation takes an exclusive ``flock`` on ``<file>.lock``, reloads
the file if another process changed it, and writes it back atomically (0600, rename) when the
operation changed anything. Separate CLI invocations therefore see one state.

Whether another process changed the file is told by a change counter kept in the lock file and
read under the lock, never by timestamps: on filesystems with coarse modification times (1 s on
NFS and older kernels) two writes within one tick with equal sizes looked unchanged, and updates
were lost. The same counter keys :meth:`MemoryState.memo`, so a listing read page by page builds
its sorted items once, not once per page.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import os
import pickle
import threading
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["MemoryState", "empty_state"]

T = TypeVar("T")

SECTIONS = (
    "services",
    "databases",
    "backups",
    "caches",
    "zones",
    "waf",
    "secrets",
    "buckets",
    "queues",
    "jobs",
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
        self._file_generation: int | None = None
        self._lock_fd: int | None = None
        self.generation = 0
        """Bumped whenever the state may have changed (a write here, or a reload)."""
        self._memo: dict[Hashable, Any] = {}
        self._depth = 0
        self._snapshot: dict[str, Any] | None = None
        self._dirty = False
        self._before = b""
        self.on_change: Callable[[], None] | None = None
        """Called after an operation whose transaction really changed the state (compared
        byte for byte, whatever the operation claimed): the memory driver's wire counter."""
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
            if lock_fd is not None:
                self._lock_fd = lock_fd
            try:
                watch = outer and self.on_change is not None
                if outer:
                    self._dirty = False
                    self._snapshot = None
                    self._reload()
                self._before = pickle.dumps(self._data) if watch else b""
                yield self._data
                if outer and self._dirty:
                    self._save()
                changed = watch and pickle.dumps(self._data) != self._before
                if changed and self.on_change is not None:
                    self.on_change()
            except BaseException:
                if outer and self._snapshot is not None:
                    self._data = self._snapshot
                raise
            finally:
                if outer:
                    if self._dirty:
                        self._bump()
                    self._snapshot = None
                self._depth -= 1
                if lock_fd is not None:
                    self._lock_fd = None
                    fcntl.flock(lock_fd, fcntl.LOCK_UN)
                    os.close(lock_fd)

    def rebase(self) -> None:
        """What the stand-in itself did so far in this transaction (a scheduler firing on its
        clock) is not a request's write: the wire compares against the state from here on."""
        if self.on_change is not None and self._depth:
            self._before = pickle.dumps(self._data)

    def mark_dirty(self) -> None:
        """Called before the first change of an operation: keeps a copy to roll back to."""
        if not self._dirty:
            self._snapshot = copy.deepcopy(self._data)
            self._dirty = True
            self._bump()

    def _bump(self) -> None:
        self.generation += 1
        self._memo.clear()

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        """``build()``, computed once per state generation (call within :meth:`open`)."""
        hit = self._memo.get(key, _MISSING)
        if hit is _MISSING:
            hit = self._memo[key] = build()
        return hit  # type: ignore[no-any-return]

    def _acquire_file(self) -> int | None:
        if self._path is None:
            return None
        fd = os.open(str(self._path) + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    def _read_generation(self) -> int:
        assert self._lock_fd is not None
        raw = os.pread(self._lock_fd, 32, 0).strip()
        try:
            return int(raw) if raw else 0
        except ValueError:
            return -1  # unreadable: reload

    def _write_generation(self, generation: int) -> None:
        assert self._lock_fd is not None
        text = str(generation).encode()
        os.ftruncate(self._lock_fd, 0)
        os.pwrite(self._lock_fd, text, 0)

    def _reload(self) -> None:
        if self._path is None:
            return
        generation = self._read_generation()
        if generation == self._file_generation and generation >= 0:
            return
        try:
            text = self._path.read_text()
        except FileNotFoundError:
            self._data = empty_state()
        else:
            loaded = json.loads(text)
            data = empty_state()
            data.update({k: v for k, v in loaded.items() if k in SECTIONS})
            self._data = data
        self._file_generation = generation
        self._bump()

    def _save(self) -> None:
        if self._path is None:
            return
        text = json.dumps(self._data, sort_keys=True, separators=(",", ":"))
        # The counter moves first: a crash between the two makes readers reload an unchanged
        # file (harmless), never keep a stale copy of a changed one.
        generation = max(self._read_generation(), 0) + 1
        self._write_generation(generation)
        self._file_generation = generation
        tmp = self._path.with_name(self._path.name + ".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
            os.replace(tmp, self._path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def next_id(self, data: dict[str, Any], counter: str) -> int:
        """Increment and return a named counter inside ``data`` (call within :meth:`open`)."""
        counters: dict[str, int] = data["counters"]
        counters[counter] = counters.get(counter, 0) + 1
        return counters[counter]


_MISSING: Any = object()
