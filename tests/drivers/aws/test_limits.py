"""What AWS refuses and moto accepts is refused by the driver before any call.

moto took every request below (see ../shared/notes/aws-moto.md); AWS refuses each, per the
documentation cited in ``cloudcore_aws._limits``. Each case checks that the driver raises
``ConfigurationError`` naming the field, and that no API call was made.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import cloudcore
from cloudcore import CacheConfig, DatabaseConfig
from cloudcore.errors import ConfigurationError
from cloudcore.models import DNSRecord, IPRule, ManagedRule, RateLimitRule
from cloudcore_aws._limits import RDS_POSTGRES_CLASSES, elasticache_node_types
from cloudcore_aws.cache import auth_token
from cloudcore_aws.testing import MotoTarget


def _refused(call: Any, field: str, reads: bool = False) -> ConfigurationError:
    """``call`` raises ConfigurationError naming ``field`` before any write (before any call at
    all unless ``reads``: Route53 must find the hosted zone first)."""
    with cloudcore.record() as rec, pytest.raises(ConfigurationError) as info:
        call()
    assert info.value.field == field, info.value
    made = rec.mutating_calls() if reads else rec.api_calls
    assert made == [], [c.operation for c in made]
    return info.value


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (DatabaseConfig(name="db", extras={"instance_class": "db.t4g.mega"}), "instance_class"),
        (DatabaseConfig(name="db", extras={"instance_class": "db.z1d.large"}), "instance_class"),
        (DatabaseConfig(name="db", extras={"instance_class": "t4g.micro"}), "instance_class"),
        (DatabaseConfig(name="db", size="large", version="12"), "version"),  # db.m7g: 13+
        (
            DatabaseConfig(name="db", version="16", extras={"instance_class": "db.t2.micro"}),
            "version",
        ),
        (DatabaseConfig(name="db", storage_gb=10), "storage_gb"),  # gp3: 20 GiB at least
        (
            DatabaseConfig(name="db", storage_gb=4000, extras={"storage_type": "standard"}),
            "storage_gb",
        ),
        (DatabaseConfig(name="db", storage_gb=200, extras={"storage_type": "io1"}), "storage_type"),
        (DatabaseConfig(name="db", extras={"storage_type": "ssd"}), "storage_type"),
        (DatabaseConfig(name="db", username="_app"), "username"),
        (DatabaseConfig(name="db", username="a" * 17), "username"),
        (DatabaseConfig(name="db", username="user"), "username"),  # a PostgreSQL reserved word
        (DatabaseConfig(name="db", database="_app"), "database"),
        (DatabaseConfig(name="db", database="select"), "database"),
        (DatabaseConfig(name="db--x"), "name"),
    ],
)
def test_rds_refusals(cloud: Any, config: DatabaseConfig, field: str) -> None:
    full = field if field == "name" else f"config.{field}"
    if field in ("instance_class", "storage_type"):
        full = f"config.extras.{field}"
    _refused(lambda: cloud.provision_database(config), full)


def test_rds_accepts_what_rds_offers(cloud: Any) -> None:
    for family, (sizes, low, _high) in RDS_POSTGRES_CLASSES.items():
        assert sizes and low >= 9, family
    endpoint = cloud.provision_database(DatabaseConfig(name="ok", storage_gb=20, username="app"))
    assert endpoint.status == "available"
    _refused(lambda: cloud.restore_database("ok-snap", "new--db"), "new_name")


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (CacheConfig(name="c" * 41), "name"),  # replication group ids: at most 40
        (CacheConfig(name="c--x"), "name"),
        (CacheConfig(name="c", extras={"node_type": "cache.m3.medium"}), "config.extras.node_type"),
        (
            CacheConfig(name="c", extras={"node_type": "cache.r6gd.xlarge"}),
            "config.extras.node_type",
        ),
        (CacheConfig(name="c", extras={"node_type": "cache.t3.large"}), "config.extras.node_type"),
        (CacheConfig(name="c", version="4.0"), "config.version"),  # t4g: Redis 5.0.6 onward
        (CacheConfig(name="c", version="4", size="micro"), "config.version"),
    ],
)
def test_elasticache_refusals(cloud: Any, config: CacheConfig, field: str) -> None:
    _refused(lambda: cloud.provision_cache(config), field)


def test_elasticache_accepts_what_it_offers(cloud: Any) -> None:
    cloud.provision_cache(CacheConfig(name="c" * 40, version="5", auth=False))  # t4g, 5 -> 5.0.6
    cloud.provision_cache(CacheConfig(name="old", version="4.0", size="large", auth=False))  # m7g


def test_auth_tokens_use_only_the_characters_elasticache_allows(aws: MotoTarget) -> None:
    allowed = re.compile(r"[A-Za-z0-9!&#$^<>-]{16,128}")
    tokens = [auth_token() for _ in range(200)]
    assert all(allowed.fullmatch(t) for t in tokens)
    assert len(set(tokens)) == 200 and all(len(t) == 64 for t in tokens)
    endpoint = aws.provider.provision_cache(CacheConfig(name="tok"))
    assert allowed.fullmatch(aws.provider.get_secret(endpoint.auth_secret).get_secret_value())
    assert "cache.t4g.micro" in elasticache_node_types()


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ([IPRule(name="all", cidrs=["0.0.0.0/0"])], "rules[0].cidrs"),
        ([IPRule(name="all6", cidrs=["::/0"])], "rules[0].cidrs"),
        ([RateLimitRule(name=f"r{i}", requests=100) for i in range(11)], "rules"),
        (
            [
                IPRule(name=f"ip{i}", cidrs=[f"198.51.{i}.0/24", f"2001:db8:{i}::/48"])
                for i in range(26)
            ],
            "rules",  # 52 IP set references: a web ACL refers to at most 50
        ),
        (
            [IPRule(name="big", cidrs=[f"10.{i // 256}.{i % 256}.0/24" for i in range(10_001)])],
            "rules[0].cidrs",
        ),
    ],
)
def test_wafv2_refusals(cloud: Any, rules: list[Any], field: str) -> None:
    _refused(lambda: cloud.configure_waf(rules, None), field)


def test_a_waf_rule_name_wafv2_cannot_hold_is_refused(cloud: Any) -> None:
    with cloudcore.record() as rec, pytest.raises(ValueError, match="name"):
        # the model lets a trailing newline through ('$' matches before it); WAFv2's
        # EntityName pattern does not
        cloud.configure_waf([ManagedRule(name="core\n", set="core")], None)
    assert rec.api_calls == []


def test_wafv2_accepts_ten_rate_based_rules(cloud: Any) -> None:
    rules = [RateLimitRule(name=f"r{i}", requests=10) for i in range(10)]
    assert cloud.configure_waf(rules, None) is True


@pytest.mark.parametrize(
    "record",
    [
        DNSRecord(name="example.com", type="NS", values=["ns-cloud-a1.googledomains.com"]),
        DNSRecord(name="x.example.com", type="TXT", values=["é" * 1100]),  # 4,400+ sent
        DNSRecord(
            name="x.example.com",
            type="A",
            values=[f"10.0.{i // 250}.{i % 250}" for i in range(501)],
        ),
        DNSRecord(name="x.example.com", type="TXT", values=[f"{i}" + "t" * 3999 for i in range(5)]),
    ],
    ids=["apex-ns", "txt-value-over-4000-as-sent", "501-values", "over-16000-characters"],
)
def test_route53_refusals(cloud: Any, aws: MotoTarget, record: DNSRecord) -> None:
    aws.client("route53").create_hosted_zone(Name="example.com", CallerReference="limits")
    good = DNSRecord(name="ok.example.com", type="A", values=["192.0.2.1"])
    _refused(lambda: cloud.upsert_dns_records([good, record]), "records", reads=True)


def test_route53_apex_ns_is_not_deleted(cloud: Any, aws: MotoTarget) -> None:
    aws.client("route53").create_hosted_zone(Name="example.com", CallerReference="limits")
    apex = DNSRecord(name="example.com", type="NS", values=["ns-1.awsdns-1.com"])
    error = _refused(lambda: cloud.delete_dns_record(apex), "records", reads=True)
    assert "apex" in str(error)
    names = {r.name for r in cloud.list_dns_records("example.com")}
    assert "example.com" not in names
