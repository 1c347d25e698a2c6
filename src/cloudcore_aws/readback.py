"""Read-back on AWS: a service's config from its ECS task definition, service and Application
Auto Scaling target; a database from RDS; a cache from ElastiCache; zones from Route53; WAF
targets from the tags of cloudcore's web ACLs. Reads only.

What is normalised (a redeploy of what is read back is still a no-op):

* ``health_check.port`` equal to the service's port reads back as ``None`` (the same check);
  ``health_check.healthy_threshold`` is not an ECS setting (see :data:`AWS_READBACK_GAPS`).
* ``version`` reads back as asked (kept in a ``cloudcore-version`` tag; ``None`` stays
  ``None``); a database or cache made without the tag reads back the major version it runs. A
  cache asked with ``auth`` and no ``tls`` reads back ``tls=True``
  (ElastiCache takes an AUTH token only over TLS).
* A size class reads back from the instance class / node type of the size table; a class outside
  the table reads back as ``extras["instance_class"]`` / ``extras["node_type"]``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from cloudcore.errors import NotFound
from cloudcore.models import (
    MANAGED_BY_KEY,
    NAME_TAG_KEY,
    Cache,
    CacheConfig,
    Database,
    DatabaseConfig,
    DNSZone,
    ServiceConfig,
    SizeClass,
)

from ._base import tag_dict
from ._fargate import LATEST_LABEL
from .cache import CACHE_NODE_TYPES, VERSION_TAG, AWSCache
from .compute import _DIMENSION, _POLICY, AWSCompute
from .database import DB_CLASSES, AWSDatabase
from .database import VERSION_TAG as DB_VERSION_TAG
from .waf import AWSWAF, DEFAULT_ACL

__all__ = ["AWS_READBACK_GAPS", "AWSReadback"]

AWS_READBACK_GAPS: Mapping[str, str] = {
    "compute:health_check.healthy_threshold": "ECS container health checks have no healthy "
    "threshold (one success makes a task healthy); reads back as the default",
    "compute:extras.platform_version": "ECS reports LATEST whether or not it was asked for",
    "compute:extras.log_retention_days": "kept on the log group, which the deploy leaves as "
    "it found it; not read back",
    "database:extras.kms_key_id": "RDS reports its default key when none was asked",
    "database:extras.storage_type": "RDS reports its default storage type when none was asked",
}
"""Fields the AWS driver cannot read back, with the reason."""

_OWN_TAGS = (MANAGED_BY_KEY, NAME_TAG_KEY)
_HTTP = re.compile(r"\Acurl -fsS -o /dev/null (?P<url>\S+) \|\| exit 1\Z")
_TCP = re.compile(r"\Abash -c '</dev/tcp/127\.0\.0\.1/(?P<port>[0-9]+)' \|\| exit 1\Z")
_URL = re.compile(r"\Ahttp://localhost:(?P<port>[0-9]+)(?P<path>/.*)\Z")


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags without cloudcore's own (``managed-by``, ``cloudcore-name``, ``cloudcore-*``) and
    AWS's (``aws:*``)."""
    return {
        k: v
        for k, v in tags.items()
        if k not in _OWN_TAGS and not k.startswith(("cloudcore-", "aws:"))
    }


def _major(version: Any) -> str | None:
    return str(version).split(".")[0] if version else None


def _secret_key(value_from: str) -> tuple[str, str | None]:
    """The cloudcore secret name and pinned version of an ECS ``valueFrom``
    (``arn:...:secret:<name>-<6 chars>[:json-key:stage:version-id]``)."""
    parts = value_from.split(":")
    name = parts[6].rsplit("-", 1)[0] if len(parts) > 6 else value_from
    version = parts[9] if len(parts) > 9 and parts[9] else None
    return name, version


def _health_check(
    hc: Mapping[str, Any], port: int | None, extras: dict[str, Any]
) -> dict[str, Any] | None:
    command = list(hc.get("command") or [])
    out: dict[str, Any] = {
        "interval_seconds": int(hc.get("interval", 30)),
        "timeout_seconds": int(hc.get("timeout", 5)),
        "unhealthy_threshold": int(hc.get("retries", 3)),
        "grace_seconds": int(hc.get("startPeriod", 0)),
    }
    shell = command[1] if len(command) == 2 and command[0] == "CMD-SHELL" else None
    http = _HTTP.fullmatch(shell) if shell else None
    url = _URL.fullmatch(shlex.split(http["url"])[0]) if http else None
    tcp = _TCP.fullmatch(shell) if shell else None
    if url is not None:
        out["path"] = url["path"]
        probe_port = int(url["port"])
    elif tcp is not None:
        out["path"] = None
        probe_port = int(tcp["port"])
    else:  # a custom command from extras["health_check_command"]
        extras["health_check_command"] = shell if shell is not None else command
        return out
    if probe_port != port:
        out["port"] = probe_port
    return out


class AWSReadback(AWSCompute, AWSDatabase, AWSCache, AWSWAF):
    """``get_service_config``, ``get_database``, ``get_cache``, ``list_dns_zones``,
    ``list_waf_targets``."""

    readback_gaps = AWS_READBACK_GAPS

    # -------------------------------------------------------------- compute
    def _get_service_config(self, name: str) -> ServiceConfig:
        svc = self._managed_service(name)
        ecs = self._ecs()
        task = ecs.describe_task_definition(taskDefinition=str(svc["taskDefinition"]))[
            "taskDefinition"
        ]
        container = next(
            (c for c in task.get("containerDefinitions", []) if c.get("name") == name),
            task["containerDefinitions"][0],
        )
        extras: dict[str, Any] = {}
        cfg: dict[str, Any] = {
            "image": container.get("image"),
            "cpu": int(task["cpu"]) / 1024,
            "memory": int(task["memory"]),
            "replicas": int(svc.get("desiredCount", 0)),
            "tags": user_tags(tag_dict(svc.get("tags"), "key", "value")),
        }
        entry = list(container.get("entryPoint") or [])
        if entry:
            cfg["command"] = (*entry, *(container.get("command") or []))
        ports = container.get("portMappings") or []
        port = int(ports[0]["containerPort"]) if ports else None
        cfg["port"] = port
        cfg["env"] = {e["name"]: e.get("value", "") for e in container.get("environment") or []}
        secrets: dict[str, dict[str, Any]] = {}
        latest = set(str((container.get("dockerLabels") or {}).get(LATEST_LABEL, "")).split(","))
        for item in container.get("secrets") or []:
            key, version = _secret_key(str(item["valueFrom"]))
            # "latest" pinned at deploy time reads back as "latest"
            secrets[item["name"]] = {
                "key": key,
                "version": None if item["name"] in latest else version,
            }
        cfg["secrets"] = secrets
        if container.get("healthCheck"):
            cfg["health_check"] = _health_check(container["healthCheck"], port, extras)
        cfg["autoscaling"] = scaling = self._read_autoscaling(name)
        if scaling is not None:
            # Application Auto Scaling moves a desired count that is outside the scalable
            # target's bounds to the nearest bound ("If the current capacity is below the minimum
            # capacity, Application Auto Scaling scales out to the minimum",
            # https://docs.aws.amazon.com/autoscaling/application/userguide/
            # application-auto-scaling-scalable-targets.html): that bound is what the service
            # runs at, and a desired count set by hand in between is not an invalid service.
            low, high = scaling["min_replicas"], scaling["max_replicas"]
            cfg["replicas"] = min(max(cfg["replicas"], low), high)
        self._compute_extras(svc, task, extras)
        cfg["extras"] = extras
        return ServiceConfig.model_validate(cfg)

    def _compute_extras(
        self, svc: Mapping[str, Any], task: Mapping[str, Any], extras: dict[str, Any]
    ) -> None:
        if task.get("executionRoleArn") and task["executionRoleArn"] != self.execution_role_arn:
            extras["execution_role_arn"] = task["executionRoleArn"]
        if (task.get("taskRoleArn") or None) != (self.task_role_arn or None):
            extras["task_role_arn"] = task.get("taskRoleArn")
        arch = (task.get("runtimePlatform") or {}).get("cpuArchitecture")
        if arch:
            extras["cpu_architecture"] = arch
        balancers = svc.get("loadBalancers") or []
        if balancers:
            extras["target_group_arn"] = balancers[0]["targetGroupArn"]
        vpc = (svc.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        public = vpc.get("assignPublicIp", "DISABLED") == "ENABLED"
        if public != self.assign_public_ip:
            extras["assign_public_ip"] = public

    def _read_autoscaling(self, name: str) -> dict[str, Any] | None:
        aas = self._client("application-autoscaling")
        resource = f"service/{self.cluster}/{name}"
        targets = aas.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[resource], ScalableDimension=_DIMENSION
        ).get("ScalableTargets", [])
        if not targets:
            return None
        policies = aas.describe_scaling_policies(
            ServiceNamespace="ecs", ResourceId=resource, ScalableDimension=_DIMENSION
        ).get("ScalingPolicies", [])
        policy = next((p for p in policies if p.get("PolicyName") == _POLICY), None)
        tracking = (policy or {}).get("TargetTrackingScalingPolicyConfiguration") or {}
        out: dict[str, Any] = {
            "min_replicas": int(targets[0]["MinCapacity"]),
            "max_replicas": int(targets[0]["MaxCapacity"]),
        }
        if "TargetValue" in tracking:
            out["cpu_target_percent"] = float(tracking["TargetValue"])
        return out

    # ------------------------------------------------------------- database
    def _get_database(self, name: str) -> Database:
        db = self._describe_db(name)
        if db is None or db.get("DBInstanceStatus") == "deleting":
            raise NotFound(f"no database {name!r}")
        tags = tag_dict(db.get("TagList"))
        self._refuse_unmanaged(tags, f"database {name!r}")
        extras: dict[str, Any] = {}
        size = _size_of(DB_CLASSES, str(db.get("DBInstanceClass")), "instance_class", extras)
        if db.get("DeletionProtection"):
            extras["deletion_protection"] = True
        config = DatabaseConfig(
            name=name,
            version=tags[DB_VERSION_TAG] or None
            if DB_VERSION_TAG in tags
            else _major(db.get("EngineVersion")),
            size=size,
            storage_gb=int(db.get("AllocatedStorage", 20)),
            high_availability=bool(db.get("MultiAZ")),
            backup_retention_days=int(db.get("BackupRetentionPeriod", 0)),
            encrypted=bool(db.get("StorageEncrypted")),
            database=str(db.get("DBName") or "postgres"),
            username=str(db.get("MasterUsername")),
            tags=user_tags(tags),
            extras=extras,
        )
        return Database(
            name=name,
            config=config,
            endpoint=self._endpoint(db),
            status=str(db.get("DBInstanceStatus", "unknown")),
            created_at=db.get("InstanceCreateTime"),
        )

    # ---------------------------------------------------------------- cache
    def _get_cache(self, name: str) -> Cache:
        group = self._describe_group(name)
        if group is None or group.get("Status") == "deleting":
            raise NotFound(f"no cache {name!r}")
        tags = self._group_tags(group)
        self._refuse_unmanaged(tags, f"cache {name!r}")
        extras: dict[str, Any] = {}
        size = _size_of(CACHE_NODE_TYPES, str(group.get("CacheNodeType")), "node_type", extras)
        if group.get("SnapshotRetentionLimit"):
            extras["snapshot_retention_days"] = int(group["SnapshotRetentionLimit"])
        # the version asked for, from the tag the provision wrote; a group without the tag
        # reads back as its member clusters' major version
        version = tags[VERSION_TAG] or None if VERSION_TAG in tags else self._cache_major(group)
        config = CacheConfig(
            name=name,
            version=version,
            size=size,
            high_availability=group.get("AutomaticFailover") in ("enabled", "enabling"),
            tls=bool(group.get("TransitEncryptionEnabled")),
            auth=bool(group.get("AuthTokenEnabled")),
            tags=user_tags(tags),
            extras=extras,
        )
        return Cache(
            name=name,
            config=config,
            endpoint=self._cache_endpoint(group, name),
            status=str(group.get("Status", "unknown")),
            created_at=group.get("ReplicationGroupCreateTime"),
        )

    def _cache_major(self, group: Mapping[str, Any]) -> str | None:
        members = list(group.get("MemberClusters") or [])
        if not members:
            return None
        out = self._elasticache().describe_cache_clusters(CacheClusterId=members[0])
        return _major((out.get("CacheClusters") or [{}])[0].get("EngineVersion"))

    # ------------------------------------------------------------------ dns
    def _list_dns_zones(self) -> list[DNSZone]:
        zones: list[DNSZone] = []
        for page in self._client("route53").get_paginator("list_hosted_zones").paginate():
            for zone in page.get("HostedZones", []):
                zones.append(
                    DNSZone(
                        name=str(zone["Name"]),
                        provider_id=str(zone["Id"]).rsplit("/", 1)[-1],
                        records=zone.get("ResourceRecordSetCount"),
                        private=bool((zone.get("Config") or {}).get("PrivateZone")),
                    )
                )
        return zones

    # ------------------------------------------------------------------ waf
    def _list_waf_targets(self) -> list[str | None]:
        targets: list[str | None] = []
        for acl in self._list_all("list_web_acls", "WebACLs"):
            acl_name = str(acl.get("Name", ""))
            if acl_name == DEFAULT_ACL:
                targets.append(None)
            elif acl_name.startswith("cloudcore-"):
                out = self._wafv2().list_tags_for_resource(ResourceARN=acl["ARN"])
                info = out.get("TagInfoForResource") or {}
                tags = tag_dict(info.get("TagList"))
                if self._is_managed(tags) and tags.get("cloudcore-target"):
                    targets.append(tags["cloudcore-target"])
        return targets


def _size_of(
    table: Mapping[SizeClass, str], provider_class: str, extra: str, extras: dict[str, Any]
) -> SizeClass:
    for size, value in table.items():
        if value == provider_class:
            return size
    extras[extra] = provider_class
    return SizeClass.SMALL
