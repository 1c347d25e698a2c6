"""Broken read-back variants of the memory driver: each loses one thing on the way back.

Registered in :data:`cloudcore.testing.broken.VARIANTS` from :data:`READBACK_VARIANTS`.
"""

from __future__ import annotations

from ..models import Cache, Database, DNSZone, ServiceConfig
from .memory import MemoryProvider

__all__ = ["READBACK_VARIANTS"]


class ReadbackDropsEnv(MemoryProvider):
    """``get_service_config`` loses the environment variables."""

    def _get_service_config(self, name: str) -> ServiceConfig:
        return super()._get_service_config(name).model_copy(update={"env": {}})


class ReadbackDropsHealthCheckField(MemoryProvider):
    """``get_service_config`` reads the health check back without its grace period."""

    def _get_service_config(self, name: str) -> ServiceConfig:
        got = super()._get_service_config(name)
        if got.health_check is None:
            return got
        check = got.health_check.model_copy(update={"grace_seconds": 0})
        return got.model_copy(update={"health_check": check})


class ReadbackDropsRetention(MemoryProvider):
    """``get_database`` reports the default backup retention, whatever was asked."""

    def _get_database(self, name: str) -> Database:
        got = super()._get_database(name)
        config = got.config.model_copy(update={"backup_retention_days": 7})
        return got.model_copy(update={"config": config})


class ReadbackLeaksDefaults(MemoryProvider):
    """``get_cache`` fills in the provider's default version where none was asked (and the
    re-provision of what it read back is refused as a different config)."""

    def _get_cache(self, name: str) -> Cache:
        got = super()._get_cache(name)
        config = got.config.model_copy(update={"version": "7.2", "tags": {}})
        return got.model_copy(update={"config": config})


class ReadbackWrites(MemoryProvider):
    """``get_database`` "repairs" tags on the way, a write in a read-only call."""

    def _get_database(self, name: str) -> Database:
        with self._state.open():
            self._api("TagResource", mutating=True)
        return super()._get_database(name)


class ZonesForgotten(MemoryProvider):
    """``list_dns_zones`` lists only zones that hold records."""

    def _list_dns_zones(self) -> list[DNSZone]:
        return [z for z in super()._list_dns_zones() if z.records]


class WAFTargetsEmpty(MemoryProvider):
    """``list_waf_targets`` never lists the default target."""

    def _list_waf_targets(self) -> list[str | None]:
        return [t for t in super()._list_waf_targets() if t is not None]


READBACK_VARIANTS: dict[str, tuple[type[MemoryProvider], str, str, tuple[str, ...]]] = {
    "readback_drops_env": (
        ReadbackDropsEnv,
        "compute",
        "a service reads back as deployed",
        ("test_readback_service_round_trip",),
    ),
    "readback_drops_health_check_field": (
        ReadbackDropsHealthCheckField,
        "compute",
        "a service's health check reads back whole",
        ("test_readback_service_round_trip",),
    ),
    "readback_drops_retention": (
        ReadbackDropsRetention,
        "database",
        "a database reads back as provisioned",
        ("test_readback_database_round_trip",),
    ),
    "readback_leaks_defaults": (
        ReadbackLeaksDefaults,
        "cache",
        "provider defaults do not leak into the config read back",
        ("test_readback_cache_round_trip",),
    ),
    "readback_writes": (
        ReadbackWrites,
        "database",
        "read-back writes nothing",
        ("test_readback_database_round_trip",),
    ),
    "zones_forgotten": (
        ZonesForgotten,
        "dns",
        "every hosted zone is listed",
        ("test_readback_dns_zones",),
    ),
    "waf_default_target_unlisted": (
        WAFTargetsEmpty,
        "waf",
        "the default WAF target is listed when it holds rules",
        ("test_readback_waf_targets",),
    ),
}
"""Name to (class, capability, promise, the tests that must fail)."""
