"""Caches on Memorystore for Redis.

One instance per cloudcore cache. Its id is the cloudcore name, or, for names Memorystore refuses
(over 40 characters, or ending in ``-``), a shortened one with a hash suffix
(:func:`._mapping.provider_id`); the ``cloudcore-name`` label and the display name keep the name.
``version`` maps to the documented ``redisVersion`` values (``"7"`` → ``REDIS_7_0``, ``"6"`` →
``REDIS_6_X``; others refused before any call). ``high_availability`` → tier ``STANDARD_HA`` (a
replica in another zone with automatic failover), else ``BASIC``; ``tls`` →
``transitEncryptionMode=SERVER_AUTHENTICATION``; ``auth`` → ``authEnabled`` with the AUTH string
kept in Secret Manager as ``cache-<name>-auth``. Size classes map to ``memorySizeGb``
(``extras["memory_size_gb"]`` overrides).
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from cloudcore.errors import AlreadyExists, ConfigurationError
from cloudcore.models import CacheConfig, CacheEndpoint, SizeClass

from ._base import VERSION_LABEL, GCPBase, labels_for, managed, version_label
from ._mapping import CACHE_ID_LIMIT, provider_id, redis_version

__all__ = ["MEMORY_GB", "GCPCache"]

MEMORY_GB = {
    SizeClass.MICRO: 1,
    SizeClass.SMALL: 2,
    SizeClass.MEDIUM: 5,
    SizeClass.LARGE: 13,
    SizeClass.XLARGE: 26,
}
"""Portable size class → Memorystore ``memorySizeGb``."""

_BASIC, _STANDARD_HA = 1, 3
_TLS, _NO_TLS = 1, 2


def auth_secret(name: str) -> str:
    """The cloudcore secret key holding a cache's AUTH string."""
    return f"cache-{name}-auth"


class GCPCache(GCPBase):
    """The cache capability (Memorystore for Redis)."""

    def _cache_name(self, name: str) -> str:
        return f"{self.parent}/instances/{provider_id(name, CACHE_ID_LIMIT)}"

    def _find_cache(self, name: str) -> Any | None:
        from google.api_core import exceptions as gexc

        try:
            return self.clients.redis().get_instance(name=self._cache_name(name), **self.kw())
        except gexc.NotFound:
            return None

    def _cache_endpoint(self, name: str, inst: Any) -> CacheEndpoint:
        return CacheEndpoint(
            name=name,
            host=inst.host or "",
            port=inst.port or 6379,
            tls=int(inst.transit_encryption_mode) == _TLS,
            auth_secret=auth_secret(name) if inst.auth_enabled else None,
            status=type(inst.state)(inst.state).name,
            high_availability=int(inst.tier) == _STANDARD_HA,
            provider_id=inst.name,
        )

    def _cache_body(self, config: CacheConfig) -> dict[str, Any]:
        unknown = sorted(set(config.extras) - {"memory_size_gb"})
        if unknown:
            raise ConfigurationError(f"extras: unknown gcp cache options {unknown}")
        body: dict[str, Any] = {
            "display_name": config.name,
            "labels": {
                **labels_for(config.name, config.tags),
                VERSION_LABEL: version_label(config.version),
            },
            "tier": _STANDARD_HA if config.high_availability else _BASIC,
            "memory_size_gb": int(config.extras.get("memory_size_gb") or MEMORY_GB[config.size]),
            "auth_enabled": config.auth,
            "transit_encryption_mode": _TLS if config.tls else _NO_TLS,
        }
        version = redis_version(config.version)
        if version:
            body["redis_version"] = version
        return body

    def _ensure_auth_secret(self, name: str, inst: Any) -> None:
        from google.api_core import exceptions as gexc

        if not inst.auth_enabled:
            return
        try:
            self._get_secret(auth_secret(name), None)
            return
        except gexc.NotFound:
            pass
        auth = self.clients.redis().get_instance_auth_string(name=inst.name, **self.kw())
        self._store_secret(auth_secret(name), SecretStr(auth.auth_string))

    def _provision_cache(self, config: CacheConfig) -> CacheEndpoint:
        from google.cloud import redis_v1

        name = config.name
        body = self._cache_body(config)
        inst = self._find_cache(name)
        if inst is None:
            op = self.clients.redis().create_instance(
                parent=self.parent,
                instance_id=provider_id(name, CACHE_ID_LIMIT),
                instance=redis_v1.Instance(body),
                **self.kw(),
            )
            inst = self.wait_lro(op, f"Memorystore instance {name!r}")
        else:
            if not managed(inst.labels):
                raise AlreadyExists(
                    f"Memorystore instance {name!r} exists, not managed by cloudcore"
                )
            diffs = [
                what
                for what, have, want in (
                    ("high_availability", int(inst.tier), body["tier"]),
                    ("size", int(inst.memory_size_gb), body["memory_size_gb"]),
                    ("auth", bool(inst.auth_enabled), body["auth_enabled"]),
                    ("tls", int(inst.transit_encryption_mode), body["transit_encryption_mode"]),
                    ("version", inst.redis_version, body.get("redis_version", inst.redis_version)),
                )
                if have != want
            ]
            if diffs:
                raise AlreadyExists(
                    f"cache {name!r} exists with a different config ({', '.join(diffs)})"
                )
        self._ensure_auth_secret(name, inst)
        return self._cache_endpoint(name, inst)

    def _delete_cache(self, name: str) -> None:
        from google.api_core import exceptions as gexc

        inst = self._find_cache(name)
        if inst is None:
            return
        self.ensure_managed(inst.labels, f"Memorystore instance {name!r}")
        try:
            op = self.clients.redis().delete_instance(name=inst.name, **self.kw())
        except gexc.NotFound:
            return
        self.wait_lro(op, f"deletion of Memorystore instance {name!r}")
        if inst.auth_enabled:
            self._delete_secret(auth_secret(name))

    def managed_caches(self) -> list[Any]:
        """Every Memorystore instance in the region labelled ``managed-by=cloudcore``."""
        client = self.clients.redis()

        def fetch(token: str) -> tuple[list[Any], str]:
            pager = client.list_instances(
                request={"parent": self.parent, "page_token": token, "page_size": 100},
                **self.kw(),
            )
            return list(pager.instances), str(pager.next_page_token)

        return [i for i in self.pages(fetch) if managed(i.labels)]
