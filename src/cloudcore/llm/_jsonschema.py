"""JSON Schema plumbing for :mod:`cloudcore.llm.schemas`: patterns, tightening, inlining, filtering.

Pydantic's schemas of the models leave out what custom validators check (name patterns, DNS value
formats, tag keys...) and use ``$ref``. Here they are made self-contained (every ``$ref`` inlined)
and tightened per model, then filtered by the features a provider declares.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from ..capabilities import Capability
from ..models import ResourceType
from ..models._base import NO_CONTROL_SCHEMA
from ..models.waf import HTTP_METHODS, ISO_3166_ALPHA2

if TYPE_CHECKING:
    from ..protocol import CloudProvider

NAME_PATTERN = r"^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$"
SECRET_KEY_PATTERN = r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_./!-]{0,255}$"
_LABEL = r"(?:\*|_?[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?)"
FQDN_PATTERN = rf"^{_LABEL}(?:\.{_LABEL}){{0,8}}$"
HOST_PATTERN = r"^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.){0,8}[a-z0-9_-]{1,63}$"
ENV_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
TAG_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}$"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_CIDR_PATTERN = rf"^(?:{_OCTET}\.){{3}}{_OCTET}/(?:3[0-2]|[12]?[0-9])$"
_TYPES = "|".join(t.value for t in ResourceType)
RESOURCE_ID_PATTERN = (
    rf"^(?:type:(?:{_TYPES})|cloudcore:[a-z0-9_-]+:[^:\x00-\x1f]*:(?:{_TYPES})/[^\x00-\x1f]+)$"
)

TAGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "propertyNames": {"pattern": TAG_KEY_PATTERN},
    "additionalProperties": {"type": "string", "maxLength": 256, **NO_CONTROL_SCHEMA},
}
ADDRESS_OR_HOST: dict[str, Any] = {
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


def _merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        target[key] = copy.deepcopy(value)


def prop_of(schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    prop = schema.get("properties", {}).get(name)
    return prop if isinstance(prop, dict) else None


def tighten_nullable(prop: dict[str, Any], extra: dict[str, Any]) -> None:
    """Apply ``extra`` to a property, or to the non-null branch of an ``anyOf`` with null."""
    branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"]
    _merge(branches[0] if branches else prop, extra)


def _rule(schema: dict[str, Any]) -> None:
    schema["required"] = sorted({*schema.get("required", []), "kind"})
    name = prop_of(schema, "name")
    if name is not None:
        tighten_nullable(name, {"pattern": NAME_PATTERN})


def _ip_rule(schema: dict[str, Any]) -> None:
    _rule(schema)
    cidrs = prop_of(schema, "cidrs")
    if cidrs is not None:
        cidrs["items"] = copy.deepcopy(_CIDR_SCHEMA)


def _geo_rule(schema: dict[str, Any]) -> None:
    _rule(schema)
    countries = prop_of(schema, "countries")
    if countries is not None:
        countries["items"] = {"type": "string", "enum": sorted(ISO_3166_ALPHA2)}


def _path_rule(schema: dict[str, Any]) -> None:
    _rule(schema)
    methods = prop_of(schema, "methods")
    if methods is not None:
        tighten_nullable(
            methods, {"items": {"type": "string", "enum": sorted(HTTP_METHODS)}, "minItems": 1}
        )


def _named(schema: dict[str, Any]) -> None:
    for field, extra in (("name", {"pattern": NAME_PATTERN}), ("tags", TAGS_SCHEMA)):
        prop = prop_of(schema, field)
        if prop is not None:
            _merge(prop, extra)


def _service(schema: dict[str, Any]) -> None:
    _named(schema)
    for field in ("env", "secrets"):
        prop = prop_of(schema, field)
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
    "TXT": {"type": "string", "minLength": 1, "maxLength": 4000, **NO_CONTROL_SCHEMA},
    "CAA": {"type": "string", "minLength": 1, "maxLength": 1024, **NO_CONTROL_SCHEMA},
}


def _record(schema: dict[str, Any]) -> None:
    """One branch per record type, each with the value format of that type."""
    prop = prop_of(schema, "name")
    if prop is not None:
        _merge(prop, {"pattern": FQDN_PATTERN, "maxLength": 253})
    values = prop_of(schema, "values")
    rtype = prop_of(schema, "type")
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


def _bucket(schema: dict[str, Any]) -> None:
    from ._storage import BUCKET_PATTERN, ORIGIN_PATTERN

    for field, extra in (("name", {"pattern": BUCKET_PATTERN}), ("tags", TAGS_SCHEMA)):
        prop = prop_of(schema, field)
        if prop is not None:
            _merge(prop, extra)
    origins = prop_of(schema, "cors_origins")
    if origins is not None:
        origins["items"] = {"type": "string", "pattern": ORIGIN_PATTERN}


def _lifecycle(schema: dict[str, Any]) -> None:
    from ._storage import PREFIX_PATTERN

    prop = prop_of(schema, "prefix")
    if prop is not None:
        _merge(prop, {"pattern": PREFIX_PATTERN, "maxLength": 1024})


_TIGHTEN: dict[str, Callable[[dict[str, Any]], None]] = {
    "BucketConfig": _bucket,
    "LifecycleRule": _lifecycle,
    "ServiceConfig": _service,
    "DatabaseConfig": _named,
    "CacheConfig": _named,
    "QueueConfig": _named,
    "JobConfig": _named,
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


def self_contained(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.get("$defs", {})
    out: dict[str, Any] = _inline(schema, defs)
    title = out.get("title")
    if isinstance(title, str) and title in _TIGHTEN:
        _TIGHTEN[title](out)
    return out


def _walk(node: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for item in node:
            _walk(item, visit)


def drop_property(schema: dict[str, Any], name: str) -> None:
    schema.get("properties", {}).pop(name, None)
    if name in schema.get("required", []):
        schema["required"] = [r for r in schema["required"] if r != name]


def _kind_of(branch: dict[str, Any]) -> str | None:
    kind = prop_of(branch, "kind")
    return str(kind.get("const")) if kind and "const" in kind else None


def filter_for(schema: dict[str, Any], provider: CloudProvider) -> None:
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
                    drop_property(branch, "proxied")
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
                    drop_property(node, field)
        elif title in ("DatabaseConfig", "CacheConfig"):
            cap = Capability.DATABASE if title == "DatabaseConfig" else Capability.CACHE
            for field in ("high_availability", "tls"):
                if field in node.get("properties", {}) and not has(cap, field):
                    drop_property(node, field)
        elif title == "BucketConfig":
            for field, feature in (
                ("versioning", "versioning"),
                ("public_read", "public"),
                ("lifecycle", "lifecycle"),
                ("cors_origins", "cors"),
            ):
                if not has(Capability.STORAGE, feature):
                    drop_property(node, field)
        elif title == "ManagedRule":
            rset = prop_of(node, "set")
            if rset is not None and "enum" in rset:
                rset["enum"] = [s for s in rset["enum"] if has(Capability.WAF, f"managed:{s}")]
        elif title == "RateLimitRule" and not has(Capability.WAF, "rate_limit:challenge"):
            action = prop_of(node, "action")
            if action is not None and "enum" in action:
                action["enum"] = [a for a in action["enum"] if a != "challenge"]
        elif title == "QueueConfig":
            for field, feature in (("max_receives", "dead_letter"), ("fifo", "fifo")):
                if not has(Capability.QUEUES, feature):
                    drop_property(node, field)
        elif title == "OutgoingMessage" and not has(Capability.QUEUES, "delay"):
            drop_property(node, "delay_seconds")
        for key in ("oneOf", "anyOf"):
            branches = node.get(key)
            kinds = {_kind_of(b) for b in branches} if isinstance(branches, list) else set()
            if kinds and kinds <= {"command", "http"}:
                assert isinstance(branches, list)
                node[key] = [b for b in branches if has(Capability.JOBS, str(_kind_of(b)))]
            elif isinstance(branches, list) and any(_kind_of(b) for b in branches):
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
        prop = prop_of(node, name)
        if prop is not None and isinstance(extra, dict):
            tighten_nullable(prop, extra)


def _managed_sets(provider: CloudProvider) -> bool:
    return provider.supports(Capability.WAF, "managed") and any(
        f.startswith("managed:") for f in provider.features.get(Capability.WAF, frozenset())
    )
