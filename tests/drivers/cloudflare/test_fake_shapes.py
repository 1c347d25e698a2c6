"""Contract test of the fake Cloudflare API, part two: its answers have the shape of the SDK's
response types (``cloudflare/types``, generated from Cloudflare's OpenAPI file), with every
required field and no field the type does not declare; and it accepts what the documentation
shows as valid (so strictness never turns into refusing real requests).

Answers are fetched as raw HTTP and validated with the SDK's pydantic models.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cloudflare.types.dns import record_batch_response, record_delete_response, record_response
from cloudflare.types.rules import list_create_response, lists_list
from cloudflare.types.rules.lists import (
    bulk_operation_get_response,
    item_list_response,
    item_update_response,
)
from cloudflare.types.rulesets import (
    phase_get_response,
    phase_update_response,
    ruleset_list_response,
)
from cloudflare.types.secrets_store import store_create_response, store_list_response
from cloudflare.types.secrets_store.stores import (
    secret_create_response,
    secret_edit_response,
    secret_list_response,
)
from cloudflare.types.zones import Zone
from pydantic import BaseModel, ValidationError

from cloudcore_cloudflare.plans import CF_OWASP
from cloudcore_cloudflare.testing import FakeCloudflare

ZONES = {"free.example": "free", "pro.example": "pro", "ent.example": "enterprise"}


def problems(model: Any, data: Any, where: str = "result") -> list[str]:
    """What is wrong with ``data`` as an instance of ``model`` (a pydantic model class, a
    union or list of them): validation errors, and keys the model does not declare."""
    origin = typing.get_origin(model)
    args = typing.get_args(model)
    if origin is typing.Union or str(origin) == "types.UnionType":
        variants = [a for a in args if a is not type(None)]
        if data is None and len(variants) < len(args):
            return []
        # the variant the data validates as (the type/action literals tell them apart); if
        # none does, the closest one's problems
        valid = [v for v in variants if _validates(v, data)]
        found = [problems(v, data, where) for v in (valid or variants)]
        return min(found, key=len) if found else [f"{where}: no variant"]
    if origin in (list, typing.List):  # noqa: UP006
        if not isinstance(data, list):
            return [f"{where}: a list expected, got {type(data).__name__}"]
        return [p for i, item in enumerate(data) for p in problems(args[0], item, f"{where}[{i}]")]
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    if not isinstance(data, dict):
        return [f"{where}: an object expected"]
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [f"{where}.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    declared = {f.alias or name: f for name, f in model.model_fields.items()}
    out = [f"{where}.{key}: not a field of {model.__name__}" for key in data if key not in declared]
    for key, info in declared.items():
        if key in data and data[key] is not None:
            out += problems(info.annotation, data[key], f"{where}.{key}")
    return out


def _validates(model: Any, data: Any) -> bool:
    if isinstance(model, type) and issubclass(model, BaseModel):
        try:
            model.model_validate(data)
        except ValidationError:
            return False
        return True
    return not problems(model, data)


def test_the_shape_check_finds_extra_and_missing_fields() -> None:
    rec = {
        "id": "a" * 32, "name": "a.example", "type": "A", "content": "192.0.2.1", "ttl": 1,
        "proxied": False, "proxiable": True, "created_on": "2024-01-01T00:00:00Z",
        "modified_on": "2024-01-01T00:00:00Z", "meta": {}, "settings": {}, "tags": [],
    }  # fmt: skip
    assert problems(record_response.RecordResponse, rec) == []
    assert problems(record_response.RecordResponse, {**rec, "zone_id": "z", "zone_name": "n"}) == [
        "result.zone_id: not a field of ARecord",
        "result.zone_name: not a field of ARecord",
    ]
    assert problems(record_response.RecordResponse, {**rec, "meta": {"x": 1}}) == [
        "result.meta.x: not a field of ARecordMeta"
    ]
    no_meta = {k: v for k, v in rec.items() if k != "meta"}
    assert "result.meta: Field required" in problems(record_response.RecordResponse, no_meta)
    assert problems(list[Zone], [{"id": "z", "name": "n"}])


class Raw:
    def __init__(self, fake: FakeCloudflare, http: httpx.Client) -> None:
        self.fake = fake
        self.http = http
        self.z = {name.split(".")[0]: fake.zone_id(name) for name in ZONES}

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.http.request(method, path.format(acc=self.fake.account_id), json=body)
        assert answer.status_code == 200, answer.text
        env = answer.json()
        assert env["success"] is True and env["errors"] == [] and "messages" in env
        return env["result"]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeCloudflare]:
    with FakeCloudflare(tuple(ZONES), plans=ZONES) as fake:
        yield fake


@pytest.fixture
def raw(server: FakeCloudflare) -> Iterator[Raw]:
    server.reset()
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as http:
        yield Raw(server, http)


def test_zones_have_the_fields_of_the_sdk_zone_type(raw: Raw) -> None:
    zones = raw.ok("GET", "/zones")
    assert problems(list[Zone], zones) == []
    by_name = {z["name"]: z for z in zones}
    assert {n: by_name[n]["plan"]["legacy_id"] for n in ZONES} == ZONES
    assert by_name["free.example"]["plan"]["name"] == "Free Website"
    for zone in zones:
        assert len(zone["name_servers"]) == 2 and zone["owner"] and zone["meta"]
        assert problems(Zone, raw.ok("GET", f"/zones/{zone['id']}")) == []


RECORDS = [
    {"name": "a.free.example", "type": "A", "content": "192.0.2.1", "ttl": 1, "proxied": True},
    {"name": "a.free.example", "type": "AAAA", "content": "2001:db8::1", "ttl": 300},
    {"name": "c.free.example", "type": "CNAME", "content": "x.example.net", "ttl": 300},
    {"name": "free.example", "type": "TXT", "content": "v=spf1 -all", "ttl": 300, "comment": "c"},
    {"name": "free.example", "type": "MX", "content": "mx.example.net", "priority": 10, "ttl": 60},
    {"name": "dev.free.example", "type": "NS", "content": "ns1.example.net", "ttl": 300},
    {
        "name": "_sip._tcp.free.example",
        "type": "SRV",
        "ttl": 300,
        "data": {"priority": 10, "weight": 5, "port": 5060, "target": "sip.example.net"},
    },
    {
        "name": "free.example",
        "type": "CAA",
        "ttl": 300,
        "data": {"flags": 0, "tag": "issue", "value": "letsencrypt.org"},
    },
]


def test_dns_records_have_the_fields_of_the_sdk_record_types(raw: Raw) -> None:
    made = [raw.ok("POST", f"/zones/{raw.z['free']}/dns_records", body) for body in RECORDS]
    listed = raw.ok("GET", f"/zones/{raw.z['free']}/dns_records?per_page=100")
    for rec in [*made, *listed]:
        assert problems(record_response.RecordResponse, rec) == [], rec
        assert "zone_id" not in rec and "zone_name" not in rec
        assert isinstance(rec["meta"], dict) and rec["created_on"] and rec["modified_on"]
        # "When the record comment was last modified. Omitted if there is no comment."
        assert ("comment_modified_on" in rec) == bool(rec.get("comment")), rec
    assert problems(record_response.RecordResponse, made[0]) == []
    batch = raw.ok(
        "POST",
        f"/zones/{raw.z['free']}/dns_records/batch",
        {
            "deletes": [{"id": made[1]["id"]}],
            "patches": [{"id": made[2]["id"], "ttl": 600}],
            "posts": [{"name": "n.free.example", "type": "A", "content": "192.0.2.9", "ttl": 120}],
        },
    )
    assert problems(record_batch_response.RecordBatchResponse, batch) == []
    gone = raw.ok("DELETE", f"/zones/{raw.z['free']}/dns_records/{made[0]['id']}")
    assert problems(record_delete_response.RecordDeleteResponse, gone) == []


def test_rulesets_and_rules_have_the_fields_of_the_sdk_types(raw: Raw) -> None:
    rules = [
        {"action": "block", "expression": 'http.host eq "a"', "ref": "mine"},
        {"action": "managed_challenge", "expression": 'ip.src.country in {"KP"}'},
        {
            "action": "skip",
            "expression": "true",
            "action_parameters": {"ruleset": "current", "phases": ["http_ratelimit"]},
        },
    ]
    path = f"/zones/{raw.z['pro']}/rulesets/phases/http_request_firewall_custom/entrypoint"
    put = raw.ok("PUT", path, {"rules": rules})
    assert problems(phase_update_response.Ruleset, put) == []
    got = raw.ok("GET", path)
    assert problems(phase_get_response.PhaseGetResponse, got) == []
    # "ref: The reference of the rule (the rule's ID by default)."
    assert [r["ref"] for r in got["rules"]] == [
        "mine",
        got["rules"][1]["id"],
        got["rules"][2]["id"],
    ]
    rl = {
        "action": "block",
        "expression": "true",
        "ratelimit": {"characteristics": ["cf.colo.id", "ip.src"], "period": 15,
                      "requests_per_period": 5, "mitigation_timeout": 30},
    }  # fmt: skip
    managed = {"action": "execute", "expression": "true", "action_parameters": {"id": CF_OWASP}}
    for phase, rule in (("http_ratelimit", rl), ("http_request_firewall_managed", managed)):
        put = raw.ok(
            "PUT", f"/zones/{raw.z['pro']}/rulesets/phases/{phase}/entrypoint", {"rules": [rule]}
        )
        assert problems(phase_update_response.Ruleset, put) == []
    listed = raw.ok("GET", f"/zones/{raw.z['pro']}/rulesets")
    assert problems(list[ruleset_list_response.RulesetListResponse], listed) == []


def test_lists_and_secrets_have_the_fields_of_the_sdk_types(raw: Raw) -> None:
    made = raw.ok("POST", "/accounts/{acc}/rules/lists", {"name": "office", "kind": "ip"})
    assert problems(list_create_response.ListCreateResponse, made) == []
    op = raw.ok(
        "PUT",
        "/accounts/{acc}/rules/lists/" + made["id"] + "/items",
        [{"ip": "198.51.100.0/24"}, {"ip": "2001:db8::/48"}],
    )
    assert problems(item_update_response.ItemUpdateResponse, op) == []
    status = raw.ok("GET", "/accounts/{acc}/rules/lists/bulk_operations/" + op["operation_id"])
    assert problems(bulk_operation_get_response.BulkOperationGetResponse, status) == []
    items = raw.ok("GET", "/accounts/{acc}/rules/lists/" + made["id"] + "/items")
    assert problems(list[item_list_response.ListsListItemIPFull], items) == []
    listed = raw.ok("GET", "/accounts/{acc}/rules/lists")
    assert problems(list[lists_list.ListsList], listed) == []
    store = raw.ok("POST", "/accounts/{acc}/secrets_store/stores", {"name": "main"})
    assert problems(store_create_response.StoreCreateResponse, store) == []
    stores = raw.ok("GET", "/accounts/{acc}/secrets_store/stores")
    assert problems(list[store_list_response.StoreListResponse], stores) == []
    base = "/accounts/{acc}/secrets_store/stores/" + store["id"] + "/secrets"
    # names hold '-': the documentation forbids only spaces
    secrets = raw.ok("POST", base, [{"name": "db-password", "value": "s", "scopes": ["workers"]}])
    assert problems(list[secret_create_response.SecretCreateResponse], secrets) == []
    assert problems(list[secret_list_response.SecretListResponse], raw.ok("GET", base)) == []
    edited = raw.ok("PATCH", f"{base}/{secrets[0]['id']}", {"value": "t", "comment": "c"})
    assert problems(secret_edit_response.SecretEditResponse, edited) == []


DOCUMENTED = [  # examples from the Rules-language reference pages, stored as they are
    'http.request.uri.path eq "/articles/2008/"',
    "ip.src ne 203.0.113.0",
    "cf.threat_score lt 10",
    "ip.src in { 203.0.113.0 203.0.113.1 }",
    'not ( http.host eq "www.cloudflare.com" and ip.src in {203.0.113.0/24} )',
    'http.host eq "www.cloudflare.com" xor ip.src in {203.0.113.0/24}',
    'http.host eq "www.cloudflare.com" or ip.src in 203.0.113.0/24',
    'ends_with(http.request.uri.path, ".html")',
    'lower(http.request.uri.path) contains "/wp-login.php"',
    'http.request.full_uri wildcard "https://example.com/a/*"',
    'http.request.uri.path matches r"/api/login\\.aspx$"',
    'http.request.uri.path matches r#"a"b"#',
    'any(lower(http.request.headers.names[*])[*] == "content-type")',
    'all(len(http.request.uri.args["filter"][*])[*] in {3 4})',
    'not len(http.request.uri.args["order"]) >= 0',
    "ip.src in {198.51.100.1 198.51.100.3..198.51.100.7 192.0.2.0/24 2001:0db8::/32}",
    "tcp.dstport in {8000..8009 8080..8089}",
    'lookup_json_string(http.request.body.raw, "network", "name") == "cloudflare"',
    'http.host == "downloads.example.com" and not is_timed_hmac_valid_v0("mysecretkey", '
    "http.request.uri, 100000, http.request.timestamp.sec, 8)",
    "not ssl",
    "ip.src in $cf.anonymizer",
]


@pytest.mark.parametrize("expression", DOCUMENTED)
def test_documented_expressions_are_stored_as_they_are(raw: Raw, expression: str) -> None:
    path = f"/zones/{raw.z['ent']}/rulesets/phases/http_request_firewall_custom/entrypoint"
    got = raw.ok("PUT", path, {"rules": [{"action": "block", "expression": expression}]})
    assert got["rules"][0]["expression"] == expression


def test_documented_values_each_plan_allows_are_accepted(raw: Raw) -> None:
    def rl(zone: str, action: str, period: int, timeout: int) -> Any:
        rule = {
            "action": action,
            "expression": 'starts_with(http.request.uri.path, "/login")',
            "ratelimit": {"characteristics": ["cf.colo.id", "ip.src"], "period": period,
                          "requests_per_period": 5, "mitigation_timeout": timeout},
        }  # fmt: skip
        return raw.ok(
            "PUT", f"/zones/{raw.z[zone]}/rulesets/phases/http_ratelimit/entrypoint",
            {"rules": [rule]},
        )  # fmt: skip

    rl("free", "block", 10, 10)
    rl("free", "managed_challenge", 10, 0)  # challenges throttle: mitigation_timeout 0
    rl("pro", "block", 15, 3600)
    rl("ent", "block", 65535, 0)  # Enterprise throttles with block
    rl("ent", "js_challenge", 60, 45)  # and sets custom durations, even with challenges
    raw.ok("POST", f"/zones/{raw.z['ent']}/dns_records",
           {"name": "t.ent.example", "type": "A", "content": "192.0.2.1", "ttl": 30})  # fmt: skip
    raw.ok("POST", f"/zones/{raw.z['free']}/dns_records",
           {"name": "t.free.example", "type": "A", "content": "192.0.2.1", "ttl": 60})  # fmt: skip
