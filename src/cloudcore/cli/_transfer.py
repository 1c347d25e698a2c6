"""Transfer progress for ``cloudcore storage cp``: a rich bar (bytes, rate, time left) when
stderr is a terminal, plain timestamped lines when it is not (a log, a pipe, CI)."""

from __future__ import annotations

import io
import sys
import time
from datetime import UTC, datetime
from typing import IO, Any, Protocol

__all__ = ["Progress", "ProgressReader", "human_bytes", "progress_for"]

LINE_EVERY = 2.0
"""Seconds between two plain progress lines."""


def human_bytes(n: float) -> str:
    """``5.0 MiB``: binary units, one decimal."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover - the loop returns


class Progress(Protocol):
    """What a transfer reports to."""

    def phase(self, what: str) -> None:
        """Start a new pass over the data (``hash``, ``upload``, ``download``)."""

    def advance(self, n: int) -> None:
        """``n`` more bytes done in this pass."""

    def finish(self) -> None:
        """The transfer ended (successfully)."""


class _Lines:
    """Plain lines on stderr: one per phase, one every :data:`LINE_EVERY` seconds, one at the end."""

    def __init__(self, label: str, total: int | None, stream: IO[str]) -> None:
        self._label, self._total, self._out = label, total, stream
        self._what = "transfer"
        self._done = 0
        self._start = self._last = time.monotonic()

    def _line(self, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"{stamp} {self._what} {self._label}: {text}", file=self._out, flush=True)

    def _state(self) -> str:
        took = max(time.monotonic() - self._start, 1e-9)
        of = f" of {human_bytes(self._total)}" if self._total is not None else ""
        pct = f" ({100 * self._done // self._total}%)" if self._total else ""
        return f"{human_bytes(self._done)}{of}{pct}, {human_bytes(self._done / took)}/s"

    def phase(self, what: str) -> None:
        self._what, self._done = what, 0
        self._start = self._last = time.monotonic()
        size = human_bytes(self._total) if self._total is not None else "unknown size"
        self._line(f"started ({size})")

    def advance(self, n: int) -> None:
        self._done += n
        now = time.monotonic()
        if now - self._last >= LINE_EVERY:
            self._last = now
            self._line(self._state())

    def finish(self) -> None:
        took = time.monotonic() - self._start
        self._line(f"done, {self._state()} in {took:.1f} s")


class _Bar:
    """A rich progress bar on stderr."""

    def __init__(self, label: str, total: int | None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._label = label
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._total = total
        self._task: Any = None
        self._progress.start()

    def phase(self, what: str) -> None:
        if self._task is not None:
            self._progress.update(self._task, visible=False)
        self._task = self._progress.add_task(f"{what} {self._label}", total=self._total)

    def advance(self, n: int) -> None:
        self._progress.advance(self._task, n)

    def finish(self) -> None:
        self._progress.stop()


def progress_for(label: str, total: int | None, *, quiet: bool = False) -> Progress:
    """A bar on a terminal, plain lines otherwise (``quiet``: lines, also on a terminal)."""
    if not quiet and sys.stderr.isatty():
        return _Bar(label, total)
    return _Lines(label, total, sys.stderr)


class ProgressReader(io.RawIOBase):
    """A seekable binary file that reports what is read from it. ``put_object`` reads a file
    twice (once to hash it, once to upload it): each pass from the start is its own phase."""

    def __init__(self, inner: IO[bytes], progress: Progress) -> None:
        self._inner = inner
        self._progress = progress
        self._passes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._inner.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._inner.seek(offset, whence)

    def readinto(self, buffer: Any) -> int:
        if self._inner.tell() == 0:  # a new pass from the start
            self._passes += 1
            self._progress.phase("checksum" if self._passes == 1 else "upload")
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        if data:
            self._progress.advance(len(data))
        return len(data)
