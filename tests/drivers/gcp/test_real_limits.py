"""What the driver sends is what Google accepts (issue 13), checked against the strict fake.

Each test here failed on the driver before the fix: the fake, which now enforces the documented
limits, refused the old request (or, for output-only fields, recorded them), or the driver
listed or wrote what it must not (issue 11 items 16, 17, 21).
"""

from __future__ import annotations

from typing import Any

import pytest

import cloudcore
from cloudcore.errors import ConfigurationError, NotFound
from cloudcore.models import (
    CacheConfig,
    DatabaseConfig,
    DNSRecord,
    IPRule,
    RateLimitRule,
    ServiceConfig,
)
from cloudcore_gcp._mapping import CACHE_ID_LIMIT, SERVICE_ID_LIMIT, provider_id
from cloudcore_gcp.testing._rules import redis_versions

SVC = "projects/fake-project/locations/us-central1/services/"
REDIS = "projects/fake-project/locations/us-central1/instances/"


def _service(**kw: Any) -> ServiceConfig:
    return ServiceConfig(**{"image": "nginx:1.27", "port": 8080, **kw})


# ------------------------------------------------------------------------------ Cloud SQL
def test_cloud_sql_gets_the_edition_its_tier_needs(gcp: Any, fake: Any) -> None:
    # PostgreSQL 16 (the default) without an edition is Enterprise Plus, which refuses the
    # shared-core tier db-f1-micro: the old driver's request was refused.
    gcp.provision_database(DatabaseConfig(name="micro", size="micro"))
    settings = fake.sql_instances["micro"]["settings"]
    assert (settings["edition"], settings["tier"]) == ("ENTERPRISE", "db-f1-micro")

    gcp.provision_database(
        DatabaseConfig(name="plus", size="medium", extras={"edition": "enterprise_plus"})
    )
    settings = fake.sql_instances["plus"]["settings"]
    assert (settings["edition"], settings["tier"]) == ("ENTERPRISE_PLUS", "db-perf-optimized-N-4")

    gcp.provision_database(DatabaseConfig(name="tiered", extras={"tier": "db-perf-optimized-N-8"}))
    assert fake.sql_instances["tiered"]["settings"]["edition"] == "ENTERPRISE_PLUS"
    with cloudcore.record() as rec:
        gcp.provision_database(
            DatabaseConfig(name="plus", size="medium", extras={"edition": "enterprise_plus"})
        )
    assert rec.mutating_calls() == []


@pytest.mark.parametrize(
    "extras",
    [
        {"edition": "enterprise_plus", "tier": "db-g1-small"},
        {"edition": "standard"},
        {"tier": "db-n1-standard-2"},
    ],
)
def test_cloud_sql_refuses_tiers_the_edition_does_not_take(gcp: Any, extras: Any) -> None:
    with cloudcore.record() as rec, pytest.raises(ConfigurationError, match="extras"):
        gcp.provision_database(DatabaseConfig(name="db", extras=extras))
    assert rec.api_calls == []


def test_storage_below_the_minimum_is_raised_to_10_gb(gcp: Any, fake: Any) -> None:
    gcp.provision_database(DatabaseConfig(name="small-disk", storage_gb=5))
    assert fake.sql_instances["small-disk"]["settings"]["dataDiskSizeGb"] == "10"
    with cloudcore.record() as rec:
        gcp.provision_database(DatabaseConfig(name="small-disk", storage_gb=5))
    assert rec.mutating_calls() == []


# ------------------------------------------------------------------------------ Cloud Run
def test_fractional_cpu_gets_what_cloud_run_requires(gcp: Any, fake: Any) -> None:
    gcp.deploy_service("api", _service(cpu=0.25, memory=512))
    template = fake.services[SVC + "api"]["template"]
    assert template["maxInstanceRequestConcurrency"] == 1
    assert template["executionEnvironment"] == "EXECUTION_ENVIRONMENT_GEN1"
    assert template["containers"][0]["resources"] == {
        "limits": {"cpu": "250m", "memory": "512Mi"},
        "cpuIdle": True,
    }
    gcp.deploy_service("big", _service(cpu=2, memory=8192, extras={"concurrency": 40}))
    template = fake.services[SVC + "big"]["template"]
    assert template["containers"][0]["resources"]["limits"] == {"cpu": "2", "memory": "8192Mi"}
    assert template["maxInstanceRequestConcurrency"] == 40
    assert "executionEnvironment" not in template


@pytest.mark.parametrize(
    ("cpu", "memory", "extras", "field"),
    [
        (3, 2048, {}, "cpu"),  # above 1 only 1, 2, 4, 6, 8
        (16, 4096, {}, "cpu"),
        (0.05, 256, {}, "cpu"),  # below the 0.08 minimum
        (0.25, 1024, {}, "memory"),  # below 0.5 vCPU: up to 512 MiB
        (4, 1024, {}, "memory"),  # 4 vCPU: 2 to 16 GiB
        (1, 8192, {}, "memory"),  # 1 vCPU: up to 4 GiB
        (0.5, 512, {"concurrency": 10}, "extras"),  # below 1 vCPU: concurrency 1
    ],
)
def test_cpu_and_memory_outside_cloud_runs_table_are_refused_before_any_call(
    gcp: Any, cpu: float, memory: int, extras: Any, field: str
) -> None:
    with cloudcore.record() as rec, pytest.raises(ConfigurationError) as err:
        gcp.deploy_service("api", _service(cpu=cpu, memory=memory, extras=extras))
    assert err.value.field == field
    assert rec.api_calls == []


def test_scaling_patches_only_the_scaling(gcp: Any, fake: Any) -> None:
    gcp.deploy_service("api", _service(cpu=1, memory=512))
    fake.requests.clear()
    gcp.scale_service("api", 3)
    patches = [r for r in fake.requests if r[0] == "PATCH"]
    assert len(patches) == 1
    _, _, query, body, ignored = patches[0]
    assert query["updateMask"] == "scaling"
    assert set(body) == {"scaling"}  # the name is in the path
    assert ignored == []  # the old driver sent 11 output-only fields (uid, generation, ...)
    assert fake.services[SVC + "api"]["scaling"] == {
        "scalingMode": "MANUAL",
        "manualInstanceCount": 3,
    }
    fake.requests.clear()
    gcp.deploy_service("api", _service(cpu=1, memory=1024))
    (patch,) = [r for r in fake.requests if r[0] == "PATCH"]
    assert patch[2]["updateMask"] == "ingress,labels,scaling,template" and patch[4] == []


def test_health_check_timings_cloud_run_refuses_are_refused(gcp: Any) -> None:
    from cloudcore.models import HealthCheck

    slow = HealthCheck(path="/", interval_seconds=300, timeout_seconds=5)
    with cloudcore.record() as rec, pytest.raises(ConfigurationError, match="240"):
        gcp.deploy_service("api", _service(health_check=slow))
    assert rec.api_calls == []


# ---------------------------------------------------------------------------- Memorystore
@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("4", "REDIS_4_0"),
        ("5", "REDIS_5_0"),
        ("6", "REDIS_6_X"),
        ("7", "REDIS_7_0"),
        ("7.2", "REDIS_7_2"),
    ],
)
def test_redis_versions_are_the_documented_values(
    gcp: Any, fake: Any, version: str, expected: str
) -> None:
    assert expected in redis_versions()  # read from redis.v1's discovery document
    gcp.provision_cache(CacheConfig(name="c", version=version, auth=False))
    assert fake.redis[REDIS + "c"]["redisVersion"] == expected


def test_unknown_redis_versions_are_refused_before_any_call(gcp: Any) -> None:
    with cloudcore.record() as rec, pytest.raises(ConfigurationError, match="version"):
        gcp.provision_cache(CacheConfig(name="c", version="8"))
    assert rec.api_calls == []


# ---------------------------------------------------------------------------------- names
def test_long_service_names_map_to_ids_cloud_run_accepts(gcp: Any, fake: Any) -> None:
    name = "a-service-name-that-is-much-longer-than-cloud-run-allows-as-ids"
    assert len(name) == 63
    sid = provider_id(name, SERVICE_ID_LIMIT)
    assert len(sid) < 50 and sid == provider_id(name, SERVICE_ID_LIMIT)
    result = gcp.deploy_service(name, _service())
    assert result.name == name and result.provider_id == SVC + sid
    assert fake.services[SVC + sid]["labels"]["cloudcore-name"] == name
    assert [s.name for s in gcp.list_services()] == [name]
    assert gcp.get_service_status(name).name == name
    assert (("service", name)) in {(r.type.value, r.name) for r in gcp.list_resources("service")}
    fake.write_log(sid, "hello")
    assert [e.message for e in gcp.get_logs(name)][-1] == "hello"
    gcp.delete_service(name)
    assert SVC + sid not in fake.services


def test_long_cache_names_map_to_ids_memorystore_accepts(gcp: Any, fake: Any) -> None:
    name = "sessions-for-the-storefront-checkout-and-cart"
    iid = provider_id(name, CACHE_ID_LIMIT)
    assert len(name) > 40 and len(iid) <= 40
    endpoint = gcp.provision_cache(CacheConfig(name=name, auth=False))
    assert endpoint.name == name and endpoint.provider_id == REDIS + iid
    assert fake.redis[REDIS + iid]["labels"]["cloudcore-name"] == name
    assert (("cache", name)) in {(r.type.value, r.name) for r in gcp.list_resources("cache")}
    gcp.delete_cache(name)
    assert REDIS + iid not in fake.redis


def test_waf_targets_cloud_armor_refuses_are_refused(gcp: Any) -> None:
    with cloudcore.record() as rec, pytest.raises(ConfigurationError, match="target"):
        gcp.configure_waf([IPRule(cidrs=("192.0.2.0/24",))], target="Edge_Policy")
    assert rec.api_calls == []


def test_a_rate_limit_rule_turned_into_a_deny_loses_its_rate_limit(gcp: Any, fake: Any) -> None:
    # patchRule merges: without an update mask the old rateLimitOptions stayed on a deny rule,
    # which Cloud Armor refuses ("Cannot be specified for any other actions")
    gcp.configure_waf([RateLimitRule(name="r", requests=10, period_seconds=60)])
    gcp.configure_waf([IPRule(name="r", cidrs=("192.0.2.0/24",))])
    rule = next(r for r in fake.policies["cloudcore-waf"]["rules"] if r["priority"] == 1000)
    assert rule["action"] == "deny(403)" and "rateLimitOptions" not in rule


# ------------------------------------------------------------ issue 11: items 16, 17, 21
def test_a_missing_secret_reference_is_not_found_before_any_write(gcp: Any, fake: Any) -> None:
    before = fake.wire.snapshot()
    with pytest.raises(NotFound, match="missing"):
        gcp.deploy_service("api", _service(secrets={"X": "missing"}))
    assert fake.services == {} and fake.wire.since(before).mutating == 0
    gcp.store_secret("present", "v")
    with pytest.raises(NotFound, match="version"):
        gcp.deploy_service("api", _service(secrets={"X": {"key": "present", "version": "7"}}))
    assert fake.services == {}
    gcp.deploy_service("api", _service(secrets={"X": {"key": "present", "version": "1"}}))
    assert SVC + "api" in fake.services


TXT_VALUES = [
    "a" * 254 + '"b',  # the quote straddled the old 255-character cut
    '"' * 300,
    "back\\slash " * 40,
    "é" * 200,  # 400 bytes in 200 characters
    "日本語のテキスト" * 40,
    "x" * 255 + "€" + "y" * 10,
]


def test_txt_values_round_trip_on_bytes(gcp: Any, fake: Any) -> None:
    records = [
        DNSRecord(name=f"t{i}.example.com", type="TXT", values=(v,))
        for i, v in enumerate(TXT_VALUES)
    ]
    gcp.upsert_dns_records(records)
    listed = {r.name: r.values for r in gcp.list_dns_records("example.com")}
    for i, value in enumerate(TXT_VALUES):
        assert listed[f"t{i}.example.com"] == (value,)
    with cloudcore.record() as rec:
        assert gcp.upsert_dns_records(records) == 0
    assert rec.mutating_calls() == []


def test_apex_ns_and_soa_are_neither_listed_nor_writable(gcp: Any, fake: Any) -> None:
    listed = {(r.name, r.type.value) for r in gcp.list_dns_records("example.com")}
    assert ("example.com", "NS") not in listed and ("example.com", "SOA") not in listed
    own = fake.rrsets["example-com"][("example.com.", "NS")]["rrdatas"]
    foreign = DNSRecord(name="example.com", type="NS", values=("ns1.elsewhere.net",))
    with cloudcore.record() as rec, pytest.raises(ConfigurationError, match="name-server"):
        gcp.upsert_dns_records([foreign])
    assert rec.mutating_calls() == []
    with pytest.raises(ConfigurationError):
        gcp.delete_dns_record(DNSRecord(name="example.com", type="NS", values=tuple(own)))
    assert fake.rrsets["example-com"][("example.com.", "NS")]["rrdatas"] == own
    gcp.upsert_dns_records(  # a delegation below the apex is an ordinary record
        [DNSRecord(name="dev.example.com", type="NS", values=("ns1.elsewhere.net",))]
    )
    assert ("dev.example.com", "NS") in {
        (r.name, r.type.value) for r in gcp.list_dns_records("example.com")
    }


def test_the_driver_polls_pending_dns_changes(gcp: Any, fake: Any) -> None:
    fake.operation_polls = 2
    fake.log.clear()
    gcp.create_dns_record("www.example.com", "192.0.2.1")
    polls = [p for m, p, _ in fake.log if m == "GET" and "/changes/" in p]
    assert len(polls) == 2
    assert fake.changes["example-com"][-1]["status"] == "done"
