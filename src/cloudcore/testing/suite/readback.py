"""Conformance tests for read-back: every resource reads back as the config it was made with.

Each test creates a resource with a config where every field the driver can take differs from
its default, reads it back (zero writes, counted on the wire), and compares field by field. Fields
the driver lists in ``readback_gaps`` are left at their defaults in what is asked and are not
compared. Then the config read back is given again to the create call: that must be a no-op
(``changed=False`` / the same endpoint, zero writes), so provider-side defaults never leak into
the portable config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import BaseModel

from ...capabilities import Capability
from ...errors import NotFound
from ...models import CacheConfig, DatabaseConfig, ServiceConfig
from ._base import ConformanceOptions, Names, SuiteBase, no_writes, requires, sample_rule

C, D, K = Capability.COMPUTE, Capability.DATABASE, Capability.CACHE

GAP_MODELS: dict[str, type[BaseModel]] = {
    "compute": ServiceConfig,
    "database": DatabaseConfig,
    "cache": CacheConfig,
}
"""The config model whose fields a ``readback_gaps`` key of each capability names."""


def gaps_of(provider: Any, capability: str) -> dict[str, str]:
    """The provider's read-back gaps of ``capability``: field path to reason. Checks each key
    names a real field of the capability's config and gives a reason."""
    out: dict[str, str] = {}
    for key, why in dict(getattr(provider, "readback_gaps", {}) or {}).items():
        cap, _, path = key.partition(":")
        assert cap and path, f"readback_gaps key {key!r} is not '<capability>:<field path>'"
        assert isinstance(why, str) and why.strip(), f"readback_gaps[{key!r}] gives no reason"
        if cap != capability:
            continue
        model: Any = GAP_MODELS[cap]
        for part in path.split("."):
            if model is None:
                break  # a key inside a mapping (``extras.platform_version``)
            assert part in model.model_fields, (
                f"readback_gaps key {key!r}: {part!r} is not a field of the {cap} config"
            )
            model = _submodel(model.model_fields[part].annotation)
        out[path] = why
    return out


def _submodel(annotation: Any) -> type[BaseModel] | None:
    for arg in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def without_gaps(asked: dict[str, Any], gaps: Mapping[str, str]) -> dict[str, Any]:
    """``asked`` with every gap field removed (so the model gives it its default)."""
    out: dict[str, Any] = _copy(asked)
    for path in gaps:
        *parents, leaf = path.split(".")
        node: Any = out
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    return out


def _copy(value: Any) -> Any:
    return {k: _copy(v) for k, v in value.items()} if isinstance(value, dict) else value


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value and prefix.count(".") < 1:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


def differences(asked: BaseModel, got: BaseModel, gaps: Mapping[str, str]) -> list[str]:
    """Fields (``a`` or ``a.b``) that differ between two configs, gap fields excepted."""
    want, have = _flat(asked.model_dump(mode="json")), _flat(got.model_dump(mode="json"))
    out = []
    for path in sorted(set(want) | set(have)):
        if any(path == g or path.startswith(g + ".") for g in gaps):
            continue
        top = path.split(".")[0]
        if top in gaps:
            continue
        if want.get(path) != have.get(path):
            out.append(f"{path}: asked {want.get(path)!r}, read back {have.get(path)!r}")
    return out


def varied_service(
    provider: Any, opts: ConformanceOptions, names: Names, gaps: Mapping[str, str]
) -> dict[str, Any]:
    """A service config with every field the driver takes away from its default."""
    have = provider.features.get(C, frozenset())
    cfg: dict[str, Any] = {
        "port": opts.service_port,
        "cpu": 1.0,
        "memory": 2048,
        "replicas": 2,
        "env": {"LOG_LEVEL": "debug", "GREETING": "hello, read-back"},
        "tags": {"team": "core", "tier": "web"},
    }
    if "images" in have:
        cfg["image"] = opts.service_image
        cfg["command"] = ("nginx", "-g", "daemon off;")
    else:  # the process really runs, and must pass the health check
        cfg["command"] = (
            opts.service_http_command if "health_check" in have else opts.service_command
        )
    if "health_check" in have:
        cfg["health_check"] = {
            "path": "/healthz",
            "interval_seconds": 15,
            "timeout_seconds": 4,
            "healthy_threshold": 3,
            "unhealthy_threshold": 4,
            "grace_seconds": 20,
        }
    if "autoscaling" in have:
        cfg["autoscaling"] = {"min_replicas": 2, "max_replicas": 5, "cpu_target_percent": 55.0}
    if "secrets_env" in have and provider.supports(Capability.SECRETS):
        cfg["secrets"] = {"API_TOKEN": names.secret("readback-token")}
    return without_gaps(cfg, gaps)


class ReadbackSuite(SuiteBase):
    """Read-back: services, databases and caches read back as created (modulo documented gaps),
    read-backs write nothing, the read-back config re-applied is a no-op, and zones and WAF
    targets can be enumerated without prior knowledge."""

    @requires(C)
    def test_readback_service_round_trip(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        name = conformance_names.name("readback")
        gaps = gaps_of(provider, "compute")
        asked = ServiceConfig.model_validate(
            varied_service(provider, conformance_options, conformance_names, gaps)
        )
        for ref in asked.secrets.values():
            provider.store_secret(ref.key, "readback-secret-value")
        try:
            provider.deploy_service(name, asked)
            with no_writes(provider, "get_service_config"):
                got = provider.get_service_config(name)
            assert isinstance(got, ServiceConfig)
            diff = differences(asked, got, gaps)
            assert not diff, "the service read back differs from what was deployed: " + "; ".join(
                diff
            )
            with no_writes(provider, "deploy_service of the config read back"):
                again = provider.deploy_service(name, got)
            assert again.changed is False, "deploying the config read back changed the service"
        finally:
            provider.delete_service(name)
            for ref in asked.secrets.values():
                provider.delete_secret(ref.key)
        with pytest.raises(NotFound):
            provider.get_service_config(name)

    @requires(D, "postgres")
    def test_readback_database_round_trip(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        name = conformance_names.name("readback-db")
        gaps = gaps_of(provider, "database")
        cfg: dict[str, Any] = {
            "name": name,
            "version": conformance_options.database_version,
            "size": "medium",
            "storage_gb": 30,
            "high_availability": provider.supports(D, "high_availability"),
            "backup_retention_days": 3,
            "database": "orders",
            "username": "orders_owner",
            "tags": {"team": "core"},
        }
        if provider.supports(D, "encryption"):
            cfg["encrypted"] = False
        asked = DatabaseConfig.model_validate(without_gaps(cfg, gaps))
        try:
            endpoint = provider.provision_database(asked)
            with no_writes(provider, "get_database"):
                got = provider.get_database(name)
            assert got.name == name
            diff = differences(asked, got.config, gaps)
            assert not diff, "the database read back differs from what was provisioned: " + (
                "; ".join(diff)
            )
            assert (got.endpoint.host, got.endpoint.port) == (endpoint.host, endpoint.port)
            assert got.endpoint.password_secret == endpoint.password_secret
            with no_writes(provider, "provision_database of the config read back"):
                again = provider.provision_database(got.config)
            assert (again.host, again.port) == (endpoint.host, endpoint.port)
        finally:
            provider.delete_database(name)
        with pytest.raises(NotFound):
            provider.get_database(name)

    @requires(K, "redis")
    def test_readback_cache_round_trip(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        name = conformance_names.name("readback-cache")
        gaps = gaps_of(provider, "cache")
        cfg: dict[str, Any] = {
            "name": name,
            "version": conformance_options.cache_version,
            "size": "medium",
            "high_availability": provider.supports(K, "high_availability"),
            "tls": provider.supports(K, "tls"),
            "auth": False,
            "tags": {"team": "core"},
        }
        asked = CacheConfig.model_validate(without_gaps(cfg, gaps))
        try:
            endpoint = provider.provision_cache(asked)
            with no_writes(provider, "get_cache"):
                got = provider.get_cache(name)
            assert got.name == name
            diff = differences(asked, got.config, gaps)
            assert not diff, "the cache read back differs from what was provisioned: " + (
                "; ".join(diff)
            )
            assert (got.endpoint.host, got.endpoint.port, got.endpoint.tls) == (
                endpoint.host,
                endpoint.port,
                endpoint.tls,
            )
            with no_writes(provider, "provision_cache of the config read back"):
                again = provider.provision_cache(got.config)
            assert (again.host, again.port) == (endpoint.host, endpoint.port)
        finally:
            provider.delete_cache(name)
        with pytest.raises(NotFound):
            provider.get_cache(name)

    @requires(Capability.DNS)
    def test_readback_dns_zones(
        self, provider: Any, conformance_options: ConformanceOptions
    ) -> None:
        with no_writes(provider, "list_dns_zones"):
            zones = provider.list_dns_zones()
        names = [z.name for z in zones]
        assert conformance_options.zone in names, (
            f"list_dns_zones() misses the zone the suite writes to ({conformance_options.zone})"
        )
        assert names == sorted(names) and len(set(names)) == len(names)
        assert conformance_options.missing_zone not in names
        provider.list_dns_records(conformance_options.zone)

    @requires(Capability.WAF)
    def test_readback_waf_targets(
        self, provider: Any, conformance_options: ConformanceOptions
    ) -> None:
        target = conformance_options.waf_target
        have = provider.features.get(Capability.WAF, frozenset())
        kind = next(k for k in ("ip", "path", "geo", "rate_limit", "managed:core") if k in have)
        original = provider.get_waf_rules(target)
        try:
            provider.configure_waf([sample_rule(kind)], target)
            with no_writes(provider, "list_waf_targets"):
                targets = provider.list_waf_targets()
            assert target in targets, (
                f"list_waf_targets() {targets} misses the target just configured ({target!r})"
            )
            assert len(set(targets)) == len(targets)
            for listed in targets:
                provider.get_waf_rules(listed)
        finally:
            provider.configure_waf(original, target)
