"""WAF at Cloudflare: zone entry-point rulesets, managed rulesets and account IP lists.

Portable rules map to three phases of the zone (Cloudflare runs them in this order, whatever the
portable order, which is kept within each phase and recorded in each rule's description):

* ``http_request_firewall_custom``: ``ip``, ``geo`` and ``path`` rules (``block``, or ``skip`` of
  the remaining custom rules and of the rate-limit and managed phases for ``allow``);
* ``http_ratelimit``: ``rate_limit`` rules (characteristics ``cf.colo.id`` + ``ip.src``);
* ``http_request_firewall_managed``: ``managed`` rules (``execute`` of a managed ruleset).

Expressions are built with :mod:`cloudcore_cloudflare.expr`, never from concatenated input. IP
rules with more than ``ip_list_threshold`` addresses reference an account IP list
(``cloudcore_<name>_<hash>``) instead of an inline set. Only rules whose ``ref`` starts with
``cloudcore:`` are cloudcore's; other rules in the same entry points are kept untouched.

Everything is checked against the zone's plan (read from the zone object) before the first
write: rate-limit periods and mitigation timeouts, rules per phase (counting the zone's other
rules too), and the managed rulesets the plan has (see :mod:`._wafplan`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from typing import Any

from cloudcore.errors import (
    CloudcoreError,
    ConfigurationError,
    NotFound,
    OperationTimeout,
    ProviderError,
)
from cloudcore.models import GeoRule, IPRule, ManagedRule, PathRule, RateLimitRule, WAFRule
from cloudcore.models.waf import ManagedSet

from . import expr as E
from ._core import MARKER, CloudflareCore, envelope
from ._wafplan import check_counts, check_managed, fit_rate_limit
from .plans import CF_MANAGED, CF_OWASP, LIMITS, PlanLimits

__all__ = ["MANAGED_MAP", "PHASE_CUSTOM", "PHASE_MANAGED", "PHASE_RATELIMIT", "CloudflareWAF"]

PHASE_CUSTOM = "http_request_firewall_custom"
PHASE_RATELIMIT = "http_ratelimit"
PHASE_MANAGED = "http_request_firewall_managed"
PHASES = (PHASE_CUSTOM, PHASE_RATELIMIT, PHASE_MANAGED)
REF_PREFIX = "cloudcore:"
LIST_PREFIX = "cloudcore_"

MANAGED_MAP: dict[ManagedSet, tuple[str, str | None]] = {
    ManagedSet.CORE: (CF_OWASP, None),
    ManagedSet.SQLI: (CF_MANAGED, "sqli"),
    ManagedSet.XSS: (CF_MANAGED, "xss"),
    ManagedSet.KNOWN_BAD_INPUTS: (CF_MANAGED, None),
}
"""Portable managed set to (Cloudflare managed ruleset id, category to run alone or ``None``)."""

SKIP_ALLOW = {"ruleset": "current", "phases": [PHASE_RATELIMIT, PHASE_MANAGED]}
PATH = "http.request.uri.path"


def list_name(zone: str, rule_name: str) -> str:
    """The account IP list of an IP rule in a zone: ``cloudcore_<name>_<8 hex>`` (lists are
    account-wide, so the hash of zone and rule name keeps zones apart; at most 47 characters)."""
    digest = hashlib.sha256(f"{zone}/{rule_name}".encode()).hexdigest()[:8]
    return f"{LIST_PREFIX}{rule_name[:28].replace('-', '_')}_{digest}"


def _path_expr(path: str, match: str) -> E.Expr:
    return E.Eq(PATH, path) if match == "exact" else E.Call("starts_with", PATH, path)


def build_rule(
    rule: WAFRule,
    position: int,
    use_list: str | None = None,
    limits: PlanLimits = LIMITS["enterprise"],
    mapping: bool = False,
) -> tuple[str, dict[str, Any]]:
    """``(phase, Cloudflare rule body)`` for one portable rule at ``position`` (1-based);
    ``use_list`` names the IP list an IP rule refers to instead of an inline set; ``limits``
    are the zone's plan's and ``mapping`` the provider's ``map_to_plan``.

    Raises:
        ConfigurationError: a value no Cloudflare rule can hold (a control character in a
            path, a period Cloudflare never offers...).
        Unsupported: a value the plan does not allow (see :mod:`._wafplan`).
    """
    assert rule.name is not None
    try:
        return _build(rule, position, use_list, limits, mapping)
    except E.ExpressionError as exc:
        field = "path" if isinstance(rule, PathRule | RateLimitRule) else "rules"
        raise ConfigurationError(
            f"rules: {rule.name}: {exc} (a Cloudflare expression cannot hold it)", field=field
        ) from None


def _build(
    rule: WAFRule, position: int, use_list: str | None, limits: PlanLimits, mapping: bool
) -> tuple[str, dict[str, Any]]:
    body: dict[str, Any] = {
        "ref": f"{REF_PREFIX}{rule.name}",
        "description": f"{MARKER} #{position} {rule.name}",
        "enabled": True,
    }
    tree: E.Expr
    if isinstance(rule, IPRule):
        tree = E.InList("ip.src", use_list) if use_list else E.InSet("ip.src", rule.cidrs, ips=True)
        phase = PHASE_CUSTOM
    elif isinstance(rule, GeoRule):
        tree = E.InSet("ip.src.country", rule.countries)
        phase = PHASE_CUSTOM
    elif isinstance(rule, PathRule):
        tree = _path_expr(rule.path, rule.match)
        if rule.methods:
            tree = E.And((tree, E.InSet("http.request.method", rule.methods)))
        phase = PHASE_CUSTOM
    elif isinstance(rule, RateLimitRule):
        action = "block" if rule.action == "block" else "managed_challenge"
        requests, period, timeout = fit_rate_limit(rule, action, limits, mapping)
        tree = E.Call("starts_with", PATH, rule.path) if rule.path else E.TrueExpr()
        body["ratelimit"] = {
            "characteristics": ["cf.colo.id", "ip.src"],
            "period": period,
            "requests_per_period": requests,
            "mitigation_timeout": timeout,
        }
        body["action"] = action
        phase = PHASE_RATELIMIT
    elif isinstance(rule, ManagedRule):
        ruleset_id, category = MANAGED_MAP[rule.set]
        params: dict[str, Any] = {"id": ruleset_id}
        overrides: dict[str, Any] = {}
        if category:
            overrides = {"enabled": False, "categories": [{"category": category, "enabled": True}]}
        if rule.action == "count":
            overrides["action"] = "log"
        if overrides:
            params["overrides"] = overrides
        tree = E.TrueExpr()
        body["action"] = "execute"
        body["action_parameters"] = params
        phase = PHASE_MANAGED
    else:  # pragma: no cover - the model union is closed
        raise ConfigurationError(f"rules: unknown rule kind {rule!r}")
    if phase == PHASE_CUSTOM:
        allow = getattr(rule, "action", "block") == "allow"
        body["action"] = "skip" if allow else "block"
        if allow:
            body["action_parameters"] = dict(SKIP_ALLOW)
    body["expression"] = E.render(tree)
    return phase, body


def _position(rule: dict[str, Any]) -> int:
    try:
        return int(str(rule.get("description", "")).split("#", 1)[1].split()[0])
    except (IndexError, ValueError):
        return 1_000_000


def read_rule(rule: dict[str, Any], list_items: dict[str, tuple[str, ...]]) -> WAFRule:
    """The portable rule a cloudcore-managed Cloudflare rule stands for."""
    name = str(rule["ref"])[len(REF_PREFIX) :]
    action = rule.get("action")
    tree = E.parse(str(rule.get("expression", "")))
    if action == "execute":
        params = rule.get("action_parameters") or {}
        overrides = params.get("overrides") or {}
        cats = [c.get("category") for c in overrides.get("categories") or []]
        for mset, (rid, category) in MANAGED_MAP.items():
            if params.get("id") == rid and (category in cats if category else not cats):
                count = overrides.get("action") == "log"
                return ManagedRule(name=name, set=mset, action="count" if count else "block")
        raise ProviderError(f"rule {name}: unknown managed ruleset {params.get('id')}")
    if "ratelimit" in rule:
        rl = rule["ratelimit"]
        path = tree.value if isinstance(tree, E.Call) else None
        return RateLimitRule(
            name=name,
            requests=rl["requests_per_period"],
            period_seconds=rl["period"],
            mitigation_seconds=rl["mitigation_timeout"],
            action="block" if action == "block" else "challenge",
            path=path,
        )
    verdict = "allow" if action == "skip" else "block"
    methods: tuple[str, ...] | None = None
    if isinstance(tree, E.And) and len(tree.operands) == 2:
        second = tree.operands[1]
        if isinstance(second, E.InSet) and second.field == "http.request.method":
            methods = second.values
            tree = tree.operands[0]
    if isinstance(tree, E.InList):
        return IPRule(name=name, action=verdict, cidrs=list_items.get(tree.list_name, ()))
    if isinstance(tree, E.InSet) and tree.field == "ip.src":
        return IPRule(name=name, action=verdict, cidrs=tree.values)
    if isinstance(tree, E.InSet) and tree.field == "ip.src.country":
        return GeoRule(name=name, action=verdict, countries=tree.values)
    if isinstance(tree, E.Eq | E.Call) and tree.field == PATH:
        match = "exact" if isinstance(tree, E.Eq) else "prefix"
        return PathRule(name=name, action=verdict, path=tree.value, match=match, methods=methods)
    raise ProviderError(
        f"rule {name}: expression {rule.get('expression')!r} is not one cloudcore writes "
        "(was it edited outside cloudcore?)"
    )


class CloudflareWAF(CloudflareCore):
    """The waf capability (mixin of :class:`~cloudcore_cloudflare.provider.CloudflareProvider`)."""

    def _entrypoint(self, zid: str, phase: str) -> dict[str, Any] | None:
        def get() -> dict[str, Any] | None:
            try:
                raw = self.cf.rulesets.phases.with_raw_response.get(phase, zone_id=zid)
            except Exception as exc:
                mapped = self._map_error(exc)
                if isinstance(mapped, NotFound):
                    return None
                raise
            result: dict[str, Any] = envelope(raw).get("result") or {}
            return result

        return self.read(get)

    def _lists(self) -> dict[str, dict[str, Any]]:
        if not self.account_id:
            return {}
        acc = self.account_id
        data = self.read(
            lambda: envelope(self.cf.rules.lists.with_raw_response.list(account_id=acc))
        )
        return {
            lst["name"]: lst
            for lst in data.get("result") or []
            if str(lst.get("name", "")).startswith(LIST_PREFIX)
            and MARKER in str(lst.get("description", ""))
        }

    def _list_items(self, list_id: str) -> tuple[str, ...]:
        acc = self.need_account("IP lists")
        out: list[str] = []
        cursor: str | None = None
        while True:
            kw: dict[str, Any] = {"account_id": acc, "per_page": 500}
            if cursor:
                kw["cursor"] = cursor
            data = self.read(
                lambda kw=kw: envelope(  # type: ignore[misc]
                    self.cf.rules.lists.items.with_raw_response.list(list_id, **kw)
                )
            )
            out.extend(str(i["ip"]) for i in data.get("result") or [])
            cursor = ((data.get("result_info") or {}).get("cursors") or {}).get("after")
            if not cursor:
                return tuple(out)

    def _sync_list(self, name: str, cidrs: tuple[str, ...], lists: dict[str, Any]) -> bool:
        acc = self.need_account("IP rules with many addresses (IP lists)")
        lst = lists.get(name)
        if lst is None:
            made = envelope(
                self.cf.rules.lists.with_raw_response.create(
                    account_id=acc, kind="ip", name=name, description=MARKER
                )
            )
            lst = made["result"]
            lists[name] = lst
        elif set(self._list_items(lst["id"])) == set(cidrs):
            return False
        op = envelope(
            self.cf.rules.lists.items.with_raw_response.update(
                lst["id"], account_id=acc, body=[{"ip": c} for c in cidrs]
            )
        )["result"]["operation_id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = self.read(
                lambda: envelope(
                    self.cf.rules.lists.bulk_operations.with_raw_response.get(op, account_id=acc)
                )
            )["result"]
            if status.get("status") == "completed":
                return True
            if status.get("status") == "failed":
                raise CloudcoreError(
                    f"IP list {name}: bulk operation failed: {status.get('error')}"
                )
            time.sleep(0.2)
        raise OperationTimeout(f"IP list {name}: bulk operation did not complete", waited=60)

    def _configure_waf(self, rules: tuple[WAFRule, ...], target: str | None) -> bool:
        zone = self.default_zone(target)
        zid = self.zone_id(zone)
        with self.zone_lock(f"waf:{zid}"):
            return self._sync_waf(zone, zid, rules)

    def _sync_waf(self, zone: str, zid: str, rules: tuple[WAFRule, ...]) -> bool:
        limits = self.zone_limits(zone)
        wanted: dict[str, list[dict[str, Any]]] = {p: [] for p in PHASES}
        want_lists: dict[str, tuple[str, ...]] = {}
        for pos, rule in enumerate(rules, start=1):
            lname: str | None = None
            if isinstance(rule, IPRule) and len(rule.cidrs) > self.ip_list_threshold:
                _check_list_items(rule)
                lname = list_name(zone, rule.name or f"ip-{pos}")
                want_lists[lname] = rule.cidrs
            phase, body = build_rule(rule, pos, lname, limits, self.map_to_plan)
            wanted[phase].append(body)
        current = {phase: self._entrypoint(zid, phase) for phase in PHASES}
        check_managed(
            [r for r in rules if isinstance(r, ManagedRule)],
            {str(r.name): MANAGED_MAP[r.set][0] for r in rules if isinstance(r, ManagedRule)},
            limits,
            taken={
                str((r.get("action_parameters") or {}).get("id")): str(r.get("ref") or r.get("id"))
                for r in (current[PHASE_MANAGED] or {}).get("rules") or []
                if r.get("action") == "execute" and not str(r.get("ref", "")).startswith(REF_PREFIX)
            },
        )
        check_counts(
            {
                phase: len(wanted[phase])
                + sum(
                    1
                    for r in (current[phase] or {}).get("rules") or []
                    if not str(r.get("ref", "")).startswith(REF_PREFIX)
                )
                for phase in PHASES
            },
            limits,
        )
        used_before = {
            name
            for phase in PHASES
            for r in (current[phase] or {}).get("rules") or []
            if str(r.get("ref", "")).startswith(REF_PREFIX)
            for name in _list_refs(str(r.get("expression", "")))
        }
        lists = self._lists() if (want_lists or used_before) else {}
        changed = False
        for name, cidrs in want_lists.items():
            changed |= self._sync_list(name, cidrs, lists)
        for phase in PHASES:
            old_rules = list((current[phase] or {}).get("rules") or [])
            ours = [r for r in old_rules if str(r.get("ref", "")).startswith(REF_PREFIX)]
            if [_comparable(r) for r in ours] == [_comparable(r) for r in wanted[phase]]:
                continue
            by_ref = {r.get("ref"): r.get("id") for r in ours}
            new_rules = [
                {**r, "id": by_ref[r["ref"]]} if r["ref"] in by_ref else r for r in wanted[phase]
            ]
            others = [_keep(r) for r in old_rules if r not in ours]
            envelope(
                self.cf.rulesets.phases.with_raw_response.update(
                    phase, zone_id=zid, rules=new_rules + others, name=f"{phase} entry point"
                )
            )
            changed = True
        for name in sorted(used_before - set(want_lists)):
            lst = lists.get(name)
            if lst is not None:  # only lists this zone's cloudcore rules used, now unused
                acc = self.need_account("IP lists")
                envelope(self.cf.rules.lists.with_raw_response.delete(lst["id"], account_id=acc))
                changed = True
        return changed

    def _get_waf_rules(self, target: str | None) -> list[WAFRule]:
        zid = self.zone_id(self.default_zone(target))
        found: list[dict[str, Any]] = []
        for phase in PHASES:
            current = self._entrypoint(zid, phase) or {}
            found += [
                r
                for r in current.get("rules") or []
                if str(r.get("ref", "")).startswith(REF_PREFIX)
            ]
        items: dict[str, tuple[str, ...]] = {}
        for rule in found:
            tree = E.parse(str(rule.get("expression", "")))
            if isinstance(tree, E.And):
                tree = tree.operands[0]
            if isinstance(tree, E.InList):
                lst = self._lists().get(tree.list_name)
                items[tree.list_name] = self._list_items(lst["id"]) if lst else ()
        found.sort(key=_position)
        return [read_rule(r, items) for r in found]


_COMPARED = (
    "ref",
    "description",
    "action",
    "expression",
    "enabled",
    "action_parameters",
    "ratelimit",
)


def _check_list_items(rule: IPRule) -> None:
    """Cloudflare IP lists take IPv4 /8-/32 and IPv6 /12-/64: refuse others before any write."""
    for cidr in rule.cidrs:
        net = ipaddress.ip_network(cidr)
        low, high = (8, 32) if net.version == 4 else (12, 64)
        if not low <= net.prefixlen <= high:
            raise ConfigurationError(
                f"rules: {rule.name}: {cidr} cannot go in a Cloudflare IP list (IPv4 /{low}-/{high}"
                ", IPv6 /12-/64); use fewer addresses than ip_list_threshold to keep them inline",
                field="cidrs",
            )


def _list_refs(expression: str) -> set[str]:
    """Names of the IP lists an expression refers to."""
    try:
        tree = E.parse(expression)
    except E.ExpressionError:
        return set()
    stack: list[E.Expr] = [tree]
    found: set[str] = set()
    while stack:
        node = stack.pop()
        if isinstance(node, E.InList):
            found.add(node.list_name)
        elif isinstance(node, E.Not):
            stack.append(node.operand)
        elif isinstance(node, E.And | E.Or):
            stack.extend(node.operands)
    return found


def _comparable(rule: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(rule.get(k) for k in _COMPARED)


def _keep(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule cloudcore does not manage, sent back as it was (writable fields only)."""
    keys = ("id", "ref", "description", "action", "expression", "enabled", "action_parameters")
    return {k: rule[k] for k in (*keys, "ratelimit", "logging") if k in rule}
