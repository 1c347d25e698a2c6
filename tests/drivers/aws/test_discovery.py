"""Discovery: everything cloudcore made, with types, tags, relationships; gone after deletion."""

from __future__ import annotations

from cloudcore import CacheConfig, DatabaseConfig, ResourceType, ServiceConfig
from cloudcore_aws.testing import MotoTarget


def test_lists_each_type_and_forgets_deleted(aws: MotoTarget) -> None:
    cloud = aws.provider
    cloud.deploy_service("api", ServiceConfig(image="x:1", port=80))
    cloud.provision_database(DatabaseConfig(name="main"))
    backup = cloud.backup_database("main")
    cloud.provision_cache(CacheConfig(name="sessions", auth=False))
    cloud.store_secret("jwt", "v")
    cloud.create_dns_record("api.example.com", "192.0.2.1")
    cloud.configure_waf([{"kind": "geo", "countries": ["KP"]}])
    aws.client("secretsmanager").create_secret(Name="foreign", SecretString="x")
    found = {(r.type, r.name): r for r in cloud.list_resources()}
    expected = {
        (ResourceType.SERVICE, "api"),
        (ResourceType.DATABASE, "main"),
        (ResourceType.BACKUP, backup.id),
        (ResourceType.CACHE, "sessions"),
        (ResourceType.SECRET, "jwt"),
        (ResourceType.DNS_ZONE, "example.com"),
        (ResourceType.DNS_RECORD, "api.example.com/A"),
        (ResourceType.WAF_POLICY, "cloudcore-default"),
    }
    assert expected <= set(found), sorted(expected - set(found))
    assert (ResourceType.SECRET, "foreign") not in found
    assert all(r.tags.get("managed-by") == "cloudcore" for r in found.values())
    assert found[(ResourceType.BACKUP, backup.id)].relationships == (
        "cloudcore:aws:us-east-1:database/main",
    )
    assert found[(ResourceType.SERVICE, "api")].id == "cloudcore:aws:us-east-1:service/api"
    assert [r.name for r in cloud.list_resources("secret")] == ["jwt"]
    cloud.delete_service("api")
    cloud.delete_cache("sessions")
    cloud.delete_secret("jwt")
    cloud.configure_waf([])
    left = {(r.type, r.name) for r in cloud.list_resources()}
    for gone in (
        (ResourceType.SERVICE, "api"),
        (ResourceType.CACHE, "sessions"),
        (ResourceType.SECRET, "jwt"),
        (ResourceType.WAF_POLICY, "cloudcore-default"),
    ):
        assert gone not in left
    schema = cloud.get_resource_schema("cloudcore:aws:us-east-1:database/main")
    assert schema.type is ResourceType.DATABASE
