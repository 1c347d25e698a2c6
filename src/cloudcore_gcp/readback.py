"""Read-back on Google Cloud: a service's config from its Cloud Run service, a database from
its Cloud SQL instance (and labels), a cache from Memorystore, zones from Cloud DNS, WAF targets
from the Cloud Armor policies cloudcore labelled. Reads only.

Cloud Run fills defaults into every service it stores (timeout 300 s, the default compute service
account, concurrency 80, at most 100 instances, 1 vCPU / 512 MiB, a TCP startup probe with a
240 s period, port name ``http1``...). None of them is read back as if it had been asked: the
extras come back only when they differ from Cloud Run's default, and the default startup probe
alone is no health check. Normalised (a redeploy of what is read back is still a no-op):

* with ``autoscaling``, ``replicas`` reads back as ``min_replicas`` (Cloud Run starts there);
* ``health_check.port`` equal to the service's port reads back as ``None``;
* a database's ``storage_gb`` below Cloud SQL's 10 GB minimum reads back as 10;
* ``version`` reads back as asked (kept in the ``cloudcore-version`` label; ``None`` stays
  ``None``); an instance without the label reads back what it runs (``"7"`` for ``REDIS_7_0``);
* tags read back label-safe (lower case, ``[a-z0-9_-]``), as they were stored.
"""

from __future__ import annotations

import re
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

from ._base import VERSION_LABEL, label_version, managed
from ._mapping import EDITION_TIERS, REDIS_VERSIONS
from .cache import _STANDARD_HA, _TLS, MEMORY_GB, GCPCache
from .compute import _INGRESS, _MANUAL, LATEST_ANNOTATION, GCPCompute, _as_dict
from .database import _REGIONAL, GCPDatabase
from .discovery import GCPDiscovery
from .dns import GCPDNS
from .secrets import key_of
from .waf import DEFAULT_POLICY, GCPWAF

__all__ = ["GCP_READBACK_GAPS", "GCPReadback"]

GCP_READBACK_GAPS: Mapping[str, str] = {
    "compute:health_check.healthy_threshold": "Cloud Run probes have no success threshold; "
    "reads back as the default",
    "compute:autoscaling.cpu_target_percent": "Cloud Run scales on concurrency and CPU by "
    "itself; the target is not sent, so it reads back as the default",
    "compute:extras.service_account": "Cloud Run fills in the default compute service account; "
    "an explicit one equal to it cannot be told apart and is not read back",
    "database:encrypted": "Cloud SQL always encrypts at rest; reads back True",
}
"""Fields the GCP driver cannot read back, with the reason."""

_RUN_DEFAULTS = {"timeout": "300s", "max_instance_request_concurrency": 80}
_DEFAULT_PROBE = {"timeout_seconds": 240, "period_seconds": 240, "failure_threshold": 1}
_OWN_LABELS = (MANAGED_BY_KEY, NAME_TAG_KEY)
_SHORT_REDIS = {v: k for k, v in sorted(REDIS_VERSIONS.items(), key=lambda kv: -len(kv[0]))}


def user_labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    """Labels without cloudcore's own (``managed-by``, ``cloudcore-name``, ``cloudcore-*``)."""
    return {
        k: v
        for k, v in dict(labels or {}).items()
        if k not in _OWN_LABELS and not k.startswith("cloudcore-")
    }


def _cpu(text: str) -> float:
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


def _mib(text: str) -> int:
    match = re.fullmatch(r"([0-9]+)(Mi|Gi|M|G)?", text)
    if match is None:
        raise ValueError(f"unreadable Cloud Run memory limit {text!r}")
    value, unit = int(match[1]), match[2] or ""
    return {
        "Mi": value,
        "Gi": value * 1024,
        "M": value * 10**6 // 2**20,
        "G": value * 10**9 // 2**20,
    }.get(unit, value // 2**20)


def _health_check(container: Mapping[str, Any], port: int | None) -> dict[str, Any] | None:
    startup = container.get("startup_probe") or {}
    is_default = "tcp_socket" in startup and all(
        startup.get(k) == v for k, v in _DEFAULT_PROBE.items()
    )
    if not startup or (is_default and not container.get("liveness_probe")):
        return None
    http, tcp = startup.get("http_get"), startup.get("tcp_socket")
    probe_port = int((http or tcp or {}).get("port") or 8080)
    out: dict[str, Any] = {
        "path": http.get("path", "/") if http else None,
        "interval_seconds": int(startup.get("period_seconds", 10)),
        "timeout_seconds": int(startup.get("timeout_seconds", 1)),
        "unhealthy_threshold": int(startup.get("failure_threshold", 3)),
        "grace_seconds": int(startup.get("initial_delay_seconds", 0)),
    }
    if probe_port != (port or 8080):
        out["port"] = probe_port
    return out


class GCPReadback(GCPCompute, GCPDatabase, GCPCache, GCPDNS, GCPWAF, GCPDiscovery):
    """``get_service_config``, ``get_database``, ``get_cache``, ``list_dns_zones``,
    ``list_waf_targets``."""

    readback_gaps = GCP_READBACK_GAPS

    # -------------------------------------------------------------- compute
    def _get_service_config(self, name: str) -> ServiceConfig:
        svc = _as_dict(self._managed_service(name))
        template = svc.get("template") or {}
        container = (template.get("containers") or [{}])[0]
        limits = (container.get("resources") or {}).get("limits") or {}
        ports = container.get("ports") or []
        port = int(ports[0]["container_port"]) if ports else None
        env: dict[str, str] = {}
        secrets: dict[str, dict[str, Any]] = {}
        pinned_latest = set(
            str((template.get("annotations") or {}).get(LATEST_ANNOTATION, "")).split(",")
        )
        for var in container.get("env") or []:
            ref = (var.get("value_source") or {}).get("secret_key_ref")
            if ref:
                version = ref.get("version") or "latest"
                if var["name"] in pinned_latest:  # "latest", pinned at deploy time
                    version = "latest"
                secrets[var["name"]] = {
                    "key": key_of(str(ref["secret"]).rsplit("/", 1)[-1]),
                    "version": None if version == "latest" else version,
                }
            else:
                env[var["name"]] = var.get("value", "")
        scaling = svc.get("scaling") or {}
        autoscaling = None
        if int(scaling.get("scaling_mode") or 1) == _MANUAL:
            replicas = int(scaling.get("manual_instance_count") or 0)
        else:
            bounds = template.get("scaling") or {}
            autoscaling = {
                "min_replicas": int(bounds.get("min_instance_count") or 0),
                "max_replicas": int(bounds.get("max_instance_count") or 100),
            }
            replicas = autoscaling["min_replicas"]
        cfg: dict[str, Any] = {
            "image": container.get("image"),
            "command": tuple(container["command"]) if container.get("command") else None,
            "port": port,
            "cpu": _cpu(str(limits.get("cpu", "1000m"))),
            "memory": _mib(str(limits.get("memory", "512Mi"))),
            "replicas": replicas,
            "env": env,
            "secrets": secrets,
            "health_check": _health_check(container, port),
            "autoscaling": autoscaling,
            "tags": user_labels(svc.get("labels")),
            "extras": self._run_extras(svc, template, limits),
        }
        return ServiceConfig.model_validate(cfg)

    @staticmethod
    def _run_extras(
        svc: Mapping[str, Any], template: Mapping[str, Any], limits: Mapping[str, Any]
    ) -> dict[str, Any]:
        extras: dict[str, Any] = {}
        ingress = {v: k for k, v in _INGRESS.items()}.get(int(svc.get("ingress") or 1), "all")
        if ingress != "all":
            extras["ingress"] = ingress
        concurrency = template.get("max_instance_request_concurrency")
        below_one = _cpu(str(limits.get("cpu", "1000m"))) < 1  # forced to 1 there
        if concurrency and not below_one and int(concurrency) != 80:
            extras["concurrency"] = int(concurrency)
        timeout = template.get("timeout")
        if timeout and timeout != _RUN_DEFAULTS["timeout"]:
            extras["timeout_seconds"] = int(float(str(timeout).rstrip("s")))
        return extras

    # ------------------------------------------------------------- database
    def _get_database(self, name: str) -> Database:
        inst = self._instance(name)
        if inst is None:
            raise NotFound(f"no Cloud SQL instance {name!r}")
        self.ensure_managed(inst.settings.user_labels, f"Cloud SQL instance {name!r}")
        settings = inst.settings
        labels = dict(settings.user_labels)
        edition = type(settings.edition)(settings.edition).name
        extras: dict[str, Any] = {}
        size = SizeClass.SMALL
        table = EDITION_TIERS.get(edition, EDITION_TIERS["ENTERPRISE"])
        sizes = [s for s, tier in table.items() if tier == settings.tier]
        if sizes:  # Enterprise Plus gives micro and small one tier: small, the default
            size = SizeClass.SMALL if SizeClass.SMALL in sizes else sizes[0]
            if edition == "ENTERPRISE_PLUS":
                extras["edition"] = "enterprise_plus"
        else:
            extras["tier"] = settings.tier
        disk = type(settings.data_disk_type)(settings.data_disk_type).name
        if disk not in ("PD_SSD", "SQL_DATA_DISK_TYPE_UNSPECIFIED"):
            extras["disk_type"] = disk
        backups = settings.backup_configuration
        retention = (
            int(backups.backup_retention_settings.retained_backups) if backups.enabled else 0
        )
        version = type(inst.database_version)(inst.database_version).name
        config = DatabaseConfig(
            name=name,
            version=label_version(labels[VERSION_LABEL])
            if VERSION_LABEL in labels
            else version.removeprefix("POSTGRES_").split("_")[0],
            size=size,
            storage_gb=int(settings.data_disk_size_gb or 10),
            high_availability=int(settings.availability_type) == _REGIONAL,
            backup_retention_days=retention,
            encrypted=True,
            database=labels.get("cloudcore-database", "app"),
            username=labels.get("cloudcore-user", "app"),
            tags=user_labels(labels),
            extras=extras,
        )
        endpoint = self._endpoint(name, inst)
        return Database(
            name=name,
            config=config,
            endpoint=endpoint,
            status=endpoint.status,
            created_at=inst.create_time or None,
        )

    # ---------------------------------------------------------------- cache
    def _get_cache(self, name: str) -> Cache:
        inst = self._find_cache(name)
        if inst is None:
            raise NotFound(f"no Memorystore instance {name!r}")
        self.ensure_managed(inst.labels, f"Memorystore instance {name!r}")
        extras: dict[str, Any] = {}
        sizes = [s for s, gb in MEMORY_GB.items() if gb == int(inst.memory_size_gb)]
        if not sizes:
            extras["memory_size_gb"] = int(inst.memory_size_gb)
        config = CacheConfig(
            name=name,
            version=label_version(inst.labels[VERSION_LABEL])
            if VERSION_LABEL in inst.labels
            else _SHORT_REDIS.get(inst.redis_version),
            size=sizes[0] if sizes else SizeClass.SMALL,
            high_availability=int(inst.tier) == _STANDARD_HA,
            tls=int(inst.transit_encryption_mode) == _TLS,
            auth=bool(inst.auth_enabled),
            tags=user_labels(inst.labels),
            extras=extras,
        )
        endpoint = self._cache_endpoint(name, inst)
        return Cache(
            name=name,
            config=config,
            endpoint=endpoint,
            status=endpoint.status,
            created_at=inst.create_time or None,
        )

    # ------------------------------------------------------------------ dns
    def _list_dns_zones(self) -> list[DNSZone]:
        return [
            DNSZone(
                name=apex,
                provider_id=str(zone.name),
                private=getattr(zone, "visibility", None) == "private",
            )
            for apex, zone in self._zones().items()
        ]

    # ------------------------------------------------------------------ waf
    def _list_waf_targets(self) -> list[str | None]:
        return [
            None if p["name"] == DEFAULT_POLICY else str(p["name"])
            for p in self._armor_policies()
            if managed(p.get("labels"))
        ]
