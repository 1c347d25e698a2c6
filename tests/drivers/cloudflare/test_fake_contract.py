"""Contract test of the fake Cloudflare API: it must refuse what Cloudflare documents as invalid,
accept what Cloudflare documents as valid, and answer with the fields the SDK's types declare.

Requests go as raw HTTP (httpx), not through the SDK or the driver, so a lenient fake cannot hide
behind a client that never sends the bad request. Each refused request names its source: a page
of Cloudflare's documentation, the SDK's generated types (``cloudflare/types``, generated from
Cloudflare's OpenAPI file), or a public bug report quoting the real API's answer. Where only the
HTTP status and message are documented, the error code is not asserted (``code=None``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from cloudcore_cloudflare.plans import CF_MANAGED, CF_OWASP
from cloudcore_cloudflare.testing import FakeCloudflare

PLANS = {"free": "free.example", "pro": "pro.example", "biz": "biz.example", "ent": "ent.example"}
PLAN_OF = {"free": "free", "pro": "pro", "biz": "business", "ent": "enterprise"}

DOC = "https://developers.cloudflare.com"
RL_TABLE = f"{DOC}/waf/rate-limiting-rules/#availability"
RL_PARAMS = f"{DOC}/waf/rate-limiting-rules/parameters/"
CUSTOM = f"{DOC}/waf/custom-rules/#availability"
OPERATORS = f"{DOC}/ruleset-engine/rules-language/operators/"
VALUES = f"{DOC}/ruleset-engine/rules-language/values/"
FUNCTIONS = f"{DOC}/ruleset-engine/rules-language/functions/"
TTL_TYPES = "SDK types/dns/record_create_params.py: ttl Required, 60-86400 (30 on Enterprise)"


@dataclass
class Api:
    """Raw HTTP to the fake, with the zone ids by plan."""

    fake: FakeCloudflare
    http: httpx.Client
    zones: dict[str, str] = field(default_factory=dict)
    store: str = ""

    def make_store(self) -> None:
        """Create the account's Secrets Store (once) and remember its id."""
        made = self.send("POST", "/accounts/{acc}/secrets_store/stores", {"name": "s"})
        self.store = made.json()["result"]["id"]

    def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        path = path.format(acc=self.fake.account_id, **self.zones)
        return self.http.request(method, path, json=body)

    def rules(self, zone: str, phase: str, rules: list[dict[str, Any]]) -> httpx.Response:
        return self.send(
            "PUT", f"/zones/{{{zone}}}/rulesets/phases/{phase}/entrypoint", {"rules": rules}
        )


@pytest.fixture(scope="module")
def server() -> Iterator[FakeCloudflare]:
    names = tuple(PLANS.values())
    plans = {PLANS[k]: PLAN_OF[k] for k in PLANS}
    with FakeCloudflare(names, plans=plans) as fake:
        yield fake


@pytest.fixture
def api(server: FakeCloudflare) -> Iterator[Api]:
    server.reset()
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as http:
        yield Api(server, http, {k: server.zone_id(v) for k, v in PLANS.items()})


def rl(
    period: int = 10,
    timeout: int | None = 10,
    action: str = "block",
    chars: tuple[str, ...] = ("cf.colo.id", "ip.src"),
    expression: str = 'starts_with(http.request.uri.path, "/api")',
    **more: Any,
) -> dict[str, Any]:
    """A rate limiting rule body (valid on Free as it stands)."""
    ratelimit: dict[str, Any] = {
        "characteristics": list(chars),
        "period": period,
        "requests_per_period": 10,
        **more,
    }
    if timeout is not None:
        ratelimit["mitigation_timeout"] = timeout
    return {"action": action, "expression": expression, "ratelimit": ratelimit}


def custom(expression: str = 'http.host eq "a.example"', action: str = "block") -> dict[str, Any]:
    return {"action": action, "expression": expression}


def execute(ruleset: str) -> dict[str, Any]:
    return {"action": "execute", "expression": "true", "action_parameters": {"id": ruleset}}


def a_record(name: str = "a.free.example", content: str = "192.0.2.1", **more: Any) -> Any:
    return {"name": name, "type": "A", "content": content, "ttl": 300, **more}


@dataclass(frozen=True)
class Refusal:
    """One request Cloudflare refuses: what is sent, what comes back, and the source."""

    name: str
    send: Callable[[Api], httpx.Response]
    status: int
    code: int | None
    source: str
    setup: Callable[[Api], Any] | None = None
    says: str = ""


RL = "/zones/{%s}/rulesets/phases/http_ratelimit/entrypoint"
REFUSALS = [
    # ------------------------------------------------------------------------- DNS records
    Refusal(
        "dns ttl below the plan minimum",
        lambda a: a.send("POST", "/zones/{free}/dns_records", a_record(ttl=30)),
        400,
        1004,
        f"{TTL_TYPES}; the 1004/9021 answer in timothymiller/cloudflare-ddns#179",
        says="between 60 and 86400",
    ),
    Refusal(
        "dns record without ttl",
        lambda a: a.send(
            "POST", "/zones/{free}/dns_records", {k: v for k, v in a_record().items() if k != "ttl"}
        ),
        400,
        1004,
        f"{TTL_TYPES}; joshuaavalon/docker-cloudflare#33 (9021 when the TTL was left out)",
    ),
    Refusal(
        "A record whose content is not an IPv4 address",
        lambda a: a.send("POST", "/zones/{free}/dns_records", a_record(content="not-an-ip")),
        400,
        9005,
        "yulewang/cloudflare-api-v4-ddns#16: 9005 'Content for A record must be a valid IPv4'",
        says="valid IPv4 address",
    ),
    Refusal(
        "identical record twice",
        lambda a: a.send("POST", "/zones/{free}/dns_records", a_record()),
        400,
        81057,
        "NewFuture/DDNS#21: 81057 'The record already exists.'",
        setup=lambda a: a.send("POST", "/zones/{free}/dns_records", a_record()),
    ),
    Refusal(
        "CNAME where an A record is",
        lambda a: a.send(
            "POST",
            "/zones/{free}/dns_records",
            {"name": "a.free.example", "type": "CNAME", "content": "x.example.net", "ttl": 300},
        ),
        400,
        81053,
        "terraform-provider-cloudflare#1247: 81053 'An A, AAAA, or CNAME record with that host "
        "already exists.'",
        setup=lambda a: a.send("POST", "/zones/{free}/dns_records", a_record()),
    ),
    Refusal(
        "A record where a CNAME is",
        lambda a: a.send("POST", "/zones/{free}/dns_records", a_record(name="c.free.example")),
        400,
        81054,
        "favonia/cloudflare-ddns#990: 81054 'A CNAME record with that host already exists.'",
        setup=lambda a: a.send(
            "POST",
            "/zones/{free}/dns_records",
            {"name": "c.free.example", "type": "CNAME", "content": "x.example.net", "ttl": 300},
        ),
    ),
    Refusal(
        "a record that does not exist",
        lambda a: a.send("GET", "/zones/{free}/dns_records/" + "0" * 32),
        404,
        81044,
        "zanjie1999/cloudflare-api-v4-ddns#5: 81044 'Record does not exist.'",
    ),
    Refusal(
        "a route that does not exist",
        lambda a: a.send("GET", "/zones/{free}/no_such_thing"),
        404,
        7000,
        "termux-play-store/termux-issues#218 (7000 'No route for that URI')",
    ),
    # ------------------------------------------------------------------- rate limiting rules
    Refusal(
        "60 s period on Free",
        lambda a: a.rules("free", "http_ratelimit", [rl(period=60)]),
        400,
        20217,
        f"{RL_TABLE} (Free: counting period 10 s)",
        says="not a valid value for period",
    ),
    Refusal(
        "600 s mitigation on Free",
        lambda a: a.rules("free", "http_ratelimit", [rl(timeout=600)]),
        400,
        20217,
        f"{RL_TABLE} (Free: mitigation timeout 10 s)",
    ),
    Refusal(
        "two rate limiting rules on Free",
        lambda a: a.rules("free", "http_ratelimit", [rl(), rl()]),
        400,
        20217,
        f"{RL_TABLE} (number of rules: Free 1, Pro 2)",
    ),
    Refusal(
        "three rate limiting rules on Pro",
        lambda a: a.rules("pro", "http_ratelimit", [rl(), rl(), rl()]),
        400,
        20217,
        f"{RL_TABLE} (number of rules: Pro 2)",
    ),
    Refusal(
        "a 10 min period on Pro",
        lambda a: a.rules("pro", "http_ratelimit", [rl(period=600)]),
        400,
        20217,
        f"{RL_TABLE} (Pro: periods up to 1 min)",
    ),
    Refusal(
        "a duration with a challenge below Enterprise",
        lambda a: a.rules("biz", "http_ratelimit", [rl(timeout=60, action="managed_challenge")]),
        400,
        20217,
        f"{RL_PARAMS}#for-duration (Free, Pro, Business: mitigation_timeout 0 with challenges)",
    ),
    Refusal(
        "throttling with block below Enterprise",
        lambda a: a.rules("pro", "http_ratelimit", [rl(timeout=0)]),
        400,
        20217,
        f"{RL_PARAMS}#with-the-following-behavior (only Enterprise throttles with Block)",
    ),
    Refusal(
        "mitigation_timeout left out with block below Enterprise (it defaults to 0)",
        lambda a: a.rules("biz", "http_ratelimit", [rl(timeout=None)]),
        400,
        20217,
        f"{RL_PARAMS}#with-the-following-behavior; terraform-provider-cloudflare#2914 (0 when "
        "left out)",
    ),
    Refusal(
        "a period Cloudflare does not offer",
        lambda a: a.rules("ent", "http_ratelimit", [rl(period=7)]),
        400,
        20217,
        f"{RL_TABLE} footnote 3 (10, 15, 20, 30, 40, 45, 60, ... 86400)",
    ),
    Refusal(
        "characteristics without cf.colo.id",
        lambda a: a.rules("free", "http_ratelimit", [rl(chars=("ip.src",))]),
        400,
        20217,
        f"{RL_PARAMS}#with-the-same-characteristics (cf.colo.id mandatory)",
    ),
    Refusal(
        "IP and IP with NAT support together",
        lambda a: a.rules(
            "ent", "http_ratelimit", [rl(chars=("cf.colo.id", "ip.src", "cf.unique_visitor_id"))]
        ),
        400,
        20217,
        f"{RL_PARAMS}#incompatible-characteristics",
    ),
    Refusal(
        "counting by host on Pro",
        lambda a: a.rules("pro", "http_ratelimit", [rl(chars=("cf.colo.id", "http.host"))]),
        400,
        20217,
        f"{RL_TABLE} (counting characteristics: Free and Pro IP only)",
    ),
    Refusal(
        "a host field in a Free rate limiting rule",
        lambda a: a.rules("free", "http_ratelimit", [rl(expression='http.host eq "a"')]),
        400,
        20217,
        f"{RL_TABLE} (fields: Free path and verified bot); message as in cloudflare-docs#23641",
        says="the use of field http.host is not allowed",
    ),
    Refusal(
        "a counting expression on Pro",
        lambda a: a.rules("pro", "http_ratelimit", [rl(counting_expression="ssl")]),
        400,
        20217,
        f"{RL_TABLE} (custom counting expression: Business and up)",
    ),
    # --------------------------------------------------------------------------- custom rules
    Refusal(
        "six custom rules on Free",
        lambda a: a.rules("free", "http_request_firewall_custom", [custom()] * 6),
        400,
        20217,
        f"{CUSTOM} (number of rules: Free 5)",
    ),
    Refusal(
        "the matches operator on Pro",
        lambda a: a.rules(
            "pro", "http_request_firewall_custom", [custom('http.request.uri.path matches "^/a"')]
        ),
        400,
        20217,
        f"{OPERATORS} ('Access to the matches operator requires a Business or Enterprise plan')",
    ),
    Refusal(
        "the log action on Business",
        lambda a: a.rules("biz", "http_request_firewall_custom", [custom(action="log")]),
        400,
        20217,
        f"{CUSTOM} (supported actions: all except Log below Enterprise)",
    ),
    Refusal(
        "an expression cut short",
        lambda a: a.rules("free", "http_request_firewall_custom", [custom('http.host eq "a" or')]),
        400,
        20217,
        'cloudflare-docs#28223 ("... is not a valid value for ... because could not parse '
        'filter expression: Filter parsing error ...")',
        says="could not parse filter expression",
    ),
    Refusal(
        "ends_with used as an operator",
        lambda a: a.rules(
            "free",
            "http_request_firewall_custom",
            [custom('http.request.uri.path ends_with ".html"')],
        ),
        400,
        20217,
        f"{OPERATORS}#additional-operators-in-the-cloudflare-dashboard (invalid use example)",
    ),
    Refusal(
        "an unknown function",
        lambda a: a.rules("free", "http_request_firewall_custom", [custom("foo(http.host)")]),
        400,
        20217,
        f"{FUNCTIONS} (the documented functions)",
    ),
    Refusal(
        "[*] outside a function call",
        lambda a: a.rules(
            "free",
            "http_request_firewall_custom",
            [custom('http.request.headers.names[*] == "Content-Type"')],
        ),
        400,
        20217,
        f"{VALUES}#arrays ('Invalid expression' example)",
    ),
    Refusal(
        "a single-quoted map key",
        lambda a: a.rules(
            "free",
            "http_request_firewall_custom",
            [custom("any(http.request.headers['accept'][*] == \"x\")")],
        ),
        400,
        20217,
        "cloudflare-docs#3994 ('expected quoted utf8 string or positive integer')",
    ),
    Refusal(
        "an upper-case English operator",
        lambda a: a.rules("free", "http_request_firewall_custom", [custom('http.host EQ "a"')]),
        400,
        20217,
        f"{OPERATORS} ('must be written in lowercase')",
    ),
    Refusal(
        "a wildcard pattern with **",
        lambda a: a.rules(
            "free",
            "http_request_firewall_custom",
            [custom('http.request.full_uri wildcard "https://a/**"')],
        ),
        400,
        20217,
        f"{OPERATORS}#wildcard-matching ('Two unescaped * characters in a row ... invalid')",
    ),
    Refusal(
        "an IP list that does not exist",
        lambda a: a.rules(
            "free", "http_request_firewall_custom", [custom("ip.src in $no_such_list")]
        ),
        400,
        20217,
        f"{VALUES}#lists (a list is referred to by the name it was created with)",
    ),
    # ------------------------------------------------------------------------ managed rules
    Refusal(
        "the OWASP Core Ruleset on Free",
        lambda a: a.rules("free", "http_request_firewall_managed", [execute(CF_OWASP)]),
        400,
        20217,
        f"{DOC}/waf/managed-rules/#availability (OWASP Core Ruleset: paid plans)",
    ),
    Refusal(
        "one managed ruleset deployed twice in a zone",
        lambda a: a.rules(
            "pro", "http_request_firewall_managed", [execute(CF_MANAGED), execute(CF_MANAGED)]
        ),
        400,
        20217,
        f"{DOC}/waf/managed-rules/#zone-level-deployment ('deploy each managed ruleset once')",
    ),
    # ---------------------------------------------------------------- lists and secrets store
    Refusal(
        "an IP list name with capitals and a space",
        lambda a: a.send("POST", "/accounts/{acc}/rules/lists", {"name": "Bad Name", "kind": "ip"}),
        400,
        None,
        f"{VALUES}#lists; the message in terraform-provider-cloudflare#2131",
        says="lowercase letters, numbers and underscores",
    ),
    Refusal(
        "a secret name with a space",
        lambda a: a.send(
            "POST",
            "/accounts/{acc}/secrets_store/stores/" + a.store + "/secrets",
            [{"name": "db password", "value": "x", "scopes": ["workers"]}],
        ),
        400,
        None,
        f"{DOC}/secrets-store/manage-secrets/how-to/ ('A secret name cannot contain spaces')",
        setup=lambda a: a.make_store(),
    ),
]


def test_the_contract_lists_enough_documented_refusals() -> None:
    assert len(REFUSALS) >= 30
    assert len({r.name for r in REFUSALS}) == len(REFUSALS)
    assert all(r.source for r in REFUSALS)


@pytest.mark.parametrize("case", REFUSALS, ids=lambda r: r.name)
def test_the_fake_refuses_what_cloudflare_refuses(api: Api, case: Refusal) -> None:
    if case.setup is not None:
        made = case.setup(api)
        assert made is None or made.status_code == 200, made.text
    before = _snapshot(api.fake)
    answer = case.send(api)
    assert answer.status_code == case.status, f"{case.source}: {answer.text}"
    env = answer.json()
    assert env["success"] is False and env["result"] is None and env["errors"]
    error = env["errors"][0]
    if case.code is not None:
        assert error["code"] == case.code, f"{case.source}: {error}"
    if case.says:
        text = error["message"] + " ".join(e["message"] for e in error.get("error_chain", []))
        assert case.says in text, f"{case.source}: {error}"
    if case.code == 20217:
        assert "is not a valid value for" in error["message"]
        assert error["source"]["pointer"].startswith("/")
    assert _snapshot(api.fake) == before, "a refused request must change nothing"


def _snapshot(fake: FakeCloudflare) -> Any:
    s = fake.state
    return repr((s.records, s.rulesets, s.lists, s.list_items, s.secrets))
