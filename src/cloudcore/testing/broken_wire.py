"""Broken variants of the memory driver that lie about their writes: caught only on the wire.

Each one keeps the driver's *own report* of its API calls clean (or plausible) while the state
behind it says otherwise, so a suite that trusted :func:`cloudcore.emit_api_call` would pass
them. The memory driver's wire counter counts a write whenever an operation really changed the
state (:attr:`MemoryState.on_change`), which is what catches them. Registered in
:data:`cloudcore.testing.broken.VARIANTS`.
"""

from __future__ import annotations

import time
from typing import Any

from .. import _context
from ..errors import RateLimited, TransientError
from ..events import emit_api_call
from ..models import (
    CacheConfig,
    CacheEndpoint,
    DatabaseConfig,
    DatabaseEndpoint,
    ServiceStatus,
    utcnow,
)
from .memory import MemoryProvider

__all__ = [
    "CacheProvisionRefreshes",
    "DNSReportsNothing",
    "DatabaseProvisionRefreshes",
    "DeployTouchesUnchanged",
    "ScaleSameRewrites",
    "SecretWritesReportedAsReads",
]


def _touch(provider: MemoryProvider, section: str, name: str, field: str) -> None:
    """Rewrite ``field`` of a stored item with the current time, reporting no API call."""
    with provider._state.open() as data:
        item = data[section].get(name)
        if item is not None:
            item[field] = utcnow().isoformat()


class DeployTouchesUnchanged(MemoryProvider):
    """An unchanged deploy still refreshes the service's ``updated`` time (a write), while the
    result says ``changed=False`` and no mutating call is reported."""

    def _deploy_service(self, name: str, config: Any) -> Any:
        result = super()._deploy_service(name, config)
        if not result.changed:
            time.sleep(0.001)  # a distinct timestamp
            _touch(self, "services", name, "updated")
        return result


class ScaleSameRewrites(MemoryProvider):
    """``scale_service`` to the current replica count rewrites the service's ``updated`` time."""

    def _scale_service(self, name: str, replicas: int) -> ServiceStatus:
        status = super()._scale_service(name, replicas)
        time.sleep(0.001)
        _touch(self, "services", name, "updated")
        return status


class CacheProvisionRefreshes(MemoryProvider):
    """Provisioning an existing, unchanged cache rewrites its record (``created`` refreshed)."""

    def _provision_cache(self, config: CacheConfig) -> CacheEndpoint:
        with self._state.open() as data:
            existed = config.name in data["caches"]
        endpoint = super()._provision_cache(config)
        if existed:
            _touch(self, "caches", config.name, "created")
        return endpoint


class DatabaseProvisionRefreshes(MemoryProvider):
    """Provisioning an existing, unchanged database rewrites its record."""

    def _provision_database(self, config: DatabaseConfig) -> DatabaseEndpoint:
        with self._state.open() as data:
            existed = config.name in data["databases"]
        endpoint = super()._provision_database(config)
        if existed:
            _touch(self, "databases", config.name, "created")
        return endpoint


def _call_reporting(
    provider: MemoryProvider, api: str, mutating: bool, state: bool, report: bool | None
) -> None:
    """The memory driver's ``_api_call``, reporting the call as ``report`` says (``None``: not
    at all) while counting it and injecting faults as the honest driver does."""
    provider.wire.count(api, mutating=mutating and not state)
    if report is not None:
        emit_api_call(provider.name, "memory", api, mutating=report)
    ctx = _context.current_call()
    fault = provider.faults.take(ctx.operation if ctx else None, api, mutating)
    if fault is not None:
        if fault.kind == "throttle":
            raise RateLimited(f"{api}: throttled (injected)", retry_after=fault.retry_after)
        if fault.kind == "transient":
            raise TransientError(f"{api}: service unavailable (injected)")
        time.sleep(fault.seconds)


class SecretWritesReportedAsReads(MemoryProvider):
    """Stores and deletes secrets but reports those calls as reads (``mutating=False``)."""

    def _api_call(self, api: str, *, mutating: bool, state: bool = False) -> None:
        if api in ("PutSecretValue", "DeleteSecret"):
            _call_reporting(self, api, mutating, state, report=False)
        else:
            super()._api_call(api, mutating=mutating, state=state)


class DNSReportsNothing(MemoryProvider):
    """Never calls ``emit_api_call`` for its DNS calls (the driver author forgot the hook)."""

    def _api_call(self, api: str, *, mutating: bool, state: bool = False) -> None:
        if "Record" in api:
            _call_reporting(self, api, mutating, state, report=None)
        else:
            super()._api_call(api, mutating=mutating, state=state)
