"""State and endpoint handlers of the fake Cloudflare API (see :mod:`cloudcore_cloudflare.testing`).

Each handler takes the parsed request and returns ``(status, result, result_info)`` or raises
:class:`ApiError` with Cloudflare's status and error code. The HTTP layer wraps both in the v4
envelope. Everything here is plain Python: no SDK import.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from typing import Any

from ._fakeaccount import AccountState
from ._fakecommon import ApiError, new_id, now, page
from .expr import ExpressionError, parse

__all__ = ["MANAGED_RULESETS", "ApiError", "FakeState"]

MANAGED_RULESETS = {
    "efb7b8c949ac4650a09736fc376e9aee": "Cloudflare Managed Ruleset",
    "4814384a9e5d4991b9815dcfc25d2f1f": "Cloudflare OWASP Core Ruleset",
}
"""The managed rulesets the fake offers (the real ids)."""

PHASES = {
    "http_request_firewall_custom": {"block", "skip", "managed_challenge", "js_challenge", "log"},
    "http_ratelimit": {"block", "managed_challenge", "js_challenge", "log"},
    "http_request_firewall_managed": {"execute", "skip", "log"},
}
RL_PERIODS = {10, 60, 120, 300, 600, 3600}
RL_TIMEOUTS = {0, 10, 60, 120, 300, 600, 3600, 86400}
DNS_TYPES = {"A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "CAA"}


class FakeState(AccountState):
    """All the fake's data: zones, DNS records, rulesets, IP lists, Secrets Store.

    Args:
        zones: Zone names to create.
        account_id: The account that owns them.
        batch_limit: Most operations one DNS batch request may carry (200: the Free plan).
    """

    def __init__(self, zones: tuple[str, ...], account_id: str, batch_limit: int = 200) -> None:
        self.lock = threading.RLock()
        self.account_id = account_id
        self.batch_limit = batch_limit
        self.zone_names = zones
        self.reset()

    def reset(self) -> None:
        """Forget everything but the configured zones (which get fresh ids)."""
        with self.lock:
            self.zones: dict[str, dict[str, Any]] = {}
            for name in self.zone_names:
                zid = new_id()
                self.zones[zid] = {
                    "id": zid,
                    "name": name,
                    "status": "active",
                    "account": {"id": self.account_id, "name": "fake account"},
                    "created_on": now(),
                }
            self.records: dict[str, dict[str, dict[str, Any]]] = {z: {} for z in self.zones}
            self.rulesets = {z: {} for z in self.zones}
            self.reset_account()

    # ------------------------------------------------------------------ zones
    def zone(self, zone_id: str) -> dict[str, Any]:
        z = self.zones.get(zone_id)
        if z is None:
            raise ApiError(400, 7003, f"Could not route to /zones/{zone_id}: invalid identifier")
        return z

    def list_zones(self, q: dict[str, str]) -> tuple[int, Any, Any]:
        items = sorted(self.zones.values(), key=lambda z: z["name"])
        if "name" in q:
            items = [z for z in items if z["name"] == q["name"].lower()]
        if "account.id" in q:
            items = [z for z in items if z["account"]["id"] == q["account.id"]]
        chunk, info = page(items, q, 50)
        return 200, chunk, info

    # -------------------------------------------------------------------- dns
    def _check_record(self, zone: dict[str, Any], body: dict[str, Any], new: bool) -> None:
        rtype = body.get("type")
        if new and rtype not in DNS_TYPES:
            raise ApiError(400, 9000, f"DNS record type {rtype!r} is invalid")
        name = body.get("name")
        if new and (not isinstance(name, str) or not name):
            raise ApiError(400, 9005, "DNS record name is required")
        if isinstance(name, str):
            n = name.rstrip(".").lower()
            if not (n == zone["name"] or n.endswith("." + zone["name"])):
                raise ApiError(400, 9005, f"{name} is not in zone {zone['name']}")
        if new and "ttl" not in body:
            raise ApiError(400, 9021, "ttl is required")
        if "ttl" in body:
            ttl = body["ttl"]
            if not isinstance(ttl, int) or not (ttl == 1 or 30 <= ttl <= 86400):
                raise ApiError(
                    400, 9021, "Invalid TTL. Must be between 30 and 86400 seconds, or 1 for Auto"
                )
        if "comment" in body and len(str(body["comment"] or "")) > 100:
            raise ApiError(400, 9100, "DNS record comment is longer than 100 characters")
        if rtype in ("SRV", "CAA"):
            if new and not isinstance(body.get("data"), dict):
                raise ApiError(400, 9101, f"{rtype} records need a data object")
        elif new or "content" in body:
            content = body.get("content")
            if not isinstance(content, str) or not content:
                raise ApiError(400, 9005, "Content is required")
            if rtype == "A" or rtype == "AAAA":
                try:
                    ip = ipaddress.ip_address(content)
                except ValueError:
                    ip = None
                if ip is None or (ip.version == 4) != (rtype == "A"):
                    version = "IPv4" if rtype == "A" else "IPv6"
                    raise ApiError(
                        400, 9005, f"Content for {rtype} record must be a valid {version} address"
                    )
        if rtype == "MX" and new and not isinstance(body.get("priority"), int):
            raise ApiError(400, 9102, "MX records need a priority")
        if body.get("proxied") and rtype not in ("A", "AAAA", "CNAME"):
            raise ApiError(400, 9004, f"{rtype} records cannot be proxied")

    def _materialise(self, zone: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        rec = {
            "id": new_id(),
            "zone_id": zone["id"],
            "zone_name": zone["name"],
            "name": str(body["name"]).rstrip(".").lower(),
            "type": body["type"],
            "content": body.get("content"),
            "ttl": body["ttl"],
            "proxied": bool(body.get("proxied", False)),
            "proxiable": body["type"] in ("A", "AAAA", "CNAME"),
            "comment": body.get("comment"),
            "tags": [],
            "created_on": now(),
            "modified_on": now(),
        }
        return self._update_fields(rec, body)

    @staticmethod
    def _update_fields(rec: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        for key in ("content", "ttl", "proxied", "comment", "priority", "data"):
            if key in body:
                rec[key] = body[key]
        if "name" in body:
            rec["name"] = str(body["name"]).rstrip(".").lower()
        d = rec.get("data")
        if rec["type"] == "SRV" and isinstance(d, dict):
            rec["priority"] = d.get("priority")
            rec["content"] = f"{d.get('weight')} {d.get('port')} {d.get('target')}"
        if rec["type"] == "CAA" and isinstance(d, dict):
            rec["content"] = f'{d.get("flags")} {d.get("tag")} "{d.get("value")}"'
        if rec["proxied"]:
            rec["ttl"] = 1  # proxied records always have automatic TTL
        rec["modified_on"] = now()
        return rec

    @staticmethod
    def _conflicts(records: dict[str, dict[str, Any]], changed: list[dict[str, Any]]) -> None:
        """CNAME exclusivity and identical records, checked for the changed records only."""
        names = {r["name"] for r in changed}
        by_name: dict[str, list[dict[str, Any]]] = {}
        for other in records.values():
            if other["name"] in names:
                by_name.setdefault(other["name"], []).append(other)
        for rec in changed:
            for other in by_name.get(rec["name"], []):
                if other["id"] == rec["id"]:
                    continue
                if "CNAME" in (rec["type"], other["type"]) and rec["type"] != other["type"]:
                    raise ApiError(
                        400, 81053, "An A, AAAA, or CNAME record with that host already exists."
                    )
                if other["type"] == rec["type"] and (
                    rec["type"] == "CNAME"
                    or (other["content"] == rec["content"] and other.get("data") == rec.get("data"))
                ):
                    raise ApiError(400, 81057, "An identical record already exists.")

    def list_records(self, zid: str, q: dict[str, str]) -> tuple[int, Any, Any]:
        self.zone(zid)
        items = sorted(self.records[zid].values(), key=lambda r: (r["name"], r["type"], r["id"]))
        if "type" in q:
            items = [r for r in items if r["type"] == q["type"]]
        name = q.get("name.exact") or q.get("name")
        if name:
            items = [r for r in items if r["name"] == name.rstrip(".").lower()]
        chunk, info = page(items, q, 5000)
        return 200, chunk, info

    def create_record(self, zid: str, body: dict[str, Any]) -> tuple[int, Any, Any]:
        zone = self.zone(zid)
        self._check_record(zone, body, new=True)
        rec = self._materialise(zone, body)
        self._conflicts({**self.records[zid], rec["id"]: rec}, [rec])
        self.records[zid][rec["id"]] = rec
        return 200, rec, None

    def get_record(self, zid: str, rid: str) -> dict[str, Any]:
        self.zone(zid)
        rec = self.records[zid].get(rid)
        if rec is None:
            raise ApiError(404, 81044, "Record does not exist.")
        return rec

    def edit_record(
        self, zid: str, rid: str, body: dict[str, Any], put: bool
    ) -> tuple[int, Any, Any]:
        rec = self.get_record(zid, rid)
        full = {**body} if put else {**rec, **body}
        full.setdefault("type", rec["type"])
        self._check_record(self.zone(zid), full, new=put)
        updated = self._update_fields(dict(rec), full)
        self._conflicts({**self.records[zid], rid: updated}, [updated])
        self.records[zid][rid] = updated
        return 200, updated, None

    def delete_record(self, zid: str, rid: str) -> tuple[int, Any, Any]:
        self.get_record(zid, rid)
        del self.records[zid][rid]
        return 200, {"id": rid}, None

    def batch_records(self, zid: str, body: dict[str, Any]) -> tuple[int, Any, Any]:
        """Deletes, patches, puts, posts: validated first, applied all-or-nothing in that order."""
        zone = self.zone(zid)
        ops = {k: list(body.get(k) or []) for k in ("deletes", "patches", "puts", "posts")}
        total = sum(len(v) for v in ops.values())
        if total > self.batch_limit:
            raise ApiError(
                400, 81082, f"Too many operations in batch: {total} > {self.batch_limit}"
            )
        work = dict(self.records[zid])  # records are replaced, never changed in place
        out: dict[str, list[Any]] = {k: [] for k in ops}
        for d in ops["deletes"]:
            rid = d.get("id") if isinstance(d, dict) else None
            if rid not in work:
                raise ApiError(404, 81044, f"Record does not exist: {rid}")
            out["deletes"].append(work.pop(rid))
        for key in ("patches", "puts"):
            for p in ops[key]:
                rid = p.get("id") if isinstance(p, dict) else None
                if rid not in work:
                    raise ApiError(404, 81044, f"Record does not exist: {rid}")
                full = {**work[rid], **p} if key == "patches" else {"type": work[rid]["type"], **p}
                self._check_record(zone, full, new=key == "puts")
                work[rid] = self._update_fields(dict(work[rid]), full)
                out[key].append(work[rid])
        for p in ops["posts"]:
            if not isinstance(p, dict):
                raise ApiError(400, 9000, "invalid record")
            self._check_record(zone, p, new=True)
            rec = self._materialise(zone, p)
            work[rec["id"]] = rec
            out["posts"].append(rec)
        self._conflicts(work, [*out["patches"], *out["puts"], *out["posts"]])
        self.records[zid] = work
        return 200, out, None

    # --------------------------------------------------------------- rulesets
    def list_rulesets(self, zid: str, q: dict[str, str]) -> tuple[int, Any, Any]:
        self.zone(zid)
        items: list[dict[str, Any]] = [
            {"id": rid, "name": name, "kind": "managed", "phase": "http_request_firewall_managed"}
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

    def get_entrypoint(self, zid: str, phase: str) -> tuple[int, Any, Any]:
        self.zone(zid)
        if phase not in PHASES:
            raise ApiError(400, 20002, f"unknown phase {phase!r}")
        rs = self.rulesets[zid].get(phase)
        if rs is None:
            raise ApiError(404, 10003, f"could not find entrypoint ruleset in the '{phase}' phase")
        return 200, rs, None

    def put_entrypoint(self, zid: str, phase: str, body: dict[str, Any]) -> tuple[int, Any, Any]:
        self.zone(zid)
        if phase not in PHASES:
            raise ApiError(400, 20002, f"unknown phase {phase!r}")
        old = self.rulesets[zid].get(phase)
        old_rules = {r["id"]: r for r in (old or {}).get("rules", [])}
        rules = []
        for i, rule in enumerate(body.get("rules") or []):
            rules.append(self._check_rule(phase, i, rule, old_rules))
        refs = [r["ref"] for r in rules if r.get("ref")]
        if len(set(refs)) != len(refs):
            raise ApiError(400, 20021, "rule refs must be unique within a ruleset")
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
        self, phase: str, i: int, rule: Any, old: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        where = f"rules[{i}]"
        if not isinstance(rule, dict):
            raise ApiError(400, 20021, f"{where}: must be an object")
        action = rule.get("action")
        if action not in PHASES[phase]:
            raise ApiError(400, 20021, f"{where}: action {action!r} is not allowed in {phase}")
        try:
            tree = parse(str(rule.get("expression") or ""))
        except ExpressionError as exc:
            raise ApiError(400, 20005, f"{where}: filter parsing error: {exc}") from None
        del tree
        expr = str(rule["expression"])
        for name in re.findall(r"\$([a-z0-9_]+)", expr):
            if not any(lst["name"] == name for lst in self.lists.values()):
                raise ApiError(400, 20005, f"{where}: list ${name} does not exist")
        params = rule.get("action_parameters") or {}
        if action == "execute" and params.get("id") not in MANAGED_RULESETS:
            raise ApiError(400, 20021, f"{where}: execute needs the id of a managed ruleset")
        if phase == "http_ratelimit":
            rl = rule.get("ratelimit")
            if not isinstance(rl, dict):
                raise ApiError(400, 20021, f"{where}: ratelimit is required")
            if set(rl.get("characteristics") or []) != {"cf.colo.id", "ip.src"}:
                raise ApiError(400, 20021, f"{where}: characteristics must be cf.colo.id, ip.src")
            if rl.get("period") not in RL_PERIODS:
                raise ApiError(400, 20021, f"{where}: period must be one of {sorted(RL_PERIODS)}")
            if rl.get("mitigation_timeout") not in RL_TIMEOUTS:
                raise ApiError(
                    400, 20021, f"{where}: mitigation_timeout must be one of {sorted(RL_TIMEOUTS)}"
                )
            rpp = rl.get("requests_per_period")
            if not isinstance(rpp, int) or rpp < 1:
                raise ApiError(400, 20021, f"{where}: requests_per_period must be positive")
        rid = rule.get("id") if rule.get("id") in old else new_id()
        out = {
            "id": rid,
            "action": action,
            "expression": expr,
            "description": rule.get("description") or "",
            "enabled": rule.get("enabled", True),
            "last_updated": now(),
        }
        for key in ("ref", "action_parameters", "ratelimit"):
            if rule.get(key) is not None:
                out[key] = rule[key]
        return out
