"""Discovery: what carries ``managed-by=cloudcore``.

The Resource Groups Tagging API lists ECS services, RDS instances and snapshots, ElastiCache
replication groups and Secrets Manager secrets. It does not cover Route53 hosted zones or WAFv2
web ACLs reliably, so those are listed through their own APIs (zones and ACLs tagged
``managed-by=cloudcore``; records of those zones when ``type="dns_record"`` is asked for).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cloudcore.capabilities import OPERATIONS, Capability
from cloudcore.models import (
    NAME_TAG_KEY,
    Resource,
    ResourceType,
    resource_id,
)
from cloudcore.provider._queue_discovery import queue_and_job_resources

from ._base import tag_dict
from .dns import AWSDNS
from .waf import SCOPE

__all__ = ["AWSDiscovery"]

_TAGGING_SERVICES: dict[ResourceType, str] = {
    ResourceType.SERVICE: "ecs",
    ResourceType.DATABASE: "rds",
    ResourceType.BACKUP: "rds",
    ResourceType.CACHE: "elasticache",
    ResourceType.SECRET: "secretsmanager",
}
_CAPABILITY: dict[ResourceType, Capability] = {
    ResourceType.SERVICE: Capability.COMPUTE,
    ResourceType.DATABASE: Capability.DATABASE,
    ResourceType.BACKUP: Capability.DATABASE,
    ResourceType.CACHE: Capability.CACHE,
    ResourceType.DNS_ZONE: Capability.DNS,
    ResourceType.DNS_RECORD: Capability.DNS,
    ResourceType.WAF_POLICY: Capability.WAF,
    ResourceType.SECRET: Capability.SECRETS,
}
_METRICS: dict[ResourceType, tuple[str, ...]] = {
    ResourceType.SERVICE: ("AWS/ECS:CPUUtilization", "AWS/ECS:MemoryUtilization"),
    ResourceType.DATABASE: (
        "AWS/RDS:CPUUtilization",
        "AWS/RDS:DatabaseConnections",
        "AWS/RDS:FreeStorageSpace",
    ),
    ResourceType.CACHE: (
        "AWS/ElastiCache:EngineCPUUtilization",
        "AWS/ElastiCache:DatabaseMemoryUsagePercentage",
    ),
    ResourceType.WAF_POLICY: ("AWS/WAFV2:AllowedRequests", "AWS/WAFV2:BlockedRequests"),
}


def _kind(arn: str) -> ResourceType | None:
    """The resource type of a tagged ARN cloudcore lists, else ``None``."""
    parts = arn.split(":", 6)
    if len(parts) < 6:
        return None
    service, rest = parts[2], ":".join(parts[5:])
    if service == "ecs" and rest.startswith("service/"):
        return ResourceType.SERVICE
    if service == "rds" and rest.startswith("db:"):
        return ResourceType.DATABASE
    if service == "rds" and rest.startswith("snapshot:"):
        return ResourceType.BACKUP
    if service == "elasticache" and rest.startswith("replicationgroup:"):
        return ResourceType.CACHE
    if service == "secretsmanager" and rest.startswith("secret:"):
        return ResourceType.SECRET
    return None


def _name_from_arn(arn: str, kind: ResourceType) -> str:
    tail = arn.split(":", 5)[-1]
    if kind is ResourceType.SERVICE:
        return tail.rsplit("/", 1)[-1]
    if kind is ResourceType.SECRET:
        return tail.split(":", 1)[-1].rsplit("-", 1)[0]
    return tail.split(":", 1)[-1]


class AWSDiscovery(AWSDNS):
    """The discovery capability (reads DNS through the DNS mixin)."""

    def _resource(
        self,
        kind: ResourceType,
        name: str,
        tags: Mapping[str, str],
        provider_id: str | None,
        **extra: Any,
    ) -> Resource:
        cap = _CAPABILITY[kind]
        ops = tuple(
            op.name
            for op in OPERATIONS.values()
            if op.capability is cap and op.name not in ("list_resources", "get_resource_schema")
        )
        return Resource(
            id=resource_id(self.name, self.region, kind, name),
            type=kind,
            provider=self.name,
            region=self.region,
            name=name,
            tags=dict(tags),
            metrics=_METRICS.get(kind, ()),
            operations=ops,
            provider_id=provider_id,
            **extra,
        )

    def _list_resources(
        self, type: ResourceType | None, tags: Mapping[str, str]
    ) -> Iterator[Resource]:
        found: list[Resource] = []
        services = sorted(
            {
                s
                for k, s in _TAGGING_SERVICES.items()
                if (type is None or k is type) and k is not ResourceType.SECRET
            }
        )
        if services:
            found.extend(self._tagged(services, tags, type))
        if type in (None, ResourceType.SECRET):
            found.extend(self._secret_resources())
        if type in (None, ResourceType.DNS_ZONE, ResourceType.DNS_RECORD):
            found.extend(self._dns_resources(type))
        if type in (None, ResourceType.WAF_POLICY):
            found.extend(self._waf_resources())
        found.extend(queue_and_job_resources(self, type))
        # The tagging API filtered its own kinds; the others are filtered here.
        return (r for r in found if r.carries(tags))

    def _tagged(
        self, services: list[str], tags: Mapping[str, str], want: ResourceType | None
    ) -> list[Resource]:
        """ECS, RDS and ElastiCache resources from the tagging API, minus those being deleted
        (the tagging API lists them until they are gone)."""
        filters = [{"Key": "managed-by", "Values": ["cloudcore"]}]
        filters += [{"Key": k, "Values": [v]} for k, v in tags.items() if k != "managed-by"]
        tagging = self._client("resourcegroupstaggingapi")
        items: list[tuple[ResourceType, str, dict[str, str]]] = []
        pages = tagging.get_paginator("get_resources").paginate(
            TagFilters=filters, ResourceTypeFilters=services
        )
        for page in pages:
            for item in page.get("ResourceTagMappingList", []):
                arn = str(item["ResourceARN"])
                kind = _kind(arn)
                if kind is not None and (want is None or kind is want):
                    items.append((kind, arn, tag_dict(item.get("Tags"))))
        live = self._live({kind for kind, _, _ in items}, items)
        out: list[Resource] = []
        for kind, arn, tag_map in items:
            state = live.get(arn)
            if state is None:
                continue
            name = _name_from_arn(arn, kind)
            if kind is not ResourceType.BACKUP:
                name = tag_map.get(NAME_TAG_KEY) or name
            relationships: tuple[str, ...] = ()
            attributes: dict[str, Any] = {}
            if kind is ResourceType.BACKUP:
                database = tag_map.get("cloudcore-database") or tag_map.get(NAME_TAG_KEY)
                if database and database != name:
                    relationships = (
                        resource_id(self.name, self.region, ResourceType.DATABASE, database),
                    )
                    attributes["database"] = database
            out.append(
                self._resource(
                    kind,
                    name,
                    tag_map,
                    arn,
                    state=state,
                    relationships=relationships,
                    attributes=attributes,
                )
            )
        return out

    def _live(
        self, kinds: set[ResourceType], items: list[tuple[ResourceType, str, dict[str, str]]]
    ) -> dict[str, str]:
        """ARN to state of the resources that exist and are not being deleted."""
        live: dict[str, str] = {}
        if ResourceType.SERVICE in kinds:
            by_cluster: dict[str, list[str]] = {}
            for kind, arn, _ in items:
                if kind is ResourceType.SERVICE:
                    parts = arn.split(":", 5)[-1].split("/")  # service/<cluster>/<name>
                    cluster = parts[1] if len(parts) == 3 else self.cluster
                    by_cluster.setdefault(cluster, []).append(arn)
            ecs = self._client("ecs")
            for cluster, arns in by_cluster.items():
                for i in range(0, len(arns), 10):
                    got = ecs.describe_services(cluster=cluster, services=arns[i : i + 10])
                    for svc in got.get("services", []):
                        if svc.get("status") == "ACTIVE":
                            live[str(svc["serviceArn"])] = "active"
        if ResourceType.DATABASE in kinds:
            pages = self._client("rds").get_paginator("describe_db_instances").paginate()
            for page in pages:
                for db in page.get("DBInstances", []):
                    status = str(db.get("DBInstanceStatus", "unknown"))
                    if status != "deleting":
                        live[str(db["DBInstanceArn"])] = status
        if ResourceType.BACKUP in kinds:
            for kind, arn, _ in items:
                if kind is ResourceType.BACKUP:
                    live[arn] = "available"
        if ResourceType.CACHE in kinds:
            pages = (
                self._client("elasticache").get_paginator("describe_replication_groups").paginate()
            )
            for page in pages:
                for group in page.get("ReplicationGroups", []):
                    status = str(group.get("Status", "unknown"))
                    if status != "deleting":
                        live[str(group["ARN"])] = status
        return live

    def _secret_resources(self) -> list[Resource]:
        out: list[Resource] = []
        pages = (
            self._client("secretsmanager")
            .get_paginator("list_secrets")
            .paginate(Filters=[{"Key": "tag-key", "Values": ["managed-by"]}])
        )
        for page in pages:
            for item in page.get("SecretList", []):
                tags = tag_dict(item.get("Tags"))
                if not self._is_managed(tags) or item.get("DeletedDate"):
                    continue
                out.append(
                    self._resource(
                        ResourceType.SECRET,
                        str(item["Name"]),
                        tags,
                        str(item["ARN"]),
                        state="active",
                        created_at=item.get("CreatedDate"),
                    )
                )
        return out

    def _dns_resources(self, want: ResourceType | None) -> list[Resource]:
        route53 = self._client("route53")
        zones = self._hosted_zones()
        out: list[Resource] = []
        for i in range(0, len(zones), 10):
            chunk = zones[i : i + 10]
            sets = route53.list_tags_for_resources(
                ResourceType="hostedzone", ResourceIds=[zid for _, zid in chunk]
            ).get("ResourceTagSets", [])
            tags_by_id = {str(s["ResourceId"]): tag_dict(s.get("Tags")) for s in sets}
            for zone, zid in chunk:
                tags = tags_by_id.get(zid, {})
                if not self._is_managed(tags):
                    continue
                zone_rid = resource_id(self.name, self.region, ResourceType.DNS_ZONE, zone)
                if want in (None, ResourceType.DNS_ZONE):
                    out.append(
                        self._resource(
                            ResourceType.DNS_ZONE,
                            zone,
                            tags,
                            f"/hostedzone/{zid}",
                            state="active",
                        )
                    )
                if want in (None, ResourceType.DNS_RECORD):
                    for record in self._records_in(zone, zid):
                        out.append(
                            self._resource(
                                ResourceType.DNS_RECORD,
                                f"{record.name}/{record.type.value}",
                                {**tags, NAME_TAG_KEY: f"{record.name}/{record.type.value}"},
                                None,
                                state="active",
                                relationships=(zone_rid,),
                                attributes={"ttl": record.ttl, "values": list(record.values)},
                            )
                        )
        return out

    def _waf_resources(self) -> list[Resource]:
        waf = self._client("wafv2")
        out: list[Resource] = []
        args: dict[str, Any] = {"Scope": SCOPE, "Limit": 100}
        while True:
            page = waf.list_web_acls(**args)
            for acl in page.get("WebACLs", []):
                got = waf.list_tags_for_resource(ResourceARN=acl["ARN"])
                tags = tag_dict(got.get("TagInfoForResource", {}).get("TagList"))
                if not self._is_managed(tags):
                    continue
                name = tags.get(NAME_TAG_KEY) or str(acl["Name"])
                attributes = (
                    {"target": tags["cloudcore-target"]} if "cloudcore-target" in tags else {}
                )
                out.append(
                    self._resource(
                        ResourceType.WAF_POLICY,
                        name,
                        tags,
                        str(acl["ARN"]),
                        state="active",
                        attributes=attributes,
                    )
                )
            marker = page.get("NextMarker")
            if not marker or not page.get("WebACLs"):
                return out
            args["NextMarker"] = marker
