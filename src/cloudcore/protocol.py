"""The ``CloudProvider`` protocol: the flat methods every provider offers (DESIGN §2).

A provider that lacks a capability still has every method: calling it raises
:class:`~cloudcore.errors.Unsupported` with the reason. :class:`~cloudcore.provider.BaseProvider`
implements the protocol; drivers subclass it and fill in ``_``-prefixed methods. Each
capability's methods are declared in its own module of :mod:`cloudcore.provider`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from .capabilities import Capability
from .provider.cache import CacheProtocol
from .provider.compute import ComputeProtocol
from .provider.database import DatabaseProtocol
from .provider.discovery import DiscoveryProtocol
from .provider.dns import DNSProtocol
from .provider.jobs import JobsProtocol
from .provider.queues import QueuesProtocol
from .provider.secrets import SecretsProtocol
from .provider.storage import StorageProtocol
from .provider.waf import WAFProtocol

__all__ = ["CloudProvider"]


@runtime_checkable
class CloudProvider(
    ComputeProtocol,
    DatabaseProtocol,
    CacheProtocol,
    DNSProtocol,
    WAFProtocol,
    SecretsProtocol,
    StorageProtocol,
    QueuesProtocol,
    JobsProtocol,
    DiscoveryProtocol,
    Protocol,
):
    """One cloud (or a composition of several), managed through flat, synchronous methods."""

    @property
    def name(self) -> str: ...
    @property
    def region(self) -> str | None: ...
    @property
    def capabilities(self) -> frozenset[Capability]: ...
    @property
    def features(self) -> Mapping[Capability, frozenset[str]]: ...
    @property
    def readback_gaps(self) -> Mapping[str, str]: ...

    def supports(self, capability: Capability | str, feature: str | None = None) -> bool: ...
    def unsupported_reason(
        self, capability: Capability | str, feature: str | None = None
    ) -> str: ...

    # meta
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
