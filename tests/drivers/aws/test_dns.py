"""Route53: batches packed to the documented limits (2,000 A records -> 4 calls, new or
existing), zero writes when nothing changed, TXT quoting, apex alias, deletes."""

from __future__ import annotations

from typing import Any

import pytest

import cloudcore
from cloudcore import ConfigurationError, DNSRecord, NotFound
from cloudcore_aws.dns import (
    MAX_RECORD_ELEMENTS,
    MAX_VALUE_CHARACTERS,
    decode_txt,
    encode_txt,
    pack_changes,
)
from cloudcore_aws.testing import MotoTarget


def _records(n: int, third: int = 0) -> list[DNSRecord]:
    return [
        DNSRecord(name=f"h{i}.example.com", type="A", values=(f"10.{third}.{i // 250}.{i % 250}",))
        for i in range(n)
    ]


def _changes(rec: Any) -> list[Any]:
    return rec.calls("ChangeResourceRecordSets")


def test_2000_upserts_take_exactly_4_calls_then_none(cloud: Any) -> None:
    with cloudcore.record() as rec:
        assert cloud.upsert_dns_records(_records(2000)) == 2000
    assert len(_changes(rec)) == 4
    with cloudcore.record() as rec:
        assert cloud.upsert_dns_records(_records(2000)) == 0
    assert rec.mutating_calls() == []


def test_updating_2000_existing_records_works_in_4_calls(aws: MotoTarget) -> None:
    cloud = aws.provider
    cloud.upsert_dns_records(_records(2000))
    with cloudcore.record() as rec:
        assert cloud.upsert_dns_records(_records(2000, third=1)) == 2000
    assert len(_changes(rec)) == 4  # moto enforces the UPSERT double count: 500 per call
    listed = {r.name: r.values for r in cloud.list_dns_records("example.com")}
    assert listed["h1999.example.com"] == ("10.1.7.249",)
    assert sum(1 for n in listed if n.startswith("h")) == 2000


def test_packing_respects_both_limits() -> None:
    def change(values: list[str], action: str = "UPSERT") -> dict[str, Any]:
        rrset = {
            "Name": "x",
            "Type": "TXT",
            "TTL": 1,
            "ResourceRecords": [{"Value": v} for v in values],
        }
        return {"Action": action, "ResourceRecordSet": rrset}

    batches = pack_changes([change(["1.2.3.4"]) for _ in range(2000)])
    assert [len(b) for b in batches] == [500, 500, 500, 500]
    assert len(pack_changes([change(["1.2.3.4"], "CREATE") for _ in range(2000)])) == 2
    long = '"' + "x" * 998 + '"'  # 1,000 characters, counted twice per UPSERT
    batches = pack_changes([change([long]) for _ in range(40)])
    for batch in batches:
        chars = sum(2 * len(c["ResourceRecordSet"]["ResourceRecords"][0]["Value"]) for c in batch)
        assert chars <= MAX_VALUE_CHARACTERS
    assert [len(b) for b in batches] == [16, 16, 8]
    assert MAX_RECORD_ELEMENTS == 1000


def test_round_trip_of_every_type(cloud: Any) -> None:
    records = [
        DNSRecord(name="a.example.com", type="A", values=("192.0.2.1", "192.0.2.2"), ttl=60),
        DNSRecord(name="a.example.com", type="AAAA", values=("2001:db8::1",)),
        DNSRecord(name="www.example.com", type="CNAME", values=("a.example.com",)),
        DNSRecord(name="example.com", type="MX", values=("10 mail.example.com",)),
        DNSRecord(name="_sip._tcp.example.com", type="SRV", values=("10 5 5060 sip.example.com",)),
        DNSRecord(name="example.com", type="CAA", values=('0 issue "letsencrypt.org"',)),
        DNSRecord(name="*.example.com", type="TXT", values=('say "hi" \\ ok', "é" + "y" * 400)),
        DNSRecord(name="sub.example.com", type="NS", values=("ns1.example.net",)),
    ]
    assert cloud.upsert_dns_records(records) == len(records)
    listed = {r.key: r for r in cloud.list_dns_records("example.com")}
    for record in records:
        assert listed[record.key].same_as(record), (listed.get(record.key), record)
    assert ("example.com", "SOA") not in {(n, t.value) for n, t in listed}
    assert ("example.com", "NS") not in {(n, t.value) for n, t in listed}
    with cloudcore.record() as rec:
        assert cloud.upsert_dns_records(records) == 0
    assert rec.mutating_calls() == []


def test_txt_encoding() -> None:
    value = 'a "quoted" \\ value é ' + "z" * 300
    encoded = encode_txt(value)
    assert encoded.count('" "') == 1  # split into two strings of at most 255 bytes
    assert decode_txt(encoded) == value


def test_apex_alias_to_a_load_balancer(aws: MotoTarget) -> None:
    cloud = aws.provider
    alb = "dualstack.my-alb-123.us-east-1.elb.amazonaws.com"
    cloud.create_dns_record("example.com", alb)
    rrsets = aws.client("route53").list_resource_record_sets(HostedZoneId=aws.zone_id)
    alias = [r for r in rrsets["ResourceRecordSets"] if "AliasTarget" in r]
    assert alias[0]["Type"] == "A"
    assert alias[0]["AliasTarget"]["HostedZoneId"] == "Z35SXDOTRQ7X7K"
    listed = [r for r in cloud.list_dns_records("example.com") if r.name == "example.com"]
    assert [(r.type.value, r.values) for r in listed] == [("CNAME", (alb,))]
    with cloudcore.record() as rec:
        cloud.create_dns_record("example.com", alb)
    assert rec.mutating_calls() == []
    cloud.delete_dns_record(listed[0])
    assert [r for r in cloud.list_dns_records("example.com") if r.name == "example.com"] == []
    with cloudcore.record() as rec, pytest.raises(ConfigurationError, match="apex"):
        cloud.create_dns_record("example.com", "elsewhere.example.net")
    assert rec.mutating_calls() == []


def test_delete_missing_zone_and_longest_suffix(aws: MotoTarget) -> None:
    cloud = aws.provider
    record = cloud.create_dns_record("api.example.com", "192.0.2.7")
    cloud.delete_dns_record(record)
    cloud.delete_dns_record(record)  # already gone
    with pytest.raises(NotFound):
        cloud.create_dns_record("api.example.org", "192.0.2.7")
    with pytest.raises(NotFound):
        cloud.list_dns_records("example.org")
    route53 = aws.client("route53")
    sub = route53.create_hosted_zone(Name="dev.example.com", CallerReference="dev")
    cloud.create_dns_record("api.dev.example.com", "192.0.2.8")
    sub_id = sub["HostedZone"]["Id"]
    names = [
        r["Name"]
        for r in route53.list_resource_record_sets(HostedZoneId=sub_id)["ResourceRecordSets"]
    ]
    assert "api.dev.example.com." in names
