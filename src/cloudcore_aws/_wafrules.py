"""Portable WAF rules to WAFv2 rules and back. Pure functions, shared with the CloudFormation
export; no SDK import, no network.

=================  ==========================================================================
portable rule      WAFv2 rule
=================  ==========================================================================
``ip``             IP set reference (one IP set per address family; both under an OR)
``geo``            ``GeoMatchStatement``
``path``           ``ByteMatchStatement`` on the URI path (STARTS_WITH / EXACTLY), AND an OR of
                   method matches when ``methods`` is given
``rate_limit``     ``RateBasedStatement`` per client IP over 60, 120, 300 or 600 s, optional path
                   scope-down; action Block or Challenge. WAFv2 blocks while the rate is exceeded
                   and has no fixed mitigation period: ``mitigation_seconds`` is kept as the rule
                   label ``cloudcore:mitigation:<s>`` so it reads back unchanged.
``managed``        AWS managed rule groups: core ``AWSManagedRulesCommonRuleSet``, sqli
                   ``AWSManagedRulesSQLiRuleSet``, known-bad-inputs
                   ``AWSManagedRulesKnownBadInputsRuleSet``, ip-reputation
                   ``AWSManagedRulesAmazonIpReputationList``; xss (no separate AWS group) is an
                   ``XssMatchStatement`` rule on body, query string and path. ``count`` runs a
                   group in count mode.
=================  ==========================================================================
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from cloudcore.errors import ConfigurationError
from cloudcore.models import (
    GeoRule,
    IPRule,
    ManagedRule,
    ManagedSet,
    PathRule,
    RateLimitRule,
    WAFRule,
)

__all__ = [
    "MANAGED_GROUPS",
    "RATE_WINDOWS",
    "decode_rule",
    "ip_set_name",
    "render_rule",
    "same_rules",
    "split_cidrs",
    "validate_rules",
]

MANAGED_GROUPS: dict[ManagedSet, str] = {
    ManagedSet.CORE: "AWSManagedRulesCommonRuleSet",
    ManagedSet.SQLI: "AWSManagedRulesSQLiRuleSet",
    ManagedSet.KNOWN_BAD_INPUTS: "AWSManagedRulesKnownBadInputsRuleSet",
    ManagedSet.IP_REPUTATION: "AWSManagedRulesAmazonIpReputationList",
}
_GROUP_SETS = {v: k for k, v in MANAGED_GROUPS.items()}
RATE_WINDOWS = (60, 120, 300, 600)
_MITIGATION = "cloudcore:mitigation:"
_NONE = [{"Priority": 0, "Type": "NONE"}]
_XSS_FIELDS: list[dict[str, Any]] = [
    {"Body": {"OversizeHandling": "CONTINUE"}},
    {"QueryString": {}},
    {"UriPath": {}},
]


def ip_set_name(acl: str, rule: str, version: str) -> str:
    """The IP set of one ``ip`` rule and address family (``v4``/``v6``)."""
    return f"{acl}_{rule}_{version}"


def split_cidrs(cidrs: tuple[str, ...]) -> dict[str, list[str]]:
    """``{"v4": [...], "v6": [...]}`` (only the families present)."""
    out: dict[str, list[str]] = {}
    for cidr in cidrs:
        version = "v4" if ipaddress.ip_network(cidr, strict=False).version == 4 else "v6"
        out.setdefault(version, []).append(cidr)
    return out


def validate_rules(rules: tuple[WAFRule, ...]) -> None:
    """Refuse what WAFv2 cannot express, before any call."""
    for i, rule in enumerate(rules):
        where = f"rules[{i}]"
        if isinstance(rule, RateLimitRule):
            if rule.period_seconds not in RATE_WINDOWS:
                raise ConfigurationError(
                    f"{where}.period_seconds: AWS WAF counts requests over "
                    f"{', '.join(map(str, RATE_WINDOWS))} seconds (got {rule.period_seconds})",
                    field=f"{where}.period_seconds",
                )
            if rule.requests < 10:
                raise ConfigurationError(
                    f"{where}.requests: AWS WAF's smallest rate limit is 10 (got {rule.requests})",
                    field=f"{where}.requests",
                )
        path = getattr(rule, "path", None)
        if isinstance(path, str) and len(path.encode()) > 200:
            raise ConfigurationError(
                f"{where}.path: AWS WAF matches at most 200 bytes", field=f"{where}.path"
            )


def _byte_match(value: str, field: dict[str, Any], position: str) -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "SearchString": value.encode(),
            "FieldToMatch": field,
            "TextTransformations": _NONE,
            "PositionalConstraint": position,
        }
    }


def _path_statement(rule: PathRule) -> dict[str, Any]:
    position = "STARTS_WITH" if rule.match == "prefix" else "EXACTLY"
    path = _byte_match(rule.path, {"UriPath": {}}, position)
    if not rule.methods:
        return path
    methods = [_byte_match(m, {"Method": {}}, "EXACTLY") for m in rule.methods]
    method = methods[0] if len(methods) == 1 else {"OrStatement": {"Statements": methods}}
    return {"AndStatement": {"Statements": [path, method]}}


def _action(action: str) -> dict[str, Any]:
    return {action.capitalize(): {}}


def render_rule(
    rule: WAFRule, priority: int, ip_set_arns: Mapping[tuple[str, str], str]
) -> dict[str, Any]:
    """One WAFv2 rule (API shape). ``ip_set_arns`` maps ``(rule name, "v4"|"v6")`` to ARNs."""
    name = str(rule.name)
    out: dict[str, Any] = {"Name": name, "Priority": priority}
    if isinstance(rule, IPRule):
        refs = [
            {"IPSetReferenceStatement": {"ARN": ip_set_arns[(name, version)]}}
            for version in split_cidrs(rule.cidrs)
        ]
        out["Statement"] = refs[0] if len(refs) == 1 else {"OrStatement": {"Statements": refs}}
        out["Action"] = _action(rule.action)
    elif isinstance(rule, GeoRule):
        out["Statement"] = {"GeoMatchStatement": {"CountryCodes": list(rule.countries)}}
        out["Action"] = _action(rule.action)
    elif isinstance(rule, PathRule):
        out["Statement"] = _path_statement(rule)
        out["Action"] = _action(rule.action)
    elif isinstance(rule, RateLimitRule):
        statement: dict[str, Any] = {
            "Limit": rule.requests,
            "EvaluationWindowSec": rule.period_seconds,
            "AggregateKeyType": "IP",
        }
        if rule.path:
            statement["ScopeDownStatement"] = _byte_match(rule.path, {"UriPath": {}}, "STARTS_WITH")
        out["Statement"] = {"RateBasedStatement": statement}
        out["Action"] = _action(rule.action)
        out["RuleLabels"] = [{"Name": f"{_MITIGATION}{rule.mitigation_seconds}"}]
    elif isinstance(rule, ManagedRule):
        if rule.set is ManagedSet.XSS:
            out["Statement"] = {
                "OrStatement": {
                    "Statements": [
                        {
                            "XssMatchStatement": {
                                "FieldToMatch": field,
                                "TextTransformations": [
                                    {"Priority": 0, "Type": "URL_DECODE"},
                                    {"Priority": 1, "Type": "HTML_ENTITY_DECODE"},
                                ],
                            }
                        }
                        for field in _XSS_FIELDS
                    ]
                }
            }
            out["Action"] = _action(rule.action)
        else:
            out["Statement"] = {
                "ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": MANAGED_GROUPS[rule.set]}
            }
            out["OverrideAction"] = {"Count": {}} if rule.action == "count" else {"None": {}}
    out["VisibilityConfig"] = {
        "SampledRequestsEnabled": True,
        "CloudWatchMetricsEnabled": True,
        "MetricName": name,
    }
    return out


def _project(want: Any, have: Any) -> bool:
    """Whether ``have`` holds everything ``want`` says (extra keys AWS adds are ignored)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(_project(v, have.get(k)) for k, v in want.items())
    if isinstance(want, list):
        return (
            isinstance(have, list)
            and len(want) == len(have)
            and all(_project(w, h) for w, h in zip(want, have, strict=True))
        )
    if isinstance(want, bytes) and isinstance(have, str):
        return want.decode() == have
    return bool(want == have)


def same_rules(want: list[dict[str, Any]], have: list[dict[str, Any]]) -> bool:
    """Whether the web ACL's rules already are ``want`` (in priority order)."""
    have = sorted(have, key=lambda r: int(r.get("Priority", 0)))
    return _project(want, have)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _action_name(rule: Mapping[str, Any]) -> str:
    action = rule.get("Action") or {}
    return next(iter(action), "Block").lower()


def _path_of(statement: Mapping[str, Any]) -> tuple[str, str] | None:
    match = statement.get("ByteMatchStatement")
    if not match or "UriPath" not in match.get("FieldToMatch", {}):
        return None
    kind = "prefix" if match.get("PositionalConstraint") == "STARTS_WITH" else "exact"
    return _text(match["SearchString"]), kind


def _method_of(statement: Mapping[str, Any]) -> list[str] | None:
    inner = statement.get("OrStatement", {}).get("Statements") or [statement]
    methods = []
    for st in inner:
        match = st.get("ByteMatchStatement")
        if not match or "Method" not in match.get("FieldToMatch", {}):
            return None
        methods.append(_text(match["SearchString"]))
    return methods


def decode_rule(rule: Mapping[str, Any], ip_addresses: Mapping[str, list[str]]) -> WAFRule | None:
    """The portable rule a WAFv2 rule stands for, or ``None`` if cloudcore did not write it.

    ``ip_addresses`` maps IP set ARNs to their addresses.
    """
    name = str(rule["Name"])
    st = rule.get("Statement", {})
    inner = st.get("OrStatement", {}).get("Statements", [])
    if "IPSetReferenceStatement" in st or (
        inner and all("IPSetReferenceStatement" in s for s in inner)
    ):
        cidrs: list[str] = []
        for ref in inner or [st]:
            cidrs.extend(ip_addresses.get(ref["IPSetReferenceStatement"]["ARN"], []))
        return IPRule(name=name, action=_action_name(rule), cidrs=tuple(cidrs))
    if inner and all("XssMatchStatement" in s for s in inner):
        action = "count" if _action_name(rule) == "count" else "block"
        return ManagedRule(name=name, set=ManagedSet.XSS, action=action)
    if "GeoMatchStatement" in st:
        countries = tuple(st["GeoMatchStatement"]["CountryCodes"])
        return GeoRule(name=name, action=_action_name(rule), countries=countries)
    if "RateBasedStatement" in st:
        rb = st["RateBasedStatement"]
        mitigation = 60
        for label in rule.get("RuleLabels", []) or []:
            if str(label.get("Name", "")).startswith(_MITIGATION):
                mitigation = int(str(label["Name"])[len(_MITIGATION) :])
        scope = _path_of(rb.get("ScopeDownStatement") or {})
        return RateLimitRule(
            name=name,
            requests=int(rb["Limit"]),
            period_seconds=int(rb.get("EvaluationWindowSec", 300)),
            action="challenge" if _action_name(rule) == "challenge" else "block",
            mitigation_seconds=mitigation,
            path=scope[0] if scope else None,
        )
    if "ManagedRuleGroupStatement" in st:
        group = st["ManagedRuleGroupStatement"]
        managed = _GROUP_SETS.get(str(group.get("Name")))
        if managed is None or group.get("VendorName") != "AWS":
            return None
        count = "Count" in (rule.get("OverrideAction") or {})
        return ManagedRule(name=name, set=managed, action="count" if count else "block")
    path = _path_of(st)
    if path is not None:
        return PathRule(name=name, action=_action_name(rule), path=path[0], match=path[1])
    parts = st.get("AndStatement", {}).get("Statements", [])
    if len(parts) == 2:
        path, methods = _path_of(parts[0]), _method_of(parts[1])
        if path is not None and methods:
            return PathRule(
                name=name,
                action=_action_name(rule),
                path=path[0],
                match=path[1],
                methods=tuple(methods),
            )
    return None
