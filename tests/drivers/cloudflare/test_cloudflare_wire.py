"""The fake counts every request on its own side, judged by the request, not by the driver."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cloudcore.errors import TransientError
from cloudcore.models import DNSRecord, GeoRule, IPRule
from cloudcore.testing.faults import Fault
from cloudcore.testing.wire import wire_counter_for
from cloudcore_cloudflare._r2fake import CombinedWire
from cloudcore_cloudflare.testing import FakeCloudflare, is_mutating


@pytest.mark.parametrize(
    ("method", "path", "mutating"),
    [
        ("GET", "/zones", False),
        ("HEAD", "/zones", False),
        ("POST", "/zones/z/dns_records/batch", True),
        ("PUT", "/zones/z/rulesets/phases/http_ratelimit/entrypoint", True),
        ("PATCH", "/accounts/a/secrets_store/stores/s/secrets/x", True),
        ("DELETE", "/zones/z/dns_records/r", True),
        ("POST", "/graphql", False),  # the GraphQL Analytics API only reads
        ("POST", "/graphql/", False),
        ("post", "/accounts/a/rules/lists", True),
    ],
)
def test_requests_are_classified_by_method_and_path(method: str, path: str, mutating: bool) -> None:
    assert is_mutating(method, path) is mutating


def test_the_counter_is_attached_to_the_target_and_counts_reads_and_writes(
    cf: Any, fake: FakeCloudflare
) -> None:
    counter = wire_counter_for(cf)
    # the fake API's tally, added up with the R2 stand-in's (storage goes to R2's S3 endpoint)
    assert isinstance(counter, CombinedWire) and counter.first is fake.wire
    rules = [IPRule(name="office", cidrs=["203.0.113.0/24"]), GeoRule(name="g", countries=["KP"])]
    before = counter.snapshot()
    assert cf.configure_waf(rules, "example.com") is True
    wrote = counter.since(before)
    assert wrote.mutating == 1 and wrote.writes == (
        f"PUT /zones/{fake.zone_id('example.com')}/rulesets/phases/"
        "http_request_firewall_custom/entrypoint",
    )
    assert wrote.requests > wrote.mutating  # the entry points were read first
    before = counter.snapshot()
    assert cf.configure_waf(rules, "example.com") is False
    noop = counter.since(before)
    assert noop.mutating == 0 and noop.writes == () and noop.requests >= 3
    before = counter.snapshot()
    cf.upsert_dns_records([DNSRecord(name="w.example.com", type="A", values=["192.0.2.7"])])
    assert counter.since(before).mutating == 1  # one batch request


def test_refused_and_fault_injected_requests_are_counted_too(fake: FakeCloudflare) -> None:
    fake.reset()
    before = fake.wire.snapshot()
    with httpx.Client(base_url=fake.base_url) as http:
        assert http.get("/zones").status_code == 403  # no token
        bad = http.post("/zones/x/dns_records", content=b"{", headers={"Authorization": "x"})
        assert bad.status_code == 403
    seen = fake.wire.since(before)
    assert (seen.requests, seen.mutating) == (2, 1)
    assert seen.writes == ("POST /zones/x/dns_records",)


def test_a_write_answered_with_an_injected_fault_is_counted(cf: Any, fake: FakeCloudflare) -> None:
    cf.list_dns_records("example.com")  # zones resolved before the fault is queued
    fake.faults.inject(Fault("transient", mutating=True, times=10))
    fake.clear_log()
    before = fake.wire.snapshot()
    record = DNSRecord(name="r.example.com", type="A", values=["192.0.2.8"])
    try:
        with pytest.raises(TransientError):
            cf.upsert_dns_records([record])
    finally:
        fake.faults.clear()
    seen = fake.wire.since(before)
    answered_503 = [r for r in fake.requests if r.mutating and r.status == 503]
    assert seen.mutating == len(answered_503) >= 1  # every attempt that reached the fake
