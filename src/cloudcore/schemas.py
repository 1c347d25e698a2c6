"""Schemas generated from the protocol itself: operation parameters, resource configs and state.

Parameter schemas come from the type annotations of :class:`~cloudcore.protocol.CloudProvider`'s
methods (through pydantic), so they always match what the methods accept.
"""

from __future__ import annotations

import inspect
from functools import cache
from typing import TYPE_CHECKING, Any, get_type_hints

from pydantic import BaseModel, ConfigDict, SecretStr, create_model

from .capabilities import OPERATIONS, Capability, OperationInfo
from .models import (
    BackupRef,
    CacheConfig,
    DatabaseConfig,
    DNSRecord,
    OperationSchema,
    Resource,
    ResourceSchema,
    ResourceType,
    ServiceConfig,
    WAFRuleSet,
)
from .models.secrets import SecretVersion

if TYPE_CHECKING:
    from .protocol import CloudProvider

__all__ = [
    "OPERATIONS_BY_TYPE",
    "operation_parameters",
    "operation_schema",
    "resource_schema",
    "type_schema",
]


class _ZoneConfig(BaseModel):
    """A DNS zone as cloudcore sees it: its apex name."""

    name: str


CONFIG_MODELS: dict[ResourceType, type[BaseModel]] = {
    ResourceType.SERVICE: ServiceConfig,
    ResourceType.DATABASE: DatabaseConfig,
    ResourceType.BACKUP: BackupRef,
    ResourceType.CACHE: CacheConfig,
    ResourceType.DNS_ZONE: _ZoneConfig,
    ResourceType.DNS_RECORD: DNSRecord,
    ResourceType.WAF_POLICY: WAFRuleSet,
    ResourceType.SECRET: SecretVersion,
}
"""The model describing each resource type's configuration (a secret's never has its value)."""

OPERATIONS_BY_TYPE: dict[ResourceType, tuple[str, ...]] = {
    ResourceType.SERVICE: (
        "get_service_status",
        "scale_service",
        "deploy_service",
        "get_logs",
        "delete_service",
    ),
    ResourceType.DATABASE: (
        "backup_database",
        "list_backups",
        "provision_database",
        "delete_database",
    ),
    ResourceType.BACKUP: ("restore_database",),
    ResourceType.CACHE: ("provision_cache", "delete_cache"),
    ResourceType.DNS_ZONE: ("list_dns_records", "upsert_dns_records", "create_dns_record"),
    ResourceType.DNS_RECORD: ("upsert_dns_records", "delete_dns_record"),
    ResourceType.WAF_POLICY: ("get_waf_rules", "configure_waf"),
    ResourceType.SECRET: (
        "get_secret",
        "store_secret",
        "list_secret_versions",
        "delete_secret",
    ),
}
"""Protocol operations that apply to each resource type."""

METRICS_BY_TYPE: dict[ResourceType, tuple[str, ...]] = {
    ResourceType.SERVICE: ("cpu_utilization", "memory_utilization", "running_replicas"),
    ResourceType.DATABASE: ("cpu_utilization", "connections", "free_storage_bytes"),
    ResourceType.CACHE: ("cpu_utilization", "memory_usage_bytes", "connections"),
}


@cache
def operation_parameters(operation: str) -> dict[str, Any]:
    """JSON Schema (an object schema) of an operation's parameters, from its signature."""
    from .protocol import CloudProvider

    method = getattr(CloudProvider, operation)
    hints = get_type_hints(method)
    fields: dict[str, Any] = {}
    for pname, param in inspect.signature(method).parameters.items():
        if pname == "self":
            continue
        annotation = hints[pname]
        if annotation is SecretStr or annotation == (str | SecretStr):
            annotation = str
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[pname] = (annotation, default)
    model = create_model(f"{operation}_parameters", __config__=ConfigDict(extra="forbid"), **fields)
    schema: dict[str, Any] = model.model_json_schema()
    schema.pop("title", None)
    schema["description"] = OPERATIONS[operation].summary
    return schema


def operation_schema(info: OperationInfo) -> OperationSchema:
    """The :class:`OperationSchema` of one protocol operation."""
    return OperationSchema(
        name=info.name,
        description=info.summary,
        parameters=operation_parameters(info.name),
        read_only=info.read_only,
        destructive=info.destructive,
        idempotent=info.idempotent,
    )


def _operations(provider: CloudProvider, rtype: ResourceType) -> tuple[OperationSchema, ...]:
    ops = []
    for op in OPERATIONS_BY_TYPE[rtype]:
        info = OPERATIONS[op]
        if info.capability is None or not provider.supports(info.capability):
            continue
        if op == "get_secret" and not provider.supports(Capability.SECRETS, "read"):
            continue
        if op == "get_logs" and not provider.supports(Capability.COMPUTE, "logs"):
            continue
        ops.append(operation_schema(info))
    return tuple(ops)


@cache
def _config_schema(rtype: ResourceType) -> dict[str, Any]:
    return CONFIG_MODELS[rtype].model_json_schema()


@cache
def _state_schema() -> dict[str, Any]:
    return Resource.model_json_schema()


def type_schema(provider: CloudProvider, rtype: ResourceType) -> ResourceSchema:
    """The schema of a resource type on ``provider`` (no particular resource)."""
    return ResourceSchema(
        id=f"type:{rtype.value}",
        type=rtype,
        provider=provider.name,
        config_schema=_config_schema(rtype),
        state_schema=_state_schema(),
        operations=_operations(provider, rtype),
        metrics=METRICS_BY_TYPE.get(rtype, ()),
    )


def resource_schema(provider: CloudProvider, resource: Resource) -> ResourceSchema:
    """The schema of one listed resource: its type's schema plus its relationships/metrics."""
    base = type_schema(provider, resource.type)
    return base.model_copy(
        update={
            "id": resource.id,
            "relationships": resource.relationships,
            "metrics": resource.metrics or base.metrics,
        }
    )
