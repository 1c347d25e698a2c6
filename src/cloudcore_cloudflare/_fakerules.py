"""Zone entry-point rulesets of the fake Cloudflare API, with each plan's documented limits.

Every rule is checked as the Rulesets API checks it, and refused with its error shape (HTTP 400,
code 20217, ``'<value>' is not a valid value for <field> because <reason>``, the field in
``source.pointer``; see :func:`~cloudcore_cloudflare._fakecommon.ruleset_error`):

* the expression is any valid Rules-language expression (:mod:`._fakeexpr`), with ``matches``
  only from Business up and managed IP lists (``$cf.*``) only on Enterprise;
* the action fits the phase, and ``log`` is Enterprise-only (custom rules availability);
* rate-limit rules: ``cf.colo.id`` is a mandatory characteristic, ``ip.src`` and
  ``cf.unique_visitor_id`` exclude each other, Free and Pro count by IP only and Business by IP
  or IP with NAT; periods and mitigation timeouts are the plan's; a custom counting expression
  needs Business; the rule expression may use only the fields the plan lists (Free: path and
  verified bot; Pro adds host, URI, full URI and query; Business adds method, source IP and
  user agent) - all from the rate limiting pages cited in :mod:`cloudcore_cloudflare.plans`;
* the number of rules per phase is the plan's (rate limiting 1/2/5/100, custom 5/20/100/1000);
* ``execute`` runs a managed ruleset the plan has, each at most once per zone.

Rules come back with ``ref`` (the rule's id when none was given), ``version`` and
``last_updated``, as the SDK's rule types say.
"""

from __future__ import annotations

from typing import Any

from ._fakecommon import ApiError, new_id, now, ruleset_error
from ._fakeexpr import RulesSyntaxError, check
from .plans import (
    CF_FREE_MANAGED,
    CF_MANAGED,
    CF_OWASP,
    PLAN_NAMES,
    PlanLimits,
    limits_for,
)

__all__ = ["MANAGED_RULESETS", "PHASES", "RulesetState"]

MANAGED_RULESETS = {
    CF_MANAGED: "Cloudflare Managed Ruleset",
    CF_OWASP: "Cloudflare OWASP Core Ruleset",
    CF_FREE_MANAGED: "Cloudflare Free Managed Ruleset",
}
"""The managed rulesets the fake offers (the real ids)."""

PHASES = {
    "http_request_firewall_custom": {
        "block", "challenge", "js_challenge", "managed_challenge", "log", "skip",
    },
    "http_ratelimit": {"block", "challenge", "js_challenge", "managed_challenge", "log"},
    "http_request_firewall_managed": {"execute", "skip", "log"},
}  # fmt: skip

_RL_FIELDS = {
    "free": {"http.request.uri.path", "cf.bot_management.verified_bot", "cf.client.bot"},
    "pro": {"http.host", "http.request.uri", "http.request.full_uri", "http.request.uri.query"},
    "business": {"http.request.method", "ip.src", "http.user_agent"},
}
"""Fields a rate-limit rule expression may use, added plan by plan (Enterprise: all)."""


def _rl_fields(plan: str) -> set[str] | None:
    if plan == "enterprise":
        return None
    allowed: set[str] = set()
    for name in ("free", "pro", "business"):
        allowed |= _RL_FIELDS[name]
        if name == plan:
            break
    return allowed


class RulesetState:
    """Zone entry-point rulesets (mixed into :class:`~._fakestate.FakeState`)."""

    zones: dict[str, dict[str, Any]]
    rulesets: dict[str, dict[str, dict[str, Any]]]
    lists: dict[str, dict[str, Any]]

    def zone(self, zone_id: str) -> dict[str, Any]:  # pragma: no cover - FakeState's
        raise NotImplementedError

    def plan_limits(self, zid: str) -> PlanLimits:
        """The limits of the zone's plan."""
        return limits_for(self.zone(zid)["plan"]["legacy_id"])

    def list_rulesets(self, zid: str, q: dict[str, str]) -> tuple[int, Any, Any]:
        self.zone(zid)
        stamp = "2024-01-01T00:00:00Z"
        items: list[dict[str, Any]] = [
            {
                "id": rid,
                "name": name,
                "description": name,
                "kind": "managed",
                "phase": "http_request_firewall_managed",
                "version": "1",
                "last_updated": stamp,
            }
            for rid, name in MANAGED_RULESETS.items()
        ]
        items += [
            {k: v for k, v in rs.items() if k != "rules"} for rs in self.rulesets[zid].values()
        ]
        try:
            per_page = int(q.get("per_page", "20"))
            start = int(q.get("cursor") or "0")
        except ValueError:
            raise ApiError(400, 20003, "invalid cursor or per_page") from None
        if not 1 <= per_page <= 50:
            raise ApiError(400, 20003, "per_page must be between 1 and 50")
        chunk = items[start : start + per_page]
        nxt = start + per_page
        info: dict[str, Any] = {"per_page": per_page, "count": len(chunk)}
        if nxt < len(items):
            info["cursor"] = str(nxt)
        return 200, chunk, info

    def _phase(self, phase: str) -> None:
        if phase not in PHASES:
            raise ruleset_error(phase, "phase", "it is not a phase of this fake", "/phase")

    def get_entrypoint(self, zid: str, phase: str) -> tuple[int, Any, Any]:
        self.zone(zid)
        self._phase(phase)
        rs = self.rulesets[zid].get(phase)
        if rs is None:
            raise ApiError(404, 10003, f"could not find entrypoint ruleset in the '{phase}' phase")
        return 200, rs, None

    def put_entrypoint(self, zid: str, phase: str, body: dict[str, Any]) -> tuple[int, Any, Any]:
        self.zone(zid)
        self._phase(phase)
        limits = self.plan_limits(zid)
        old = self.rulesets[zid].get(phase)
        old_rules = {r["id"]: r for r in (old or {}).get("rules", [])}
        given = body.get("rules") or []
        if not isinstance(given, list):
            raise ruleset_error(given, "rules", "it must be a list", "/rules")
        most = {
            "http_request_firewall_custom": limits.custom_rules,
            "http_ratelimit": limits.ratelimit_rules,
        }.get(phase)
        if most is not None and len(given) > most:
            raise ruleset_error(
                len(given),
                "rules",
                f"the {PLAN_NAMES[limits.plan]} plan allows at most {most} rules in {phase}",
                "/rules",
            )
        rules = [self._check_rule(zid, phase, i, r, old_rules, limits) for i, r in enumerate(given)]
        refs = [r["ref"] for r in rules]
        if len(set(refs)) != len(refs):
            dupe = next(r for r in refs if refs.count(r) > 1)
            raise ruleset_error(dupe, "ref", "rule refs must be unique in a ruleset", "/rules")
        executed = [r["action_parameters"]["id"] for r in rules if r["action"] == "execute"]
        if len(set(executed)) != len(executed):
            dupe = next(e for e in executed if executed.count(e) > 1)
            # "At the zone level, you can deploy each managed ruleset once."
            # (https://developers.cloudflare.com/waf/managed-rules/#zone-level-deployment)
            raise ruleset_error(
                dupe, "action_parameters.id", "a managed ruleset runs once per zone", "/rules"
            )
        version = str(int((old or {}).get("version", "0")) + 1)
        for r in rules:
            r["version"] = version
        rs = {
            "id": (old or {}).get("id") or new_id(),
            "name": body.get("name") or (old or {}).get("name") or "default",
            "description": body.get("description") or "",
            "kind": "zone",
            "phase": phase,
            "version": version,
            "last_updated": now(),
            "rules": rules,
        }
        self.rulesets[zid][phase] = rs
        return 200, rs, None

    def _check_rule(
        self,
        zid: str,
        phase: str,
        i: int,
        rule: Any,
        old: dict[str, dict[str, Any]],
        limits: PlanLimits,
    ) -> dict[str, Any]:
        where = f"/rules/{i}"
        if not isinstance(rule, dict):
            raise ruleset_error(rule, "rule", "a rule is an object", where)
        action = rule.get("action")
        if action not in PHASES[phase]:
            raise ruleset_error(action, "action", f"it is not an action of {phase}", where)
        if action == "log" and not limits.log_action:
            raise ruleset_error(action, "action", "log is available on Enterprise only", where)
        expr = rule.get("expression")
        try:
            used = check(str(expr or ""))
        except RulesSyntaxError as exc:
            raise ruleset_error(
                expr,
                "expression",
                f"could not parse filter expression: {exc}",
                f"{where}/expression",
            ) from None
        if "matches" in used.operators and not limits.regex:
            raise ruleset_error(
                expr,
                "expression",
                f"the matches operator is not available on the {PLAN_NAMES[limits.plan]} plan",
                f"{where}/expression",
            )
        for name in sorted(used.lists):
            if name.startswith("cf."):
                if not limits.enterprise:  # managed IP lists: Enterprise only
                    raise ruleset_error(
                        expr, "expression", f"list ${name} needs Enterprise", f"{where}/expression"
                    )
            elif not any(lst["name"] == name for lst in self.lists.values()):
                raise ruleset_error(
                    expr, "expression", f"list ${name} does not exist", f"{where}/expression"
                )
        params = rule.get("action_parameters") or {}
        if action == "execute":
            rid = params.get("id") if isinstance(params, dict) else None
            if rid not in MANAGED_RULESETS:
                raise ruleset_error(rid, "action_parameters.id", "no such ruleset", where)
            if rid not in limits.managed_rulesets:
                raise ruleset_error(
                    rid,
                    "action_parameters.id",
                    f"{MANAGED_RULESETS[rid]} is not available on the "
                    f"{PLAN_NAMES[limits.plan]} plan",
                    where,
                )
        if phase == "http_ratelimit":
            self._check_ratelimit(rule, str(action), used.fields, limits, where)
        elif rule.get("ratelimit") is not None:
            raise ruleset_error("ratelimit", "ratelimit", f"{phase} takes no rate limit", where)
        rid = rule.get("id") if rule.get("id") in old else new_id()
        out = {
            "id": rid,
            "ref": rule.get("ref") or rid,  # "The reference of the rule (the rule's ID by default)"
            "action": action,
            "expression": expr,
            "description": rule.get("description") or "",
            "enabled": rule.get("enabled", True),
            "last_updated": now(),
        }
        for key in ("action_parameters", "ratelimit", "logging"):
            if rule.get(key) is not None:
                out[key] = rule[key]
        if phase == "http_ratelimit":
            out["ratelimit"] = {"mitigation_timeout": 0, **out["ratelimit"]}
        return out

    @staticmethod
    def _check_ratelimit(
        rule: dict[str, Any], action: str, fields: set[str], limits: PlanLimits, where: str
    ) -> None:
        rl = rule.get("ratelimit")
        at = f"{where}/ratelimit"
        plan = PLAN_NAMES[limits.plan]
        if not isinstance(rl, dict):
            raise ruleset_error(rl, "ratelimit", "a rate limiting rule needs it", at)
        chars = rl.get("characteristics")
        if not isinstance(chars, list) or "cf.colo.id" not in chars:
            raise ruleset_error(
                chars, "characteristics", "cf.colo.id is mandatory", f"{at}/characteristics"
            )
        if {"ip.src", "cf.unique_visitor_id"} <= set(chars):
            raise ruleset_error(
                chars,
                "characteristics",
                "ip.src and cf.unique_visitor_id cannot be used together",
                f"{at}/characteristics",
            )
        if not limits.enterprise:
            business = limits.plan == "business"
            counting = {"ip.src"} | ({"cf.unique_visitor_id"} if business else set())
            extra = set(chars) - {"cf.colo.id"} - counting
            if extra:
                raise ruleset_error(
                    sorted(extra)[0],
                    "characteristics",
                    f"the {plan} plan counts by {' or '.join(sorted(counting))} only",
                    f"{at}/characteristics",
                )
        allowed = _rl_fields(limits.plan)
        if allowed is not None:
            bad = sorted({f.removeprefix("raw.") for f in fields} - allowed)
            if bad:
                raise ruleset_error(
                    rule.get("expression"),
                    "expression",
                    f"the use of field {bad[0]} is not allowed on the {plan} plan",
                    f"{where}/expression",
                )
        if rl.get("counting_expression") and limits.plan not in ("business", "enterprise"):
            raise ruleset_error(
                rl["counting_expression"],
                "counting_expression",
                f"custom counting expressions need Business or Enterprise, not {plan}",
                f"{at}/counting_expression",
            )
        period = rl.get("period")
        if period not in limits.periods():
            raise ruleset_error(
                period,
                "period",
                f"the {plan} plan counts over {', '.join(map(str, limits.periods()))} s",
                f"{at}/period",
            )
        timeout = rl.get("mitigation_timeout", 0)
        if not isinstance(timeout, int) or not limits.timeout_allowed(action, timeout):
            raise ruleset_error(
                timeout,
                "mitigation_timeout",
                f"with {action} the {plan} plan allows {limits.timeout_rule(action)}",
                f"{at}/mitigation_timeout",
            )
        rpp = rl.get("requests_per_period")
        if isinstance(rpp, bool) or not isinstance(rpp, int) or rpp < 1:
            raise ruleset_error(
                rpp, "requests_per_period", "it must be a positive integer", f"{at}"
            )
