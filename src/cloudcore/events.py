"""Observation events: one per protocol operation, one per wire-level API call.

Both are delivered through the pluggy hooks ``cloudcore_operation`` and ``cloudcore_api_call``
(see :mod:`cloudcore.hookspecs`). They never carry a secret value: only provider, operation,
resource name, timing and outcome. :func:`record` collects them, which is how the conformance
suite and the benchmarks count calls::

    with cloudcore.record() as rec:
        cloud.deploy_service("api", config)
    assert rec.mutating_calls() == []
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ApiCallEvent", "OperationEvent", "Recorder", "emit_api_call", "record"]


@dataclass(frozen=True, slots=True)
class OperationEvent:
    """One protocol operation, emitted when it ends.

    Attributes:
        provider: Driver name.
        operation: Protocol method (``"deploy_service"``).
        resource: cloudcore name of the resource, if any (never a secret value).
        duration: Seconds, including retries.
        outcome: ``"ok"`` or the error kind (``"NotFound"``).
        attempts: How many times the core ran it (retries + 1).
    """

    provider: str
    operation: str
    resource: str | None
    duration: float
    outcome: str
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class ApiCallEvent:
    """One call on the wire (an HTTP request, an SSH exec, a memory-driver primitive).

    Attributes:
        provider: Driver name.
        service: Provider service (``"ecs"``, ``"dns"``, ``"ssh"``).
        operation: The API operation (``"UpdateService"``, ``"PUT /zones/{id}/dns_records"``).
        mutating: Whether the call writes.
        status: HTTP status or exit code, if known.
    """

    provider: str
    service: str
    operation: str
    mutating: bool
    status: int | None = None


def _hook() -> Any:
    from .registry import plugin_manager

    return plugin_manager().hook


def emit_api_call(
    provider: str, service: str, operation: str, *, mutating: bool, status: int | None = None
) -> None:
    """Report one wire-level call to every ``cloudcore_api_call`` hook implementation.

    Drivers call this from their SDK's request hooks (botocore events, httpx event hooks, SSH
    exec), so calls are counted where they really happen.
    """
    _hook().cloudcore_api_call(event=ApiCallEvent(provider, service, operation, mutating, status))


@dataclass
class Recorder:
    """Collects observation events while registered (see :func:`record`)."""

    operations: list[OperationEvent] = field(default_factory=list)
    api_calls: list[ApiCallEvent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def cloudcore_operation(self, event: OperationEvent) -> None:
        with self._lock:
            self.operations.append(event)

    def cloudcore_api_call(self, event: ApiCallEvent) -> None:
        with self._lock:
            self.api_calls.append(event)

    def mutating_calls(self, provider: str | None = None) -> list[ApiCallEvent]:
        """The recorded API calls that write, optionally for one provider only."""
        with self._lock:
            return [
                c
                for c in self.api_calls
                if c.mutating and (provider is None or c.provider == provider)
            ]

    def calls(self, operation: str | None = None) -> list[ApiCallEvent]:
        """The recorded API calls, optionally only those of one API operation."""
        with self._lock:
            return [c for c in self.api_calls if operation is None or c.operation == operation]

    def clear(self) -> None:
        """Forget what was recorded so far."""
        with self._lock:
            self.operations.clear()
            self.api_calls.clear()


@contextmanager
def record() -> Iterator[Recorder]:
    """Record every observation event (from every thread) while the block runs."""
    from .hookspecs import hookimpl
    from .registry import plugin_manager

    recorder = Recorder()

    class _Plugin:
        @hookimpl
        def cloudcore_operation(self, event: OperationEvent) -> None:
            recorder.cloudcore_operation(event)

        @hookimpl
        def cloudcore_api_call(self, event: ApiCallEvent) -> None:
            recorder.cloudcore_api_call(event)

    pm = plugin_manager()
    plugin = _Plugin()
    pm.register(plugin)
    try:
        yield recorder
    finally:
        pm.unregister(plugin)
