"""WAFv2 (regional): one web ACL per target, IP sets for ``ip`` rules, association to the ALB.

``configure_waf(rules, target)`` is declarative and converges: it reads the web ACL and its IP
sets, writes only what differs, and returns whether anything changed. ``target`` is the ARN of
the resource to protect (an Application Load Balancer, API Gateway stage...); ``None`` manages an
unassociated web ACL named ``cloudcore-default``. A target's web ACL is named
``cloudcore-<12 hex digits of sha256(target)>``. An empty rule set deletes the web ACL
(disassociating it first) and its IP sets.

Every update carries the LockToken read with the state it was computed from. When someone else
changed the ACL or an IP set in between (``WAFOptimisticLockException``), cloudcore re-reads and
recomputes, up to 5 times, so no concurrent change is silently overwritten with a stale view.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cloudcore.errors import ConfigurationError, Conflict
from cloudcore.models import IPRule, WAFRule

from ._base import AWSBase, kv_tags, tag_dict
from ._errors import error_code
from ._limits import check_waf
from ._wafrules import (
    decode_rule,
    ip_set_name,
    render_rule,
    same_rules,
    split_cidrs,
    validate_rules,
)

__all__ = ["AWSWAF", "DEFAULT_ACL", "acl_name"]

DEFAULT_ACL = "cloudcore-default"
SCOPE = "REGIONAL"
_LOCK_ATTEMPTS = 5


def acl_name(target: str | None) -> str:
    """The web ACL cloudcore manages for ``target``."""
    if target is None:
        return DEFAULT_ACL
    return "cloudcore-" + hashlib.sha256(target.encode()).hexdigest()[:12]


def _check_target(target: str | None) -> None:
    if target is None:
        return
    if not isinstance(target, str) or not target.startswith("arn:"):
        raise ConfigurationError(
            f"target: the ARN of the resource to protect, e.g. an ALB (got {target!r})",
            field="target",
        )
    if target.split(":")[2:3] == ["cloudfront"]:
        raise ConfigurationError(
            "target: CloudFront distributions take a web ACL in their own configuration; "
            "cloudcore's AWS driver manages regional web ACLs (ALB, API Gateway, AppSync)",
            field="target",
        )


class AWSWAF(AWSBase):
    """The waf capability (WAFv2)."""

    def _wafv2(self) -> Any:
        return self._client("wafv2")

    def _find_acl(self, name: str) -> dict[str, Any] | None:
        pages = self._list_all("list_web_acls", "WebACLs")
        return next((a for a in pages if a.get("Name") == name), None)

    def _list_all(self, method: str, key: str) -> list[dict[str, Any]]:
        """WAFv2 list calls page with NextMarker and no paginator."""
        found: list[dict[str, Any]] = []
        args: dict[str, Any] = {"Scope": SCOPE, "Limit": 100}
        while True:
            page = getattr(self._wafv2(), method)(**args)
            found.extend(page.get(key, []))
            marker = page.get("NextMarker")
            if not marker or not page.get(key):
                return found
            args["NextMarker"] = marker

    def _configure_waf(self, rules: tuple[WAFRule, ...], target: str | None) -> bool:
        _check_target(target)
        validate_rules(rules)
        name = acl_name(target)
        sets = {
            str(r.name): [ip_set_name(name, str(r.name), v) for v in split_cidrs(r.cidrs)]
            for r in rules
            if isinstance(r, IPRule)
        }
        check_waf(rules, name, sets)
        for attempt in range(_LOCK_ATTEMPTS):
            try:
                return self._apply_waf(acl_name(target), rules, target)
            except Exception as exc:
                if error_code(exc) != "WAFOptimisticLockException" or attempt + 1 == _LOCK_ATTEMPTS:
                    if error_code(exc) == "WAFOptimisticLockException":
                        raise Conflict(
                            "the web ACL kept changing under concurrent updates; try again"
                        ) from exc
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _apply_waf(self, name: str, rules: tuple[WAFRule, ...], target: str | None) -> bool:
        waf = self._wafv2()
        changed = False
        ip_sets = {s["Name"]: s for s in self._list_all("list_ip_sets", "IPSets")}
        if not rules:
            return self._remove_acl(name, target, ip_sets)
        arns: dict[tuple[str, str], str] = {}
        used: set[str] = set()
        for rule in rules:
            if not isinstance(rule, IPRule):
                continue
            for version, addresses in split_cidrs(rule.cidrs).items():
                set_name = ip_set_name(name, str(rule.name), version)
                used.add(set_name)
                summary = ip_sets.get(set_name)
                if summary is None:
                    out = waf.create_ip_set(
                        Name=set_name,
                        Scope=SCOPE,
                        IPAddressVersion="IPV4" if version == "v4" else "IPV6",
                        Addresses=addresses,
                        Description=f"cloudcore rule {rule.name} of {name}",
                        Tags=kv_tags(self._tags(set_name)),
                    )
                    arns[(str(rule.name), version)] = out["Summary"]["ARN"]
                    changed = True
                    continue
                got = waf.get_ip_set(Name=set_name, Scope=SCOPE, Id=summary["Id"])
                arns[(str(rule.name), version)] = got["IPSet"]["ARN"]
                if sorted(got["IPSet"].get("Addresses", [])) != sorted(addresses):
                    waf.update_ip_set(
                        Name=set_name,
                        Scope=SCOPE,
                        Id=summary["Id"],
                        Addresses=addresses,
                        LockToken=got["LockToken"],
                    )
                    changed = True
        desired = [render_rule(rule, i, arns) for i, rule in enumerate(rules)]
        visibility = {
            "SampledRequestsEnabled": True,
            "CloudWatchMetricsEnabled": True,
            "MetricName": name,
        }
        summary = self._find_acl(name)
        if summary is None:
            out = waf.create_web_acl(
                Name=name,
                Scope=SCOPE,
                DefaultAction={"Allow": {}},
                Rules=desired,
                VisibilityConfig=visibility,
                Description=f"managed by cloudcore for {target or 'no target'}"[:256],
                Tags=kv_tags(self._tags(name, {"cloudcore-target": target} if target else {})),
            )
            acl_arn = out["Summary"]["ARN"]
            changed = True
        else:
            acl_arn = summary["ARN"]
            tags = waf.list_tags_for_resource(ResourceARN=acl_arn)
            self._refuse_unmanaged(
                tag_dict(tags.get("TagInfoForResource", {}).get("TagList")), f"web ACL {name!r}"
            )
            got = waf.get_web_acl(Name=name, Scope=SCOPE, Id=summary["Id"])
            if not same_rules(desired, got["WebACL"].get("Rules", [])):
                waf.update_web_acl(
                    Name=name,
                    Scope=SCOPE,
                    Id=summary["Id"],
                    DefaultAction=got["WebACL"].get("DefaultAction") or {"Allow": {}},
                    Rules=desired,
                    VisibilityConfig=got["WebACL"].get("VisibilityConfig") or visibility,
                    LockToken=got["LockToken"],
                )
                changed = True
        if target is not None:
            current = waf.get_web_acl_for_resource(ResourceArn=target).get("WebACL")
            if not current or current.get("ARN") != acl_arn:
                waf.associate_web_acl(WebACLArn=acl_arn, ResourceArn=target)
                changed = True
        return self._delete_ip_sets(name, ip_sets, used) or changed

    def _delete_ip_sets(self, acl: str, ip_sets: dict[str, dict[str, Any]], keep: set[str]) -> bool:
        """Delete the IP sets of ``acl`` not in ``keep`` (after the ACL stopped using them)."""
        waf = self._wafv2()
        prefix = ip_set_name(acl, "", "")[:-1]  # "<acl>_"
        deleted = False
        for set_name, stale in ip_sets.items():
            if set_name.startswith(prefix) and set_name not in keep:
                got = waf.get_ip_set(Name=set_name, Scope=SCOPE, Id=stale["Id"])
                waf.delete_ip_set(
                    Name=set_name, Scope=SCOPE, Id=stale["Id"], LockToken=got["LockToken"]
                )
                deleted = True
        return deleted

    def _remove_acl(
        self, name: str, target: str | None, ip_sets: dict[str, dict[str, Any]]
    ) -> bool:
        """An empty rule set: no web ACL at all (disassociated first), and no IP sets."""
        waf = self._wafv2()
        summary = self._find_acl(name)
        changed = False
        if summary is not None:
            tags = waf.list_tags_for_resource(ResourceARN=summary["ARN"])
            self._refuse_unmanaged(
                tag_dict(tags.get("TagInfoForResource", {}).get("TagList")), f"web ACL {name!r}"
            )
            if target is not None:
                current = waf.get_web_acl_for_resource(ResourceArn=target).get("WebACL")
                if current and current.get("ARN") == summary["ARN"]:
                    waf.disassociate_web_acl(ResourceArn=target)
            got = waf.get_web_acl(Name=name, Scope=SCOPE, Id=summary["Id"])
            waf.delete_web_acl(Name=name, Scope=SCOPE, Id=summary["Id"], LockToken=got["LockToken"])
            changed = True
        return self._delete_ip_sets(name, ip_sets, set()) or changed

    def _get_waf_rules(self, target: str | None) -> list[WAFRule]:
        _check_target(target)
        name = acl_name(target)
        summary = self._find_acl(name)
        if summary is None:
            return []
        waf = self._wafv2()
        acl = waf.get_web_acl(Name=name, Scope=SCOPE, Id=summary["Id"])["WebACL"]
        addresses: dict[str, list[str]] = {}
        for ip_set in self._list_all("list_ip_sets", "IPSets"):
            if ip_set["Name"].startswith(name + "_"):
                got = waf.get_ip_set(Name=ip_set["Name"], Scope=SCOPE, Id=ip_set["Id"])
                addresses[got["IPSet"]["ARN"]] = list(got["IPSet"].get("Addresses", []))
        out: list[WAFRule] = []
        for rule in sorted(acl.get("Rules", []), key=lambda r: int(r.get("Priority", 0))):
            try:
                decoded = decode_rule(rule, addresses)
            except (ConfigurationError, KeyError, ValueError):
                decoded = None  # a rule cloudcore did not write (or cannot express)
            if decoded is not None:
                out.append(decoded)
        return out
