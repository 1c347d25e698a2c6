"""The same user script runs on one driver and on a composition."""

from __future__ import annotations

import pytest

import cloudcore as cc
from cloudcore.testing.memory import MemoryProvider


def user_script(cloud: cc.CloudProvider) -> dict[str, object]:
    """What a tool author writes: nothing in it names a provider."""
    cfg = cc.ServiceConfig(
        image="registry.example.com/api:1.4",
        port=8080,
        replicas=2,
        cpu=0.5,
        memory=1024,
        env={"LOG_LEVEL": "info"},
    )
    first = cloud.deploy_service("api", cfg)
    again = cloud.deploy_service("api", cfg)
    status = cloud.scale_service("api", 3)
    record = cloud.create_dns_record("api.example.com", "192.0.2.10")
    records = cloud.list_dns_records("example.com")
    cloud.delete_service("api")
    cloud.delete_service("api")
    return {
        "changed": (first.changed, again.changed),
        "revision": (first.revision, again.revision),
        "replicas": status.desired,
        "record": record.values,
        "names": [r.name for r in records],
    }


def test_same_script_on_one_driver_and_on_a_composition() -> None:
    single = user_script(cc.connect("memory"))
    dns_side = MemoryProvider()
    composed = cc.connect({"compute": "memory", "dns": dns_side})
    assert isinstance(composed, cc.CompositeProvider)
    assert user_script(composed) == single
    assert single["changed"] == (True, False) and single["revision"] == ("1", "1")
    # the records went to the DNS provider, not the compute one
    assert [r.name for r in dns_side.list_dns_records("example.com")] == ["api.example.com"]


def test_composition_routes_and_refuses_what_is_not_routed() -> None:
    composed = cc.connect({"compute": "memory", "dns": "memory"})
    assert composed.capabilities == {cc.Capability.COMPUTE, cc.Capability.DNS}
    assert not composed.supports("secrets")
    with pytest.raises(cc.Unsupported, match="add 'secrets' to the mapping"):
        composed.store_secret("k", "v")


def test_default_route_and_discovery_merge() -> None:
    dns_side = MemoryProvider(region="edge")
    composed = cc.connect({"default": "memory", "dns": dns_side})
    composed.store_secret("k", "v")
    composed.create_dns_record("www.example.com", "192.0.2.1")
    ids = {r.id for r in composed.list_resources()}
    assert "cloudcore:memory::secret/k" in ids
    assert "cloudcore:memory:edge:dns_record/www.example.com/A" in ids


def test_bad_mappings_fail_before_anything_is_created() -> None:
    with pytest.raises(cc.ConfigurationError, match="not a capability"):
        cc.connect({"computer": "memory"})
    with pytest.raises(cc.DriverNotFound, match="registered drivers"):
        cc.connect({"compute": "no-such-driver"})
    with pytest.raises(cc.ConfigurationError, match="unknown options"):
        cc.connect("memory", regoin="x")
