"""Registration, options, credentials, unsupported capabilities, discovery, error mapping."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import cloudflare
import pytest

import cloudcore
from cloudcore.errors import AuthenticationError, NotFound, ProviderError, Unsupported
from cloudcore.models import DatabaseConfig, DNSRecord, IPRule
from cloudcore_cloudflare.testing import FakeCloudflare


def test_plugin_registers_without_importing_the_sdk() -> None:
    code = (
        "import sys\nimport cloudcore.registry\n"
        "info = cloudcore.registry.get_driver('cloudflare')\n"
        "assert info.test_target == 'cloudcore_cloudflare.testing:fake_target', info\n"
        "assert 'cloudflare' not in sys.modules, 'SDK imported at registration'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_compute_database_cache_are_unsupported_with_reasons(cf: Any) -> None:
    for cap in ("compute", "database", "cache"):
        assert not cf.supports(cap)
        assert "compose" in cf.unsupported_reason(cap)
    with pytest.raises(Unsupported, match="containers"):
        cf.deploy_service("api", {"image": "nginx"})
    with pytest.raises(Unsupported, match="PostgreSQL"):
        cf.provision_database(DatabaseConfig(name="db"))


def test_connect_with_options_and_the_sdk_environment_variable(
    fake: FakeCloudflare, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.reset()
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", fake.token)
    with cloudcore.connect(
        "cloudflare", zones=["example.com"], account_id=fake.account_id, base_url=fake.base_url
    ) as cf:
        with cloudcore.record() as rec:
            cf.create_dns_record("x.example.com", "192.0.2.1")
        assert [c.operation for c in rec.mutating_calls()] == ["POST /zones/{id}/dns_records/batch"]
        assert [r.name for r in cf.list_dns_records("example.com")] == ["x.example.com"]
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "wrong")
    with (
        cloudcore.connect("cloudflare", zones=["example.com"], base_url=fake.base_url) as cf,
        pytest.raises(AuthenticationError),
    ):
        cf.list_dns_records("example.com")
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    monkeypatch.delenv("CLOUDFLARE_API_KEY", raising=False)
    with (
        cloudcore.connect("cloudflare", zones=["example.com"], base_url=fake.base_url) as cf,
        pytest.raises(AuthenticationError, match="CLOUDFLARE_API_TOKEN"),
    ):
        cf.list_dns_records("example.com")


def test_discovery_lists_managed_things_with_schemas(cf: Any) -> None:
    cf.create_dns_record("www.example.com", "192.0.2.1")
    cf.configure_waf([IPRule(name="x", cidrs=["192.0.2.0/24"])], target="example.com")
    cf.store_secret("token", "value")
    found = {(r.type.value, r.name) for r in cf.list_resources()}
    assert {
        ("dns_zone", "example.com"),
        ("dns_record", "www.example.com/A"),
        ("waf_policy", "example.com"),
        ("secret", "token"),
    } <= found
    for res in cf.list_resources():
        assert res.tags["managed-by"] == "cloudcore"
    rid = next(r.id for r in cf.list_resources(type="dns_record"))
    schema = cf.get_resource_schema(rid)
    assert schema.id == rid and schema.operations
    with pytest.raises(NotFound):
        cf.get_resource_schema("cloudcore:cloudflare::dns_record/none.example.com/A")


def test_sdk_errors_map_only_unambiguous_codes_to_not_found(fake: FakeCloudflare) -> None:
    from cloudcore_cloudflare._errors import map_error

    client = cloudflare.Cloudflare(api_token=fake.token, base_url=fake.base_url, max_retries=0)
    zid = fake.zone_id("example.com")
    with pytest.raises(cloudflare.NotFoundError) as missing:
        client.dns.records.get("0" * 32, zone_id=zid)
    assert isinstance(map_error(missing.value), NotFound)
    with pytest.raises(cloudflare.NotFoundError) as no_route:
        client.get("/nothing/here", cast_to=object)
    assert isinstance(map_error(no_route.value), ProviderError)
    with pytest.raises(cloudflare.BadRequestError) as bad:
        client.dns.records.create(zone_id=zid, name="a.example.com", type="A", content="x", ttl=1)
    mapped = map_error(bad.value)
    assert isinstance(mapped, ProviderError) and "9005" in str(mapped)


def test_fake_paginates_as_the_sdk_reads_it(fake: FakeCloudflare) -> None:
    fake.reset()
    client = cloudflare.Cloudflare(api_token=fake.token, base_url=fake.base_url, max_retries=0)
    zid = fake.zone_id("example.com")
    for i in range(12):
        fake.state.create_record(
            zid, {"name": f"p{i}.example.com", "type": "A", "content": "192.0.2.1", "ttl": 1}
        )
    fake.clear_log()
    names = [r.name for r in client.dns.records.list(zone_id=zid, per_page=5)]
    assert len(names) == 12 and len(set(names)) == 12
    assert fake.read_requests() == 4  # pages 1-3, then the empty page 4 ends it
    rulesets = list(client.rulesets.list(zone_id=zid, per_page=1))
    assert len(rulesets) == 3  # cursor pagination over the three managed rulesets


def test_success_false_with_200_is_an_error(cf: Any) -> None:
    from cloudcore_cloudflare._core import envelope

    class Raw:
        def json(self) -> dict[str, Any]:
            return {"success": False, "errors": [{"code": 1, "message": "nope"}], "result": None}

    with pytest.raises(ProviderError, match="nope"):
        envelope(Raw())
    assert DNSRecord(name="a.example.com", type="A", values=["192.0.2.1"])  # model sanity
