"""The ``cache`` capability: Redis caches.

Protocol (:class:`CacheProtocol`), implementation on the base provider with the driver hooks
(:class:`CacheMethods`), and composition routing (:class:`CacheRouting`).
"""

from __future__ import annotations

from typing import Protocol

from ..capabilities import Capability
from ..models import Cache, CacheConfig, CacheEndpoint, validate_name
from ._core import ProviderCore, RouterCore, coerce

__all__ = ["CacheMethods", "CacheProtocol", "CacheRouting"]

C = Capability.CACHE


class CacheProtocol(Protocol):
    """Managed Redis."""

    def provision_cache(self, config: CacheConfig) -> CacheEndpoint: ...
    def delete_cache(self, name: str) -> None: ...
    def get_cache(self, name: str) -> Cache: ...


class CacheMethods(ProviderCore):
    """``cache`` on a driver: public methods, then the ``_`` hooks a driver implements."""

    def provision_cache(self, config: CacheConfig) -> CacheEndpoint:
        """Create the cache (or return it when it exists with the same config)."""
        self.require(C)
        config = coerce(CacheConfig, config, "config")
        feats: list[str] = [config.engine]
        feats += ["high_availability"] if config.high_availability else []
        feats += ["tls"] if config.tls else []
        feats += ["auth"] if config.auth else []
        self.require(C, *feats)
        return self._invoke("provision_cache", config.name, lambda: self._provision_cache(config))

    def delete_cache(self, name: str) -> None:
        """Delete a cache; succeeds when already gone."""
        self.require(C)
        name = validate_name(name)
        self._invoke("delete_cache", name, lambda: self._delete_cache(name))

    def get_cache(self, name: str) -> Cache:
        """The cache with the config it was provisioned with, read back, and its endpoint:
        ``provision_cache(cache.config)`` is a no-op. Read-only.

        Raises:
            NotFound: no such cache.
        """
        self.require(C)
        name = validate_name(name)
        return self._invoke("get_cache", name, lambda: self._get_cache(name))

    # ------------------------------------------------------- driver hooks
    def _provision_cache(self, config: CacheConfig) -> CacheEndpoint:
        """Create the cache, or return it when it exists with the same config."""
        self._missing("cache", "_provision_cache")

    def _delete_cache(self, name: str) -> None:
        """Delete; return quietly when already gone."""
        self._missing("cache", "_delete_cache")

    def _get_cache(self, name: str) -> Cache:
        """Read the cache back (``NotFound`` when absent). No writes."""
        self._missing("cache", "_get_cache")


class CacheRouting(RouterCore):
    """``cache`` in a composition."""

    def provision_cache(self, config: CacheConfig) -> CacheEndpoint:
        return self._route(C).provision_cache(config)

    def delete_cache(self, name: str) -> None:
        self._route(C).delete_cache(name)

    def get_cache(self, name: str) -> Cache:
        return self._route(C).get_cache(name)
