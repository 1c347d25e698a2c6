"""Cloud DNS (zones by suffix, batched changes, delete+add updates) and Cloud Armor rules."""

from __future__ import annotations

from typing import Any

import pytest

import cloudcore
from cloudcore.errors import ConfigurationError, Conflict, NotFound
from cloudcore.models import (
    DNSRecord,
    GeoRule,
    IPRule,
    ManagedRule,
    PathRule,
    RateLimitRule,
)
from cloudcore_gcp.waf import cel_string


def test_update_is_one_change_of_delete_and_add(gcp: Any, fake: Any) -> None:
    gcp.create_dns_record("www.example.com", "192.0.2.1")
    gcp.create_dns_record("www.example.com", "192.0.2.2")
    last = fake.changes["example-com"][-1]
    assert next((r["name"], r["rrdatas"]) for r in last["deletions"]) == (
        "www.example.com.",
        ["192.0.2.1"],
    )
    assert ("www.example.com.", ["192.0.2.2"]) in [
        (r["name"], r["rrdatas"]) for r in last["additions"]
    ]
    assert [
        r.values for r in gcp.list_dns_records("example.com") if r.name == "www.example.com"
    ] == [("192.0.2.2",)]


def test_upserts_are_batched_per_zone_and_idempotent(gcp: Any, fake: Any) -> None:
    records = [
        DNSRecord(name=f"h{i}.example.com", type="A", values=(f"192.0.2.{i + 1}",))
        for i in range(12)
    ]
    records.append(DNSRecord(name="mail.example.org", type="MX", values=("10 mx.example.org",)))
    assert gcp.upsert_dns_records(records) == 13
    assert len(fake.changes["example-com"]) == 1 and len(fake.changes["example-org"]) == 1
    with cloudcore.record() as rec:
        assert gcp.upsert_dns_records(records) == 0
    assert rec.mutating_calls() == []
    mx = fake.rrsets["example-org"][("mail.example.org.", "MX")]
    assert mx["rrdatas"] == ["10 mx.example.org."]


def test_zone_by_longest_suffix_and_missing_zone(gcp: Any, fake: Any) -> None:
    fake.add_zone("dev.example.com")
    gcp.create_dns_record("api.dev.example.com", "app.example.net")
    assert ("api.dev.example.com.", "CNAME") in fake.rrsets["dev-example-com"]
    assert fake.rrsets["dev-example-com"][("api.dev.example.com.", "CNAME")]["rrdatas"] == [
        "app.example.net."
    ]
    with pytest.raises(NotFound):
        gcp.create_dns_record("www.elsewhere.net", "192.0.2.1")
    with pytest.raises(NotFound):
        gcp.list_dns_records("elsewhere.net")


def test_txt_quoting_round_trip_and_delete_when_gone(gcp: Any, fake: Any) -> None:
    value = 'v=spf1 "quoted" \\ back' + "x" * 300
    rec = DNSRecord(name="t.example.com", type="TXT", values=(value,))
    gcp.upsert_dns_records([rec])
    stored = fake.rrsets["example-com"][("t.example.com.", "TXT")]["rrdatas"][0]
    assert stored.startswith('"v=spf1 \\"quoted\\" \\\\ back') and '" "' in stored
    listed = [r for r in gcp.list_dns_records("example.com") if r.name == "t.example.com"]
    assert listed[0].values == (value,)
    gcp.delete_dns_record(rec)
    gcp.delete_dns_record(rec)
    assert ("t.example.com.", "TXT") not in fake.rrsets["example-com"]
    assert ("_cloudcore.t.example.com.", "TXT") not in fake.rrsets["example-com"]


RULES = [
    IPRule(name="block-bad", cidrs=tuple(f"198.51.100.{i}/32" for i in range(11))),
    GeoRule(name="embargo", countries=("KP", "IR", "SY", "CU", "RU", "BY")),
    PathRule(name="admin", path="/it's/admin", methods=("POST", "PUT")),
    RateLimitRule(name="per-ip", requests=100, period_seconds=60, mitigation_seconds=600),
    ManagedRule(name="sqli", set="sqli", action="count"),
]


def test_waf_rules_map_to_cloud_armor(gcp: Any, fake: Any) -> None:
    assert gcp.configure_waf(RULES) is True
    rules = {int(r["priority"]): r for r in fake.policies["cloudcore-waf"]["rules"]}
    ip = [
        rules[1000]["match"]["config"]["srcIpRanges"],
        rules[1001]["match"]["config"]["srcIpRanges"],
    ]
    assert [len(x) for x in ip] == [10, 1] and rules[1000]["action"] == "deny(403)"
    assert rules[1100]["match"]["expr"]["expression"].count("origin.region_code ==") == 5
    assert rules[1101]["match"]["expr"]["expression"] == "origin.region_code == 'BY'"
    assert rules[1200]["match"]["expr"]["expression"] == (
        "request.path.startsWith('/it\\'s/admin') && request.method.matches('^(POST|PUT)$')"
    )
    rate = rules[1300]
    assert rate["action"] == "rate_based_ban"
    assert rate["rateLimitOptions"]["rateLimitThreshold"] == {"count": 100, "intervalSec": 60}
    assert rate["rateLimitOptions"]["banDurationSec"] == 600
    assert rate["rateLimitOptions"]["exceedAction"] == "deny(429)"
    assert (
        rules[1400]["match"]["expr"]["expression"] == "evaluatePreconfiguredWaf('sqli-v33-stable')"
    )
    assert rules[1400]["preview"] is True
    assert 2147483647 in rules  # the default rule is left alone
    assert gcp.get_waf_rules() == list(RULES)


def test_waf_converges_rule_by_rule(gcp: Any, fake: Any) -> None:
    gcp.configure_waf(RULES)
    with cloudcore.record() as rec:
        assert gcp.configure_waf(RULES) is False
    assert rec.mutating_calls() == []
    fewer = [RULES[1], GeoRule(name="other", countries=("CN",))]
    with cloudcore.record() as rec:
        assert gcp.configure_waf(fewer) is True
    ops = sorted({c.operation.rsplit("/", 1)[1] for c in rec.mutating_calls()})
    assert ops == ["patchRule", "removeRule"]
    assert gcp.get_waf_rules() == fewer
    longer = [RULES[1], GeoRule(name="other", countries=("CN", "KP", "IR", "SY", "CU", "RU"))]
    with cloudcore.record() as rec:
        assert gcp.configure_waf(longer) is True
    assert [c.operation.rsplit("/", 1)[1] for c in rec.mutating_calls()] == [
        "patchRule",
        "addRule",
    ]
    assert gcp.configure_waf([]) is True
    assert gcp.get_waf_rules() == []
    assert [int(r["priority"]) for r in fake.policies["cloudcore-waf"]["rules"]] == [2147483647]


def test_waf_refuses_bad_periods_before_calling(gcp: Any) -> None:
    with cloudcore.record() as rec, pytest.raises(ConfigurationError, match="Cloud Armor accepts"):
        gcp.configure_waf([RateLimitRule(requests=10, period_seconds=45)])
    assert rec.api_calls == []


def test_waf_leaves_policies_it_does_not_manage(gcp: Any, fake: Any) -> None:
    fake.policies["theirs"] = {"name": "theirs", "rules": [], "labels": {}}
    with pytest.raises(Conflict):
        gcp.configure_waf(RULES[:1], target="theirs")
    assert fake.policies["theirs"]["rules"] == []


def test_cel_strings_are_escaped() -> None:
    assert cel_string("a'b") == "'a\\'b'"
    assert cel_string('x"\\y') == "'x\\\"\\\\y'"
    assert cel_string("line\nbreak") == "'line\\x0abreak'"
