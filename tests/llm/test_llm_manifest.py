"""Resource schemas and tool manifests: valid JSON Schema, complete, filtered by what is declared."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import cloudcore
from cloudcore import Capability, ResourceType
from cloudcore.capabilities import KNOWN_FEATURES, OPERATIONS
from cloudcore.errors import CloudcoreError
from cloudcore.llm.manifest import call_tool, list_tools, manifest, tools
from cloudcore.llm.schemas import OPERATIONS_BY_TYPE, operation_parameters
from cloudcore.registry import available_drivers, load_test_target
from cloudcore.testing.memory.provider import MemoryProvider

DNS_TOOLS = {name for name, info in OPERATIONS.items() if info.capability is Capability.DNS}
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def check(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)
    assert "$ref" not in json.dumps(schema)


class LimitedProvider(MemoryProvider):
    """A driver declaring less than memory: no DNS, no secret reads, few WAF and cache features."""

    name = "limited"
    capabilities = frozenset(Capability) - {Capability.DNS}
    features = {
        **KNOWN_FEATURES,
        Capability.SECRETS: frozenset(),
        Capability.WAF: frozenset({"ip", "rate_limit", "managed", "managed:core"}),
        Capability.COMPUTE: frozenset({"images", "logs"}),
        Capability.CACHE: frozenset({"redis", "auth"}),
    }
    unsupported_reasons = {"dns": "limited has no DNS; compose with a DNS driver"}


class DnsARecordsOnly(MemoryProvider):
    name = "a-only"
    features = {**KNOWN_FEATURES, Capability.DNS: frozenset({"A"})}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_parameter_schema_is_valid(operation: str) -> None:
    schema = operation_parameters(operation)
    check(schema)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("rtype", list(ResourceType))
def test_resource_schema_is_complete_for_every_type(memory: Any, rtype: ResourceType) -> None:
    schema = memory.get_resource_schema(f"type:{rtype.value}")
    check(schema.config_schema)
    check(schema.state_schema)
    assert schema.state_schema["properties"]["type"]["const"] == rtype.value
    assert [op.name for op in schema.operations] == list(OPERATIONS_BY_TYPE[rtype])
    for op in schema.operations:
        check(op.parameters)
        info = OPERATIONS[op.name]
        assert (op.read_only, op.destructive, op.idempotent) == (
            info.read_only,
            info.destructive,
            info.idempotent,
        )
    assert all(r.startswith("type:") for r in schema.relationships)
    json.dumps(schema.model_dump(mode="json"))


def test_a_listed_resource_schema_carries_its_id_relationships_and_metrics(memory: Any) -> None:
    memory.deploy_service("api", {"image": "nginx", "port": 80})
    (res,) = memory.list_resources("service")
    schema = memory.get_resource_schema(res.id)
    assert schema.id == res.id
    assert "cpu_utilization" in schema.metrics
    assert {op.name for op in schema.operations} >= {"deploy_service", "get_service_status"}


def test_formats_carry_the_same_tools(memory: Any) -> None:
    wk = tools(memory, "well-known", allow_writes=True)
    oa = tools(memory, "openai", allow_writes=True)
    an = tools(memory, "anthropic", allow_writes=True)
    names = [t["name"] for t in wk["tools"]]
    assert names == [t["function"]["name"] for t in oa] == [t["name"] for t in an]
    assert all(TOOL_NAME.match(n) for n in names)
    for entry in oa:
        assert entry["type"] == "function"
        check(entry["function"]["parameters"])
    for entry in an:
        check(entry["input_schema"])
    for entry in wk["tools"]:
        hints = entry["annotations"]
        info = OPERATIONS[entry["name"]]
        assert hints["readOnlyHint"] is info.read_only
        assert hints["destructiveHint"] is info.destructive
    assert {r["type"] for r in wk["resources"]} == {t.value for t in ResourceType}
    json.dumps([wk, oa, an])
    with pytest.raises(CloudcoreError):
        tools(memory, "yaml")


def test_read_only_by_default_and_no_secret_values(memory: Any) -> None:
    names = {t.name for t in list_tools(memory)}
    assert all(OPERATIONS[n].read_only for n in names)
    assert "get_secret" not in names
    assert "get_secret" in {t.name for t in list_tools(memory, allow_secret_values=True)}
    memory.store_secret("k", "v4lue-never-shown")
    denied = call_tool(memory, "get_secret", {"key": "k"})
    assert denied.error is not None
    assert denied.error["kind"] == "PermissionDenied"
    listed = call_tool(memory, "list_resources", {})
    assert "v4lue-never-shown" not in json.dumps(listed.to_json())
    refused = call_tool(memory, "delete_secret", {"key": "k"})
    assert refused.error is not None
    assert refused.error["kind"] == "PermissionDenied"
    assert memory.list_secrets() == ["k"]


def test_tools_and_schemas_follow_declared_features() -> None:
    with LimitedProvider() as cloud:
        doc = manifest(cloud, allow_writes=True, allow_secret_values=True)
        names = {t["name"] for t in doc["tools"]}
        assert not names & DNS_TOOLS
        assert "get_secret" not in names  # no "read" feature
        assert "list_secret_versions" not in names
        assert "dns" not in doc["capabilities"]
        assert {"dns_zone", "dns_record"}.isdisjoint(r["type"] for r in doc["resources"])
        waf = next(t for t in doc["tools"] if t["name"] == "configure_waf")
        branches = waf["parameters"]["properties"]["rules"]["items"]["oneOf"]
        kinds = {b["properties"]["kind"]["const"] for b in branches}
        assert kinds == {"ip", "rate_limit", "managed"}
        managed = next(b for b in branches if b["properties"]["kind"]["const"] == "managed")
        assert managed["properties"]["set"]["enum"] == ["core"]
        rate = next(b for b in branches if b["properties"]["kind"]["const"] == "rate_limit")
        assert "challenge" not in rate["properties"]["action"]["enum"]
        deploy = next(t for t in doc["tools"] if t["name"] == "deploy_service")
        config = deploy["parameters"]["properties"]["config"]
        assert {"autoscaling", "health_check", "secrets"}.isdisjoint(config["properties"])
        cache = next(t for t in doc["tools"] if t["name"] == "provision_cache")
        assert "tls" not in cache["parameters"]["properties"]["config"]["properties"]
        for tool in doc["tools"]:
            check(tool["parameters"])
    with DnsARecordsOnly() as cloud:
        upsert = next(
            t for t in list_tools(cloud, allow_writes=True) if t.name == "upsert_dns_records"
        )
        record = upsert.parameters["properties"]["records"]["items"]
        assert [b["properties"]["type"]["const"] for b in record["anyOf"]] == ["A"]
        assert all("proxied" not in b["properties"] for b in record["anyOf"])


def _check_dns(cloud: Any) -> None:
    names = {t.name for t in list_tools(cloud, allow_writes=True, allow_secret_values=True)}
    doc = tools(cloud, "well-known", allow_writes=True)
    assert {t["name"] for t in doc["tools"]} <= names
    if cloud.supports(Capability.DNS):
        assert names >= {"list_dns_records", "upsert_dns_records", "delete_dns_record"}
    else:
        assert not names & DNS_TOOLS, names & DNS_TOOLS
        assert not any("dns" in r["type"] for r in doc["resources"])
    for tool in doc["tools"]:
        check(tool["parameters"])
        cap = tool["capability"]
        assert cap is not None
        assert cloud.supports(cap)


@pytest.mark.parametrize("driver", sorted(available_drivers()))
def test_manifest_follows_each_driver_test_target(driver: str) -> None:
    try:
        target = load_test_target(driver)
        context = target()
        cloud = context.__enter__()
    except (CloudcoreError, ImportError, OSError) as exc:
        if driver == "memory":
            raise
        pytest.skip(f"{driver}: test target not available yet ({type(exc).__name__}: {exc})")
    try:
        _check_dns(cloud)
    finally:
        context.__exit__(None, None, None)


def test_composed_provider_without_dns_has_no_dns_tools() -> None:
    with LimitedProvider() as limited, cloudcore.connect("memory") as full:
        composed = cloudcore.connect({"compute": full, "secrets": full, "discovery": limited})
        names = {t.name for t in list_tools(composed, allow_writes=True)}
        assert not names & DNS_TOOLS
        assert {"deploy_service", "store_secret", "list_resources"} <= names
        assert "configure_waf" not in names  # waf not routed
        _check_dns(composed)
    with cloudcore.connect("memory") as full:
        routed = cloudcore.connect({"compute": full, "dns": full})
        assert {"list_dns_records"} <= {t.name for t in list_tools(routed)}


class ImagesOnlyConstrained(MemoryProvider):
    """A driver running images only, with Cloud-Armor-like rate-limit periods."""

    name = "images-only"
    features = {
        **KNOWN_FEATURES,
        Capability.COMPUTE: KNOWN_FEATURES[Capability.COMPUTE] - {"commands"},
    }
    schema_constraints = {"RateLimitRule": {"period_seconds": {"enum": [10, 60, 300]}}}


def test_driver_constraints_and_image_only_compute_shape_the_schema() -> None:
    with ImagesOnlyConstrained() as cloud:
        by_name = {t.name: t for t in list_tools(cloud, allow_writes=True)}
        config = by_name["deploy_service"].parameters["properties"]["config"]
        assert [b["required"] for b in config["anyOf"]] == [["image"]]
        rules = by_name["configure_waf"].parameters["properties"]["rules"]["items"]["oneOf"]
        rate = next(b for b in rules if b["properties"]["kind"]["const"] == "rate_limit")
        assert rate["properties"]["period_seconds"]["enum"] == [10, 60, 300]
        check(by_name["configure_waf"].parameters)
    # the unconstrained schema is untouched (schemas are copied per provider)
    plain = operation_parameters("configure_waf")["properties"]["rules"]["items"]["oneOf"]
    rate = next(b for b in plain if b["properties"]["kind"]["const"] == "rate_limit")
    assert "enum" not in rate["properties"]["period_seconds"]
