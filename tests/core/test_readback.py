"""Read-back in the core: composition routes it and keeps each capability's gaps, the suite's
gap checks refuse keys that name no field, and read-backs of what is missing are NotFound."""

from __future__ import annotations

from typing import Any

import pytest

import cloudcore as cc
from cloudcore.errors import NotFound
from cloudcore.testing.memory import MemoryProvider
from cloudcore.testing.suite.readback import differences, gaps_of, without_gaps


class GappyCompute(MemoryProvider):
    readback_gaps = {
        "compute:health_check.grace_seconds": "not kept",
        "database:encrypted": "always on",
    }


def test_composition_routes_read_back_and_keeps_each_capabilitys_gaps() -> None:
    compute, data = GappyCompute(), GappyCompute(zones=("example.org",))
    cloud = cc.connect({"compute": compute, "cache": data, "dns": data, "waf": data})
    cloud.deploy_service("api", {"image": "nginx", "env": {"A": "1"}})
    assert cloud.get_service_config("api").env == {"A": "1"}
    cloud.provision_cache({"name": "sessions", "auth": False})
    assert cloud.get_cache("sessions").config.auth is False
    assert [z.name for z in cloud.list_dns_zones()] == ["example.org"]
    assert cloud.list_waf_targets() == []
    # database is routed nowhere: its gap is not the composition's
    assert dict(cloud.readback_gaps) == {"compute:health_check.grace_seconds": "not kept"}


def test_read_back_of_something_missing_is_not_found() -> None:
    cloud = cc.connect("memory")
    for call in (cloud.get_service_config, cloud.get_database, cloud.get_cache):
        with pytest.raises(NotFound):
            call("never-made")


def test_waf_targets_list_the_default_first_then_sorted() -> None:
    cloud = cc.connect("memory")
    rule: dict[str, Any] = {"kind": "ip", "name": "x", "cidrs": ["10.0.0.0/8"], "action": "block"}
    for target in ("b-site", None, "a-site"):
        cloud.configure_waf([rule], target)
    assert cloud.list_waf_targets() == [None, "a-site", "b-site"]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("compute:helth_check", "not a field"),
        ("compute:health_check.grace", "not a field"),
        ("compute", "is not '<capability>:<field path>'"),
    ],
)
def test_suite_refuses_gap_keys_naming_no_field(key: str, message: str) -> None:
    provider = MemoryProvider()
    provider.readback_gaps = {key: "why"}  # type: ignore[misc]
    with pytest.raises(AssertionError, match=message):
        gaps_of(provider, "compute")


def test_suite_refuses_a_gap_without_a_reason() -> None:
    provider = MemoryProvider()
    provider.readback_gaps = {"cache:tls": " "}  # type: ignore[misc]
    with pytest.raises(AssertionError, match="gives no reason"):
        gaps_of(provider, "cache")


def test_gap_fields_are_left_default_and_not_compared() -> None:
    gaps = {"health_check.grace_seconds": "x", "extras.platform_version": "y"}
    asked = without_gaps(
        {"image": "a", "health_check": {"path": "/h", "grace_seconds": 9}, "extras": {}}, gaps
    )
    assert asked["health_check"] == {"path": "/h"}
    one = cc.ServiceConfig.model_validate(asked)
    two = one.model_copy(
        update={"health_check": one.health_check.model_copy(update={"grace_seconds": 5})}
    )  # type: ignore[union-attr]
    assert differences(one, two, gaps) == []
    other = one.model_copy(update={"env": {"A": "1"}})
    assert differences(one, other, gaps) == ["env.A: asked None, read back '1'"]
