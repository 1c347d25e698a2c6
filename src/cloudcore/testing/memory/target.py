"""The memory driver's test target: a fresh provider with its fault injector, wire counter and
data probes (databases; buckets it does not manage; corrupted object bytes)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ...models import DatabaseEndpoint
from ..faults import attach
from ..probes import attach_bucket_seeder, attach_corrupter, attach_probe
from ..queue_probes import attach_clock, attach_job_scripter, attach_queue_seeder
from ..wire import attach_wire_counter
from .provider import MemoryProvider

__all__ = [
    "MemoryProbe",
    "MemoryQueueProbe",
    "MemoryStorageProbe",
    "attach_queue_probes",
    "memory_target",
]


class MemoryProbe:
    """Reads and writes marker rows in memory databases."""

    def __init__(self, provider: MemoryProvider) -> None:
        self._provider = provider

    def write_marker(self, endpoint: DatabaseEndpoint, marker: str) -> None:
        self._provider.insert_rows(endpoint.name, "markers", [{"marker": marker}])

    def read_markers(self, endpoint: DatabaseEndpoint) -> list[str]:
        return [str(r["marker"]) for r in self._provider.read_rows(endpoint.name, "markers")]


class MemoryStorageProbe:
    """Seeds buckets cloudcore does not manage and corrupts stored bytes (the storage suite's
    :class:`~cloudcore.testing.probes.BucketSeeder` and ``ObjectCorrupter``)."""

    def __init__(self, provider: MemoryProvider) -> None:
        self._provider = provider

    def create_unmanaged_bucket(self, name: str, objects: Mapping[str, bytes]) -> None:
        self._provider.seed_bucket(name, dict(objects))

    def read_unmanaged_bucket(self, name: str) -> dict[str, bytes] | None:
        return self._provider.bucket_contents(name)

    def remove_unmanaged_bucket(self, name: str) -> None:
        self._provider.remove_bucket(name)

    def corrupt_object(self, bucket: str, key: str, *, truncate: bool = False) -> None:
        self._provider.corrupt_object(bucket, key, truncate=truncate)


class MemoryQueueProbe:
    """Seeds queues cloudcore does not manage and scripts job exit codes (the queue and job
    suites' :class:`~cloudcore.testing.queue_probes.QueueSeeder` and ``JobScripter``)."""

    def __init__(self, provider: MemoryProvider) -> None:
        self._provider = provider

    def create_unmanaged_queue(self, name: str, bodies: list[bytes]) -> None:
        self._provider.seed_queue(name, list(bodies))

    def read_unmanaged_queue(self, name: str) -> list[bytes] | None:
        return self._provider.queue_bodies(name)

    def remove_unmanaged_queue(self, name: str) -> None:
        self._provider.remove_queue(name)

    def script_exits(self, job: str, exit_codes: list[int]) -> None:
        self._provider.script_job(job, exit_codes)


def attach_queue_probes(provider: MemoryProvider) -> None:
    """Attach the clock, queue seeder and job scripter of a memory provider."""
    attach_clock(provider, provider.clock)
    probe = MemoryQueueProbe(provider)
    attach_queue_seeder(provider, probe)
    attach_job_scripter(provider, probe)


def attach_memory_probes(provider: MemoryProvider) -> None:
    """Attach the fault injector, wire counter and data probes of a memory provider."""
    attach(provider, provider.faults)
    attach_wire_counter(provider, provider.wire)
    attach_probe(provider, MemoryProbe(provider))
    storage = MemoryStorageProbe(provider)
    attach_bucket_seeder(provider, storage)
    attach_corrupter(provider, storage)
    attach_queue_probes(provider)


@contextmanager
def memory_target(**options: Any) -> Iterator[MemoryProvider]:
    """Yield a fresh :class:`MemoryProvider` (options as its constructor takes them)."""
    options.setdefault("zones", ("example.com", "example.org"))
    options.setdefault("page_size", 10)
    options.setdefault("retry", {"initial_delay": 0.01, "max_delay": 0.05, "jitter": 0.0})
    options.setdefault("multipart_threshold", 64 * 1024)
    provider = MemoryProvider(**options)
    attach_memory_probes(provider)
    try:
        yield provider
    finally:
        provider.close()
