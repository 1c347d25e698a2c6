"""WAF: entry-point rulesets, managed rulesets and IP lists on the fake API."""

from __future__ import annotations

from typing import Any

import pytest

import cloudcore
from cloudcore.errors import ConfigurationError, NotFound, Unsupported
from cloudcore.models import GeoRule, IPRule, ManagedRule, PathRule, RateLimitRule
from cloudcore_cloudflare.testing import FakeCloudflare

RULES = [
    IPRule(name="office", cidrs=["203.0.113.0/24", "2001:db8::/48"], action="allow"),
    GeoRule(name="embargo", countries=["KP", "IR"]),
    PathRule(name="admin", path="/admin", methods=["POST", "PUT"]),
    PathRule(name="health", path="/healthz", match="exact", action="allow"),
    RateLimitRule(
        name="api",
        requests=100,
        period_seconds=60,
        path="/api",
        action="challenge",
        mitigation_seconds=0,
    ),
    RateLimitRule(name="all", requests=1000, period_seconds=10, mitigation_seconds=600),
    ManagedRule(name="owasp", set="core"),
    ManagedRule(name="sqli", set="sqli", action="count"),
]


def _phase(fake: FakeCloudflare, phase: str) -> list[dict[str, Any]]:
    rs = fake.state.rulesets[fake.zone_id("example.com")].get(phase) or {}
    return list(rs.get("rules") or [])


def test_round_trip_and_second_apply_writes_nothing(cf: Any, fake: FakeCloudflare) -> None:
    assert cf.configure_waf(RULES, target="example.com") is True
    assert cf.get_waf_rules("example.com") == RULES
    with cloudcore.record() as rec:
        assert cf.configure_waf(RULES, target="example.com") is False
    assert rec.mutating_calls() == []
    custom = _phase(fake, "http_request_firewall_custom")
    assert [r["action"] for r in custom] == ["skip", "block", "block", "skip"]
    assert custom[0]["action_parameters"]["ruleset"] == "current"
    limits = _phase(fake, "http_ratelimit")
    assert limits[0]["ratelimit"]["characteristics"] == ["cf.colo.id", "ip.src"]
    assert limits[0]["action"] == "managed_challenge"
    managed = _phase(fake, "http_request_firewall_managed")
    assert [r["action"] for r in managed] == ["execute"] * 2


def test_replacing_the_set_converges_and_keeps_rule_ids(cf: Any, fake: FakeCloudflare) -> None:
    cf.configure_waf(RULES, target="example.com")
    first_id = _phase(fake, "http_request_firewall_custom")[0]["id"]
    smaller = [RULES[0], GeoRule(name="embargo", countries=["KP"])]
    assert cf.configure_waf(smaller, target="example.com") is True
    assert cf.get_waf_rules("example.com") == smaller
    assert _phase(fake, "http_request_firewall_custom")[0]["id"] == first_id
    assert (
        _phase(fake, "http_ratelimit") == [] and _phase(fake, "http_request_firewall_managed") == []
    )
    assert cf.configure_waf([], target="example.com") is True
    assert cf.get_waf_rules("example.com") == []


def test_rules_cloudcore_does_not_manage_are_kept(cf: Any, fake: FakeCloudflare) -> None:
    zid = fake.zone_id("example.com")
    theirs = {
        "action": "block",
        "expression": 'http.host eq "bad.example.com"',
        "description": "theirs",
    }
    fake.state.put_entrypoint(zid, "http_request_firewall_custom", {"rules": [theirs]})
    their_id = _phase(fake, "http_request_firewall_custom")[0]["id"]
    cf.configure_waf(RULES[:2], target="example.com")
    rules = _phase(fake, "http_request_firewall_custom")
    assert [r["description"] for r in rules][-1] == "theirs" and rules[-1]["id"] == their_id
    cf.configure_waf([], target="example.com")
    assert [r["id"] for r in _phase(fake, "http_request_firewall_custom")] == [their_id]
    assert cf.get_waf_rules("example.com") == []


def test_large_address_sets_use_an_ip_list(cf: Any, fake: FakeCloudflare) -> None:
    cidrs = [f"198.51.{i}.0/24" for i in range(40)]
    rule = IPRule(name="scanners", cidrs=cidrs)
    assert cf.configure_waf([rule], target="example.com") is True
    (custom,) = _phase(fake, "http_request_firewall_custom")
    assert custom["expression"].startswith("ip.src in $cloudcore_scanners_")
    (lst,) = fake.state.lists.values()
    assert {i["ip"] for i in fake.state.list_items[lst["id"]]} == set(cidrs)
    got = cf.get_waf_rules("example.com")
    assert len(got) == 1 and set(got[0].cidrs) == set(cidrs)
    with cloudcore.record() as rec:
        assert cf.configure_waf([rule], target="example.com") is False
    assert rec.mutating_calls() == []
    cf.configure_waf([], target="example.com")
    assert fake.state.lists == {}


def test_ip_lists_of_different_zones_stay_apart(cf: Any, fake: FakeCloudflare) -> None:
    a = IPRule(name="scanners", cidrs=[f"198.51.{i}.0/24" for i in range(30)])
    b = IPRule(name="scanners", cidrs=[f"203.0.{i}.0/24" for i in range(30)])
    cf.configure_waf([a], target="example.com")
    cf.configure_waf([b], target="example.org")
    assert len(fake.state.lists) == 2
    assert cf.get_waf_rules("example.com") == [a] and cf.get_waf_rules("example.org") == [b]
    cf.configure_waf([], target="example.com")
    assert len(fake.state.lists) == 1
    assert cf.get_waf_rules("example.org") == [b]


def test_unsupported_and_invalid_rules_fail_before_any_write(cf: Any, fake: FakeCloudflare) -> None:
    fake.clear_log()
    with pytest.raises(Unsupported, match="ip-reputation") as info:
        cf.configure_waf([ManagedRule(set="ip-reputation")], target="example.com")
    assert "IP reputation" in (info.value.reason or "")
    with pytest.raises(ConfigurationError, match="period"):
        cf.configure_waf([RateLimitRule(requests=5, period_seconds=7)], target="example.com")
    assert fake.write_requests() == 0


def test_target_defaults_to_the_first_zone_and_names_a_zone(cf: Any) -> None:
    cf.configure_waf(RULES[:1])
    assert cf.get_waf_rules("example.com") == RULES[:1]
    cf.configure_waf(RULES[1:2], target="www.example.org")
    assert cf.get_waf_rules("example.org") == RULES[1:2]
    assert cf.get_waf_rules() == RULES[:1]
    with pytest.raises(NotFound, match="no managed Cloudflare zone holds 'example.net'"):
        cf.get_waf_rules("example.net")


def test_addresses_an_ip_list_cannot_hold_are_refused_first(cf: Any, fake: FakeCloudflare) -> None:
    cidrs = [f"2001:db8::{i:x}" for i in range(30)]  # /128s: lists take IPv6 /12-/64 only
    fake.clear_log()
    with pytest.raises(ConfigurationError, match="IP list"):
        cf.configure_waf([IPRule(name="v6", cidrs=cidrs)], target="example.com")
    assert fake.write_requests() == 0
    assert cf.configure_waf([IPRule(name="v6", cidrs=cidrs[:5])], target="example.com")
