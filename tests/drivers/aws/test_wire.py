"""The moto target's wire counter: every request counted by the server, classified by the request
itself in each AWS protocol, and in agreement with what the driver reports of its own calls."""

from __future__ import annotations

from typing import Any

import pytest

import cloudcore
from cloudcore import DNSRecord
from cloudcore.testing.wire import wire_counter_for
from cloudcore_aws._motowire import reads_only
from cloudcore_aws.testing import MotoTarget


def _seen(aws: MotoTarget, call: Any) -> tuple[int, int, tuple[str, ...]]:
    before = aws.wire.snapshot()
    try:
        call()
    except Exception as exc:  # an error answer is still a request the server saw
        if not hasattr(exc, "response"):
            raise
    seen = aws.wire.since(before)
    return seen.requests, seen.mutating, seen.writes


def test_attached_to_the_provider(aws: MotoTarget) -> None:
    assert wire_counter_for(aws.provider) is aws.wire


@pytest.mark.parametrize(
    ("operation", "reads"),
    [
        ("DescribeServices", True),
        ("ListResourceRecordSets", True),
        ("GetSecretValue", True),
        ("BatchGetSecretValue", True),
        ("CheckCapacity", True),
        ("SearchResources", True),
        ("LookupEvents", True),
        ("FilterLogEvents", True),
        ("Query", True),
        ("Scan", True),
        ("TestDNSAnswer", True),
        ("CheckoutLicense", False),  # a word that only starts like "Check"
        ("Listen", False),
        ("Getaway", False),
        ("ChangeResourceRecordSets", False),
        ("PutSecretValue", False),
        ("CreateDBSnapshot", False),
        ("UpdateWebACL", False),
    ],
)
def test_operation_names(operation: str, reads: bool) -> None:
    assert reads_only(operation) is reads


def test_json_protocol_by_target_header(aws: MotoTarget) -> None:
    sm = aws.client("secretsmanager")
    assert _seen(aws, lambda: sm.create_secret(Name="w", SecretString="v")) == (
        1,
        1,
        ("CreateSecret",),
    )
    assert _seen(aws, lambda: sm.get_secret_value(SecretId="w")) == (1, 0, ())
    assert _seen(aws, lambda: sm.get_secret_value(SecretId="missing")) == (1, 0, ())  # a 4xx
    assert _seen(aws, lambda: sm.batch_get_secret_value(SecretIdList=["w"])) == (1, 0, ())


def test_query_protocol_by_action_in_the_body(aws: MotoTarget) -> None:
    ec2 = aws.client("ec2")
    assert _seen(aws, lambda: ec2.describe_vpcs()) == (1, 0, ())  # POST, form-encoded
    assert _seen(aws, lambda: ec2.create_vpc(CidrBlock="10.9.0.0/16")) == (1, 1, ("CreateVpc",))
    rds = aws.client("rds")
    assert _seen(aws, lambda: rds.describe_db_instances()) == (1, 0, ())


def test_rest_protocol_by_route(aws: MotoTarget) -> None:
    r53 = aws.client("route53")
    assert _seen(aws, lambda: r53.list_hosted_zones()) == (1, 0, ())
    assert _seen(aws, lambda: r53.get_hosted_zone(Id=aws.zone_id)) == (1, 0, ())
    # a POST that only reads: the route, not the method, decides
    tags = lambda: r53.list_tags_for_resources(ResourceType="hostedzone", ResourceIds=[aws.zone_id])  # noqa: E731
    assert _seen(aws, tags) == (1, 0, ())
    change = {
        "Action": "CREATE",
        "ResourceRecordSet": {
            "Name": "w.example.com",
            "Type": "A",
            "TTL": 60,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
        },
    }
    write = lambda: r53.change_resource_record_sets(  # noqa: E731
        HostedZoneId=aws.zone_id, ChangeBatch={"Changes": [change]}
    )
    assert _seen(aws, write) == (1, 1, ("ChangeResourceRecordSets",))
    s3 = aws.client("s3")
    assert _seen(aws, lambda: s3.create_bucket(Bucket="wire")) == (1, 1, ("CreateBucket",))
    assert _seen(aws, lambda: s3.head_bucket(Bucket="wire")) == (1, 0, ())
    assert _seen(aws, lambda: s3.put_object(Bucket="wire", Key="a/b", Body=b"x"))[1] == 1
    assert _seen(aws, lambda: s3.list_objects_v2(Bucket="wire")) == (1, 0, ())


def test_moto_control_api_is_not_counted(aws: MotoTarget) -> None:
    before = aws.wire.snapshot()
    aws.reset()  # POST /moto-api/reset, then the fixtures again through boto3
    seen = aws.wire.since(before)
    assert "POST /moto-api/reset" not in seen.writes
    assert seen.writes[0] == "CreateVpc"  # the first fixture, right after the reset


def test_driver_reports_agree_with_the_wire(aws: MotoTarget) -> None:
    cloud = aws.provider
    records = [
        DNSRecord(name=f"a{i}.example.com", type="A", values=("192.0.2.9",)) for i in range(3)
    ]
    before = aws.wire.snapshot()
    with cloudcore.record() as rec:
        cloud.store_secret("agree", "v1")
        cloud.get_secret("agree")
        cloud.upsert_dns_records(records)
        cloud.upsert_dns_records(records)  # a no-op: reads only
        cloud.list_dns_records("example.com")
    seen = aws.wire.since(before)
    assert seen.requests == len(rec.api_calls)
    assert seen.mutating == len(rec.mutating_calls()) == 2  # CreateSecret, one change batch
    assert list(seen.writes) == [c.operation for c in rec.mutating_calls()]
    assert aws.wire.server_seconds > 0


def test_list_hosted_zones_by_name_as_documented(aws: MotoTarget) -> None:
    """AWS lists zones from DNSName on, ordered by reversed labels with the trailing dot, paged by
    MaxItems (moto itself returns only exact matches and ignores MaxItems)."""
    r53 = aws.client("route53")
    for name in ("b.example.com", "example-foo.com", "example.org", "a.example.com", "com"):
        r53.create_hosted_zone(Name=name, CallerReference=name)
    # com. < com.example-foo. < com.example. < com.example.a. < com.example.b. < org.example.
    expected = ["com.", "example-foo.com.", "example.com.", "a.example.com.", "b.example.com."]
    expected.append("example.org.")
    everything = r53.list_hosted_zones_by_name()
    assert [z["Name"] for z in everything["HostedZones"]] == expected
    page = r53.list_hosted_zones_by_name(DNSName="example.com", MaxItems="2")
    assert [z["Name"] for z in page["HostedZones"]] == ["example.com.", "a.example.com."]
    assert page["IsTruncated"] is True and page["NextDNSName"] == "b.example.com."
    page = r53.list_hosted_zones_by_name(
        DNSName=page["NextDNSName"], HostedZoneId=page["NextHostedZoneId"], MaxItems="2"
    )
    assert [z["Name"] for z in page["HostedZones"]] == ["b.example.com.", "example.org."]
    assert page["IsTruncated"] is False
    page = r53.list_hosted_zones_by_name(DNSName="api.example.com", MaxItems="1")
    assert [z["Name"] for z in page["HostedZones"]] == ["b.example.com."]  # the next one after


def test_smithy_rpc_v2_by_operation_path(aws: MotoTarget) -> None:
    cw = aws.client("cloudwatch")
    assert cw.meta.service_model.protocol == "smithy-rpc-v2-cbor"
    data = [{"MetricName": "m", "Value": 1.0}]
    assert _seen(aws, lambda: cw.put_metric_data(Namespace="n", MetricData=data)) == (
        1,
        1,
        ("PutMetricData",),
    )
    assert _seen(aws, lambda: cw.list_metrics()) == (1, 0, ())


def test_list_health_checks_has_the_documented_paging_fields(aws: MotoTarget) -> None:
    """AWS always answers IsTruncated, Marker and MaxItems (moto leaves them out; octoDNS reads
    IsTruncated)."""
    r53 = aws.client("route53")
    r53.create_health_check(
        CallerReference="hc",
        HealthCheckConfig={"Type": "HTTP", "FullyQualifiedDomainName": "a.example.com"},
    )
    page = r53.list_health_checks(MaxItems="10")
    assert len(page["HealthChecks"]) == 1
    assert page["IsTruncated"] is False and page["MaxItems"] == "10" and page["Marker"] == ""


def test_change_batches_follow_route53_rules(aws: MotoTarget) -> None:
    """AWS refuses a CREATE of an existing record set and a DELETE of a missing one or with other
    values, all or nothing; a deleted record set can be created again (moto gets all three
    wrong: it duplicates, and refuses the re-create when anything sorts after the name)."""
    from botocore.exceptions import ClientError

    r53 = aws.client("route53")

    def change(action: str, name: str, value: str) -> dict[str, Any]:
        rrset = {"Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": value}]}
        return {"Action": action, "ResourceRecordSet": rrset}

    def send(*changes: dict[str, Any]) -> None:
        r53.change_resource_record_sets(
            HostedZoneId=aws.zone_id, ChangeBatch={"Changes": list(changes)}
        )

    def names() -> list[str]:
        sets = r53.list_resource_record_sets(HostedZoneId=aws.zone_id)["ResourceRecordSets"]
        return [f"{r['Name']} {r['Type']}" for r in sets if r["Type"] == "A"]

    send(
        change("CREATE", "a.example.com", "192.0.2.1"),
        change("CREATE", "z.example.com", "192.0.2.2"),
    )
    for bad in (
        [
            change("CREATE", "b.example.com", "192.0.2.3"),
            change("CREATE", "a.example.com", "192.0.2.9"),
        ],
        [change("DELETE", "missing.example.com", "192.0.2.1")],
        [change("DELETE", "a.example.com", "192.0.2.99")],
    ):
        with pytest.raises(ClientError) as info:
            send(*bad)
        assert info.value.response["Error"]["Code"] == "InvalidChangeBatch"
    assert names() == ["a.example.com. A", "z.example.com. A"]  # nothing of a refused batch
    send(change("DELETE", "a.example.com", "192.0.2.1"))
    send(change("CREATE", "a.example.com", "192.0.2.1"))  # the same set again
    send(
        change("DELETE", "z.example.com", "192.0.2.2"),
        change("CREATE", "z.example.com", "192.0.2.7"),
    )
    assert names() == ["a.example.com. A", "z.example.com. A"]
