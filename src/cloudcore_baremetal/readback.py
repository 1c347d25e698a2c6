"""Read-back on bare metal, from the state cloudcore keeps on the hosts and the service
manager's view of the running units. Reads only.

A service's config is the one its hosts' state records (the most recently written, when a
rollout stopped half-way), with ``replicas`` the total over the hosts that run it. A database's
and a cache's config is the one recorded when it was provisioned: ``version``, ``size`` and
``storage_gb`` of a database (and a cache's ``version``) are recorded, not enforced — the host
runs the PostgreSQL and Redis it has — so they read back as asked; ``readback_gaps`` is empty. A
cache's status is ``stopped`` when the manager does not report its Redis running.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from cloudcore.errors import NotFound
from cloudcore.models import Cache, CacheConfig, Database, DatabaseConfig, ServiceConfig

from ._state import read_one

if TYPE_CHECKING:
    from .provider import BaremetalProvider

__all__ = ["Readback"]


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


class Readback:
    """The read-back hooks of :class:`~cloudcore_baremetal.provider.BaremetalProvider`."""

    def __init__(self, provider: BaremetalProvider) -> None:
        self.p = provider

    def service_config(self, name: str) -> ServiceConfig:
        found = self.p.compute._states(name)
        if not found:
            raise NotFound(f"no service named {name!r}")
        latest = max((st for _, st in found), key=lambda st: str(st.get("updated_at", "")))
        total = sum(int(st.get("replicas", 0)) for _, st in found)
        return ServiceConfig.model_validate({**latest["config"], "replicas": total})

    def database(self, name: str) -> Database:
        st = self.p.databases.state(name)
        if st is None:
            raise NotFound(f"no database named {name!r}")
        return Database(
            name=name,
            config=DatabaseConfig.model_validate(st["config"]),
            endpoint=self.p.databases._endpoint(st),
            status="available",
            created_at=_when(st.get("created_at")),
        )

    def cache(self, name: str) -> Cache:
        caches = self.p.caches
        st = read_one(caches.host, f"caches/{name}/state.json")
        if st is None:
            raise NotFound(f"no cache named {name!r}")
        status = "available" if caches.running(name) else "stopped"
        return Cache(
            name=name,
            config=CacheConfig.model_validate(st["config"]),
            endpoint=caches._endpoint(st, status),
            status=status,
            created_at=_when(st.get("created_at")),
        )

    def waf_targets(self) -> list[str | None]:
        hosts = self.p.inventory.with_role("app")
        doc = read_one(hosts[0], "waf/rules.json") or {} if hosts else {}
        return [
            None if key == "*" else str(key)
            for key, entry in (doc.get("targets") or {}).items()
            if entry.get("rules")
        ]
