"""Memory discovery: every managed resource, listed page by page."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from ...llm.schemas import METRICS_BY_TYPE, OPERATIONS_BY_TYPE
from ...models import MANAGED_BY_KEY, MANAGED_BY_VALUE, Resource, ResourceType, resource_id
from ...provider._queue_discovery import queue_and_job_resources
from ._core import MemoryCore
from .data import cache_auth_key, db_password_key

RT = ResourceType


class MemoryDiscovery(MemoryCore):
    """Lists services, databases, backups, caches, zones, records, WAF policies, secrets and
    buckets (managed ones; objects are data, not resources)."""

    def _rid(self, rtype: ResourceType, name: str) -> str:
        return resource_id(self.name, self._region, rtype, name)

    def _res(
        self,
        rtype: ResourceType,
        name: str,
        *,
        state: str = "available",
        tags: Mapping[str, str] | None = None,
        created: str | None = None,
        **extra: Any,
    ) -> Resource:
        return Resource(
            id=self._rid(rtype, name),
            type=rtype,
            provider=self.name,
            region=self._region,
            name=name,
            state=state,
            tags=self._tags(name.split("/")[0], tags),
            operations=OPERATIONS_BY_TYPE[rtype],
            metrics=METRICS_BY_TYPE.get(rtype, ()),
            created_at=datetime.fromisoformat(created) if created else None,
            **extra,
        )

    def _snapshot(self, data: dict[str, Any]) -> list[Resource]:
        out: list[Resource] = []
        for name, svc in sorted(data["services"].items()):
            cfg = svc["config"]
            refs = sorted({r["key"] for r in cfg.get("secrets", {}).values()})
            out.append(
                self._res(
                    RT.SERVICE,
                    name,
                    state="running" if svc["replicas"] else "stopped",
                    tags=cfg.get("tags"),
                    created=svc["created"],
                    endpoints=(f"http://{name}.memory.internal:{cfg['port']}",)
                    if cfg.get("port")
                    else (),
                    relationships=tuple(self._rid(RT.SECRET, k) for k in refs),
                    attributes={"revision": str(svc["revision"]), "replicas": svc["replicas"]},
                )
            )
        for name, db in sorted(data["databases"].items()):
            out.append(
                self._res(
                    RT.DATABASE,
                    name,
                    tags=db["config"].get("tags"),
                    created=db["created"],
                    endpoints=(f"postgresql://{name}.db.memory.internal:5432",),
                    relationships=(self._rid(RT.SECRET, db_password_key(name)),),
                    attributes={"size": db["config"]["size"], "engine": "postgres"},
                )
            )
        for bid, b in sorted(data["backups"].items(), key=lambda kv: kv[1]["seq"]):
            out.append(
                self._res(
                    RT.BACKUP,
                    bid,
                    created=b["created"],
                    relationships=(self._rid(RT.DATABASE, b["database"]),),
                    attributes={"database": b["database"], "size_bytes": b["size"]},
                )
            )
        for name, cache in sorted(data["caches"].items()):
            rel = (self._rid(RT.SECRET, cache_auth_key(name)),) if cache["config"]["auth"] else ()
            out.append(
                self._res(
                    RT.CACHE,
                    name,
                    tags=cache["config"].get("tags"),
                    created=cache["created"],
                    endpoints=(f"redis://{name}.cache.memory.internal:6379",),
                    relationships=rel,
                )
            )
        for zone in self._zones:
            out.append(self._res(RT.DNS_ZONE, zone))
            for key in sorted(data["zones"].get(zone, {})):
                rec = data["zones"][zone][key]
                out.append(
                    self._res(
                        RT.DNS_RECORD,
                        f"{rec['name']}/{rec['type']}",
                        relationships=(self._rid(RT.DNS_ZONE, zone),),
                        attributes={"ttl": rec["ttl"], "values": list(rec["values"])},
                    )
                )
        for target, policy in sorted(data["waf"].items()):
            out.append(
                self._res(
                    RT.WAF_POLICY,
                    target,
                    attributes={"rules": len(policy["rules"]), "version": policy["version"]},
                )
            )
        for key, entry in sorted(data["secrets"].items()):
            out.append(
                self._res(
                    RT.SECRET,
                    key,
                    created=entry["created"],
                    attributes={"versions": len(entry["versions"])},
                )
            )
        for name, entry in sorted(data["buckets"].items()):
            if entry["tags"].get(MANAGED_BY_KEY) != MANAGED_BY_VALUE:
                continue  # never a bucket cloudcore does not manage
            cfg = entry["config"]
            out.append(
                self._res(
                    RT.BUCKET,
                    name,
                    tags=cfg["tags"],
                    created=entry["created"],
                    attributes={
                        "versioning": cfg["versioning"],
                        "public_read": cfg["public_read"],
                        "lifecycle_rules": len(cfg["lifecycle"]),
                        "cors_origins": list(cfg["cors_origins"]),
                    },
                )
            )
        return out

    def _list_resources(
        self, type: ResourceType | None, tags: Mapping[str, str]
    ) -> Iterator[Resource]:
        want = dict(tags)

        def items(data: dict[str, Any]) -> list[Resource]:  # filtered here, as a tag API does
            return [
                r
                for r in self._snapshot(data)
                if (type is None or r.type == type)
                and all(r.tags.get(k) == v for k, v in want.items())
            ]

        yield from self._pages("ListResources", items, key=(type, tuple(sorted(want.items()))))
        for res in queue_and_job_resources(self, type):
            if all(res.tags.get(k) == v for k, v in want.items()):
                yield res
