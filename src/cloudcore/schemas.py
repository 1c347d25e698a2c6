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
from collections.abc import Callable
from functools import cache, partial
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
    WAFRule,
    WAFRuleSet,
)
from .models.secrets import SecretVersion
from .models.waf import HTTP_METHODS, ISO_3166_ALPHA2

if TYPE_CHECKING:
    from .protocol import CloudProvider

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

# ------------------------------------------------------------------ patterns
NAME_PATTERN = r"^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$"
SECRET_KEY_PATTERN = r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_./-]{0,255}$"
_LABEL = r"(?:\*|_?[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?)"
FQDN_PATTERN = rf"^{_LABEL}(?:\.{_LABEL}){{0,8}}$"
HOST_PATTERN = r"^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.){0,8}[a-z0-9_-]{1,63}$"
ENV_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
TAG_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}$"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_CIDR_PATTERN = rf"^(?:{_OCTET}\.){{3}}{_OCTET}/(?:3[0-2]|[12]?[0-9])$"
_TYPES = "|".join(t.value for t in ResourceType)
RESOURCE_ID_PATTERN = rf"^(?:type:(?:{_TYPES})|cloudcore:[a-z0-9_-]+:[^:]*:(?:{_TYPES})/.+)$"

_TAGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "propertyNames": {"pattern": TAG_KEY_PATTERN},
    "additionalProperties": {"type": "string", "maxLength": 256},
}
_ADDRESS_OR_HOST: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "ipv4"},
        {"type": "string", "format": "ipv6"},
        {"type": "string", "pattern": HOST_PATTERN, "maxLength": 253},
    ],
    "description": "An IPv4/IPv6 address (A/AAAA record) or a host name (CNAME record)",
}
_CIDR_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "ipv4"},
        {"type": "string", "format": "ipv6"},
        {"type": "string", "pattern": IPV4_CIDR_PATTERN},
    ]
}

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
        str, AfterValidator(_check_host_or_ip), WithJsonSchema(_ADDRESS_OR_HOST)
    ],
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
    ResourceType.WAF_POLICY: ("allowed_requests", "blocked_requests"),
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
}
"""Types a resource of each type may relate to (a database's backups and password secret...)."""

OPERATION_FEATURES: dict[str, tuple[Capability, tuple[str, ...]]] = {
    "get_logs": (Capability.COMPUTE, ("logs",)),
    "backup_database": (Capability.DATABASE, ("backups",)),
    "list_backups": (Capability.DATABASE, ("backups",)),
    "restore_database": (Capability.DATABASE, ("restore",)),
    "get_secret": (Capability.SECRETS, ("read",)),
    "list_secret_versions": (Capability.SECRETS, ("versions",)),
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


def _merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        target[key] = copy.deepcopy(value)


def _prop(schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    prop = schema.get("properties", {}).get(name)
    return prop if isinstance(prop, dict) else None


def _tighten_nullable(prop: dict[str, Any], extra: dict[str, Any]) -> None:
    """Apply ``extra`` to a property, or to the non-null branch of an ``anyOf`` with null."""
    branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"]
    _merge(branches[0] if branches else prop, extra)


def _rule(schema: dict[str, Any]) -> None:
    schema["required"] = sorted({*schema.get("required", []), "kind"})
    name = _prop(schema, "name")
    if name is not None:
        _tighten_nullable(name, {"pattern": NAME_PATTERN})


def _ip_rule(schema: dict[str, Any]) -> None:
    _rule(schema)
    cidrs = _prop(schema, "cidrs")
    if cidrs is not None:
        cidrs["items"] = copy.deepcopy(_CIDR_SCHEMA)


def _geo_rule(schema: dict[str, Any]) -> None:
    _rule(schema)
    countries = _prop(schema, "countries")
    if countries is not None:
        countries["items"] = {"type": "string", "enum": sorted(ISO_3166_ALPHA2)}


def _path_rule(schema: dict[str, Any]) -> None:
    _rule(schema)
    methods = _prop(schema, "methods")
    if methods is not None:
        _tighten_nullable(
            methods, {"items": {"type": "string", "enum": sorted(HTTP_METHODS)}, "minItems": 1}
        )


def _named(schema: dict[str, Any]) -> None:
    for field, extra in (("name", {"pattern": NAME_PATTERN}), ("tags", _TAGS_SCHEMA)):
        prop = _prop(schema, field)
        if prop is not None:
            _merge(prop, extra)


def _service(schema: dict[str, Any]) -> None:
    _named(schema)
    for field in ("env", "secrets"):
        prop = _prop(schema, field)
        if prop is not None:
            prop["propertyNames"] = {"pattern": ENV_PATTERN}
    schema["anyOf"] = [
        {"required": ["image"], "properties": {"image": {"type": "string"}}},
        {"required": ["command"], "properties": {"command": {"type": "array", "minItems": 1}}},
    ]


_HOST = HOST_PATTERN[1:-1]
_PRIORITY = r"(?:[0-9]{1,4}|[1-5][0-9]{4})"
_VALUE_SCHEMAS: dict[str, dict[str, Any]] = {
    "A": {"type": "string", "format": "ipv4"},
    "AAAA": {"type": "string", "format": "ipv6"},
    "CNAME": {"type": "string", "pattern": HOST_PATTERN, "maxLength": 253},
    "NS": {"type": "string", "pattern": HOST_PATTERN, "maxLength": 253},
    "MX": {"type": "string", "pattern": rf"^{_PRIORITY} {_HOST}$", "maxLength": 260},
    "SRV": {
        "type": "string",
        "pattern": rf"^{_PRIORITY} {_PRIORITY} {_PRIORITY} {_HOST}$",
        "maxLength": 280,
    },
    "TXT": {"type": "string", "minLength": 1, "maxLength": 4000},
    "CAA": {"type": "string", "minLength": 1, "maxLength": 1024},
}


def _record(schema: dict[str, Any]) -> None:
    """One branch per record type, each with the value format of that type."""
    prop = _prop(schema, "name")
    if prop is not None:
        _merge(prop, {"pattern": FQDN_PATTERN, "maxLength": 253})
    values = _prop(schema, "values")
    rtype = _prop(schema, "type")
    if values is None or rtype is None:
        return
    values["minItems"] = 1
    values["uniqueItems"] = True
    branches = []
    for kind in rtype.get("enum", []):
        branch = {k: copy.deepcopy(v) for k, v in schema.items() if k not in ("title",)}
        branch["properties"]["type"] = {"const": kind, "type": "string"}
        branch_values = branch["properties"]["values"]
        branch_values["items"] = copy.deepcopy(_VALUE_SCHEMAS.get(kind, {"type": "string"}))
        if kind == "CNAME":
            branch_values["maxItems"] = 1
        branches.append(branch)
    for key in ("properties", "required", "additionalProperties", "type"):
        schema.pop(key, None)
    schema["anyOf"] = branches


_TIGHTEN: dict[str, Callable[[dict[str, Any]], None]] = {
    "ServiceConfig": _service,
    "DatabaseConfig": _named,
    "CacheConfig": _named,
    "DNSRecord": _record,
    "IPRule": _ip_rule,
    "GeoRule": _geo_rule,
    "PathRule": _path_rule,
    "RateLimitRule": _rule,
    "ManagedRule": _rule,
}


def _inline(node: Any, defs: dict[str, Any], depth: int = 0) -> Any:
    """Replace every ``$ref`` into ``$defs`` by a tightened copy of its target."""
    if depth > 32:
        raise ValueError("schema nests too deeply (recursive model?)")
    if isinstance(node, list):
        return [_inline(item, defs, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        target = _inline(copy.deepcopy(defs[name]), defs, depth + 1)
        if name in _TIGHTEN:
            _TIGHTEN[name](target)
        rest = {k: _inline(v, defs, depth + 1) for k, v in node.items() if k != "$ref"}
        return {**target, **rest}
    out = {k: _inline(v, defs, depth + 1) for k, v in node.items() if k not in ("$defs",)}
    if "discriminator" in out and isinstance(out["discriminator"], dict):
        out.pop("discriminator")  # an OpenAPI keyword; its mapping points at inlined $defs
    if out.get("type") == "array":  # pydantic puts a tuple's min_length as minLength
        for src, dst in (("minLength", "minItems"), ("maxLength", "maxItems")):
            if src in out:
                out[dst] = out.pop(src)
    return out


def _self_contained(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.get("$defs", {})
    out: dict[str, Any] = _inline(schema, defs)
    title = out.get("title")
    if isinstance(title, str) and title in _TIGHTEN:
        _TIGHTEN[title](out)
    return out


@cache
def parameters_model(operation: str) -> type[BaseModel]:
    """The pydantic model of an operation's parameters: the schema's twin, used to validate
    and convert JSON arguments (tool calls) into what the protocol method takes."""
    from .protocol import CloudProvider

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
    out = _self_contained(schema)
    out.pop("title", None)
    out["description"] = OPERATIONS[operation].summary
    tags = _prop(out, "tags")
    if tags is not None:
        _tighten_nullable(tags, _TAGS_SCHEMA)
    return out


def operation_parameters(operation: str) -> dict[str, Any]:
    """JSON Schema (an object schema, no ``$ref``) of an operation's parameters, unfiltered."""
    return copy.deepcopy(_parameters(operation))


# ------------------------------------------------------- feature filtering


def _walk(node: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for item in node:
            _walk(item, visit)


def _drop_property(schema: dict[str, Any], name: str) -> None:
    schema.get("properties", {}).pop(name, None)
    if name in schema.get("required", []):
        schema["required"] = [r for r in schema["required"] if r != name]


def _kind_of(branch: dict[str, Any]) -> str | None:
    kind = _prop(branch, "kind")
    return str(kind.get("const")) if kind and "const" in kind else None


def _filter(schema: dict[str, Any], provider: CloudProvider) -> None:
    def has(cap: Capability, feature: str) -> bool:
        return provider.supports(cap, feature)

    def visit(node: dict[str, Any]) -> None:
        title = node.get("title")
        if title == "DNSRecord":
            node["anyOf"] = [
                b
                for b in node.get("anyOf", [])
                if has(Capability.DNS, str(b["properties"]["type"]["const"]))
            ]
            for branch in node["anyOf"]:
                if not has(Capability.DNS, "proxied"):
                    _drop_property(branch, "proxied")
        elif title == "ServiceConfig":
            # image only needs "images", command only needs "commands" (BaseProvider rules)
            need = {"image": "images", "command": "commands"}
            node["anyOf"] = [
                b for b in node.get("anyOf", []) if has(Capability.COMPUTE, need[b["required"][0]])
            ] or node.get("anyOf", [])
            for field, feature in (
                ("autoscaling", "autoscaling"),
                ("health_check", "health_check"),
                ("secrets", "secrets_env"),
            ):
                if not has(Capability.COMPUTE, feature):
                    _drop_property(node, field)
        elif title in ("DatabaseConfig", "CacheConfig"):
            cap = Capability.DATABASE if title == "DatabaseConfig" else Capability.CACHE
            for field in ("high_availability", "tls"):
                if field in node.get("properties", {}) and not has(cap, field):
                    _drop_property(node, field)
        elif title == "ManagedRule":
            rset = _prop(node, "set")
            if rset is not None and "enum" in rset:
                rset["enum"] = [s for s in rset["enum"] if has(Capability.WAF, f"managed:{s}")]
        elif title == "RateLimitRule" and not has(Capability.WAF, "rate_limit:challenge"):
            action = _prop(node, "action")
            if action is not None and "enum" in action:
                action["enum"] = [a for a in action["enum"] if a != "challenge"]
        for key in ("oneOf", "anyOf"):
            branches = node.get(key)
            if isinstance(branches, list) and any(_kind_of(b) for b in branches):
                node[key] = [
                    b
                    for b in branches
                    if (kind := _kind_of(b)) is None
                    or (has(Capability.WAF, kind) and kind != "managed")
                    or (kind == "managed" and _managed_sets(provider))
                ]

    _walk(schema, visit)
    constraints = getattr(provider, "schema_constraints", None)
    if isinstance(constraints, dict) and constraints:
        _walk(schema, partial(_constrain, constraints))


def _constrain(constraints: dict[str, Any], node: dict[str, Any]) -> None:
    """Merge a driver's extra constraints (``{model title: {field: JSON Schema}}``)."""
    fields = constraints.get(str(node.get("title")))
    if not isinstance(fields, dict):
        return
    for name, extra in fields.items():
        prop = _prop(node, name)
        if prop is not None and isinstance(extra, dict):
            _tighten_nullable(prop, extra)


def _managed_sets(provider: CloudProvider) -> bool:
    return provider.supports(Capability.WAF, "managed") and any(
        f.startswith("managed:") for f in provider.features.get(Capability.WAF, frozenset())
    )


def tool_parameters(provider: CloudProvider, operation: str) -> dict[str, Any]:
    """An operation's parameter schema as offered by ``provider``: only declared features."""
    schema = operation_parameters(operation)
    if operation == "get_secret" and not provider.supports(Capability.SECRETS, "versions"):
        _drop_property(schema, "version")
    _filter(schema, provider)
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
    return _self_contained(CONFIG_MODELS[rtype].model_json_schema())


def config_schema(rtype: ResourceType | str) -> dict[str, Any]:
    """JSON Schema of a resource type's configuration (never a secret value)."""
    return copy.deepcopy(_config_schema(ResourceType(rtype)))


@cache
def _state_schema(rtype: ResourceType) -> dict[str, Any]:
    schema = _self_contained(Resource.model_json_schema())
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
