"""AI tool manifests generated from the protocol, and one way to run a tool call.

Every protocol operation a provider supports (capability *and* features, see
:func:`cloudcore.llm.schemas.operation_available`) becomes one tool named after the method, with its
parameter schema (:func:`cloudcore.llm.schemas.tool_parameters`) and its hints from
:data:`cloudcore.OPERATIONS`: read-only, destructive, idempotent. Safety defaults:

* write tools (anything not read-only) are left out unless ``allow_writes=True``;
* ``get_secret`` is left out unless ``allow_secret_values=True``; no other tool ever returns a
  secret value (listings carry names, endpoints name the secret holding a password);
* object content goes in and out of tools as text or base64, never as a local path:
  ``put_object`` takes ``{"text": ...}`` or ``{"base64": ...}``, and ``download_object`` (which
  writes a file on the server) is never a tool (:mod:`cloudcore.llm._storage`). ``presign`` is a
  write: a URL it returns grants access to anyone holding it.

Formats (:func:`tools`):

* ``"well-known"``: the ``/.well-known/ai-tools.json`` document (see ``docs/agents.md``)::

      {"schema_version": "1.0", "name": "cloudcore", "description": ..., "provider": {...},
       "capabilities": {"compute": ["autoscaling", ...], ...},
       "tools": [{"name", "description", "parameters", "annotations", "capability"}],
       "resources": [{"type", "id", "config_schema", "state_schema", "operations",
                      "relationships", "metrics"}],
       "safety": {"allow_writes": false, "allow_secret_values": false}}

* ``"openai"``: ``[{"type": "function", "function": {"name", "description", "parameters"}}]``
* ``"anthropic"``: ``[{"name", "description", "input_schema"}]``

:func:`call_tool` runs one tool call with JSON arguments against a provider, as the MCP server
does: arguments are validated against the same model the schema came from, the result is plain
JSON, and a failure comes back as ``{"kind": "NotFound", "message": ...}``, never raised.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, SecretStr, ValidationError

from ..capabilities import OPERATIONS, Capability, OperationInfo
from ..errors import CloudcoreError, ConfigurationError, PermissionDenied, Unsupported
from ._storage import NOT_TOOLS as _STORAGE_NOT_TOOLS
from ._storage import object_for_tool, objects_for_tool
from .schemas import (
    SEMANTIC_RULES,
    applicable_types,
    operation_available,
    parameters_model,
    tool_parameters,
    type_schema,
)

if TYPE_CHECKING:
    from ..protocol import CloudProvider

NOT_YET_TOOLS = frozenset(
    name
    for name, info in OPERATIONS.items()
    if info.capability in (Capability.QUEUES, Capability.JOBS)
)
"""Queue and job operations are not tools yet: message bodies are bytes, which a tool carries
only as ``{"text"}``/``{"base64"}`` content (as ``put_object`` does), and their parameter
schemas must first say exactly what the models check (cron subset, receipts)."""
NOT_TOOLS = _STORAGE_NOT_TOOLS | NOT_YET_TOOLS

__all__ = [
    "SCHEMA_VERSION",
    "Tool",
    "ToolResult",
    "call_tool",
    "list_tools",
    "manifest",
    "tools",
]

SCHEMA_VERSION = "1.0"
"""Version of the ``well-known`` manifest layout."""

Format = Literal["well-known", "openai", "anthropic"]
FORMATS: tuple[str, ...] = ("well-known", "openai", "anthropic")

_RULES_BY_OPERATION: dict[str, tuple[str, ...]] = {
    "deploy_service": (
        "a service needs an image or a command",
        "health check timeout <= interval",
        "autoscaling min_replicas <= max_replicas",
        "replicas within the autoscaling bounds",
        "a variable is either plain env or a secret reference",
    ),
    "upsert_dns_records": (
        "one record set per name and type in a batch",
        "A values are IPv4 addresses, AAAA values IPv6, CNAME/NS values host names",
        "a CNAME has exactly one value",
    ),
    "configure_waf": ("WAF rule names are unique",),
    "create_bucket": ("noncurrent expiry needs a versioned bucket",),
    "put_object": ("object metadata is at most 2,048 bytes of keys and values",),
    "presign": ("presign takes a content_type only for method PUT",),
}


@dataclass(frozen=True)
class Tool:
    """One generated tool.

    Attributes:
        name: Tool name (the protocol method name).
        description: What it does, its hints in words, and rules the schema cannot express.
        parameters: JSON Schema of its arguments (an object schema, self-contained).
        info: The operation's entry in :data:`cloudcore.OPERATIONS`.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    info: OperationInfo

    @property
    def annotations(self) -> dict[str, Any]:
        """MCP-style hints: ``readOnlyHint``, ``destructiveHint``, ``idempotentHint``..."""
        return {
            "title": self.name.replace("_", " ").capitalize(),
            "readOnlyHint": self.info.read_only,
            "destructiveHint": self.info.destructive,
            "idempotentHint": self.info.read_only or self.info.idempotent,
            "openWorldHint": True,
        }


def _describe(info: OperationInfo, provider: CloudProvider) -> str:
    if info.read_only:
        hint = "Read-only."
    elif info.destructive:
        hint = "Writes; DESTRUCTIVE (may delete or overwrite data)."
    else:
        hint = "Writes; additive."
    if not info.read_only:
        hint += " Idempotent: repeating it changes nothing." if info.idempotent else ""
        hint += "" if info.idempotent else " Not idempotent: each call has an effect."
    rules = _RULES_BY_OPERATION.get(info.name, ())
    extra = f" Rules: {'; '.join(rules)}." if rules else ""
    cap = info.capability.value if info.capability else "meta"
    return f"{info.summary} ({cap}, on {provider.name}). {hint}{extra}"


def list_tools(
    provider: CloudProvider, *, allow_writes: bool = False, allow_secret_values: bool = False
) -> list[Tool]:
    """The tools ``provider`` supports, filtered by its capabilities, features and the flags.

    Args:
        provider: A connected provider (or composition).
        allow_writes: Include tools that change anything (deploy, delete, store...).
        allow_secret_values: Include ``get_secret``, which returns a secret's value.
    """
    out = []
    for name, info in OPERATIONS.items():
        if name in NOT_TOOLS or not operation_available(provider, name):
            continue
        if not allow_writes and not info.read_only:
            continue
        if name == "get_secret" and not allow_secret_values:
            continue
        out.append(Tool(name, _describe(info, provider), tool_parameters(provider, name), info))
    return out


def _features(provider: CloudProvider) -> dict[str, list[str]]:
    return {
        cap.value: sorted(provider.features.get(cap, frozenset()))
        for cap in sorted(provider.capabilities)
    }


def manifest(
    provider: CloudProvider, *, allow_writes: bool = False, allow_secret_values: bool = False
) -> dict[str, Any]:
    """The ``/.well-known/ai-tools.json`` document for ``provider`` (see the module docs)."""
    found = list_tools(provider, allow_writes=allow_writes, allow_secret_values=allow_secret_values)
    offered = {t.name for t in found}
    resources = []
    for rtype in applicable_types(provider):
        schema = type_schema(provider, rtype)
        resources.append(
            {
                "type": rtype.value,
                "id": schema.id,
                "config_schema": schema.config_schema,
                "state_schema": schema.state_schema,
                "operations": [op.name for op in schema.operations if op.name in offered],
                "relationships": list(schema.relationships),
                "metrics": list(schema.metrics),
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "name": "cloudcore",
        "description": (
            f"Manage cloud resources on {provider.name} through cloudcore's portable protocol: "
            "discover what exists, read state and schemas"
            + (", and change it" if allow_writes else " (read-only)")
            + "."
        ),
        "provider": {"name": provider.name, "region": provider.region},
        "capabilities": _features(provider),
        "tools": [
            {
                "name": t.name,
                "description": t.description,
                "parameters": t.parameters,
                "annotations": t.annotations,
                "capability": t.info.capability.value if t.info.capability else None,
            }
            for t in found
        ],
        "resources": resources,
        "semantic_rules": sorted(set(SEMANTIC_RULES.values())),
        "safety": {"allow_writes": allow_writes, "allow_secret_values": allow_secret_values},
    }


def tools(
    provider: CloudProvider,
    format: str = "well-known",
    *,
    allow_writes: bool = False,
    allow_secret_values: bool = False,
) -> Any:
    """The tool manifest of ``provider`` in one of :data:`FORMATS`.

    Returns:
        A dict for ``"well-known"``, a list of tool definitions for ``"openai"`` and
        ``"anthropic"``. All JSON-serialisable.

    Raises:
        ConfigurationError: unknown format.
    """
    if format == "well-known":
        return manifest(
            provider, allow_writes=allow_writes, allow_secret_values=allow_secret_values
        )
    if format not in FORMATS:
        raise ConfigurationError(
            f"format: {format!r} is not one of {', '.join(FORMATS)}", field="format"
        )
    found = list_tools(provider, allow_writes=allow_writes, allow_secret_values=allow_secret_values)
    if format == "openai":
        return [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                },
            }
            for t in found
        ]
    return [
        {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in found
    ]


# ------------------------------------------------------------ tool calls


@dataclass
class ToolResult:
    """The outcome of :func:`call_tool`.

    Attributes:
        ok: Whether the call succeeded.
        data: The JSON result (``None`` for operations that return nothing).
        error: On failure: ``kind`` (the cloudcore error class, e.g. ``"NotFound"``),
            ``message``, ``retryable``, and for invalid arguments ``field`` and ``errors``
            (pydantic error types and locations).
    """

    ok: bool
    data: Any = None
    error: dict[str, Any] | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        """``{"result": data}`` or ``{"error": {...}}``."""
        return {"result": self.data} if self.ok else {"error": self.error}


def to_json(value: Any, *, reveal: bool = False) -> Any:
    """Models, lists, iterators and mappings to JSON; ``SecretStr`` stays masked unless
    ``reveal``."""
    if isinstance(value, SecretStr):
        return value.get_secret_value() if reveal else str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): to_json(v, reveal=reveal) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | Iterator):
        return [to_json(v, reveal=reveal) for v in value]
    return value


def _error(exc: CloudcoreError, **extra: Any) -> ToolResult:
    body: dict[str, Any] = {"kind": exc.kind, "message": str(exc), "retryable": exc.retryable}
    body.update(extra)
    return ToolResult(False, error=body)


def _invalid(exc: ValidationError, operation: str) -> ToolResult:
    errors = [
        {"type": e["type"], "loc": [str(p) for p in e["loc"]], "msg": e["msg"]}
        for e in exc.errors()
    ]
    text = "; ".join(f"{'.'.join(e['loc']) or '(arguments)'}: {e['msg']}" for e in errors)
    first = ".".join(errors[0]["loc"]) if errors else None
    err = ConfigurationError(f"invalid arguments: {text}", field=first, operation=operation)
    return _error(err, field=first, errors=errors)


def call_tool(
    provider: CloudProvider,
    name: str,
    arguments: Mapping[str, Any] | None = None,
    *,
    allow_writes: bool = False,
    allow_secret_values: bool = False,
) -> ToolResult:
    """Run the tool ``name`` with JSON ``arguments`` on ``provider``; never raises a
    :class:`~cloudcore.errors.CloudcoreError` (it comes back as ``ToolResult.error``).

    A write tool without ``allow_writes`` and ``get_secret`` without ``allow_secret_values``
    fail with kind ``PermissionDenied`` and change nothing.
    """
    info = OPERATIONS.get(name)
    if info is None:
        return _error(ConfigurationError(f"unknown tool {name!r}", field="name"))
    if name in NOT_YET_TOOLS:
        return _error(
            PermissionDenied(f"{name} is not offered as a tool yet (use the library or the CLI)")
        )
    if name in NOT_TOOLS:
        return _error(
            PermissionDenied(
                f"{name} writes a file on the server and is not offered as a tool "
                "(get_object returns the content)",
                operation=name,
            )
        )
    if not info.read_only and not allow_writes:
        return _error(
            PermissionDenied(
                f"{name} changes resources and writes are not allowed "
                "(start the server with --allow-writes)",
                operation=name,
            )
        )
    if name == "get_secret" and not allow_secret_values:
        return _error(
            PermissionDenied(
                "secret values are not returned (start the server with --allow-secret-values)",
                operation=name,
            )
        )
    if not operation_available(provider, name):
        cap = info.capability.value if info.capability else name
        return _error(
            Unsupported(cap, reason=provider.unsupported_reason(cap), provider=provider.name)
        )
    try:
        params = parameters_model(name).model_validate(dict(arguments or {}))
    except ValidationError as exc:
        return _invalid(exc, name)
    kwargs = {k: getattr(params, k) for k in type(params).model_fields}
    try:
        result = getattr(provider, name)(**kwargs)
        if name == "get_secret":
            return ToolResult(True, {"key": kwargs["key"], "value": to_json(result, reveal=True)})
        if name == "get_object":
            return ToolResult(True, object_for_tool(result))
        if name == "list_objects":
            return ToolResult(True, objects_for_tool(result))
        return ToolResult(True, to_json(result))
    except CloudcoreError as exc:
        return _error(exc)
