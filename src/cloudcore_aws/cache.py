"""ElastiCache for Redis: one replication group per cache (cluster mode off).

* ``high_availability`` gives two nodes (primary + replica) with automatic failover and Multi-AZ.
* ``auth`` sets an AUTH token, generated here and stored as the cloudcore secret
  ``cloudcore/cache/<name>/auth`` (``CacheEndpoint.auth_secret``). ElastiCache accepts an AUTH
  token only with in-transit encryption, so ``auth`` turns TLS on (the endpoint says ``tls=True``).
* Encryption at rest is always on. Size classes map to node types (``extras["node_type"]``
  overrides): micro ``cache.t4g.micro``, small ``cache.t4g.small``, medium ``cache.t4g.medium``,
  large ``cache.m7g.large``, xlarge ``cache.m7g.xlarge``.
* ``delete_cache`` does not wait: ElastiCache deletes in the background.
"""

from __future__ import annotations

import secrets as _random
import string
from typing import Any

from pydantic import SecretStr

from cloudcore.errors import AlreadyExists, Conflict
from cloudcore.models import CacheConfig, CacheEndpoint, SizeClass

from ._base import AWSBase, check_extras, kv_tags, tag_dict
from ._errors import error_code
from ._limits import check_cache

__all__ = ["CACHE_NODE_TYPES", "AWSCache", "auth_secret_name", "auth_token"]

CACHE_NODE_TYPES: dict[SizeClass, str] = {
    SizeClass.MICRO: "cache.t4g.micro",
    SizeClass.SMALL: "cache.t4g.small",
    SizeClass.MEDIUM: "cache.t4g.medium",
    SizeClass.LARGE: "cache.m7g.large",
    SizeClass.XLARGE: "cache.m7g.xlarge",
}
CACHE_EXTRAS = frozenset({"node_type", "snapshot_retention_days"})
SUBNET_GROUP = "cloudcore"
VERSION_TAG = "cloudcore-version"
"""Tag holding the version a cache was asked for (``""`` for the default)."""
_NOT_FOUND = ("ReplicationGroupNotFoundFault", "ReplicationGroupNotFound")
_TOKEN_ALPHABET = string.ascii_letters + string.digits


def auth_token() -> str:
    """A new AUTH token: 64 random letters and digits.

    AuthToken constraints (CreateReplicationGroup, ElastiCache API reference): "printable ASCII
    characters ... at least 16 characters and no more than 128 ... The only permitted printable
    special characters are !, &, #, $, ^, <, >, and -". ``secrets.token_urlsafe`` also yields
    ``_``, which ElastiCache refuses (moto does not), so letters and digits only.
    """
    return "".join(_random.choice(_TOKEN_ALPHABET) for _ in range(64))


def auth_secret_name(name: str) -> str:
    """The cloudcore secret holding a cache's AUTH token."""
    return f"cloudcore/cache/{name}/auth"


class AWSCache(AWSBase):
    """The cache capability (ElastiCache for Redis)."""

    def _elasticache(self) -> Any:
        return self._client("elasticache")

    def _describe_group(self, name: str) -> dict[str, Any] | None:
        try:
            out = self._elasticache().describe_replication_groups(ReplicationGroupId=name)
        except Exception as exc:
            if error_code(exc) in _NOT_FOUND:
                return None
            raise
        groups = out.get("ReplicationGroups", [])
        return dict(groups[0]) if groups else None

    def _group_tags(self, group: dict[str, Any]) -> dict[str, str]:
        out = self._elasticache().list_tags_for_resource(ResourceName=group["ARN"])
        return tag_dict(out.get("TagList"))

    def _ensure_cache_subnet_group(self) -> str | None:
        if not self.subnets:
            return None
        ec = self._elasticache()
        try:
            ec.describe_cache_subnet_groups(CacheSubnetGroupName=SUBNET_GROUP)
        except Exception as exc:
            if error_code(exc) != "CacheSubnetGroupNotFoundFault":
                raise
            ec.create_cache_subnet_group(
                CacheSubnetGroupName=SUBNET_GROUP,
                CacheSubnetGroupDescription="cloudcore caches",
                SubnetIds=list(self.subnets),
                Tags=kv_tags(self._tags(SUBNET_GROUP)),
            )
        return SUBNET_GROUP

    def _cache_endpoint(self, group: dict[str, Any], name: str) -> CacheEndpoint:
        endpoint: dict[str, Any] = {}
        for node_group in group.get("NodeGroups", []):
            endpoint = node_group.get("PrimaryEndpoint") or {}
            if endpoint:
                break
        if not endpoint:
            endpoint = group.get("ConfigurationEndpoint") or {}
        auth = bool(group.get("AuthTokenEnabled"))
        return CacheEndpoint(
            name=name,
            host=str(endpoint.get("Address", "")),
            port=int(endpoint.get("Port") or 6379),
            tls=bool(group.get("TransitEncryptionEnabled")),
            auth_secret=auth_secret_name(name) if auth else None,
            status=str(group.get("Status", "unknown")),
            high_availability=group.get("AutomaticFailover") in ("enabled", "enabling"),
            provider_id=group.get("ARN"),
        )

    def _wait_group(self, name: str) -> dict[str, Any]:
        def poll() -> dict[str, Any] | None:
            group = self._describe_group(name)
            return group if group and group.get("Status") == "available" else None

        return self._wait(f"cache {name!r} to become available", poll)

    def _provision_cache(self, config: CacheConfig) -> CacheEndpoint:
        check_extras(config.extras, CACHE_EXTRAS, "config")
        node_type = str(config.extras.get("node_type", CACHE_NODE_TYPES[config.size]))
        check_cache(config.name, node_type, config.version)  # what ElastiCache refuses, moto not
        tls = config.tls or config.auth
        existing = self._describe_group(config.name)
        if existing is not None and existing.get("Status") == "deleting":
            raise Conflict(f"cache {config.name!r} is still being deleted; try again later")
        if existing is not None:
            self._refuse_unmanaged(self._group_tags(existing), f"cache {config.name!r}")
            diffs = _differences(existing, config, node_type, tls)
            if diffs:
                raise AlreadyExists(
                    f"cache {config.name!r} exists with a different config: " + "; ".join(diffs)
                )
            if existing.get("Status") != "available":
                existing = self._wait_group(config.name)
            return self._cache_endpoint(existing, config.name)
        args: dict[str, Any] = {
            "ReplicationGroupId": config.name,
            "ReplicationGroupDescription": f"cloudcore cache {config.name}",
            "Engine": "redis",
            "CacheNodeType": node_type,
            "NumCacheClusters": 2 if config.high_availability else 1,
            "AutomaticFailoverEnabled": config.high_availability,
            "MultiAZEnabled": config.high_availability,
            "TransitEncryptionEnabled": tls,
            "AtRestEncryptionEnabled": True,
            "SnapshotRetentionLimit": int(config.extras.get("snapshot_retention_days", 0)),
            # the version asked for ("" for none), so read-back returns it, not the default
            "Tags": kv_tags(
                self._tags(config.name, {**config.tags, VERSION_TAG: config.version or ""})
            ),
        }
        if config.version:
            args["EngineVersion"] = config.version
        group_name = self._ensure_cache_subnet_group()
        if group_name:
            args["CacheSubnetGroupName"] = group_name
        if self.security_groups:
            args["SecurityGroupIds"] = list(self.security_groups)
        if config.auth:
            token = auth_token()
            self._store_secret(auth_secret_name(config.name), SecretStr(token))
            args["AuthToken"] = token
        self._elasticache().create_replication_group(**args)
        return self._cache_endpoint(self._wait_group(config.name), config.name)

    def _delete_cache(self, name: str) -> None:
        group = self._describe_group(name)
        if group is None:
            return
        if group.get("Status") != "deleting":
            self._refuse_unmanaged(self._group_tags(group), f"cache {name!r}")
            try:
                self._elasticache().delete_replication_group(ReplicationGroupId=name)
            except Exception as exc:
                if error_code(exc) not in _NOT_FOUND:
                    raise
        if group.get("AuthTokenEnabled"):
            self._delete_secret(auth_secret_name(name))


def _differences(
    group: dict[str, Any], config: CacheConfig, node_type: str, tls: bool
) -> list[str]:
    checks: list[tuple[str, Any, Any]] = [
        ("node type", group.get("CacheNodeType"), node_type),
        (
            "high_availability",
            group.get("AutomaticFailover") in ("enabled", "enabling"),
            config.high_availability,
        ),
        ("tls", bool(group.get("TransitEncryptionEnabled")), tls),
        ("auth", bool(group.get("AuthTokenEnabled")), config.auth),
    ]
    return [f"{label} is {have!r}, asked {want!r}" for label, have, want in checks if have != want]
