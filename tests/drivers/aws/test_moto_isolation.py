"""Each moto server of the process is its own AWS account: targets never see each other's
resources, and resetting one leaves the others' as they were."""

from __future__ import annotations

import time

import boto3

from cloudcore_aws._motowire import CountingMotoServer


def _route53(url: str, key: str = "testing") -> object:
    return boto3.client(
        "route53",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=key,
    )


def _zones(client: object) -> list[str]:
    return [z["Name"] for z in client.list_hosted_zones()["HostedZones"]]  # type: ignore[attr-defined]


def test_two_servers_are_two_accounts_and_reset_clears_only_its_own() -> None:
    first, second = CountingMotoServer(), CountingMotoServer()
    assert first.account != second.account
    try:
        a, b = _route53(first.start()), _route53(second.start())
        a.create_hosted_zone(Name="example.com", CallerReference=f"a{time.time()}")  # type: ignore[attr-defined]
        b.create_hosted_zone(Name="example.com", CallerReference=f"b{time.time()}")  # type: ignore[attr-defined]
        assert _zones(a) == ["example.com."] and _zones(b) == ["example.com."]
        # a client cannot pick another account: the server sets the header, whatever was sent
        sneaky = _route53(first.url)
        sneaky.meta.events.register(  # type: ignore[attr-defined]
            "before-sign.route53.*",
            lambda request, **_: request.headers.__setitem__("x-moto-account-id", second.account),
        )
        sneaky.create_hosted_zone(Name="other.org", CallerReference=f"c{time.time()}")  # type: ignore[attr-defined]
        assert _zones(b) == ["example.com."]
        first.reset()
        assert _zones(a) == [] and _zones(b) == ["example.com."]
    finally:
        first.stop()
        second.stop()
        first.reset()
        second.reset()
