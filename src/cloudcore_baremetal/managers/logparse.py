"""Parsing of the time-stamped log lines ``run.sh`` writes under supervisord."""

from __future__ import annotations

from datetime import datetime

from cloudcore.models import LogEntry

__all__ = ["parse_stamped"]


def parse_stamped(text: str, since: datetime | None, host: str) -> list[LogEntry]:
    """Parse ``tail -v`` output of stamped lines (``2026-01-01T00:00:00.000000Z message``)."""
    source = host
    out: list[LogEntry] = []
    for line in text.splitlines():
        if line.startswith("==> ") and line.endswith(" <=="):
            name = line[4:-4].rsplit("/", 1)[-1]
            source = f"{host}/{name.removesuffix('.log')}"
            continue
        stamp, _, message = line.partition(" ")
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.tzinfo is None or (since is not None and when < since):
            continue
        out.append(LogEntry(time=when, message=message, source=source))
    return out
