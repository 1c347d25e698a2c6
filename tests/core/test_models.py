"""Models validate before anything is sent, and say which field and why."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

import cloudcore as cc
from cloudcore.models import DNSRecord, WAFRuleSet, infer_record, zone_for
from cloudcore.models.storage import BucketConfig


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"image": "x", "cpu": 0}, "cpu"),
        ({"image": "x", "memory": 16}, "memory"),
        ({"image": "x", "port": 70000}, "port"),
        ({"image": "x", "env": {"1BAD": "v"}}, "env"),
        ({"image": "x", "replicas": -1}, "replicas"),
        ({}, "(model)"),
        ({"image": "x", "autoscaling": {"min_replicas": 5, "max_replicas": 2}}, "autoscaling"),
    ],
)
def test_service_config_errors_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(cc.ConfigurationError) as info:
        cc.ServiceConfig(**kwargs)
    assert info.value.field is not None and info.value.field.startswith(field)
    assert field in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(cc.ConfigurationError, match="imagee"):
        cc.ServiceConfig.model_validate({"imagee": "nginx"})


def test_models_are_frozen() -> None:
    cfg = cc.ServiceConfig(image="nginx")
    with pytest.raises(Exception, match="frozen"):
        cfg.replicas = 3  # type: ignore[misc]


@pytest.mark.parametrize("name", ["api", "a", "web-2", "x" * 63])
def test_valid_names(name: str) -> None:
    assert cc.DatabaseConfig(name=name).name == name


@pytest.mark.parametrize("name", ["Api", "1api", "api-", "a_b", "x" * 64, "", "a.b"])
def test_invalid_names(name: str) -> None:
    with pytest.raises(cc.ConfigurationError, match="name"):
        cc.DatabaseConfig(name=name)


def test_dns_record_normalises_and_validates() -> None:
    rec = DNSRecord(name="API.Example.COM.", type="AAAA", values=["2001:DB8::0:1"], ttl=60)
    assert rec.name == "api.example.com"
    assert rec.values == ("2001:db8::1",)
    with pytest.raises(cc.ConfigurationError, match="IPv4"):
        DNSRecord(name="a.example.com", type="A", values=["not-an-ip"])
    with pytest.raises(cc.ConfigurationError, match="exactly one"):
        DNSRecord(name="a.example.com", type="CNAME", values=["b.example.com", "c.example.com"])
    with pytest.raises(cc.ConfigurationError, match="ttl"):
        DNSRecord(name="a.example.com", type="A", values=["1.2.3.4"], ttl=0)
    mx = DNSRecord(name="example.com", type="MX", values=["10 Mail.Example.com."])
    assert mx.values == ("10 mail.example.com",)


def test_infer_record_and_longest_suffix_zone() -> None:
    assert infer_record("a.example.com", "192.0.2.1").type is cc.RecordType.A
    assert infer_record("a.example.com", "2001:db8::1").type is cc.RecordType.AAAA
    assert infer_record("a.example.com", "lb.example.net").type is cc.RecordType.CNAME
    zones = ["example.com", "eu.example.com", "com"]
    assert zone_for("api.eu.example.com", zones) == "eu.example.com"
    assert zone_for("api.example.com", zones) == "example.com"
    assert zone_for("example.org", zones) is None


def test_waf_rules_are_a_discriminated_union() -> None:
    rs = WAFRuleSet.model_validate(
        {
            "rules": [
                {"kind": "ip", "cidrs": "10.0.0.1/8"},
                {"kind": "geo", "countries": ["fr", "DE"]},
                {"kind": "path", "path": "/admin", "methods": ["post"]},
                {"kind": "rate_limit", "requests": 100, "period_seconds": 60},
                {"kind": "managed", "set": "sqli"},
            ]
        }
    )
    kinds = [type(r) for r in rs.rules]
    assert kinds == [cc.IPRule, cc.GeoRule, cc.PathRule, cc.RateLimitRule, cc.ManagedRule]
    assert rs.rules[0].cidrs == ("10.0.0.0/8",)  # type: ignore[union-attr]
    assert rs.rules[1].countries == ("FR", "DE")  # type: ignore[union-attr]
    assert [r.name for r in rs.named()] == ["ip-1", "geo-2", "path-3", "rate-limit-4", "managed-5"]
    with pytest.raises(cc.ConfigurationError, match="country"):
        cc.GeoRule(countries=["XX"])
    with pytest.raises(cc.ConfigurationError, match="CIDR"):
        cc.IPRule(cidrs=["10.0.0.300/8"])
    with pytest.raises(cc.ConfigurationError, match="kind"):
        WAFRuleSet.model_validate({"rules": [{"kind": "magic"}]})


def test_json_schemas_are_available() -> None:
    for model in (
        cc.ServiceConfig,
        cc.DatabaseConfig,
        cc.CacheConfig,
        cc.DNSRecord,
        cc.WAFRuleSet,
        cc.Resource,
        cc.ResourceSchema,
    ):
        schema = model.model_json_schema()
        assert schema["type"] == "object" and schema["properties"]


def test_secret_refs_accept_plain_keys() -> None:
    cfg = cc.ServiceConfig(image="x", secrets={"DB_PASSWORD": "db/password"})
    assert cfg.secrets["DB_PASSWORD"] == cc.SecretRef(key="db/password")
    assert "hunter2" not in repr(SecretStr("hunter2"))


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (cc.DatabaseConfig, {"name": "UPPER"}, "name"),
        (cc.ServiceConfig, {"image": "x", "health_check": {"path": "bad"}}, "health_check.path"),
        (
            BucketConfig,
            {"name": "ok-name", "lifecycle": [{"expire_days": 0}]},
            "lifecycle.0.expire_days",
        ),
        (BucketConfig, {"name": "Not_A_Bucket"}, "name"),
    ],
)
def test_a_mapping_validated_into_a_model_names_the_nested_field(
    model: type[cc.ServiceConfig], data: dict[str, object], field: str
) -> None:
    """``model_validate`` of a mapping (what every method taking a config does) and nested
    models report the full path of the bad field, once, not ``(model)``."""
    with pytest.raises(cc.ConfigurationError) as info:
        model.model_validate(data)
    assert info.value.field == field
    assert "(model)" not in str(info.value)
    assert str(info.value).count("invalid ") == 1, str(info.value)
