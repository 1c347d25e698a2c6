"""ElastiCache: replication groups, HA, AUTH token kept as a secret (TLS on), idempotency."""

from __future__ import annotations

import pytest

import cloudcore
from cloudcore import AlreadyExists, CacheConfig, Conflict
from cloudcore_aws.cache import auth_secret_name
from cloudcore_aws.testing import MotoTarget


def test_ha_cache_with_auth(aws: MotoTarget) -> None:
    cloud = aws.provider
    config = CacheConfig(name="sessions", high_availability=True)
    endpoint = cloud.provision_cache(config)
    assert endpoint.tls and endpoint.high_availability and endpoint.port == 6379
    assert endpoint.auth_secret == auth_secret_name("sessions")
    group = aws.client("elasticache").describe_replication_groups(ReplicationGroupId="sessions")[
        "ReplicationGroups"
    ][0]
    assert group["AutomaticFailover"] == "enabled" and group["MultiAZ"] == "enabled"
    assert group["AuthTokenEnabled"] and group["TransitEncryptionEnabled"]
    assert group["AtRestEncryptionEnabled"]
    token = cloud.get_secret(endpoint.auth_secret).get_secret_value()
    assert len(token) >= 32
    with cloudcore.record() as rec:
        assert cloud.provision_cache(config) == endpoint
    assert rec.mutating_calls() == []
    with pytest.raises(AlreadyExists):
        cloud.provision_cache(CacheConfig(name="sessions"))


def test_plain_cache_and_delete(aws: MotoTarget) -> None:
    cloud = aws.provider
    endpoint = cloud.provision_cache(CacheConfig(name="plain", auth=False, size="micro"))
    assert not endpoint.tls and endpoint.auth_secret is None
    group = aws.client("elasticache").describe_replication_groups(ReplicationGroupId="plain")
    assert group["ReplicationGroups"][0]["CacheNodeType"] == "cache.t4g.micro"
    cloud.delete_cache("plain")
    cloud.delete_cache("plain")  # deleting / already gone
    with pytest.raises(Conflict, match="being deleted"):
        cloud.provision_cache(CacheConfig(name="plain", auth=False, size="micro"))


def test_delete_removes_the_auth_secret(cloud: object) -> None:
    from cloudcore_aws.provider import AWSProvider

    assert isinstance(cloud, AWSProvider)
    cloud.provision_cache(CacheConfig(name="sessions"))
    cloud.delete_cache("sessions")
    assert cloud.list_secrets() == []
