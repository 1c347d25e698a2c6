"""The docs' AWS-behind-Cloudflare composition, on the two test targets."""

from __future__ import annotations

import pytest

import cloudcore
from cloudcore import DatabaseConfig, RateLimitRule, ResourceType, ServiceConfig
from cloudcore_aws.testing import MotoTarget

cf_testing = pytest.importorskip("cloudcore_cloudflare.testing", reason="needs [cloudflare]")


def test_aws_behind_cloudflare(aws: MotoTarget) -> None:
    with cf_testing.fake_target() as edge:
        cloud = cloudcore.connect({"default": aws.provider, "dns": edge, "waf": edge})
        assert cloud.routes[cloudcore.Capability.COMPUTE] is aws.provider
        assert cloud.routes[cloudcore.Capability.DNS] is edge
        db = cloud.provision_database(DatabaseConfig(name="main"))
        cloud.store_secret("jwt-secret", "s3cr3t")
        deployed = cloud.deploy_service(
            "api",
            ServiceConfig(
                image="ghcr.io/acme/api:1.4",
                port=8080,
                env={"DB_HOST": db.host},
                secrets={"JWT_SECRET": "jwt-secret"},
            ),
        )
        assert deployed.changed
        alb = "my-alb-123.us-east-1.elb.amazonaws.com"
        written = cloud.upsert_dns_records(
            [{"name": "api.example.com", "type": "CNAME", "values": [alb], "proxied": True}]
        )
        assert written == 1
        assert cloud.configure_waf([RateLimitRule(requests=100, period_seconds=60, path="/login")])
        route53 = aws.client("route53").list_resource_record_sets(HostedZoneId=aws.zone_id)
        assert not any(r["Name"].startswith("api.") for r in route53["ResourceRecordSets"])
        assert aws.client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"] == []
        kinds = {(r.provider, r.type) for r in cloud.list_resources()}
        assert ("aws", ResourceType.SERVICE) in kinds and ("aws", ResourceType.DATABASE) in kinds
        assert ("cloudflare", ResourceType.DNS_RECORD) in kinds
