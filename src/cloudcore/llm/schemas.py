"""Schemas generated from the protocol itself: operation parameters, resource configs and state.

Parameter schemas come from the type annotations of :class:`~cloudcore.protocol.CloudProvider`'s
methods (through pydantic), tightened with the checks :class:`~cloudcore.provider.BaseProvider`
applies (name patterns, bounds), so a value the schema accepts is a value the provider accepts,
up to the few cross-field rules listed in :data:`SEMANTIC_RULES`. Every schema here is
self-contained (no ``$ref``) and valid against its JSON Schema meta-schema (draft 2020-12).

Schemas are filtered by what a provider declares: an operation is offered only when its
capability and the features it needs are declared (:func:`operation_available`), and its
parameter schema only offers declared features (DNS record types, ``proxied``, WAF rule kinds and
managed sets, secret versions, service images/commands/autoscaling/health checks/secret
references).

A driver whose service accepts less than the portable models allow can say so as data, and its
tool schemas follow: a class attribute ``schema_constraints`` mapping a model name to extra JSON
Schema per field, e.g. ``{"RateLimitRule": {"period_seconds": {"enum": [10, 60, 300]}}}`` (merged
into the non-null branch of the field's schema). Without it, such a driver answers a value it
cannot take with a ``ConfigurationError`` naming what it accepts.
"""

from __future__ import annotations

import copy
import inspect
import ipaddress
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    WithJsonSchema,
    create_model,
)

from ..capabilities import OPERATIONS, Capability, OperationInfo
from ..models import (
    BackupRef,
    CacheConfig,
    DatabaseConfig,
    DNSRecord,
    OperationSchema,
    Resource,
    ResourceSchema,
    ResourceType,
    ServiceConfig,
    WAFRule,
    WAFRuleSet,
)
from ..models.jobs import JobConfig
from ..models.queues import QueueConfig
from ..models.secrets import SecretVersion
from ..models.storage import BucketConfig
from ._jsonschema import (
    ADDRESS_OR_HOST,
    FQDN_PATTERN,
    NAME_PATTERN,
    RESOURCE_ID_PATTERN,
    SECRET_KEY_PATTERN,
    TAGS_SCHEMA,
    drop_property,
    filter_for,
    prop_of,
    self_contained,
    tighten_nullable,
)
from ._storage import STORAGE_PARAM_TYPES

if TYPE_CHECKING:
    from ..protocol import CloudProvider

__all__ = [
    "METRICS_BY_TYPE",
    "OPERATIONS_BY_TYPE",
    "OPERATION_FEATURES",
    "RELATIONSHIPS_BY_TYPE",
    "SEMANTIC_RULES",
    "applicable_types",
    "config_schema",
    "operation_available",
    "operation_parameters",
    "operation_schema",
    "parameters_model",
    "resource_schema",
    "state_schema",
    "tool_parameters",
    "type_schema",
]

SEMANTIC_RULES: dict[str, str] = {
    "give an image, a command, or both": "a service needs an image or a command",
    "timeout_seconds must not exceed interval_seconds": "health check timeout <= interval",
    "exceeds max_replicas": "autoscaling min_replicas <= max_replicas",
    "outside autoscaling bounds": "replicas within the autoscaling bounds",
    "both in env and secrets": "a variable is either plain env or a secret reference",
    "duplicate rule names": "WAF rule names are unique",
    "duplicate record sets": "one record set per name and type in a batch",
    "duplicate values": "record values are unique",
    "a CNAME has exactly one value": "a CNAME has exactly one value",
    "is not an IPv4 address": "A values are IPv4 addresses",
    "is not an IPv6 address": "AAAA values are IPv6 addresses",
    "is not a host name": "CNAME/NS values are host names",
    "must be 'PRIORITY HOST'": "MX values are 'PRIORITY HOST'",
    "must be 'PRIORITY WEIGHT PORT TARGET'": "SRV values are 'PRIORITY WEIGHT PORT TARGET'",
    "TXT value longer than": "TXT values are at most 4000 characters",
    "larger than": "secret values are at most 64 KiB once UTF-8 encoded",
    "1024 bytes": "object keys and prefixes are at most 1,024 bytes once UTF-8 encoded",
    "bytes of keys and values": "object metadata is at most 2,048 bytes of keys and values",
    "noncurrent_expire_days needs versioning": "noncurrent expiry needs a versioned bucket",
    "only a PUT URL signs a content type": "presign takes a content_type only for method PUT",
}
"""Cross-field rules a JSON Schema here does not express, keyed by a fragment of the
:class:`~cloudcore.errors.ConfigurationError` message that reports them. Values an agent builds
from a schema can still break these; the provider then answers with that error before any
network call."""

# --------------------------------------------------------- types and tables


def _check_host_or_ip(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not value or len(value) > 253:
            raise ValueError("must be an IP address or a host name") from None
    return value


_NameParam = Annotated[
    str, Field(pattern=NAME_PATTERN, description="cloudcore name: lowercase DNS-label style")
]
_FqdnParam = Annotated[str, Field(pattern=FQDN_PATTERN, max_length=253)]
_PARAM_TYPES: dict[str, Any] = {
    "name": _NameParam,
    "queue": _NameParam,
    "dead_letter_queue": _NameParam,
    "new_name": _NameParam,
    "replicas": Annotated[int, Field(ge=0, le=1000)],
    "limit": Annotated[int, Field(ge=1, le=10_000)],
    "since": AwareDatetime | None,
    "key": Annotated[
        str, Field(pattern=SECRET_KEY_PATTERN, max_length=256, description="secret name")
    ],
    "value": Annotated[str, Field(min_length=1, max_length=16_384)],
    "version": Annotated[str, Field(min_length=1)] | None,
    "zone": _FqdnParam,
    "domain": _FqdnParam,
    "ttl": Annotated[int, Field(ge=1, le=2_147_483_647)],
    "id": Annotated[str, Field(pattern=RESOURCE_ID_PATTERN)],
    "backup": Annotated[str, Field(min_length=1, max_length=512)] | BackupRef,
    "records": list[DNSRecord],
    "type": ResourceType | None,
    "rules": list[WAFRule],
}
_OP_PARAM_TYPES: dict[tuple[str, str], Any] = {
    ("create_dns_record", "target"): Annotated[
        str, AfterValidator(_check_host_or_ip), WithJsonSchema(ADDRESS_OR_HOST)
    ],
    **STORAGE_PARAM_TYPES,  # "key" is an object key there, "name" a bucket name
}


class _ZoneConfig(BaseModel):
    """A DNS zone as cloudcore sees it: its apex name."""

    name: Annotated[str, Field(pattern=FQDN_PATTERN, max_length=253)]


CONFIG_MODELS: dict[ResourceType, type[BaseModel]] = {
    ResourceType.SERVICE: ServiceConfig,
    ResourceType.DATABASE: DatabaseConfig,
    ResourceType.BACKUP: BackupRef,
    ResourceType.CACHE: CacheConfig,
    ResourceType.DNS_ZONE: _ZoneConfig,
    ResourceType.DNS_RECORD: DNSRecord,
    ResourceType.WAF_POLICY: WAFRuleSet,
    ResourceType.SECRET: SecretVersion,
    ResourceType.BUCKET: BucketConfig,
    ResourceType.QUEUE: QueueConfig,
    ResourceType.JOB: JobConfig,
}
"""The model describing each resource type's configuration (a secret's never has its value)."""

OPERATIONS_BY_TYPE: dict[ResourceType, tuple[str, ...]] = {
    ResourceType.SERVICE: (
        "get_service_status",
        "get_service_config",
        "scale_service",
        "deploy_service",
        "get_logs",
        "delete_service",
    ),
    ResourceType.DATABASE: (
        "get_database",
        "backup_database",
        "list_backups",
        "provision_database",
        "delete_database",
    ),
    ResourceType.BACKUP: ("restore_database",),
    ResourceType.CACHE: ("get_cache", "provision_cache", "delete_cache"),
    ResourceType.DNS_ZONE: ("list_dns_records", "upsert_dns_records", "create_dns_record"),
    ResourceType.DNS_RECORD: ("upsert_dns_records", "delete_dns_record"),
    ResourceType.WAF_POLICY: ("get_waf_rules", "configure_waf"),
    ResourceType.SECRET: (
        "get_secret",
        "store_secret",
        "list_secret_versions",
        "delete_secret",
    ),
    ResourceType.BUCKET: (  # download_object is no tool: it writes a local file
        "get_bucket",
        "list_objects",
        "head_object",
        "get_object",
        "put_object",
        "copy_object",
        "delete_object",
        "presign",
        "create_bucket",
        "delete_bucket",
    ),
    ResourceType.QUEUE: ("get_queue", "queue_stats", "create_queue", "purge_queue", "delete_queue"),
    ResourceType.JOB: ("get_job", "list_job_runs", "schedule_job", "run_job", "delete_job"),
}
"""Protocol operations that apply to each resource type."""

METRICS_BY_TYPE: dict[ResourceType, tuple[str, ...]] = {
    ResourceType.SERVICE: ("cpu_utilization", "memory_utilization", "running_replicas"),
    ResourceType.DATABASE: ("cpu_utilization", "connections", "free_storage_bytes"),
    ResourceType.CACHE: ("cpu_utilization", "memory_usage_bytes", "connections"),
    ResourceType.WAF_POLICY: ("allowed_requests", "blocked_requests"),
    ResourceType.QUEUE: ("visible_messages", "in_flight_messages", "oldest_message_age_seconds"),
}
"""Portable metric names per resource type (drivers list what they really offer per resource)."""

RELATIONSHIPS_BY_TYPE: dict[ResourceType, tuple[ResourceType, ...]] = {
    ResourceType.SERVICE: (ResourceType.SECRET,),
    ResourceType.DATABASE: (ResourceType.BACKUP, ResourceType.SECRET),
    ResourceType.BACKUP: (ResourceType.DATABASE,),
    ResourceType.CACHE: (ResourceType.SECRET,),
    ResourceType.DNS_ZONE: (ResourceType.DNS_RECORD,),
    ResourceType.DNS_RECORD: (ResourceType.DNS_ZONE,),
    ResourceType.WAF_POLICY: (),
    ResourceType.SECRET: (),
    ResourceType.BUCKET: (),
    ResourceType.QUEUE: (ResourceType.QUEUE,),  # its dead-letter queue, or the queue it serves
    ResourceType.JOB: (),
}
"""Types a resource of each type may relate to (a database's backups and password secret...)."""

OPERATION_FEATURES: dict[str, tuple[Capability, tuple[str, ...]]] = {
    "get_logs": (Capability.COMPUTE, ("logs",)),
    "backup_database": (Capability.DATABASE, ("backups",)),
    "list_backups": (Capability.DATABASE, ("backups",)),
    "restore_database": (Capability.DATABASE, ("restore",)),
    "get_secret": (Capability.SECRETS, ("read",)),
    "list_secret_versions": (Capability.SECRETS, ("versions",)),
    "presign": (Capability.STORAGE, ("presign",)),
    "redrive": (Capability.QUEUES, ("dead_letter", "redrive")),
    "run_job": (Capability.JOBS, ("run_now",)),
    "list_job_runs": (Capability.JOBS, ("runs",)),
}
"""Features an operation needs beyond its capability (the core raises Unsupported without)."""


def operation_available(provider: CloudProvider, operation: str) -> bool:
    """Whether ``provider`` declares what ``operation`` needs (capability and features)."""
    info = OPERATIONS[operation]
    if info.capability is None or not provider.supports(info.capability):
        return False
    cap, feats = OPERATION_FEATURES.get(operation, (info.capability, ()))
    if not all(provider.supports(cap, f) for f in feats):
        return False
    if operation == "create_dns_record":
        return any(provider.supports(Capability.DNS, t) for t in ("A", "AAAA", "CNAME"))
    return True


# ------------------------------------------------------------- JSON Schema


@cache
def parameters_model(operation: str) -> type[BaseModel]:
    """The pydantic model of an operation's parameters: the schema's twin, used to validate
    and convert JSON arguments (tool calls) into what the protocol method takes."""
    from ..protocol import CloudProvider

    method = getattr(CloudProvider, operation)
    hints = get_type_hints(method)
    fields: dict[str, Any] = {}
    for pname, param in inspect.signature(method).parameters.items():
        if pname == "self":
            continue
        annotation = _OP_PARAM_TYPES.get((operation, pname)) or _PARAM_TYPES.get(pname)
        if annotation is None:
            annotation = hints[pname]
            if annotation is SecretStr or annotation == (str | SecretStr):
                annotation = str
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[pname] = (annotation, default)
    config = ConfigDict(extra="forbid", regex_engine="python-re")
    model: type[BaseModel] = create_model(
        f"{operation}_parameters",
        __config__=config,
        **fields,
    )
    return model


@cache
def _parameters(operation: str) -> dict[str, Any]:
    schema = parameters_model(operation).model_json_schema()
    out = self_contained(schema)
    out.pop("title", None)
    out["description"] = OPERATIONS[operation].summary
    tags = prop_of(out, "tags")
    if tags is not None:
        tighten_nullable(tags, TAGS_SCHEMA)
    return out


def operation_parameters(operation: str) -> dict[str, Any]:
    """JSON Schema (an object schema, no ``$ref``) of an operation's parameters, unfiltered."""
    return copy.deepcopy(_parameters(operation))


# ------------------------------------------------------- feature filtering


def tool_parameters(provider: CloudProvider, operation: str) -> dict[str, Any]:
    """An operation's parameter schema as offered by ``provider``: only declared features."""
    schema = operation_parameters(operation)
    if operation == "get_secret" and not provider.supports(Capability.SECRETS, "versions"):
        drop_property(schema, "version")
    versioned_reads = ("get_object", "head_object", "delete_object")
    if operation in versioned_reads and not provider.supports(Capability.STORAGE, "versioning"):
        drop_property(schema, "version")
    filter_for(schema, provider)
    return schema


# ------------------------------------------------------ resource schemas


def operation_schema(info: OperationInfo, provider: CloudProvider | None = None) -> OperationSchema:
    """The :class:`OperationSchema` of one protocol operation (filtered for ``provider``)."""
    params = tool_parameters(provider, info.name) if provider else operation_parameters(info.name)
    return OperationSchema(
        name=info.name,
        description=info.summary,
        parameters=params,
        read_only=info.read_only,
        destructive=info.destructive,
        idempotent=info.idempotent,
    )


def _operations(provider: CloudProvider, rtype: ResourceType) -> tuple[OperationSchema, ...]:
    return tuple(
        operation_schema(OPERATIONS[op], provider)
        for op in OPERATIONS_BY_TYPE[rtype]
        if operation_available(provider, op)
    )


@cache
def _config_schema(rtype: ResourceType) -> dict[str, Any]:
    return self_contained(CONFIG_MODELS[rtype].model_json_schema())


def config_schema(rtype: ResourceType | str) -> dict[str, Any]:
    """JSON Schema of a resource type's configuration (never a secret value)."""
    return copy.deepcopy(_config_schema(ResourceType(rtype)))


@cache
def _state_schema(rtype: ResourceType) -> dict[str, Any]:
    schema = self_contained(Resource.model_json_schema())
    schema["properties"]["type"] = {"const": rtype.value, "type": "string"}
    schema["description"] = f"A {rtype.value} as discovery lists it (never a secret value)."
    return schema


def state_schema(rtype: ResourceType | str) -> dict[str, Any]:
    """JSON Schema of a listed resource of this type (the ``Resource`` model, type fixed)."""
    return copy.deepcopy(_state_schema(ResourceType(rtype)))


def type_schema(provider: CloudProvider, rtype: ResourceType) -> ResourceSchema:
    """The schema of a resource type on ``provider`` (no particular resource)."""
    return ResourceSchema(
        id=f"type:{rtype.value}",
        type=rtype,
        provider=provider.name,
        config_schema=config_schema(rtype),
        state_schema=state_schema(rtype),
        operations=_operations(provider, rtype),
        relationships=tuple(f"type:{t.value}" for t in RELATIONSHIPS_BY_TYPE[rtype]),
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


def applicable_types(provider: CloudProvider) -> list[ResourceType]:
    """Resource types ``provider`` can hold (those with at least one available operation)."""
    return [
        t
        for t in ResourceType
        if any(operation_available(provider, op) for op in OPERATIONS_BY_TYPE[t])
    ]
