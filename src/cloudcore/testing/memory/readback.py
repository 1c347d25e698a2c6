"""Memory read-back: every resource returns the config it was made with, losslessly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...errors import NotFound
from ...models import Cache, Database, DatabaseConfig, DNSZone, ServiceConfig
from ...models.data import CacheConfig
from .data import MemoryData


class MemoryReadback(MemoryData):
    """``get_service_config``, ``get_database``, ``get_cache``, ``list_dns_zones`` and
    ``list_waf_targets`` from the stored state (no gaps: ``readback_gaps`` is empty)."""

    def _get_service_config(self, name: str) -> ServiceConfig:
        def read(data: dict[str, Any]) -> ServiceConfig:
            svc = data["services"].get(name)
            if svc is None:
                raise NotFound(f"no service named {name!r}")
            # the replica count is the live one: scale_service changes what a redeploy keeps
            return ServiceConfig.model_validate({**svc["config"], "replicas": svc["replicas"]})

        return self._read("DescribeService", read)

    def _get_database(self, name: str) -> Database:
        def read(data: dict[str, Any]) -> Database:
            db = data["databases"].get(name)
            if db is None:
                raise NotFound(f"no database named {name!r}")
            return Database(
                name=name,
                config=DatabaseConfig.model_validate(db["config"]),
                endpoint=self._db_endpoint(name, db),
                status="available",
                created_at=datetime.fromisoformat(db["created"]),
            )

        return self._read("DescribeDatabase", read)

    def _get_cache(self, name: str) -> Cache:
        def read(data: dict[str, Any]) -> Cache:
            cache = data["caches"].get(name)
            if cache is None:
                raise NotFound(f"no cache named {name!r}")
            return Cache(
                name=name,
                config=CacheConfig.model_validate(cache["config"]),
                endpoint=self._cache_endpoint(name, cache),
                status="available",
                created_at=datetime.fromisoformat(cache["created"]),
            )

        return self._read("DescribeCache", read)

    def _list_dns_zones(self) -> list[DNSZone]:
        def read(data: dict[str, Any]) -> list[DNSZone]:
            return [
                DNSZone(
                    name=z, provider_id=f"memory:zone:{z}", records=len(data["zones"].get(z, {}))
                )
                for z in self._zones
            ]

        return self._read("ListZones", read)

    def _list_waf_targets(self) -> list[str | None]:
        def read(data: dict[str, Any]) -> list[str | None]:
            return [None if k == "default" else k for k, v in data["waf"].items() if v["rules"]]

        return self._read("ListWebACLs", read)
