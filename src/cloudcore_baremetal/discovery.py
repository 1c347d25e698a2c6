"""Discovery: resources from the state kept on the hosts, checked against what really runs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from cloudcore.capabilities import Capability
from cloudcore.models import (
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    NAME_TAG_KEY,
    Resource,
    ResourceType,
    resource_id,
)
from cloudcore.provider._queue_discovery import queue_and_job_resources

if TYPE_CHECKING:
    from .provider import BaremetalProvider

__all__ = ["list_resources"]

T = ResourceType


def _tags(name: str, user: dict[str, str] | None = None) -> dict[str, str]:
    return {**(user or {}), MANAGED_BY_KEY: MANAGED_BY_VALUE, NAME_TAG_KEY: name}


def list_resources(p: BaremetalProvider, rtype: ResourceType | None) -> list[Resource]:
    """Every managed resource (of one type when given)."""
    out: list[Resource] = []

    def want(t: ResourceType, cap: Capability) -> bool:
        return (rtype is None or rtype == t) and cap in p.capabilities

    def rid(t: ResourceType, name: str) -> str:
        return resource_id(p.name, p.region, t, name)

    if want(T.SERVICE, Capability.COMPUTE):
        for s in p.compute.summaries():
            states = [st for _, st in p.compute.all_states() if st["name"] == s.name]
            cfg = states[0]["config"] if states else {}
            port = cfg.get("port")
            hosts = sorted({st["host"] for st in states})
            out.append(
                Resource(
                    id=rid(T.SERVICE, s.name),
                    type=T.SERVICE,
                    provider=p.name,
                    region=p.region,
                    name=s.name,
                    state=s.state.value,
                    endpoints=tuple(
                        f"http://{h.address}:{port}"
                        for h in p.inventory.hosts
                        if port and h.name in hosts
                    ),
                    tags=_tags(s.name, cfg.get("tags")),
                    operations=(
                        "deploy_service",
                        "scale_service",
                        "get_service_status",
                        "get_logs",
                        "delete_service",
                    ),
                    attributes={"revision": s.revision, "replicas": s.replicas, "hosts": hosts},
                    provider_id=p.compute.prog_name(s.name),
                    created_at=datetime.fromisoformat(states[0]["created_at"]) if states else None,
                )
            )
    if want(T.DATABASE, Capability.DATABASE) or want(T.BACKUP, Capability.DATABASE):
        dbs = p.databases.all_states()
        live = p.databases.existing() if dbs and want(T.DATABASE, Capability.DATABASE) else set()
        if want(T.DATABASE, Capability.DATABASE):
            for st in dbs:
                ep = p.databases._endpoint(st)
                out.append(
                    Resource(
                        id=rid(T.DATABASE, st["name"]),
                        type=T.DATABASE,
                        provider=p.name,
                        region=p.region,
                        name=st["name"],
                        state="available" if st["database"] in live else "missing",
                        endpoints=(f"postgresql://{ep.host}:{ep.port}/{ep.database}",),
                        tags=_tags(st["name"], st["config"].get("tags")),
                        operations=("backup_database", "list_backups", "delete_database"),
                        attributes={
                            "database": ep.database,
                            "username": ep.username,
                            "password_secret": ep.password_secret,
                        },
                        provider_id=ep.provider_id,
                        created_at=datetime.fromisoformat(st["created_at"]),
                    )
                )
        if want(T.BACKUP, Capability.DATABASE):
            for b in p.databases.all_backups():
                out.append(
                    Resource(
                        id=rid(T.BACKUP, b.id),
                        type=T.BACKUP,
                        provider=p.name,
                        region=p.region,
                        name=b.id,
                        state=b.status,
                        tags=_tags(b.id),
                        relationships=(rid(T.DATABASE, b.database),),
                        operations=("restore_database",),
                        attributes={"size_bytes": b.size_bytes, "checksum": b.checksum},
                        provider_id=b.id,
                        created_at=b.created_at,
                    )
                )
    if want(T.CACHE, Capability.CACHE):
        for st in p.caches.all_states():
            cep = p.caches._endpoint(st)
            out.append(
                Resource(
                    id=rid(T.CACHE, st["name"]),
                    type=T.CACHE,
                    provider=p.name,
                    region=p.region,
                    name=st["name"],
                    state="available" if p.caches.running(st["name"]) else "stopped",
                    endpoints=(f"redis://{cep.host}:{cep.port}",),
                    tags=_tags(st["name"], st["config"].get("tags")),
                    operations=("provision_cache", "delete_cache"),
                    attributes={"port": cep.port, "auth_secret": cep.auth_secret},
                    provider_id=cep.provider_id,
                    created_at=datetime.fromisoformat(st["created_at"]),
                )
            )
    if want(T.SECRET, Capability.SECRETS):
        for key in p.secret_store.names():
            out.append(
                Resource(
                    id=rid(T.SECRET, key),
                    type=T.SECRET,
                    provider=p.name,
                    region=p.region,
                    name=key,
                    state="available",
                    tags=_tags(key),
                    operations=("get_secret", "store_secret", "delete_secret"),
                    provider_id=f"{p.secret_store.host.name}:{key}",
                )
            )
    if want(T.BUCKET, Capability.STORAGE):
        for bkt in p.objects.list_buckets():  # managed ones only
            out.append(
                Resource(
                    id=rid(T.BUCKET, bkt.name),
                    type=T.BUCKET,
                    provider=p.name,
                    region=p.region,
                    name=bkt.name,
                    state="available",
                    tags=_tags(bkt.name, dict(bkt.config.tags)),
                    operations=("put_object", "get_object", "list_objects", "delete_bucket"),
                    provider_id=f"{p.objects.host.name}:{bkt.name}",
                    attributes={
                        "versioning": bkt.config.versioning,
                        "public_read": bkt.config.public_read,
                    },
                )
            )
    if want(T.WAF_POLICY, Capability.WAF):
        seen: set[str] = set()
        for _host, target, count in p.firewall.all_targets():
            name = target if target != "*" else "all-services"
            if name in seen:
                continue
            seen.add(name)
            out.append(
                Resource(
                    id=rid(T.WAF_POLICY, name),
                    type=T.WAF_POLICY,
                    provider=p.name,
                    region=p.region,
                    name=name,
                    state="active",
                    tags=_tags(name),
                    operations=("configure_waf", "get_waf_rules"),
                    attributes={"rules": count, "table": "inet cloudcore"},
                )
            )
    out.extend(queue_and_job_resources(p, rtype))
    return out
