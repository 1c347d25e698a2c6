"""WAFv2: every rule kind round trips, zero writes when unchanged, LockToken conflicts re-read,
association to the ALB, IP sets cleaned up, empty set removes the ACL."""

from __future__ import annotations

from typing import Any

import pytest

import cloudcore
from cloudcore import ConfigurationError, WAFRuleSet
from cloudcore_aws.testing import MotoTarget
from cloudcore_aws.waf import acl_name

ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
RULES: list[dict[str, Any]] = [
    {
        "kind": "ip",
        "name": "office",
        "action": "allow",
        "cidrs": ["203.0.113.0/24", "2001:db8::/32"],
    },
    {"kind": "ip", "name": "abusers", "cidrs": ["198.51.100.7"]},
    {"kind": "geo", "name": "embargo", "countries": ["KP", "IR"]},
    {"kind": "path", "name": "admin", "path": "/admin", "methods": ["POST", "DELETE"]},
    {"kind": "path", "name": "exact", "path": "/health", "match": "exact", "action": "allow"},
    {
        "kind": "rate_limit",
        "name": "login",
        "requests": 100,
        "path": "/login",
        "action": "challenge",
        "mitigation_seconds": 600,
    },
    {"kind": "rate_limit", "name": "global", "requests": 2000, "period_seconds": 300},
    {"kind": "managed", "name": "core", "set": "core"},
    {"kind": "managed", "name": "sqli", "set": "sqli", "action": "count"},
    {"kind": "managed", "name": "xss", "set": "xss"},
    {"kind": "managed", "name": "bad-inputs", "set": "known-bad-inputs"},
    {"kind": "managed", "name": "reputation", "set": "ip-reputation"},
]


def test_every_kind_round_trips_and_reapplying_writes_nothing(aws: MotoTarget) -> None:
    cloud = aws.provider
    assert cloud.configure_waf(RULES, ALB) is True
    want = list(WAFRuleSet.model_validate({"rules": RULES}).rules)
    assert cloud.get_waf_rules(ALB) == want
    with cloudcore.record() as rec:
        assert cloud.configure_waf(RULES, ALB) is False
    assert rec.mutating_calls() == []
    waf = aws.client("wafv2")
    assert waf.get_web_acl_for_resource(ResourceArn=ALB)["WebACL"]["Name"] == acl_name(ALB)
    names = sorted(s["Name"] for s in waf.list_ip_sets(Scope="REGIONAL")["IPSets"])
    acl = acl_name(ALB)
    assert names == [f"{acl}_abusers_v4", f"{acl}_office_v4", f"{acl}_office_v6"]


def test_changes_converge_and_clean_up(aws: MotoTarget) -> None:
    cloud = aws.provider
    cloud.configure_waf(RULES, ALB)
    smaller = [r for r in RULES if r["kind"] != "ip"]
    assert cloud.configure_waf(smaller, ALB) is True
    assert [r.name for r in cloud.get_waf_rules(ALB)] == [r["name"] for r in smaller]
    assert aws.client("wafv2").list_ip_sets(Scope="REGIONAL")["IPSets"] == []
    assert cloud.configure_waf([], ALB) is True
    assert cloud.get_waf_rules(ALB) == []
    assert aws.client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"] == []


def test_a_concurrent_change_is_re_read_not_overwritten_blindly(aws: MotoTarget) -> None:
    cloud = aws.provider
    cloud.configure_waf(RULES[:3], None)
    waf = aws.client("wafv2")
    interfered = []

    def meddle(**_: Any) -> None:
        if interfered:
            return
        interfered.append(True)  # someone else updates between our read and our write
        acl = waf.list_web_acls(Scope="REGIONAL")["WebACLs"][0]
        got = waf.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])
        waf.update_web_acl(
            Name=acl["Name"],
            Scope="REGIONAL",
            Id=acl["Id"],
            DefaultAction={"Allow": {}},
            Rules=got["WebACL"]["Rules"][:1],
            VisibilityConfig=got["WebACL"]["VisibilityConfig"],
            LockToken=got["LockToken"],
        )

    client = cloud._client("wafv2")
    client.meta.events.register("before-call.wafv2.UpdateWebACL", meddle, unique_id="meddle")
    try:
        with cloudcore.record() as rec:
            assert cloud.configure_waf(RULES[:5], None) is True
    finally:
        client.meta.events.unregister("before-call.wafv2.UpdateWebACL", unique_id="meddle")
    assert [c.status for c in rec.calls("UpdateWebACL")] == [400, 200]
    assert len(rec.calls("GetWebACL")) == 2  # re-read after WAFOptimisticLockException
    assert [r.name for r in cloud.get_waf_rules(None)] == [r["name"] for r in RULES[:5]]


@pytest.mark.parametrize(
    ("rules", "target", "field"),
    [
        (
            [{"kind": "rate_limit", "requests": 100, "period_seconds": 10}],
            None,
            "rules[0].period_seconds",
        ),
        ([{"kind": "rate_limit", "requests": 5}], None, "rules[0].requests"),
        ([{"kind": "geo", "countries": ["FR"]}], "my-alb", "target"),
        ([{"kind": "geo", "countries": ["FR"]}], "arn:aws:cloudfront::1:distribution/X", "target"),
    ],
)
def test_what_wafv2_cannot_do_is_refused_before_any_call(
    cloud: Any, rules: list[dict[str, Any]], target: str | None, field: str
) -> None:
    with cloudcore.record() as rec, pytest.raises(ConfigurationError) as err:
        cloud.configure_waf(rules, target)
    assert err.value.field == field
    assert rec.api_calls == []
