"""WAF on Cloud Armor: one security policy per target, rules converged one by one.

``google.cloud.compute_v1`` (about 1.5 s to import) is imported only here, when a WAF method
runs. The policy is ``target`` (default ``cloudcore-waf``), created and labelled by cloudcore;
attach it to your backend services yourself. Portable rule *i* becomes Cloud Armor rules at
priorities ``1000 + 100*i + j``: lists longer than Cloud Armor allows in one rule (10 source
ranges, 5 CEL sub-expressions) are split over consecutive priorities. The first part's
description holds the portable rule as JSON (``cloudcore:{...}``); the default rule and any rule
without that marker are left alone.

* ``ip`` → ``versionedExpr: SRC_IPS_V1`` source ranges;
* ``geo`` → CEL ``origin.region_code == 'CC'``;
* ``path`` → CEL ``request.path.startsWith('/p')`` / ``request.path == '/p'``, methods with
  ``request.method.matches('^(GET|POST)$')``;
* ``rate_limit`` → ``throttle`` (no mitigation period) or ``rate_based_ban`` (ban for the
  mitigation period) keyed on IP, ``deny(429)`` when exceeded, or a reCAPTCHA ``redirect`` for
  ``challenge``; the period must be one of Cloud Armor's intervals;
* ``managed`` → ``evaluatePreconfiguredWaf('<rule>-v33-stable')``; ``count`` = preview mode.

Every value that enters a CEL expression is quoted by :func:`cel_string`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cloudcore.errors import ConfigurationError, NotFound
from cloudcore.models import (
    GeoRule,
    IPRule,
    ManagedRule,
    PathRule,
    RateLimitRule,
    WAFRule,
    WAFRuleSet,
)

from ._base import GCPBase, labels_for, managed
from ._mapping import POLICY_NAME

__all__ = ["GCPWAF", "INTERVALS", "MANAGED_SETS", "cel_string", "gcp_rules"]

DEFAULT_POLICY = "cloudcore-waf"
MARK = "cloudcore:"
PART = "cloudcore:part"
INTERVALS = (10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600)
"""The rate-limit intervals (seconds) Cloud Armor accepts."""

MANAGED_SETS: dict[str, tuple[str, ...]] = {
    "core": (
        "methodenforcement-v33-stable",
        "scannerdetection-v33-stable",
        "protocolattack-v33-stable",
        "sessionfixation-v33-stable",
        "lfi-v33-stable",
        "rfi-v33-stable",
        "rce-v33-stable",
    ),
    "sqli": ("sqli-v33-stable",),
    "xss": ("xss-v33-stable",),
    "known-bad-inputs": ("cve-canary", "java-v33-stable"),
}
"""Portable managed set → Cloud Armor preconfigured WAF rules (``ip-reputation`` uses
``evaluateThreatIntelligence('iplist-known-malicious-ips')``, a Cloud Armor Enterprise feature)."""

_MAX_SUB = 5
_MAX_RANGES = 10


def cel_string(value: str) -> str:
    """``value`` as a single-quoted CEL string literal (backslashes, quotes, controls escaped)."""
    out = []
    for ch in value:
        if ch in ("\\", "'", '"'):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _expr(expression: str) -> dict[str, Any]:
    return {"expr": {"expression": expression}}


def _matches(rule: WAFRule) -> list[dict[str, Any]]:
    if isinstance(rule, IPRule):
        return [
            {"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": part}}
            for part in _chunks(list(rule.cidrs), _MAX_RANGES)
        ]
    if isinstance(rule, GeoRule):
        return [
            _expr(" || ".join(f"origin.region_code == {cel_string(c)}" for c in part))
            for part in _chunks(list(rule.countries), _MAX_SUB)
        ]
    if isinstance(rule, PathRule):
        if rule.match == "prefix":
            cond = f"request.path.startsWith({cel_string(rule.path)})"
        else:
            cond = f"request.path == {cel_string(rule.path)}"
        if rule.methods:
            alternatives = "|".join(re.escape(m) for m in rule.methods)
            cond += f" && request.method.matches({cel_string(f'^({alternatives})$')})"
        return [_expr(cond)]
    if isinstance(rule, RateLimitRule):
        if rule.path:
            return [_expr(f"request.path.startsWith({cel_string(rule.path)})")]
        return [{"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": ["*"]}}]
    assert isinstance(rule, ManagedRule)
    if rule.set.value == "ip-reputation":
        return [_expr("evaluateThreatIntelligence('iplist-known-malicious-ips')")]
    return [
        _expr(" || ".join(f"evaluatePreconfiguredWaf({cel_string(n)})" for n in part))
        for part in _chunks(list(MANAGED_SETS[rule.set.value]), _MAX_SUB)
    ]


def _action(rule: WAFRule) -> tuple[str, dict[str, Any]]:
    if isinstance(rule, RateLimitRule):
        if rule.period_seconds not in INTERVALS:
            raise ConfigurationError(
                f"rules[{rule.name}].period_seconds: Cloud Armor accepts {list(INTERVALS)} "
                f"(got {rule.period_seconds})",
                field="period_seconds",
            )
        options: dict[str, Any] = {
            "conform_action": "allow",
            "enforce_on_key": "IP",
            "rate_limit_threshold": {"count": rule.requests, "interval_sec": rule.period_seconds},
        }
        if rule.action == "challenge":
            options["exceed_action"] = "redirect"
            options["exceed_redirect_options"] = {"type_": "GOOGLE_RECAPTCHA"}
        else:
            options["exceed_action"] = "deny(429)"
        if rule.mitigation_seconds > 0:
            options["ban_duration_sec"] = rule.mitigation_seconds
            return "rate_based_ban", options
        return "throttle", options
    if rule.action == "allow":
        return "allow", {}
    return "deny(403)", {}


def _portable(rule: WAFRule) -> str:
    data = rule.model_dump(mode="json", exclude_none=True)
    data.pop("cidrs", None)
    data.pop("countries", None)
    return MARK + json.dumps(data, separators=(",", ":"), sort_keys=True)


def gcp_rules(rules: tuple[WAFRule, ...]) -> list[dict[str, Any]]:
    """The Cloud Armor rules (proto field dicts) of a portable rule set, by priority."""
    out = []
    for i, rule in enumerate(rules):
        action, options = _action(rule)
        parts = _matches(rule)
        if len(parts) > 100:
            raise ConfigurationError(f"rules[{rule.name}]: too long for Cloud Armor")
        for j, match in enumerate(parts):
            item: dict[str, Any] = {
                "priority": 1000 + 100 * i + j,
                "action": action,
                "description": _portable(rule) if j == 0 else PART,
                "preview": isinstance(rule, ManagedRule) and rule.action == "count",
                "match": match,
            }
            if options:
                item["rate_limit_options"] = options
            out.append(item)
    return out


def _subset(want: Any, have: Any) -> bool:
    if isinstance(want, dict):
        return isinstance(have, dict) and all(_subset(v, have.get(k)) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and [str(w) for w in want] == [str(h) for h in have]
    return bool(want == have or (want is False and have in (None, False)))


def _read(rules: list[dict[str, Any]]) -> list[WAFRule]:
    """Portable rules back from the Cloud Armor rules cloudcore wrote."""
    ours = sorted(
        (r for r in rules if str(r.get("description", "")).startswith(MARK)),
        key=lambda r: int(r["priority"]),
    )
    groups: dict[int, list[dict[str, Any]]] = {}
    for rule in ours:
        groups.setdefault((int(rule["priority"]) - 1000) // 100, []).append(rule)
    out: list[dict[str, Any]] = []
    for _, parts in sorted(groups.items()):
        head = parts[0]["description"]
        if head == PART:
            continue
        data = json.loads(head[len(MARK) :])
        if data.get("kind") == "ip":
            data["cidrs"] = [
                c for p in parts for c in p["match"].get("config", {}).get("src_ip_ranges", [])
            ]
        elif data.get("kind") == "geo":
            data["countries"] = [
                c
                for p in parts
                for c in re.findall(r"'([A-Z]{2})'", p["match"]["expr"]["expression"])
            ]
        out.append(data)
    return list(WAFRuleSet.model_validate({"rules": out}).rules)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _done(op: Any) -> bool:
    status = op.status
    return str(getattr(status, "name", status)) == "DONE"


class GCPWAF(GCPBase):
    """The WAF capability (Cloud Armor security policies)."""

    def _policy(self, target: str | None) -> tuple[str, Any | None]:
        from google.api_core import exceptions as gexc

        name = target or DEFAULT_POLICY
        if not POLICY_NAME.match(name):
            raise ConfigurationError(
                f"target: Cloud Armor policy names are 1-63 lowercase letters, digits and "
                f"hyphens, starting with a letter and not ending with a hyphen (got {name!r})",
                field="target",
            )
        try:
            policy = self.clients.armor().get(
                project=self.project, security_policy=name, **self.kw()
            )
        except gexc.NotFound:
            return name, None
        return name, policy

    def _compute_wait(self, op: Any, what: str) -> None:
        ops = self.clients.armor_operations()
        state = {"op": op}

        def done() -> bool:
            if _done(state["op"]):
                return True
            state["op"] = ops.get(project=self.project, operation=state["op"].name, **self.kw())
            return _done(state["op"])

        self.wait(done, what)
        error = state["op"].error
        if error and error.errors:
            from cloudcore.errors import ProviderError

            first = error.errors[0]
            raise ProviderError(f"{what} failed: {first.code}: {first.message}", code=first.code)

    def _configure_waf(self, rules: tuple[WAFRule, ...], target: str | None) -> bool:
        from google.cloud import compute_v1

        want = gcp_rules(rules)  # validates before any call
        client = self.clients.armor()
        name, policy = self._policy(target)
        if policy is None:
            body = compute_v1.SecurityPolicy(
                name=name,
                description="managed by cloudcore",
                labels=labels_for(name),
                rules=[compute_v1.SecurityPolicyRule(r) for r in want],
            )
            op = client.insert_unary(
                project=self.project, security_policy_resource=body, **self.kw()
            )
            self._compute_wait(op, f"Cloud Armor policy {name!r}")
            return True
        self.ensure_managed(policy.labels, f"Cloud Armor policy {name!r}")
        have = {
            int(r.priority): compute_v1.SecurityPolicyRule.to_dict(
                r, preserving_proto_field_name=True
            )
            for r in policy.rules
            if r.description.startswith(MARK)
        }
        wanted = {
            int(r["priority"]): compute_v1.SecurityPolicyRule.to_dict(
                compute_v1.SecurityPolicyRule(r), preserving_proto_field_name=True
            )
            for r in want
        }
        changed = False
        for priority in sorted(set(have) - set(wanted)):
            op = client.remove_rule_unary(
                request={"project": self.project, "security_policy": name, "priority": priority},
                **self.kw(),
            )
            self._compute_wait(op, f"removal of rule {priority} from {name!r}")
            changed = True
        for priority, rule in sorted(wanted.items()):
            if priority in have and _subset(rule, have[priority]):
                continue
            body_rule = compute_v1.SecurityPolicyRule(rule)
            if priority in have:
                # patchRule merges; fields the old rule had and the new one lacks (a rate
                # limit turned into a deny) are cleared by naming them in the update mask
                cleared = sorted(set(have[priority]) - set(rule) - {"kind", "priority"})
                request: dict[str, Any] = {
                    "project": self.project,
                    "security_policy": name,
                    "security_policy_rule_resource": body_rule,
                    "priority": priority,
                }
                if cleared:
                    request["update_mask"] = ",".join(_camel(f) for f in cleared)
                op = client.patch_rule_unary(
                    request=request,
                    **self.kw(),
                )
            else:
                op = client.add_rule_unary(
                    project=self.project,
                    security_policy=name,
                    security_policy_rule_resource=body_rule,
                    **self.kw(),
                )
            self._compute_wait(op, f"rule {priority} of {name!r}")
            changed = True
        return changed

    def _get_waf_rules(self, target: str | None) -> list[WAFRule]:
        from google.cloud import compute_v1

        name, policy = self._policy(target)
        if policy is None:
            return []
        if not managed(policy.labels):
            raise NotFound(f"Cloud Armor policy {name!r} is not managed by cloudcore")
        return _read(
            [
                compute_v1.SecurityPolicyRule.to_dict(r, preserving_proto_field_name=True)
                for r in policy.rules
            ]
        )
