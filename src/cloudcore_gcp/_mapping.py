"""Portable values to what Google's APIs accept: names, CPU and memory, editions and tiers,
Redis versions. Everything here is checked *before* any call, so a value Google would refuse
is a :class:`~cloudcore.errors.ConfigurationError` naming the field, never a half-done write.
The tables are documented in docs/drivers/gcp.md.
"""

from __future__ import annotations

import re
from typing import Any

from cloudcore.errors import ConfigurationError
from cloudcore.models import SizeClass

from ._base import short_hash

__all__ = [
    "CACHE_ID_LIMIT",
    "EDITION_TIERS",
    "MIN_STORAGE_GB",
    "POLICY_NAME",
    "REDIS_VERSIONS",
    "SERVICE_ID_LIMIT",
    "edition_and_tier",
    "provider_id",
    "redis_version",
    "run_resources",
]

SERVICE_ID_LIMIT = 49
"""Cloud Run service ids "must contain fewer than 50 characters" (run.v2 ``serviceId``)."""
CACHE_ID_LIMIT = 40
"""Memorystore instance ids "Must be between 1-40 characters" (redis.v1 ``instanceId``)."""
POLICY_NAME = re.compile(r"\A[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?\Z")
"""Cloud Armor policy names: RFC 1035, 1-63 characters (compute.v1 ``SecurityPolicy.name``)."""


def provider_id(name: str, limit: int) -> str:
    """The Google id of a cloudcore name where ids are shorter than names (or may not end
    with ``-``): the name itself when it fits, else its first characters, ``-`` and the first
    10 hex digits of its SHA-256 (``a-very-long-name-…-3f2a9c01bd``). Deterministic, so the
    same name always finds the same resource; the full name is kept in the resource's
    ``cloudcore-name`` label, which listings read."""
    if len(name) <= limit and not name.endswith("-"):
        return name
    digest = short_hash(name)
    return f"{name[: limit - len(digest) - 1].rstrip('-')}-{digest}"


# ------------------------------------------------------------------------------ Cloud Run
_ABOVE_ONE = (1, 2, 4, 6, 8)
# GiB each CPU count allows (https://cloud.google.com/run/docs/configuring/services/cpu):
# 1: up to 4, 2: up to 8, 4: 2 to 16, 6: 4 to 24, 8: 4 to 32.
_MEMORY_GIB = {1: (0, 4), 2: (0, 8), 4: (2, 16), 6: (4, 24), 8: (4, 32)}
_GEN1_MIN_MIB = 128  # memory-limits page: 128 MiB minimum on the first generation
_GEN2_MIN_MIB = 512  # ... and 512 MiB on the second


def _memory_range(cpu: float) -> tuple[int, int]:
    if cpu < 0.5:
        return _GEN1_MIN_MIB, 512
    if cpu < 1:
        return _GEN1_MIN_MIB, 1024
    low, high = _MEMORY_GIB[int(cpu)]
    return max(low * 1024, _GEN1_MIN_MIB), high * 1024


def run_resources(
    cpu: float, memory: int, concurrency: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(container resources, revision template fields)`` for a portable CPU/memory pair.

    Cloud Run takes 0.08 to 1 vCPU in steps of 0.001, or exactly 1, 2, 4, 6 or 8; each CPU
    allows a memory range; below 1 vCPU it needs concurrency 1, request-based billing
    (``cpuIdle``) and the first-generation environment
    (https://cloud.google.com/run/docs/configuring/services/cpu). Anything else raises
    :class:`ConfigurationError` naming ``cpu``, ``memory`` or ``extras.concurrency``.
    """
    if cpu < 1:
        millis = round(cpu * 1000)
        if cpu < 0.08 or abs(cpu * 1000 - millis) > 1e-6:
            raise ConfigurationError(
                f"cpu: Cloud Run takes 0.08 to 1 vCPU in steps of 0.001, or 1, 2, 4, 6 or 8 "
                f"(got {cpu:g})",
                field="cpu",
            )
        cpu_text = f"{millis}m"
    elif cpu in _ABOVE_ONE:
        cpu_text = str(int(cpu))
    else:
        raise ConfigurationError(
            f"cpu: above 1 vCPU Cloud Run takes only 1, 2, 4, 6 or 8 (got {cpu:g})", field="cpu"
        )
    low, high = _memory_range(cpu)
    if not low <= memory <= high:
        raise ConfigurationError(
            f"memory: {cpu:g} vCPU on Cloud Run allows {low} to {high} MiB (got {memory}); "
            "change memory or cpu",
            field="memory",
        )
    template: dict[str, Any] = {}
    resources: dict[str, Any] = {
        "limits": {"cpu": cpu_text, "memory": f"{memory}Mi"},
        # "if ResourceRequirements is set, the caller must explicitly set this field to true
        # to preserve the default behavior" (run.v2 ResourceRequirements.cpuIdle)
        "cpu_idle": True,
    }
    if concurrency is not None:
        try:
            value = int(concurrency)
        except (TypeError, ValueError):
            raise ConfigurationError(
                f"extras.concurrency: a whole number (got {concurrency!r})", field="extras"
            ) from None
        if not 1 <= value <= 1000:
            raise ConfigurationError(f"extras.concurrency: 1 to 1000 (got {value})", field="extras")
        template["max_instance_request_concurrency"] = value
    if cpu < 1:
        if template.get("max_instance_request_concurrency", 1) != 1:
            raise ConfigurationError(
                "extras.concurrency: Cloud Run needs concurrency 1 below 1 vCPU (give cpu >= 1 "
                "to serve requests concurrently)",
                field="extras",
            )
        template["max_instance_request_concurrency"] = 1
    if cpu < 1 or memory < _GEN2_MIN_MIB:
        template["execution_environment"] = 1  # EXECUTION_ENVIRONMENT_GEN1
    return resources, template


# ------------------------------------------------------------------------------ Cloud SQL
MIN_STORAGE_GB = 10
"""Cloud SQL: "The data disk size minimum is 10GB" (sqladmin.v1beta4 Settings.dataDiskSizeGb)."""

EDITION_TIERS: dict[str, dict[SizeClass, str]] = {
    "ENTERPRISE": {
        SizeClass.MICRO: "db-f1-micro",
        SizeClass.SMALL: "db-g1-small",
        SizeClass.MEDIUM: "db-custom-2-7680",
        SizeClass.LARGE: "db-custom-4-15360",
        SizeClass.XLARGE: "db-custom-8-30720",
    },
    "ENTERPRISE_PLUS": {
        SizeClass.MICRO: "db-perf-optimized-N-2",
        SizeClass.SMALL: "db-perf-optimized-N-2",
        SizeClass.MEDIUM: "db-perf-optimized-N-4",
        SizeClass.LARGE: "db-perf-optimized-N-8",
        SizeClass.XLARGE: "db-perf-optimized-N-16",
    },
}
"""Size class → tier for each Cloud SQL edition (shared-core and custom tiers are Enterprise
only; Enterprise Plus takes ``db-perf-optimized-N-*``)."""

_EDITIONS = {"enterprise": "ENTERPRISE", "enterprise_plus": "ENTERPRISE_PLUS"}


def _tier_edition(tier: str) -> str:
    if tier in ("db-f1-micro", "db-g1-small") or re.fullmatch(r"db-custom-\d+-\d+", tier):
        return "ENTERPRISE"
    if re.fullmatch(r"db-perf-optimized-N-(2|4|8|16|32|48|64|80|96|128)", tier):
        return "ENTERPRISE_PLUS"
    raise ConfigurationError(
        f"extras.tier: {tier!r} is not a Cloud SQL for PostgreSQL tier (db-f1-micro, "
        "db-g1-small, db-custom-<CPUs>-<MiB> for Enterprise; db-perf-optimized-N-<CPUs> for "
        "Enterprise Plus)",
        field="extras",
    )


def edition_and_tier(size: SizeClass, extras: dict[str, Any]) -> tuple[str, str]:
    """The Cloud SQL ``(edition, tier)`` of a size class and the ``edition``/``tier`` extras.

    The edition is always sent: left out, PostgreSQL 16 and later default to Enterprise Plus,
    which refuses the shared-core tiers. Default ``ENTERPRISE``; a given tier implies its
    edition; a tier and an edition that do not fit together raise :class:`ConfigurationError`.
    """
    edition: str | None = None
    if extras.get("edition") is not None:
        key = str(extras["edition"]).strip().lower().replace("-", "_")
        if key not in _EDITIONS:
            raise ConfigurationError(
                f"extras.edition: enterprise or enterprise_plus (got {extras['edition']!r})",
                field="extras",
            )
        edition = _EDITIONS[key]
    if extras.get("tier"):
        tier = str(extras["tier"])
        fits = _tier_edition(tier)
        if edition is not None and edition != fits:
            raise ConfigurationError(
                f"extras.tier: {tier} is a Cloud SQL {fits} tier, but extras.edition asks "
                f"{edition}",
                field="extras",
            )
        return fits, tier
    edition = edition or "ENTERPRISE"
    return edition, EDITION_TIERS[edition][size]


# ---------------------------------------------------------------------------- Memorystore
REDIS_VERSIONS = {
    "3.2": "REDIS_3_2",
    "4": "REDIS_4_0",
    "4.0": "REDIS_4_0",
    "5": "REDIS_5_0",
    "5.0": "REDIS_5_0",
    "6": "REDIS_6_X",
    "7": "REDIS_7_0",
    "7.0": "REDIS_7_0",
    "7.2": "REDIS_7_2",
}
"""Portable Redis version → Memorystore ``redisVersion`` (the values redis.v1 documents)."""


def redis_version(version: str | None) -> str | None:
    """The Memorystore ``redisVersion`` of a portable version (``None``: the default)."""
    if version is None:
        return None
    if version not in REDIS_VERSIONS:
        raise ConfigurationError(
            f"version: Memorystore offers Redis {', '.join(sorted(REDIS_VERSIONS))} "
            f"(got {version!r})",
            field="version",
        )
    return REDIS_VERSIONS[version]
