"""The driver reads each zone's plan and fits (or refuses) what the plan cannot do, before writing.

The fake enforces every plan's documented limits (see ``cloudcore_cloudflare.plans``), so each
test here failed on the driver that sent the portable values as they were: the fake refused the
write with a ProviderError after half of a rule set could already be in place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

import cloudcore.cli
from cloudcore.errors import ConfigurationError, Unsupported
from cloudcore.models import DNSRecord, GeoRule, IPRule, ManagedRule, PathRule, RateLimitRule
from cloudcore_cloudflare.testing import FakeCloudflare, fake_target

from .conftest import PLAN, ZONES

Target = Callable[..., AbstractContextManager[Any]]


@pytest.fixture
def on_plan(fake: FakeCloudflare) -> Iterator[Target]:
    """``with on_plan("free", map_to_plan=True) as cf:`` - example.com on that plan."""

    @contextmanager
    def make(plan: str, **options: Any) -> Iterator[Any]:
        fake.reset()
        fake.state.set_plan("example.com", plan)
        with fake_target(ZONES, fake=fake, **options) as provider:
            fake.clear_log()
            yield provider

    try:
        yield make
    finally:
        fake.state.set_plan("example.com", PLAN)


def _ratelimits(fake: FakeCloudflare) -> list[dict[str, Any]]:
    rs = fake.state.rulesets[fake.zone_id("example.com")].get("http_ratelimit") or {}
    return [r["ratelimit"] | {"action": r["action"]} for r in rs.get("rules") or []]


def test_the_default_rate_limit_rule_is_valid_on_the_free_plan(
    on_plan: Target, fake: FakeCloudflare
) -> None:
    with on_plan("free") as cf:
        assert cf.configure_waf([RateLimitRule(name="api", requests=100)], "example.com")
        (sent,) = _ratelimits(fake)
        assert (sent["period"], sent["mitigation_timeout"]) == (10, 10)
        assert sent["requests_per_period"] == 17  # 100 per 60 s is 17 per 10 s
        # what Cloudflare enforces is what is read back
        assert cf.get_waf_rules("example.com") == [
            RateLimitRule(name="api", requests=17, period_seconds=10, mitigation_seconds=10)
        ]
        assert cf.configure_waf([RateLimitRule(name="api", requests=100)], "example.com") is False


@pytest.mark.parametrize(
    ("plan", "rule", "reason"),
    [
        ("free", RateLimitRule(name="r", requests=5, period_seconds=60), "60 s counting period"),
        ("free", RateLimitRule(name="r", requests=5, mitigation_seconds=600), "600 s mitigation"),
        ("pro", RateLimitRule(name="r", requests=5, period_seconds=600), "Pro Website plan"),
        ("pro", RateLimitRule(name="r", requests=5, mitigation_seconds=0), "with block"),
        (
            "business",
            RateLimitRule(name="r", requests=5, action="challenge", mitigation_seconds=60),
            "challenge actions always throttle",
        ),
    ],
)
def test_values_the_plan_refuses_are_unsupported_before_any_write(
    on_plan: Target, fake: FakeCloudflare, plan: str, rule: RateLimitRule, reason: str
) -> None:
    with on_plan(plan) as cf:
        rules = [IPRule(name="office", cidrs=["203.0.113.0/24"]), rule]
        with pytest.raises(Unsupported, match=reason) as info:
            cf.configure_waf(rules, "example.com")
        assert "map_to_plan" in (info.value.reason or "")
        assert fake.write_requests() == 0


def test_map_to_plan_picks_the_nearest_allowed_values(
    on_plan: Target, fake: FakeCloudflare
) -> None:
    rule = RateLimitRule(name="r", requests=120, period_seconds=60, mitigation_seconds=600)
    with on_plan("free", map_to_plan=True) as cf:
        assert cf.configure_waf([rule], "example.com")
        (sent,) = _ratelimits(fake)
        assert (sent["period"], sent["mitigation_timeout"], sent["requests_per_period"]) == (
            10,
            10,
            20,
        )
    challenge = RateLimitRule(name="c", requests=10, action="challenge", mitigation_seconds=300)
    with on_plan("pro", map_to_plan=True) as cf:
        assert cf.configure_waf([challenge], "example.com")
        assert _ratelimits(fake)[0]["mitigation_timeout"] == 0  # challenges throttle below Ent
    with on_plan("pro", map_to_plan="true") as cf:  # as -o map_to_plan=true or an env var gives it
        assert cf.map_to_plan is True
    with (
        pytest.raises(ConfigurationError, match="map_to_plan"),
        on_plan("pro", map_to_plan="maybe"),
    ):
        pass


def test_enterprise_allows_what_the_other_plans_do_not(
    on_plan: Target, fake: FakeCloudflare
) -> None:
    rules = [
        RateLimitRule(name="a", requests=5, period_seconds=3600, mitigation_seconds=0),
        RateLimitRule(name="b", requests=5, action="challenge", mitigation_seconds=45),
        RateLimitRule(name="c", requests=5, period_seconds=15, mitigation_seconds=86400),
    ]
    with on_plan("enterprise") as cf:
        assert cf.configure_waf(rules, "example.com")
        assert cf.get_waf_rules("example.com") == rules


def test_a_15_second_period_is_sent_where_the_plan_allows_it(on_plan: Target) -> None:
    rule = RateLimitRule(name="r", requests=5, period_seconds=15, mitigation_seconds=20)
    with on_plan("pro") as cf:
        assert cf.configure_waf([rule], "example.com")
        assert cf.get_waf_rules("example.com") == [rule]


def test_rules_per_phase_count_the_zones_other_rules(on_plan: Target, fake: FakeCloudflare) -> None:
    with on_plan("free") as cf:
        two = [RateLimitRule(name="a", requests=5), RateLimitRule(name="b", requests=9)]
        with pytest.raises(Unsupported, match="allows 1 rate limiting rule"):
            cf.configure_waf(two, "example.com")
        zid = fake.zone_id("example.com")
        theirs = [
            {"action": "block", "expression": f'http.user_agent contains "bot{i}"'}
            for i in range(2)
        ]
        fake.state.put_entrypoint(zid, "http_request_firewall_custom", {"rules": theirs})
        fake.clear_log()
        four = [PathRule(name=f"p{i}", path=f"/p{i}") for i in range(4)]
        with pytest.raises(Unsupported, match="allows 5 custom .* needs 6"):
            cf.configure_waf(four, "example.com")
        assert fake.write_requests() == 0
        assert cf.configure_waf(four[:3], "example.com")  # 3 + their 2 = 5: fits


def test_managed_rulesets_follow_the_plan_and_run_once_per_zone(
    on_plan: Target, fake: FakeCloudflare
) -> None:
    with on_plan("free") as cf, pytest.raises(Unsupported, match="need a paid plan"):
        cf.configure_waf([ManagedRule(name="owasp", set="core")], "example.com")
    with on_plan("pro") as cf:
        both = [ManagedRule(name="s", set="sqli"), ManagedRule(name="k", set="known-bad-inputs")]
        with pytest.raises(Unsupported, match="once per zone"):
            cf.configure_waf(both, "example.com")
        assert fake.write_requests() == 0


def test_control_characters_in_a_path_are_a_configuration_error(
    cf: Any, fake: FakeCloudflare
) -> None:
    fake.clear_log()
    for bad in ("/admin\x01", "/a\x7fb"):
        with pytest.raises(ConfigurationError, match="control characters") as info:
            cf.configure_waf(
                [GeoRule(name="geo", countries=["KP"]), PathRule(name="p", path=bad)],
                "example.com",
            )
        assert info.value.field == "path"
        with pytest.raises(ConfigurationError, match="control characters"):
            cf.configure_waf([RateLimitRule(name="r", requests=5, path=bad)], "example.com")
    assert fake.write_requests() == 0


def test_the_cli_exits_2_for_a_control_character_in_a_waf_path(
    fake: FakeCloudflare,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.reset()
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", fake.token)
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"kind": "path", "name": "p", "path": "/admin\u0001"}]))
    options = ["-o", f"base_url={fake.base_url}", "-o", "zones=example.com"]
    code = cloudcore.cli.main(["-p", "cloudflare", *options, "waf", "apply", str(rules)])
    assert code == 2, capsys.readouterr().err
    assert fake.write_requests() == 0


def test_apex_ns_records_are_neither_listed_nor_written(cf: Any, fake: FakeCloudflare) -> None:
    zid = fake.zone_id("example.com")
    google = {
        "name": "example.com",
        "type": "NS",
        "ttl": 300,
        "content": "ns-cloud-a1.googledomains.com",
    }
    fake.state.create_record(zid, google)  # made outside cloudcore: Cloudflare ignores it
    fake.state.create_record(
        zid, {"name": "dev.example.com", "type": "NS", "ttl": 300, "content": "ns1.example.net"}
    )
    listed = cf.list_dns_records("example.com")
    assert [(r.name, r.type.value) for r in listed] == [("dev.example.com", "NS")]
    fake.clear_log()
    apex = DNSRecord(name="example.com", type="NS", values=["ns-cloud-a1.googledomains.com"])
    with pytest.raises(ConfigurationError, match="zone apex"):
        cf.upsert_dns_records(
            [DNSRecord(name="a.example.com", type="A", values=["192.0.2.1"]), apex]
        )
    with pytest.raises(ConfigurationError, match="zone apex"):
        cf.delete_dns_record(apex)
    assert fake.write_requests() == 0
    cf.upsert_dns_records(
        [DNSRecord(name="dev.example.com", type="NS", values=["ns2.example.net"])]
    )


def test_ttls_follow_the_plan(on_plan: Target, fake: FakeCloudflare) -> None:
    record = DNSRecord(name="t.example.com", type="A", values=["192.0.2.1"], ttl=30)
    with on_plan("pro") as cf:
        with pytest.raises(Unsupported, match="30 s TTL is below the 60 s minimum"):
            cf.upsert_dns_records([record])
        assert fake.write_requests() == 0
    with on_plan("pro", map_to_plan=True) as cf:
        cf.upsert_dns_records([record])
        assert [r.ttl for r in cf.list_dns_records("example.com")] == [60]
    with on_plan("enterprise") as cf:
        cf.upsert_dns_records([record])
        assert [r.ttl for r in cf.list_dns_records("example.com")] == [30]


def test_the_plan_is_read_from_the_zone_listing(on_plan: Target, fake: FakeCloudflare) -> None:
    with on_plan("business") as cf:
        assert cf.zone_limits("example.com").plan == "business"
        assert cf.zone_limits("example.org").plan == PLAN
        # no request of its own: the plan comes with the zones listing (one per managed zone)
        assert {(r.method, r.path) for r in fake.requests} == {("GET", "/zones")}


def test_rules_made_outside_cloudcore_in_the_full_language_are_left_alone(
    on_plan: Target, fake: FakeCloudflare
) -> None:
    custom = [
        {"action": "block", "expression": 'http.request.uri.path matches r"^/wp-(admin|login)"'},
        {
            "action": "managed_challenge",
            "expression": 'any(lower(http.request.headers.names[*])[*] == "x-scanner") '
            "or ip.src in {198.51.100.3..198.51.100.7} xor not ssl",
            "ref": "their-scanner-rule",
        },
    ]
    limit = {
        "action": "block",
        "expression": 'http.request.method eq "POST" and http.user_agent contains "curl"',
        "ratelimit": {
            "characteristics": ["cf.colo.id", "cf.unique_visitor_id"],
            "period": 600,
            "requests_per_period": 50,
            "mitigation_timeout": 86400,
            "counting_expression": "http.response.code eq 401",
        },
    }
    with on_plan("business") as cf:
        zid = fake.zone_id("example.com")
        fake.state.put_entrypoint(zid, "http_request_firewall_custom", {"rules": custom})
        fake.state.put_entrypoint(zid, "http_ratelimit", {"rules": [limit]})

        def theirs() -> list[Any]:
            return [
                {k: r.get(k) for k in ("id", "ref", "action", "expression", "ratelimit")}
                for phase in ("http_request_firewall_custom", "http_ratelimit")
                for r in fake.state.rulesets[zid][phase]["rules"]
                if not str(r["ref"]).startswith("cloudcore:")
            ]

        before = theirs()
        ours = [GeoRule(name="g", countries=["KP"]), RateLimitRule(name="r", requests=9)]
        assert cf.configure_waf(ours, "example.com")
        assert cf.get_waf_rules("example.com") == [
            ours[0],
            RateLimitRule(name="r", requests=9, mitigation_seconds=60),
        ]
        assert cf.configure_waf([], "example.com")
        assert theirs() == before


def test_a_managed_ruleset_another_tool_runs_is_not_deployed_twice(
    cf: Any, fake: FakeCloudflare
) -> None:
    zid = fake.zone_id("example.com")
    theirs = {
        "action": "execute",
        "expression": "true",
        "action_parameters": {"id": "efb7b8c949ac4650a09736fc376e9aee"},
        "ref": "terraform-managed",
    }
    fake.state.put_entrypoint(zid, "http_request_firewall_managed", {"rules": [theirs]})
    fake.clear_log()
    rules = [GeoRule(name="g", countries=["KP"]), ManagedRule(name="sqli", set="sqli")]
    with pytest.raises(Unsupported, match="terraform-managed"):
        cf.configure_waf(rules, "example.com")
    assert fake.write_requests() == 0
    assert cf.configure_waf([rules[0], ManagedRule(name="owasp", set="core")], "example.com")
