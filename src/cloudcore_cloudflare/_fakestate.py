"""State and endpoint handlers of the fake Cloudflare API (see :mod:`cloudcore_cloudflare.testing`).

Each handler takes the parsed request and returns ``(status, result, result_info)`` or raises
:class:`ApiError` with Cloudflare's status and error code. The HTTP layer wraps both in the v4
envelope. Everything here is plain Python: no SDK import.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

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
SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,255}$")
LIST_NAME_RE = re.compile(r"^[a-z0-9_]{1,50}$")


class ApiError(Exception):
    """An API error: HTTP status, Cloudflare error code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _id() -> str:
    return uuid.uuid4().hex


def _page(items: list[Any], query: dict[str, str], max_per_page: int) -> tuple[list[Any], Any]:
    try:
        page = int(query.get("page", "1"))
        per_page = int(query.get("per_page", "20"))
    except ValueError:
        raise ApiError(400, 1001, "page and per_page must be integers") from None
    if page < 1 or not 1 <= per_page <= max_per_page:
        raise ApiError(400, 1001, f"per_page must be between 1 and {max_per_page}")
    total = len(items)
    chunk = items[(page - 1) * per_page : page * per_page]
    info = {
        "page": page,
        "per_page": per_page,
        "count": len(chunk),
        "total_count": total,
        "total_pages": max(1, -(-total // per_page)),
    }
    return chunk, info


class FakeState:
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
                zid = _id()
                self.zones[zid] = {
                    "id": zid,
                    "name": name,
                    "status": "active",
                    "account": {"id": self.account_id, "name": "fake account"},
                    "created_on": _now(),
                }
            self.records: dict[str, dict[str, dict[str, Any]]] = {z: {} for z in self.zones}
            self.rulesets: dict[str, dict[str, dict[str, Any]]] = {z: {} for z in self.zones}
            self.lists: dict[str, dict[str, Any]] = {}
            self.list_items: dict[str, list[dict[str, Any]]] = {}
            self.bulk_ops: dict[str, dict[str, Any]] = {}
            self.stores: dict[str, dict[str, Any]] = {}
            self.secrets: dict[str, dict[str, dict[str, Any]]] = {}
            self.secret_values: dict[str, str] = {}

    # ------------------------------------------------------------------ zones
    def zone(self, zone_id: str) -> dict[str, Any]:
        z = self.zones.get(zone_id)
        if z is None:
            raise ApiError(400, 7003, f"Could not route to /zones/{zone_id}: invalid identifier")
        return z

    def account(self, account_id: str) -> None:
        if account_id != self.account_id:
            raise ApiError(403, 9109, "Unauthorized to access requested resource")

    def list_zones(self, q: dict[str, str]) -> tuple[int, Any, Any]:
        items = sorted(self.zones.values(), key=lambda z: z["name"])
        if "name" in q:
            items = [z for z in items if z["name"] == q["name"].lower()]
        if "account.id" in q:
            items = [z for z in items if z["account"]["id"] == q["account.id"]]
        chunk, info = _page(items, q, 50)
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
            "id": _id(),
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
            "created_on": _now(),
            "modified_on": _now(),
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
        rec["modified_on"] = _now()
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
        chunk, info = _page(items, q, 5000)
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
            "id": (old or {}).get("id") or _id(),
            "name": body.get("name") or (old or {}).get("name") or "default",
            "description": body.get("description") or "",
            "kind": "zone",
            "phase": phase,
            "version": version,
            "last_updated": _now(),
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
        rid = rule.get("id") if rule.get("id") in old else _id()
        out = {
            "id": rid,
            "action": action,
            "expression": expr,
            "description": rule.get("description") or "",
            "enabled": rule.get("enabled", True),
            "last_updated": _now(),
        }
        for key in ("ref", "action_parameters", "ratelimit"):
            if rule.get(key) is not None:
                out[key] = rule[key]
        return out

    # ---------------------------------------------------------------- IP lists
    def create_list(self, aid: str, body: dict[str, Any]) -> tuple[int, Any, Any]:
        self.account(aid)
        name = body.get("name")
        if not isinstance(name, str) or not LIST_NAME_RE.match(name):
            raise ApiError(400, 10038, "list name must be 1-50 of a-z, 0-9 and _")
        if body.get("kind") != "ip":
            raise ApiError(400, 10038, "this fake supports kind 'ip' only")
        if any(lst["name"] == name for lst in self.lists.values()):
            raise ApiError(409, 10022, f"a list named {name} already exists")
        lid = _id()
        self.lists[lid] = {
            "id": lid,
            "name": name,
            "kind": "ip",
            "description": body.get("description") or "",
            "num_items": 0,
            "num_referencing_filters": 0,
            "created_on": _now(),
            "modified_on": _now(),
        }
        self.list_items[lid] = []
        return 200, self.lists[lid], None

    def get_list(self, aid: str, lid: str) -> dict[str, Any]:
        self.account(aid)
        lst = self.lists.get(lid)
        if lst is None:
            raise ApiError(404, 10006, "list not found")
        return lst

    def replace_items(self, aid: str, lid: str, body: Any) -> tuple[int, Any, Any]:
        lst = self.get_list(aid, lid)
        if not isinstance(body, list):
            raise ApiError(400, 10021, "body must be an array of items")
        items = []
        for item in body:
            try:
                ip = str(ipaddress.ip_network(str(item.get("ip")), strict=True))
            except (ValueError, AttributeError):
                raise ApiError(400, 10021, f"invalid list item {item!r}") from None
            items.append({"id": _id(), "ip": ip, "comment": item.get("comment") or ""})
        self.list_items[lid] = items
        lst["num_items"] = len(items)
        op = _id()
        self.bulk_ops[op] = {"id": op, "status": "completed", "completed": _now()}
        return 200, {"operation_id": op}, None

    def list_items_page(self, aid: str, lid: str, q: dict[str, str]) -> tuple[int, Any, Any]:
        self.get_list(aid, lid)
        items = self.list_items[lid]
        per_page = int(q.get("per_page", "25"))
        start = int(q.get("cursor") or "0")
        chunk = items[start : start + per_page]
        info: dict[str, Any] = {"cursors": {"before": str(start)}}
        if start + per_page < len(items):
            info["cursors"]["after"] = str(start + per_page)
        return 200, chunk, info

    def delete_list(self, aid: str, lid: str) -> tuple[int, Any, Any]:
        lst = self.get_list(aid, lid)
        for rulesets in self.rulesets.values():
            for rs in rulesets.values():
                if any(f"${lst['name']}" in r["expression"] for r in rs["rules"]):
                    raise ApiError(409, 10023, f"list {lst['name']} is referenced by a rule")
        del self.lists[lid]
        del self.list_items[lid]
        return 200, {"id": lid}, None

    # ------------------------------------------------------------ secrets store
    def list_stores(self, aid: str, q: dict[str, str]) -> tuple[int, Any, Any]:
        self.account(aid)
        chunk, info = _page(sorted(self.stores.values(), key=lambda s: s["created"]), q, 100)
        return 200, chunk, info

    def create_store(self, aid: str, body: dict[str, Any]) -> tuple[int, Any, Any]:
        self.account(aid)
        if self.stores:
            raise ApiError(409, 1007, "this account already has a secrets store")
        sid = _id()
        self.stores[sid] = {"id": sid, "name": body.get("name"), "created": _now()}
        self.stores[sid]["modified"] = self.stores[sid]["created"]
        self.secrets[sid] = {}
        return 200, self.stores[sid], None

    def store(self, aid: str, sid: str) -> dict[str, dict[str, Any]]:
        self.account(aid)
        if sid not in self.secrets:
            raise ApiError(404, 1001, "secrets store not found")
        return self.secrets[sid]

    def create_secrets(self, aid: str, sid: str, body: Any) -> tuple[int, Any, Any]:
        secrets = self.store(aid, sid)
        if not isinstance(body, list) or not body:
            raise ApiError(400, 1002, "body must be a non-empty array of secrets")
        made: list[tuple[dict[str, Any], str]] = []
        for item in body:
            name, value = item.get("name"), item.get("value")
            if not isinstance(name, str) or not SECRET_NAME_RE.match(name):
                raise ApiError(400, 1002, "secret names are letters, digits and underscores")
            if not isinstance(value, str) or not value:
                raise ApiError(400, 1002, "secret value is required")
            if any(s["name"] == name for s in secrets.values()):
                raise ApiError(409, 1003, f"a secret named {name} already exists")
            scid = _id()
            rec: dict[str, Any] = {
                "id": scid,
                "name": name,
                "comment": item.get("comment") or "",
                "scopes": item.get("scopes") or ["workers"],
                "status": "active",
                "store_id": sid,
                "created": _now(),
                "modified": _now(),
            }
            made.append((rec, value))
        for made_rec, made_value in made:
            secrets[made_rec["id"]] = made_rec
            self.secret_values[made_rec["id"]] = made_value
        return 200, [r for r, _ in made], None

    def list_secrets(self, aid: str, sid: str, q: dict[str, str]) -> tuple[int, Any, Any]:
        items = sorted(self.store(aid, sid).values(), key=lambda s: s["name"])
        if q.get("search"):
            items = [s for s in items if q["search"] in s["name"]]
        chunk, info = _page(items, q, 100)
        return 200, chunk, info

    def secret(self, aid: str, sid: str, scid: str) -> dict[str, Any]:
        rec = self.store(aid, sid).get(scid)
        if rec is None:
            raise ApiError(404, 1001, "secret not found")
        return rec

    def edit_secret(self, aid: str, sid: str, scid: str, body: Any) -> tuple[int, Any, Any]:
        rec = self.secret(aid, sid, scid)
        if "value" in body:
            if not isinstance(body["value"], str) or not body["value"]:
                raise ApiError(400, 1002, "secret value must be a non-empty string")
            self.secret_values[scid] = body["value"]
        for key in ("comment", "scopes"):
            if key in body:
                rec[key] = body[key]
        rec["modified"] = _now()
        return 200, rec, None

    def delete_secret(self, aid: str, sid: str, scid: str) -> tuple[int, Any, Any]:
        self.secret(aid, sid, scid)
        del self.secrets[sid][scid]
        self.secret_values.pop(scid, None)
        return 200, None, None
