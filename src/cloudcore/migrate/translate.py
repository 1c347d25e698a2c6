"""Translating an exported stack for another provider.

References (``${databases.main.host}``...) are kept: they resolve against the *target's*
resources when the stack is applied there, so services talk to the target's database, cache and
buckets. What the target lacks is handled by the degradation policy:

- ``strict`` (default): every gap is listed and the migration refuses to apply;
- ``lenient``: each gap is dropped (a section, a WAF rule, a service's autoscaling...) and listed
  with the reason in the plan and the final report.

Provider-specific ``extras`` never travel to another driver: they are dropped and listed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..capabilities import Capability
from ..errors import ConfigurationError
from ..models import WAFRuleSet
from ..models.waf import rule_feature
from ..stack.model import Stack
from ..stack.plan import CAPABILITY_OF

if TYPE_CHECKING:
    from ..protocol import CloudProvider

__all__ = ["Gap", "Policy", "translate"]

Policy = Literal["strict", "lenient"]


@dataclass(frozen=True)
class Gap:
    """Something of the source the target cannot have (``what`` is a dotted path)."""

    what: str
    reason: str
    dropped: bool

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}" + (" (dropped)" if self.dropped else "")


def _features(provider: CloudProvider, cap: Capability) -> frozenset[str]:
    feats = getattr(provider, "features", {}) or {}
    return frozenset(feats.get(cap, frozenset()))


def _reason(provider: CloudProvider, key: str, default: str) -> str:
    reasons = getattr(provider, "unsupported_reasons", {}) or {}
    return str(reasons.get(key) or default)


def translate(
    stack: Stack, source: CloudProvider, target: CloudProvider, policy: Policy = "strict"
) -> tuple[Stack, list[Gap]]:
    """``stack`` (exported from ``source``) made fit for ``target``, and the gaps found."""
    if policy not in ("strict", "lenient"):
        raise ConfigurationError(f"policy: 'strict' or 'lenient', not {policy!r}", field="policy")
    drop = policy == "lenient"
    data: dict[str, Any] = copy.deepcopy(stack.model_dump(mode="json"))
    data["providers"] = {}
    gaps: list[Gap] = []
    same_driver = source.name == target.name

    for kind, cap in CAPABILITY_OF.items():
        if data.get(kind) and cap not in target.capabilities:
            why = _reason(target, cap.value, f"{target.name} does not offer {cap.value}")
            for name in list(data[kind]):
                gaps.append(Gap(f"{kind}.{name}", why, drop))
            if drop:
                data[kind] = {}

    def lacks(cap: Capability, feature: str) -> bool:
        return cap in target.capabilities and feature not in _features(target, cap)

    for kind in ("databases", "caches", "buckets", "services"):
        for name, entry in (data.get(kind) or {}).items():
            if entry.get("extras") and not same_driver:
                gaps.append(
                    Gap(f"{kind}.{name}.extras", f"options of the {source.name} driver", True)
                )
                entry.pop("extras")
    for name, entry in (data.get("databases") or {}).items():
        if entry.get("high_availability") and lacks(Capability.DATABASE, "high_availability"):
            gaps.append(Gap(f"databases.{name}.high_availability", "not offered", drop))
            if drop:
                entry["high_availability"] = False
    for name, entry in (data.get("caches") or {}).items():
        for feat in ("high_availability", "tls", "auth"):
            if entry.get(feat, feat == "auth") and lacks(Capability.CACHE, feat):
                gaps.append(Gap(f"caches.{name}.{feat}", "not offered", drop))
                if drop:
                    entry[feat] = False
    bucket_fields: tuple[tuple[str, str, Any], ...] = (
        ("versioning", "versioning", False),
        ("public_read", "public", False),
        ("lifecycle", "lifecycle", []),
        ("cors_origins", "cors", []),
    )
    for name, entry in (data.get("buckets") or {}).items():
        for field, feat, off in bucket_fields:
            if entry.get(field) and lacks(Capability.STORAGE, feat):
                why = _reason(target, f"storage:{feat}", "not offered")
                gaps.append(Gap(f"buckets.{name}.{field}", why, drop))
                if drop:
                    entry[field] = off
    for name, entry in (data.get("services") or {}).items():
        for field, feat in (("autoscaling", "autoscaling"), ("health_check", "health_check")):
            if entry.get(field) is not None and lacks(Capability.COMPUTE, feat):
                gaps.append(Gap(f"services.{name}.{field}", "not offered", drop))
                if drop:
                    entry.pop(field)
        if entry.get("image") and not entry.get("command") and lacks(Capability.COMPUTE, "images"):
            gaps.append(
                Gap(
                    f"services.{name}.image",
                    f"{target.name} runs commands, not images: give the service a command",
                    False,
                )
            )
    for target_name, rules in (data.get("waf") or {}).items():
        if Capability.WAF not in target.capabilities:
            continue
        have = _features(target, Capability.WAF)
        kept = []
        for i, rule in enumerate(WAFRuleSet(rules=tuple(rules)).named()):
            missing = [f for f in rule_feature(rule) if f not in have]
            if missing:
                why = _reason(
                    target, f"waf:{missing[0]}", f"{target.name} has no {', '.join(missing)} rules"
                )
                gaps.append(Gap(f"waf.{target_name}[{i}] ({rule.name})", why, drop))
                if drop:
                    continue
            kept.append(rules[i])
        data["waf"][target_name] = kept
    data["waf"] = {k: v for k, v in (data.get("waf") or {}).items() if v}
    return Stack.model_validate(data), gaps
