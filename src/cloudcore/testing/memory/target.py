"""The memory driver's test target: a fresh provider with its fault injector and data probe."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ...models import DatabaseEndpoint
from ..faults import attach
from ..probes import attach_probe
from .provider import MemoryProvider

__all__ = ["MemoryProbe", "memory_target"]


class MemoryProbe:
    """Reads and writes marker rows in memory databases."""

    def __init__(self, provider: MemoryProvider) -> None:
        self._provider = provider

    def write_marker(self, endpoint: DatabaseEndpoint, marker: str) -> None:
        self._provider.insert_rows(endpoint.name, "markers", [{"marker": marker}])

    def read_markers(self, endpoint: DatabaseEndpoint) -> list[str]:
        return [str(r["marker"]) for r in self._provider.read_rows(endpoint.name, "markers")]


@contextmanager
def memory_target(**options: Any) -> Iterator[MemoryProvider]:
    """Yield a fresh :class:`MemoryProvider` (options as its constructor takes them)."""
    options.setdefault("zones", ("example.com", "example.org"))
    options.setdefault("page_size", 10)
    options.setdefault("retry", {"initial_delay": 0.01, "max_delay": 0.05, "jitter": 0.0})
    provider = MemoryProvider(**options)
    attach(provider, provider.faults)
    attach_probe(provider, MemoryProbe(provider))
    try:
        yield provider
    finally:
        provider.close()
