"""Route53: batches packed to the documented limits (2,000 new A records -> 2 CREATE calls,
2,000 replaced ones -> 4 UPSERT calls), zero writes when nothing changed, TXT quoting, apex alias,
apex NS refused, zones found by name (sub-zones included), deletes."""

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


def test_2000_new_records_take_exactly_2_calls_then_none(aws: MotoTarget) -> None:
    cloud = aws.provider
    before = aws.wire.snapshot()
    with cloudcore.record() as rec:
        assert cloud.upsert_dns_records(_records(2000)) == 2000
    assert len(_changes(rec)) == 2  # CREATE counts once: 1,000 records per request
    assert aws.wire.since(before).writes == ("ChangeResourceRecordSets",) * 2
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


def _sent_changes(cloud: Any) -> list[list[tuple[str, str]]]:
    """Record ``(Action, Name)`` of every change batch the provider's client sends (botocore's
    public event API on the provider's own client)."""
    batches: list[list[tuple[str, str]]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        changes = params["ChangeBatch"]["Changes"]
        batches.append([(c["Action"], c["ResourceRecordSet"]["Name"]) for c in changes])

    events = cloud._client("route53").meta.events
    events.register("provide-client-params.route-53.ChangeResourceRecordSets", capture)
    return batches


def test_each_change_in_its_cheapest_form(aws: MotoTarget) -> None:
    cloud = aws.provider
    sent = _sent_changes(cloud)
    one = DNSRecord(name="grow.example.com", type="A", values=("192.0.2.1",))
    two = DNSRecord(name="shrink.example.com", type="A", values=("192.0.2.1", "192.0.2.2"))
    cloud.upsert_dns_records([one, two])
    assert sent[-1] == [("CREATE", "grow.example.com"), ("CREATE", "shrink.example.com")]
    grown = one.model_copy(update={"values": ("192.0.2.1", "192.0.2.2", "192.0.2.3")})
    shrunk = two.model_copy(update={"values": ("192.0.2.9",)})
    assert cloud.upsert_dns_records([grown, shrunk]) == 2
    # growing 1 -> 3 values: DELETE (1) + CREATE (3) = 4 elements, where UPSERT counts 6;
    # shrinking 2 -> 1: UPSERT counts 2, where DELETE (2) + CREATE (1) would count 3
    assert sent[-1] == [
        ("DELETE", "grow.example.com."),
        ("CREATE", "grow.example.com"),
        ("UPSERT", "shrink.example.com"),
    ]
    listed = {r.name: set(r.values) for r in cloud.list_dns_records("example.com")}
    assert listed["grow.example.com"] == set(grown.values)
    assert listed["shrink.example.com"] == {"192.0.2.9"}


def test_packing_keeps_a_replacement_in_one_request() -> None:
    def change(action: str, n: int) -> dict[str, Any]:
        records = [{"Value": f"192.0.2.{i}"} for i in range(n)]
        return {"Action": action, "ResourceRecordSet": {"ResourceRecords": records}}

    pair = [change("DELETE", 10), change("CREATE", 20)]
    batches = pack_changes([change("CREATE", 980), pair])
    assert [len(b) for b in batches] == [1, 2]  # 980 + 30 > 1,000: the pair moves as one


def test_values_written_by_others_compare_in_canonical_form(aws: MotoTarget) -> None:
    """Route53 keeps what it was sent: trailing dots, upper case, quoted TXT. A record set that
    means the same as the wanted one is left alone."""
    route53 = aws.client("route53")
    sets = [
        ("www.example.com.", "CNAME", ["Target.Example.NET."]),
        ("example.com.", "MX", ["10 Mail.Example.com."]),
        ("txt.example.com.", "TXT", ['"v=spf1 -all"']),
        ("v6.example.com.", "AAAA", ["2001:0DB8:0:0:0:0:0:1"]),
    ]
    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": name,
                "Type": rtype,
                "TTL": 300,
                "ResourceRecords": [{"Value": v} for v in values],
            },
        }
        for name, rtype, values in sets
    ]
    route53.change_resource_record_sets(HostedZoneId=aws.zone_id, ChangeBatch={"Changes": changes})
    wanted = [
        DNSRecord(name="www.example.com", type="CNAME", values=("target.example.net",)),
        DNSRecord(name="example.com", type="MX", values=("10 mail.example.com",)),
        DNSRecord(name="txt.example.com", type="TXT", values=("v=spf1 -all",)),
        DNSRecord(name="v6.example.com", type="AAAA", values=("2001:db8::1",)),
    ]
    before = aws.wire.snapshot()
    assert aws.provider.upsert_dns_records(wanted) == 0
    assert aws.wire.since(before).mutating == 0


def test_apex_ns_is_neither_listed_nor_writable(aws: MotoTarget) -> None:
    """Issue 11 item 21: a listing copied from GCP carries Google's apex NS; writing it would
    replace the zone's own delegation. Refused before anything is sent."""
    cloud = aws.provider
    route53 = aws.client("route53")

    def apex_ns() -> Any:
        rrsets = route53.list_resource_record_sets(HostedZoneId=aws.zone_id)["ResourceRecordSets"]
        return next(
            r["ResourceRecords"]
            for r in rrsets
            if r["Type"] == "NS" and r["Name"] == "example.com."
        )

    original = apex_ns()
    copied = [
        DNSRecord(name="example.com", type="NS", values=("ns-cloud-a1.googledomains.com",)),
        DNSRecord(name="www.example.com", type="A", values=("192.0.2.10",)),
    ]
    before = aws.wire.snapshot()
    with pytest.raises(ConfigurationError, match="apex"):
        cloud.upsert_dns_records(copied)
    with pytest.raises(ConfigurationError, match="apex"):
        cloud.delete_dns_record(copied[0])
    assert aws.wire.since(before).mutating == 0
    assert apex_ns() == original
    assert [r for r in cloud.list_dns_records("example.com") if r.type.value in ("NS", "SOA")] == []
    # a delegation below the apex is an ordinary record set
    sub = DNSRecord(name="sub.example.com", type="NS", values=("ns1.example.net",))
    assert cloud.upsert_dns_records([sub, copied[1]]) == 2
    cloud.delete_dns_record(sub)


def test_zone_found_by_name_in_one_call_whatever_the_account_holds(aws: MotoTarget) -> None:
    cloud = aws.provider
    route53 = aws.client("route53")
    for i in range(120):  # more than one page of zones, before and after example.com
        route53.create_hosted_zone(Name=f"z{i:03}.example-a.com", CallerReference=f"a{i}")
        route53.create_hosted_zone(Name=f"zone{i:03}.org", CallerReference=f"o{i}")
    route53.create_hosted_zone(Name="dev.example.com", CallerReference="dev")
    route53.create_hosted_zone(
        Name="example.com",
        CallerReference="private",
        HostedZoneConfig={"PrivateZone": True, "Comment": "same name, private"},
        VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"},
    )
    records = [
        DNSRecord(name="a.example.com", type="A", values=("192.0.2.1",)),
        DNSRecord(name="api.dev.example.com", type="A", values=("192.0.2.2",)),
        DNSRecord(name="dev.example.com", type="TXT", values=("apex of the sub-zone",)),
    ]
    with cloudcore.record() as rec:
        assert cloud.upsert_dns_records(records) == 3
    assert len(rec.calls("ListHostedZonesByName")) == 1
    assert rec.calls("ListHostedZones") == []
    dev = {r.name for r in cloud.list_dns_records("dev.example.com")}
    assert dev == {"api.dev.example.com", "dev.example.com"}
    public = {r.name for r in cloud.list_dns_records("example.com")}
    assert "a.example.com" in public and "api.dev.example.com" not in public
    with cloudcore.record() as rec:
        cloud.list_dns_records("example.com")
    assert len(rec.calls("ListHostedZonesByName")) == 1


def test_a_zone_above_the_two_label_suffix(aws: MotoTarget) -> None:
    route53 = aws.client("route53")
    route53.create_hosted_zone(
        Name="internal",
        CallerReference="internal",
        HostedZoneConfig={"PrivateZone": True, "Comment": "single label"},
        VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"},
    )
    cloud = aws.provider
    cloud.create_dns_record("db.corp.internal", "10.0.0.5")
    assert [r.name for r in cloud.list_dns_records("internal")] == ["db.corp.internal"]


def test_a_create_raced_by_another_writer_becomes_an_upsert(aws: MotoTarget) -> None:
    """Another writer creates the name between our read and our write: Route53 refuses our CREATE
    batch as a whole; the driver sends it again as UPSERTs (an upsert's last writer wins)."""
    cloud = aws.provider
    other = aws.client("route53")
    raced = {"done": False}

    def other_writer(**_: Any) -> None:
        if not raced["done"]:
            raced["done"] = True
            rrset = {
                "Name": "race.example.com",
                "Type": "A",
                "TTL": 60,
                "ResourceRecords": [{"Value": "198.51.100.1"}],
            }
            other.change_resource_record_sets(
                HostedZoneId=aws.zone_id,
                ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": rrset}]},
            )

    events = cloud._client("route53").meta.events
    events.register("before-call.route-53.ChangeResourceRecordSets", other_writer)
    try:
        mine = [
            DNSRecord(name="race.example.com", type="A", values=("192.0.2.50",)),
            DNSRecord(name="calm.example.com", type="A", values=("192.0.2.51",)),
        ]
        assert cloud.upsert_dns_records(mine) == 2
    finally:
        events.unregister("before-call.route-53.ChangeResourceRecordSets", other_writer)
    listed = {r.name: r.values for r in cloud.list_dns_records("example.com")}
    assert listed["race.example.com"] == ("192.0.2.50",)
    assert listed["calm.example.com"] == ("192.0.2.51",)
