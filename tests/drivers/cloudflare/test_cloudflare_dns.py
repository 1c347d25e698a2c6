"""DNS through the batch endpoint, against the fake API with the real SDK over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

import cloudcore
from cloudcore.errors import ConfigurationError, NotFound, RateLimited, TransientError
from cloudcore.models import DNSRecord
from cloudcore.testing.faults import Fault, injector_for
from cloudcore_cloudflare.testing import FakeCloudflare, fake_target


def _records(n: int, zone: str = "example.com", prefix: str = "h") -> list[DNSRecord]:
    return [
        DNSRecord(
            name=f"{prefix}{i}.{zone}",
            type="A",
            values=[f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"],
        )
        for i in range(n)
    ]


def _raw(fake: FakeCloudflare, zone: str) -> list[dict[str, Any]]:
    return list(fake.state.records[fake.zone_id(zone)].values())


def test_sync_of_1000_records_takes_five_writes_and_a_repeat_none(
    cf: Any, fake: FakeCloudflare
) -> None:
    records = _records(1000)
    fake.clear_log()
    with cloudcore.record() as rec:
        assert cf.upsert_dns_records(records) == 1000
    assert fake.write_requests() <= 5
    assert len(rec.mutating_calls("cloudflare")) == fake.write_requests()
    assert len(_raw(fake, "example.com")) == 1000
    fake.clear_log()
    with cloudcore.record() as rec:
        assert cf.upsert_dns_records(records) == 0
    assert fake.write_requests() == 0
    assert rec.mutating_calls() == []


def test_batch_size_option_sets_requests_per_batch(fake: FakeCloudflare) -> None:
    fake.reset()
    with fake_target(("example.com",), fake=fake, batch_size=50) as cf:
        fake.clear_log()
        cf.upsert_dns_records(_records(120))
        batches = [r for r in fake.requests if r.path.endswith("/dns_records/batch")]
        assert len(batches) == 3
    with pytest.raises(ConfigurationError):
        fake_target(("example.com",), fake=fake, batch_size=0).__enter__()


def test_round_trip_of_every_type(cf: Any) -> None:
    records = [
        DNSRecord(name="a.example.com", type="A", values=["192.0.2.1", "192.0.2.2"], ttl=120),
        DNSRecord(name="a.example.com", type="AAAA", values=["2001:db8::1"]),
        DNSRecord(name="www.example.com", type="CNAME", values=["a.example.com"], proxied=True),
        DNSRecord(
            name="example.com", type="MX", values=["10 mx1.example.com", "20 mx2.example.com"]
        ),
        DNSRecord(name="example.com", type="TXT", values=['v=spf1 include:"x" -all']),
        DNSRecord(name="_sip._tcp.example.com", type="SRV", values=["10 5 5060 sip.example.com"]),
        DNSRecord(name="example.com", type="CAA", values=['0 issue "letsencrypt.org"']),
        DNSRecord(name="dele.example.com", type="NS", values=["ns1.example.net"]),
    ]
    assert cf.upsert_dns_records(records) == len(records)
    got = {r.key: r for r in cf.list_dns_records("example.com")}
    for want in records:
        assert want.same_as(got[want.key]), (want, got[want.key])
    assert got[("www.example.com", "CNAME")].proxied is True
    with cloudcore.record() as rec:
        assert cf.upsert_dns_records(records) == 0
    assert rec.mutating_calls() == []


def test_changes_reuse_records_and_drop_surplus_values(cf: Any, fake: FakeCloudflare) -> None:
    cf.upsert_dns_records(
        [DNSRecord(name="m.example.com", type="A", values=["192.0.2.1", "192.0.2.2"])]
    )
    ids = {r["id"] for r in _raw(fake, "example.com")}
    cf.upsert_dns_records([DNSRecord(name="m.example.com", type="A", values=["192.0.2.3"], ttl=60)])
    (only,) = _raw(fake, "example.com")
    assert only["content"] == "192.0.2.3" and only["ttl"] == 60 and only["id"] in ids


def test_unmanaged_records_are_left_alone_unless_named(cf: Any, fake: FakeCloudflare) -> None:
    zid = fake.zone_id("example.com")
    for name, ip in (("keep.example.com", "198.51.100.1"), ("named.example.com", "198.51.100.2")):
        fake.state.create_record(zid, {"name": name, "type": "A", "content": ip, "ttl": 300})
    cf.upsert_dns_records(_records(10))
    keep = [r for r in _raw(fake, "example.com") if r["name"] == "keep.example.com"]
    assert keep and keep[0]["comment"] is None and keep[0]["content"] == "198.51.100.1"
    cf.create_dns_record("named.example.com", "198.51.100.3")
    named = [r for r in _raw(fake, "example.com") if r["name"] == "named.example.com"]
    assert [(r["content"], r["comment"]) for r in named] == [
        ("198.51.100.3", "managed-by=cloudcore")
    ]
    found = [r.name for r in cf.list_resources(type="dns_record")]
    assert "keep.example.com/A" not in found and "named.example.com/A" in found


def test_longest_suffix_picks_the_sub_zone(cf: Any, fake: FakeCloudflare) -> None:
    cf.create_dns_record("api.sub.example.com", "192.0.2.9")
    assert [r["name"] for r in _raw(fake, "sub.example.com")] == ["api.sub.example.com"]
    assert _raw(fake, "example.com") == []
    with pytest.raises(NotFound, match="no managed Cloudflare zone"):
        cf.create_dns_record("www.example.net", "192.0.2.9")


def test_delete_named_record_set_and_delete_when_gone(cf: Any, fake: FakeCloudflare) -> None:
    rec = DNSRecord(name="gone.example.com", type="A", values=["192.0.2.1", "192.0.2.2"])
    cf.upsert_dns_records([rec, *_records(3)])
    cf.delete_dns_record(rec)
    assert {r["name"] for r in _raw(fake, "example.com")} == {
        "h0.example.com",
        "h1.example.com",
        "h2.example.com",
    }
    with cloudcore.record() as calls:
        cf.delete_dns_record(rec)
    assert calls.mutating_calls() == []


def test_listing_pages_past_one_page(cf: Any, fake: FakeCloudflare) -> None:
    cf.upsert_dns_records(_records(25))
    cf.dns_page_size = 10
    fake.clear_log()
    assert len(cf.list_dns_records("example.com")) == 25
    pages = [r for r in fake.requests if r.path.endswith("/dns_records") and r.method == "GET"]
    assert len(pages) == 3


def test_ttl_and_proxied_are_checked_before_any_call(cf: Any, fake: FakeCloudflare) -> None:
    fake.clear_log()
    with pytest.raises(ConfigurationError, match="TTL"):
        cf.upsert_dns_records(
            [DNSRecord(name="t.example.com", type="A", values=["192.0.2.1"], ttl=5)]
        )
    with pytest.raises(ConfigurationError, match="proxied"):
        cf.upsert_dns_records(
            [DNSRecord(name="example.com", type="TXT", values=["x"], proxied=True)]
        )
    assert fake.write_requests() == 0


def test_throttled_and_failing_calls_are_retried(cf: Any, fake: FakeCloudflare) -> None:
    inj = injector_for(cf)
    assert inj is fake.faults
    inj.inject(Fault("throttle", mutating=False, retry_after=0.01))
    inj.inject(Fault("transient", api="/dns_records/batch"))
    assert cf.upsert_dns_records(_records(5)) == 5
    assert len(_raw(fake, "example.com")) == 5
    statuses = [r.status for r in fake.requests]
    assert 429 in statuses and 503 in statuses


def test_errors_map_to_the_tree_when_retries_run_out(fake: FakeCloudflare) -> None:
    fake.reset()
    with fake_target(("example.com",), fake=fake, retry=False) as cf:
        fake.faults.inject(Fault("throttle", retry_after=2))
        with pytest.raises(RateLimited) as info:
            cf.list_dns_records("example.com")
        assert info.value.retry_after == 2
        fake.faults.inject(Fault("transient"))
        with pytest.raises(TransientError):
            cf.list_dns_records("example.com")


def test_proxied_records_keep_the_asked_ttl_for_when_proxying_stops(
    cf: Any, fake: FakeCloudflare
) -> None:
    proxied = DNSRecord(name="p.example.com", type="A", values=["192.0.2.7"], ttl=600, proxied=True)
    cf.upsert_dns_records([proxied])
    (raw,) = _raw(fake, "example.com")
    assert raw["ttl"] == 1 and raw["proxied"] is True  # Cloudflare: automatic TTL when proxied
    (listed,) = cf.list_dns_records("example.com")
    assert listed.same_as(proxied) and listed.ttl == 600
    with cloudcore.record() as rec:
        assert cf.upsert_dns_records([proxied]) == 0
    assert rec.mutating_calls() == []
    cf.upsert_dns_records([proxied.model_copy(update={"proxied": False})])
    (raw,) = _raw(fake, "example.com")
    assert (raw["ttl"], raw["proxied"], raw["comment"]) == (600, False, "managed-by=cloudcore")


def test_the_fake_validates_like_cloudflare(fake: FakeCloudflare) -> None:
    import cloudflare

    fake.reset()
    client = cloudflare.Cloudflare(api_token=fake.token, base_url=fake.base_url, max_retries=0)
    zid = fake.zone_id("example.com")
    posts = [
        {"name": f"b{i}.example.com", "type": "A", "content": "192.0.2.1", "ttl": 1}
        for i in range(201)
    ]
    with pytest.raises(cloudflare.BadRequestError) as too_many:
        client.dns.records.batch(zone_id=zid, extra_body={"posts": posts})
    assert too_many.value.body["errors"][0]["code"] == 81082  # type: ignore[index]
    bad = [*posts[:2], {"name": "c.example.com", "type": "A", "content": "nope", "ttl": 1}]
    with pytest.raises(cloudflare.BadRequestError):
        client.dns.records.batch(zone_id=zid, extra_body={"posts": bad})
    assert fake.state.records[zid] == {}  # all or nothing
    client.dns.records.create(
        zone_id=zid, name="c.example.com", type="CNAME", content="x.org", ttl=1
    )
    with pytest.raises(cloudflare.BadRequestError) as clash:
        client.dns.records.create(
            zone_id=zid, name="c.example.com", type="A", content="192.0.2.1", ttl=1
        )
    # an A where a CNAME is: 81054 (favonia/cloudflare-ddns#990); the contract test has more
    assert clash.value.body["errors"][0]["code"] == 81054  # type: ignore[index]
    with pytest.raises(cloudflare.BadRequestError) as expr:
        client.rulesets.phases.update(
            "http_request_firewall_custom",
            zone_id=zid,
            rules=[{"action": "block", "expression": 'http.host eq "a" or'}],
        )
    assert expr.value.body["errors"][0]["code"] == 20217  # type: ignore[index]
    with pytest.raises(cloudflare.PermissionDeniedError):
        cloudflare.Cloudflare(api_token="bad", base_url=fake.base_url, max_retries=0).zones.list()
