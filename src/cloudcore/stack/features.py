"""What each resource of a stack needs from its target (capability features), so a plan says
what a target lacks before anything is written, instead of an apply failing half-way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..capabilities import Capability as C
from ..models import BucketConfig, CacheConfig, DatabaseConfig, DNSRecord, ServiceConfig
from ..models.waf import rule_feature

if TYPE_CHECKING:
    from ..protocol import CloudProvider

__all__ = ["lacking"]


def _service(cfg: ServiceConfig, p: CloudProvider) -> list[tuple[C, str]]:
    out: list[tuple[C, str]] = []
    if cfg.image and not cfg.command:
        out.append((C.COMPUTE, "images"))
    elif cfg.command and not cfg.image:
        out.append((C.COMPUTE, "commands"))
    elif not (p.supports(C.COMPUTE, "images") or p.supports(C.COMPUTE, "commands")):
        out.append((C.COMPUTE, "images"))
    if cfg.autoscaling is not None:
        out.append((C.COMPUTE, "autoscaling"))
    if cfg.health_check is not None:
        out.append((C.COMPUTE, "health_check"))
    if cfg.secrets:
        out.append((C.COMPUTE, "secrets_env"))
    return out


def _needs(kind: str, desired: Any, p: CloudProvider) -> list[tuple[C, str]]:
    if kind == "services" and isinstance(desired, ServiceConfig):
        return _service(desired, p)
    if kind == "databases" and isinstance(desired, DatabaseConfig):
        return [(C.DATABASE, desired.engine)] + (
            [(C.DATABASE, "high_availability")] if desired.high_availability else []
        )
    if kind == "caches" and isinstance(desired, CacheConfig):
        flags = (
            ("high_availability", desired.high_availability),
            ("tls", desired.tls),
            ("auth", desired.auth),
        )
        return [(C.CACHE, desired.engine)] + [(C.CACHE, f) for f, on in flags if on]
    if kind == "buckets" and isinstance(desired, BucketConfig):
        wants = (
            ("versioning", desired.versioning),
            ("public", desired.public_read),
            ("lifecycle", bool(desired.lifecycle)),
            ("cors", bool(desired.cors_origins)),
        )
        return [(C.STORAGE, f) for f, on in wants if on]
    if kind == "dns" and isinstance(desired, DNSRecord):
        return [(C.DNS, desired.type.value)] + ([(C.DNS, "proxied")] if desired.proxied else [])
    if kind == "waf" and isinstance(desired, tuple | list):
        return [(C.WAF, f) for rule in desired for f in rule_feature(rule)]
    return []


def lacking(kind: str, desired: Any, provider: CloudProvider) -> str | None:
    """Why ``provider`` cannot take ``desired`` (a stack entry rendered), or ``None``."""
    missing: list[str] = []
    for cap, feature in dict.fromkeys(_needs(kind, desired, provider)):
        if not provider.supports(cap, feature):
            why = provider.unsupported_reason(cap, feature)
            missing.append(f"{cap.value} feature {feature!r}" + (f" ({why})" if why else ""))
    return "; ".join(missing) or None
