"""The migration journal: every step recorded durably before and after it runs.

A JSON-lines file, appended and fsynced per record, so a migration killed at any point (SIGKILL
included) resumes from the last completed step, and a finished migration reruns without writes.
A torn last line (the process died mid-write) is ignored.

For the kill tests, ``CLOUDCORE_MIGRATE_KILL_AFTER=N`` makes the process SIGKILL itself right
after the Nth record it writes (a failpoint; never set it in production).
"""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError

__all__ = ["KILL_ENV", "Journal"]

KILL_ENV = "CLOUDCORE_MIGRATE_KILL_AFTER"


class Journal:
    """Steps done and what they produced (e.g. a secret version's id on the target).

    Args:
        path: The journal file; created with mode 0600 when absent. ``None`` keeps it in memory.
        migration: Identifies the migration (source, target, stack); a journal of another
            migration is refused rather than resumed.
    """

    def __init__(self, path: str | os.PathLike[str] | None, migration: str) -> None:
        self.path = Path(path) if path is not None else None
        self.migration = migration
        self._done: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._written = 0
        kill = os.environ.get(KILL_ENV)
        self._kill_after = int(kill) if kill and kill.isdigit() else None
        if self.path is not None and self.path.exists():
            self._load()
        else:
            self._append({"migration": migration})

    def _load(self) -> None:
        assert self.path is not None
        lines = self.path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                if i == len(lines) - 1:
                    break  # torn last write
                raise ConfigurationError(
                    f"{self.path}: line {i + 1} is not a journal record", field="journal"
                ) from None
            if "migration" in rec:
                if rec["migration"] != self.migration:
                    raise ConfigurationError(
                        f"{self.path} is the journal of another migration "
                        f"({rec['migration']}); give a new --journal file",
                        field="journal",
                    )
                continue
            if rec.get("status") == "done":
                self._done[rec["step"]] = rec.get("data")

    def _append(self, rec: dict[str, Any]) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, (json.dumps(rec, sort_keys=True) + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        self._written += 1
        if self._kill_after is not None and self._written >= self._kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    def is_done(self, step: str) -> bool:
        with self._lock:
            return step in self._done

    def result(self, step: str) -> Any:
        with self._lock:
            return self._done.get(step)

    def begin(self, step: str) -> None:
        with self._lock:
            self._append({"step": step, "status": "started"})

    def done(self, step: str, data: Any = None) -> None:
        with self._lock:
            self._append({"step": step, "status": "done", "data": data})
            self._done[step] = data

    def steps_done(self) -> list[str]:
        with self._lock:
            return list(self._done)
