"""URL routing of the fake Cloudflare API: ``(method, path)`` to a :class:`FakeState` handler."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ._fakestate import ApiError, FakeState

__all__ = ["route"]

Result = tuple[int, Any, Any]
Handler = Callable[[FakeState, dict[str, str], dict[str, str], Any], Result]

_ID = r"(?P<{}>[0-9a-f]{{32}})"
_ZONE = "/zones/" + _ID.format("zone")
_ACC = "/accounts/" + _ID.format("acc")
_STORE = _ACC + "/secrets_store/stores/" + _ID.format("store")

_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def _on(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        _ROUTES.append((method, re.compile(f"^{pattern}/?$"), fn))
        return fn

    return deco


@_on("GET", "/zones")
def _zones(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.list_zones(q)


@_on("GET", _ZONE)
def _zone(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return 200, s.zone(p["zone"]), None


@_on("GET", _ZONE + "/dns_records")
def _records(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.list_records(p["zone"], q)


@_on("POST", _ZONE + "/dns_records")
def _record_create(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.create_record(p["zone"], _obj(b))


@_on("POST", _ZONE + "/dns_records/batch")
def _record_batch(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.batch_records(p["zone"], _obj(b))


@_on("GET", _ZONE + "/dns_records/" + _ID.format("rec"))
def _record_get(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return 200, s.get_record(p["zone"], p["rec"]), None


@_on("PUT", _ZONE + "/dns_records/" + _ID.format("rec"))
def _record_put(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.edit_record(p["zone"], p["rec"], _obj(b), put=True)


@_on("PATCH", _ZONE + "/dns_records/" + _ID.format("rec"))
def _record_patch(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.edit_record(p["zone"], p["rec"], _obj(b), put=False)


@_on("DELETE", _ZONE + "/dns_records/" + _ID.format("rec"))
def _record_delete(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.delete_record(p["zone"], p["rec"])


@_on("GET", _ZONE + "/rulesets")
def _rulesets(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.list_rulesets(p["zone"], q)


@_on("GET", _ZONE + r"/rulesets/phases/(?P<phase>[a-z_]+)/entrypoint")
def _entry_get(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.get_entrypoint(p["zone"], p["phase"])


@_on("PUT", _ZONE + r"/rulesets/phases/(?P<phase>[a-z_]+)/entrypoint")
def _entry_put(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.put_entrypoint(p["zone"], p["phase"], _obj(b))


@_on("GET", _ACC + "/rules/lists")
def _lists(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    s.account(p["acc"])
    return 200, sorted(s.lists.values(), key=lambda x: x["name"]), None


@_on("POST", _ACC + "/rules/lists")
def _list_create(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.create_list(p["acc"], _obj(b))


@_on("GET", _ACC + "/rules/lists/" + _ID.format("lst"))
def _list_get(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return 200, s.get_list(p["acc"], p["lst"]), None


@_on("DELETE", _ACC + "/rules/lists/" + _ID.format("lst"))
def _list_delete(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.delete_list(p["acc"], p["lst"])


@_on("GET", _ACC + "/rules/lists/" + _ID.format("lst") + "/items")
def _items(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.list_items_page(p["acc"], p["lst"], q)


@_on("PUT", _ACC + "/rules/lists/" + _ID.format("lst") + "/items")
def _items_put(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.replace_items(p["acc"], p["lst"], b)


@_on("GET", _ACC + "/rules/lists/bulk_operations/" + _ID.format("op"))
def _bulk_op(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    s.account(p["acc"])
    op = s.bulk_ops.get(p["op"])
    if op is None:
        raise ApiError(404, 10006, "operation not found")
    return 200, op, None


@_on("GET", _ACC + "/secrets_store/stores")
def _stores(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.list_stores(p["acc"], q)


@_on("POST", _ACC + "/secrets_store/stores")
def _store_create(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.create_store(p["acc"], _obj(b))


@_on("GET", _STORE + "/secrets")
def _secrets(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.list_secrets(p["acc"], p["store"], q)


@_on("POST", _STORE + "/secrets")
def _secrets_create(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.create_secrets(p["acc"], p["store"], b)


@_on("GET", _STORE + "/secrets/" + _ID.format("sec"))
def _secret_get(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return 200, s.secret(p["acc"], p["store"], p["sec"]), None


@_on("PATCH", _STORE + "/secrets/" + _ID.format("sec"))
def _secret_edit(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.edit_secret(p["acc"], p["store"], p["sec"], _obj(b))


@_on("DELETE", _STORE + "/secrets/" + _ID.format("sec"))
def _secret_delete(s: FakeState, p: dict[str, str], q: dict[str, str], b: Any) -> Result:
    return s.delete_secret(p["acc"], p["store"], p["sec"])


def _obj(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, 6007, "request body must be a JSON object")
    return body


def route(state: FakeState, method: str, path: str, query: dict[str, str], body: Any) -> Result:
    """Dispatch one request; unknown routes answer 404 with code 7000 (as Cloudflare does)."""
    for verb, pattern, handler in _ROUTES:
        m = pattern.match(path)
        if m and verb == method:
            return handler(state, m.groupdict(), query, body)
    raise ApiError(404, 7000, f"No route for that URI: {method} {path}")
