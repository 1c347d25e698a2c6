"""Account-level parts of the fake Cloudflare API: IP lists and the Secrets Store.

Rules, with their sources: list names "can only include lowercase letters, numbers, and the
underscore (_) character" (https://developers.cloudflare.com/ruleset-engine/rules-language/
values/#lists; the API's message, "List name must only contain lowercase letters, numbers and
underscores", is quoted in terraform-provider-cloudflare#2131) and are at most 50 characters
(https://developers.cloudflare.com/waf/tools/lists/custom-lists/); IP list items are IPv4 /8 to
/32 and IPv6 /12 to /64 (same page); "A secret name cannot contain spaces"
(https://developers.cloudflare.com/secrets-store/manage-secrets/how-to/) - letters, digits, ``_``
and ``-`` are all fine. The error *codes* of the lists and Secrets Store APIs below have not been
seen in a public report; their HTTP statuses are the documented ones.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ._fakecommon import ApiError, new_id, now, page

__all__ = ["AccountState"]

SECRET_NAME_RE = re.compile(r"[^\s\x00-\x1f\x7f]+")
LIST_NAME_RE = re.compile(r"[a-z0-9_]{1,50}")


class AccountState:
    """IP lists (with bulk operations) and Secrets Store stores and secrets of one account."""

    account_id: str
    rulesets: dict[str, dict[str, dict[str, Any]]]
    lists: dict[str, dict[str, Any]]
    list_items: dict[str, list[dict[str, Any]]]
    bulk_ops: dict[str, dict[str, Any]]
    stores: dict[str, dict[str, Any]]
    secrets: dict[str, dict[str, dict[str, Any]]]
    secret_values: dict[str, str]

    def reset_account(self) -> None:
        """Forget every list, store and secret."""
        self.lists = {}
        self.list_items = {}
        self.bulk_ops = {}
        self.stores = {}
        self.secrets = {}
        self.secret_values = {}

    def account(self, account_id: str) -> None:
        """Refuse any account but the fake's own."""
        if account_id != self.account_id:
            raise ApiError(403, 9109, "Unauthorized to access requested resource")

    # ---------------------------------------------------------------- IP lists
    def create_list(self, aid: str, body: dict[str, Any]) -> tuple[int, Any, Any]:
        self.account(aid)
        name = body.get("name")
        if not isinstance(name, str) or not LIST_NAME_RE.fullmatch(name):
            raise ApiError(
                400, 10038, "List name must only contain lowercase letters, numbers and underscores"
            )
        if body.get("kind") != "ip":
            raise ApiError(400, 10038, "this fake supports kind 'ip' only")
        if any(lst["name"] == name for lst in self.lists.values()):
            raise ApiError(409, 10022, f"a list named {name} already exists")
        lid = new_id()
        self.lists[lid] = {
            "id": lid,
            "name": name,
            "kind": "ip",
            "description": body.get("description") or "",
            "num_items": 0,
            "num_referencing_filters": 0,
            "created_on": now(),
            "modified_on": now(),
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
                net = ipaddress.ip_network(str(item.get("ip")), strict=True)
            except (ValueError, AttributeError):
                raise ApiError(400, 10021, f"invalid list item {item!r}") from None
            low, high = (8, 32) if net.version == 4 else (12, 64)
            if not low <= net.prefixlen <= high:
                raise ApiError(400, 10021, f"{net}: IPv4 /8-/32 and IPv6 /12-/64 only")
            ip = str(net)
            stamp = now()
            items.append(
                {
                    "id": new_id(),
                    "ip": ip,
                    "comment": item.get("comment") or "",
                    "created_on": stamp,
                    "modified_on": stamp,
                }
            )
        self.list_items[lid] = items
        lst["num_items"] = len(items)
        lst["modified_on"] = now()
        op = new_id()
        self.bulk_ops[op] = {"id": op, "status": "completed", "completed": now()}
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
        chunk, info = page(sorted(self.stores.values(), key=lambda s: s["created"]), q, 100)
        return 200, chunk, info

    def create_store(self, aid: str, body: dict[str, Any]) -> tuple[int, Any, Any]:
        self.account(aid)
        if self.stores:
            raise ApiError(409, 1007, "this account already has a secrets store")
        sid = new_id()
        self.stores[sid] = {"id": sid, "name": body.get("name"), "created": now()}
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
            if not isinstance(name, str) or not SECRET_NAME_RE.fullmatch(name):
                raise ApiError(400, 1002, "A secret name cannot contain spaces")
            if not isinstance(value, str) or not value:
                raise ApiError(400, 1002, "secret value is required")
            if any(s["name"] == name for s in secrets.values()):
                raise ApiError(409, 1003, f"a secret named {name} already exists")
            scid = new_id()
            rec: dict[str, Any] = {
                "id": scid,
                "name": name,
                "comment": item.get("comment") or "",
                "scopes": item.get("scopes") or ["workers"],
                "status": "active",
                "store_id": sid,
                "created": now(),
                "modified": now(),
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
        chunk, info = page(items, q, 100)
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
        rec["modified"] = now()
        return 200, rec, None

    def delete_secret(self, aid: str, sid: str, scid: str) -> tuple[int, Any, Any]:
        self.secret(aid, sid, scid)
        del self.secrets[sid][scid]
        self.secret_values.pop(scid, None)
        return 200, None, None
