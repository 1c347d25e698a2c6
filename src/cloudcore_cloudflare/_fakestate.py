"""State and endpoint handlers of the fake Cloudflare API (see :mod:`cloudcore_cloudflare.testing`).

Each handler takes the parsed request and returns ``(status, result, result_info)`` or raises
:class:`ApiError` with Cloudflare's status and error code. The HTTP layer wraps both in the v4
envelope. Everything here is plain Python: no SDK import.

Answers carry the fields the SDK's response types declare (``types/zones/zone.py``,
``types/dns/record_response.py``...) and no others: zones have their ``plan``,
``name_servers``, ``owner``, ``meta``...; records have ``meta``, ``settings``, ``proxiable``
and the timestamps, but no ``zone_id``/``zone_name`` (the v4 API dropped them).

DNS error codes are the ones the real API answers, as seen in public bug reports:
``81044`` "Record does not exist." (zanjie1999/cloudflare-api-v4-ddns#5), ``81053`` "An A, AAAA,
or CNAME record with that host already exists." (terraform-provider-cloudflare#1247), ``81054``
"A CNAME record with that host already exists." (favonia/cloudflare-ddns#990), ``81057`` "The
record already exists." (NewFuture/DDNS#21), ``9005`` "Content for A record must be a valid
IPv4 address." (yulewang/cloudflare-api-v4-ddns#16), and TTL errors as ``1004`` "DNS
Validation Error" with ``9021`` in ``error_chain`` (timothymiller/cloudflare-ddns#179).
"""

from __future__ import annotations

import hashlib
import ipaddress
import threading
from collections.abc import Mapping
from typing import Any

from ._fakeaccount import AccountState
from ._fakecommon import ApiError, new_id, now, page
from ._fakerules import MANAGED_RULESETS, PHASES, RulesetState
from .plans import LIMITS, PLAN_NAMES, limits_for

__all__ = ["MANAGED_RULESETS", "PHASES", "ApiError", "FakeState", "plan_object"]

DNS_TYPES = {"A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "CAA"}
_NS_NAMES = ("ada", "bob", "cruz", "dana", "elle", "fay", "gus", "hal")
FREE_PLAN_ID = "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
"""The Free plan's id as the zones API reports it; the fake derives the others' ids."""


def plan_object(plan: str) -> dict[str, Any]:
    """The ``plan`` object of a zone on ``plan`` (fields of the SDK's ``zones.Plan``)."""
    if plan not in LIMITS:
        raise ValueError(f"unknown plan {plan!r} (one of {', '.join(LIMITS)})")
    pid = FREE_PLAN_ID if plan == "free" else hashlib.md5(plan.encode()).hexdigest()  # noqa: S324
    return {
        "id": pid,
        "name": PLAN_NAMES[plan],
        "price": {"free": 0, "pro": 20, "business": 200, "enterprise": 0}[plan],
        "currency": "USD",
        "frequency": "" if plan in ("free", "enterprise") else "monthly",
        "is_subscribed": plan != "free",
        "can_subscribe": plan != "enterprise",
        "legacy_id": plan,
        "legacy_discount": False,
        "externally_managed": plan == "enterprise",
    }


class FakeState(RulesetState, AccountState):
    """All the fake's data: zones, DNS records, rulesets, IP lists, Secrets Store.

    Args:
        zones: Zone names to create.
        account_id: The account that owns them.
        batch_limit: Most operations one DNS batch request may carry (200: the Free plan).
        plans: Plan per zone name (``free``, ``pro``, ``business``, ``enterprise``); zones not
            named are on the Free plan.
    """

    def __init__(
        self,
        zones: tuple[str, ...],
        account_id: str,
        batch_limit: int = 200,
        plans: Mapping[str, str] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.account_id = account_id
        self.batch_limit = batch_limit
        self.zone_names = zones
        self.plans = {name.lower(): plan for name, plan in (plans or {}).items()}
        for plan in self.plans.values():
            plan_object(plan)  # refuse an unknown plan at once
        self.reset()

    def reset(self) -> None:
        """Forget everything but the configured zones (which get fresh ids)."""
        with self.lock:
            self.zones: dict[str, dict[str, Any]] = {}
            for i, name in enumerate(self.zone_names):
                zid = new_id()
                stamp = now()
                ns = [f"{_NS_NAMES[(2 * i + k) % 8]}.ns.cloudflare.com" for k in (0, 1)]
                self.zones[zid] = {
                    "id": zid,
                    "name": name,
                    "status": "active",
                    "paused": False,
                    "type": "full",
                    "development_mode": 0,
                    "name_servers": ns,
                    "original_name_servers": None,
                    "original_registrar": None,
                    "original_dnshost": None,
                    "created_on": stamp,
                    "modified_on": stamp,
                    "activated_on": stamp,
                    "meta": {
                        "step": 2,
                        "custom_certificate_quota": 0,
                        "page_rule_quota": 3,
                        "phishing_detected": False,
                    },
                    "owner": {"id": None, "type": "user", "name": None},
                    "account": {"id": self.account_id, "name": "fake account"},
                    "tenant": {"id": None, "name": None},
                    "tenant_unit": {"id": None},
                    "permissions": ["#dns_records:edit", "#waf:edit"],
                    "plan": plan_object(self.plans.get(name, "free")),
                }
            self.records: dict[str, dict[str, dict[str, Any]]] = {z: {} for z in self.zones}
            self.rulesets = {z: {} for z in self.zones}
            self.reset_account()

    def set_plan(self, zone_name: str, plan: str) -> None:
        """Move zone ``zone_name`` to ``plan`` (as an upgrade or downgrade would)."""
        with self.lock:
            for zone in self.zones.values():
                if zone["name"] == zone_name:
                    zone["plan"] = plan_object(plan)
                    zone["modified_on"] = now()
                    self.plans[zone_name] = plan
                    return
            raise KeyError(zone_name)

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
        min_ttl = limits_for(zone["plan"]["legacy_id"]).min_ttl
        ttl_rule = f"TTL must be between {min_ttl} and 86400 seconds, or 1 for Automatic."
        if new and "ttl" not in body:
            raise ApiError(400, 1004, "DNS Validation Error", chain=((9021, ttl_rule),))
        if "ttl" in body:
            ttl = body["ttl"]
            # SDK types/dns: "between 60 and 86400, with the minimum reduced to 30 for
            # Enterprise zones"; the answer nests 9021 under 1004 (cloudflare-ddns#179).
            if not isinstance(ttl, int) or not (ttl == 1 or min_ttl <= ttl <= 86400):
                raise ApiError(400, 1004, "DNS Validation Error", chain=((9021, ttl_rule),))
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
                        400, 9005, f"Content for {rtype} record must be a valid {version} address."
                    )
        if rtype == "MX" and new and not isinstance(body.get("priority"), int):
            raise ApiError(400, 9102, "MX records need a priority")
        if body.get("proxied") and rtype not in ("A", "AAAA", "CNAME"):
            raise ApiError(400, 9004, f"{rtype} records cannot be proxied")

    def _materialise(self, zone: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        stamp = now()
        rec = {
            "id": new_id(),
            "name": str(body["name"]).rstrip(".").lower(),
            "type": body["type"],
            "content": body.get("content"),
            "ttl": body["ttl"],
            "proxied": bool(body.get("proxied", False)),
            "proxiable": body["type"] in ("A", "AAAA", "CNAME"),
            "comment": None,
            "tags": [],
            "settings": {},
            "meta": {},
            "created_on": stamp,
            "modified_on": stamp,
        }
        return self._update_fields(rec, body)

    @staticmethod
    def _update_fields(rec: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        stamp = now()
        for key in ("content", "ttl", "proxied", "priority", "data"):
            if key in body:
                rec[key] = body[key]
        if "comment" in body and body["comment"] != rec.get("comment"):
            rec["comment"] = body["comment"] or None
        if rec.get("comment"):
            # "When the record comment was last modified. Omitted if there is no comment."
            rec.setdefault("comment_modified_on", stamp)
            if "comment" in body:
                rec["comment_modified_on"] = stamp
        else:
            rec.pop("comment_modified_on", None)
        if "name" in body:
            rec["name"] = str(body["name"]).rstrip(".").lower()
        d = rec.get("data")
        if rec["type"] == "SRV" and isinstance(d, dict):
            rec.pop("priority", None)  # v5 SRV records carry the priority in data only
            rec["content"] = f"{d.get('weight')} {d.get('port')} {d.get('target')}"
        if rec["type"] == "CAA" and isinstance(d, dict):
            rec["content"] = f'{d.get("flags")} {d.get("tag")} "{d.get("value")}"'
        if rec["proxied"]:
            rec["ttl"] = 1  # proxied records always have automatic TTL
        rec["modified_on"] = stamp
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
                    if other["type"] == "CNAME":
                        raise ApiError(400, 81054, "A CNAME record with that host already exists.")
                    raise ApiError(
                        400, 81053, "An A, AAAA, or CNAME record with that host already exists."
                    )
                if other["type"] == rec["type"] and (
                    rec["type"] == "CNAME"
                    or (other["content"] == rec["content"] and other.get("data") == rec.get("data"))
                ):
                    raise ApiError(400, 81057, "The record already exists.")

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
                raise ApiError(404, 81044, "Record does not exist.")
            out["deletes"].append(work.pop(rid))
        for key in ("patches", "puts"):
            for p in ops[key]:
                rid = p.get("id") if isinstance(p, dict) else None
                if rid not in work:
                    raise ApiError(404, 81044, "Record does not exist.")
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
