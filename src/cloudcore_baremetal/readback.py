"""Read-back on bare metal and ``local``: every resource's config from the state cloudcore
records on the host when it creates it (the same record deploys compare against), and the
endpoint it answers on. Reads files only: no command changes anything."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from cloudcore.errors import NotFound
from cloudcore.models import Cache, CacheConfig, Database, DatabaseConfig, ServiceConfig

if TYPE_CHECKING:
    from .provider import BaremetalProvider

__all__ = ["cache", "database", "service_config", "waf_targets"]


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def service_config(p: BaremetalProvider, name: str) -> ServiceConfig:
    """The config the service was deployed with; ``replicas`` is the live total (what a
    ``scale_service`` set), spread over the hosts."""
    found = p.compute._states(name)
    if not found:
        raise NotFound(f"no service named {name!r}")
    replicas = sum(int(st["replicas"]) for _, st in found)
    return ServiceConfig.model_validate({**found[0][1]["config"], "replicas": replicas})


def database(p: BaremetalProvider, name: str) -> Database:
    """The database's recorded config and endpoint (``NotFound`` while a restore is
    unfinished: it is not usable yet)."""
    st = p.databases.state(name)
    if st is None or st.get("restoring"):
        raise NotFound(f"no database named {name!r}")
    return Database(
        name=name,
        config=DatabaseConfig.model_validate(st["config"]),
        endpoint=p.databases._endpoint(st),
        status="available",
        created_at=_when(st.get("created_at")),
    )


def cache(p: BaremetalProvider, name: str) -> Cache:
    """The cache's recorded config and endpoint."""
    for st in p.caches.all_states():
        if st.get("name") == name:
            return Cache(
                name=name,
                config=CacheConfig.model_validate(st["config"]),
                endpoint=p.caches._endpoint(st),
                status="available",
                created_at=_when(st.get("created_at")),
            )
    raise NotFound(f"no cache named {name!r}")


def waf_targets(p: BaremetalProvider) -> list[str | None]:
    """Targets with rules: ``None`` for the rule set protecting every service."""
    keys = sorted({key for _, key, count in p.firewall.all_targets() if count})
    return [None if key == "*" else key for key in keys]
