"""Route53 sync at the documented minimum number of calls, counted by the moto server itself.

For N single-value A records (values of at most 15 characters, so the 32,000-character limit
never binds before the 1,000-element one), Route53's documented limits
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html: at most 1,000
ResourceRecord elements per ChangeResourceRecordSets request, an UPSERT counting twice;
https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html: at most
300 record sets per ListResourceRecordSets response) give as the least number of requests:

    find the zone                    1                    ListHostedZonesByName
    read the zone's S record sets    ceil(S / 300)        S = N already there + the apex SOA and NS
    create N new record sets         ceil(N / 1000)       CREATE counts once
    replace M record sets            ceil(2 * M / 1000)   UPSERT counts twice

so, phase by phase:

    create into an empty zone        1 + ceil(2 / 300)       + ceil(N / 1000)
    sync again, nothing changed      1 + ceil((N + 2) / 300)
    sync with N/10 values changed    1 + ceil((N + 2) / 300) + ceil(2 * (N / 10) / 1000)
"""

from __future__ import annotations

import math

import pytest

from cloudcore import DNSRecord
from cloudcore_aws.testing import MotoTarget


def minimum_calls(phase: str, n: int) -> tuple[int, int]:
    """``(requests, of which writes)`` the documented limits allow for ``phase`` at ``n``."""
    listing = math.ceil(2 / 300) if phase == "create" else math.ceil((n + 2) / 300)
    writes = {
        "create": math.ceil(n / 1000),
        "no change": 0,
        "10% changed": math.ceil(2 * (n // 10) / 1000),
    }[phase]
    return 1 + listing + writes, writes


def _records(zone: str, n: int, changed: int = 0) -> list[DNSRecord]:
    return [
        DNSRecord(
            name=f"host{i}.{zone}",
            type="A",
            values=(f"{10 if i >= changed else 11}.{i // 65536}.{i // 256 % 256}.{i % 256}",),
        )
        for i in range(n)
    ]


def test_the_formula() -> None:
    assert minimum_calls("create", 5000) == (7, 5)  # issue 19: 12 calls before, 7 suffice
    assert minimum_calls("no change", 100) == (2, 0)
    assert minimum_calls("10% changed", 10_000) == (37, 2)


@pytest.mark.parametrize("n", [100, 1000, 5000, pytest.param(10_000, marks=pytest.mark.slow)])
def test_sync_takes_the_documented_minimum_of_calls(aws: MotoTarget, n: int) -> None:
    cloud = aws.provider
    zone = f"sync{n}.test"
    aws.client("route53").create_hosted_zone(Name=zone, CallerReference=zone)
    for phase, records in (
        ("create", _records(zone, n)),
        ("no change", _records(zone, n)),
        ("10% changed", _records(zone, n, changed=n // 10)),
    ):
        before = aws.wire.snapshot()
        written = cloud.upsert_dns_records(records)
        seen = aws.wire.since(before)
        assert (seen.requests, seen.mutating) == minimum_calls(phase, n), phase
        assert written == {"create": n, "no change": 0, "10% changed": n // 10}[phase]
    if n <= 1000:  # what was written is what was asked (moto lists 10,000 record sets in ~5 s)
        listed = {r.name: r.values for r in cloud.list_dns_records(zone)}
        assert listed == {r.name: r.values for r in _records(zone, n, changed=n // 10)}
