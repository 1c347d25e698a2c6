"""Google's discovery documents as data: what a request to the fake may look like.

The ``google-api-python-client`` package ships the official discovery document of every Google
REST API under ``googleapiclient/discovery_cache/documents/`` (installed with
``cloudcore[testing]``). The fake reads seven of them (:data:`APIS`) as plain JSON, never as a
client, and checks every request it answers against the method it routes to:

* the path against the method's path template (``servicePath`` + ``flatPath``);
* query parameters: only the method's own and Google's system parameters
  (https://cloud.google.com/apis/docs/system-parameters), each of its documented type, enum and
  ``required`` flag;
* the body, recursively, against the method's request schema: unknown fields are refused, as
  Google's front end does (``Invalid JSON payload received. Unknown name "x" at 'service':
  Cannot find field.``), and every value must have its documented type, format, enum value and
  ``pattern``. Field names are accepted in lowerCamelCase or as the original proto name, and
  64-bit integers as strings or numbers (https://protobuf.dev/programming-guides/json/).
* Fields whose schema says ``readOnly`` ("Output only.") are *ignored*, not refused:
  ``google/api/field_behavior.proto`` says of OUTPUT_ONLY that "the server must ignore it and
  must not throw an error as a result of the field's presence". They are dropped from the stored
  body and listed in :attr:`Checked.ignored`, so tests can see a client that sends them.

Enum numbers are not in discovery documents. Requests sent with ``$alt=json;enum-encoding=int``
(every GAPIC REST client does) carry enums as integers; those are translated to names with the
protobuf descriptors of the installed client libraries (the same ``.proto`` files the documents
are generated from), and answers are translated back to integers only for such requests
(:func:`encode_enums`): a plain request gets names, as from Google.
"""

from __future__ import annotations

import base64
import functools
import importlib
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["APIS", "Checked", "Invalid", "Method", "document", "encode_enums", "method"]

Json = dict[str, Any]

APIS = (
    "run.v2",
    "sqladmin.v1beta4",
    "dns.v1",
    "compute.v1",
    "secretmanager.v1",
    "redis.v1",
    "logging.v2",
)
"""The discovery documents the fake validates against."""

# Protobuf packages of the APIs whose GAPIC clients send integer enums: (module to import so the
# descriptors are registered, proto package, prefix of discovery schema names).
_PROTO: dict[str, tuple[str, str, str]] = {
    "run.v2": ("google.cloud.run_v2", "google.cloud.run.v2.", "GoogleCloudRunV2"),
    "redis.v1": ("google.cloud.redis_v1", "google.cloud.redis.v1.", ""),
    "secretmanager.v1": ("google.cloud.secretmanager_v1", "google.cloud.secretmanager.v1.", ""),
    "sqladmin.v1beta4": ("google.cloud.sqladmin_v1beta4", "google.cloud.sql.v1beta4.", ""),
}
_LRO = {"GoogleLongrunningOperation", "Operation"}

# Google's system parameters (https://cloud.google.com/apis/docs/system-parameters), in their
# "$"-prefixed URL form; the un-prefixed forms are in each document's "parameters".
_SYSTEM = {"$alt", "$callback", "$fields", "$key", "$prettyPrint", "$quotaUser", "$.xgafv"}
_ALT = {"json", "media", "proto", "json;enum-encoding=int"}
_INT32 = (-(2**31), 2**31 - 1)
_UINT32 = (0, 2**32 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_UINT64 = (0, 2**64 - 1)
_DATETIME = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)\Z")
_DURATION = re.compile(r"\A-?\d{1,12}(\.\d{1,9})?s\Z")
_FIELD_PATH = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


class Invalid(Exception):
    """A request the discovery document does not allow (answered as INVALID_ARGUMENT)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _documents_dir() -> Path:
    spec = importlib.util.find_spec("googleapiclient")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the fake GCP APIs validate requests against Google's discovery documents, which "
            "the google-api-python-client package ships: install cloudcore[testing]"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "discovery_cache" / "documents"


@functools.cache
def document(api: str) -> Json:
    """The discovery document of ``api`` (``"run.v2"``), parsed once per process."""
    if api not in APIS:
        raise KeyError(f"no discovery document for {api!r} in the fake (known: {APIS})")
    out: Json = json.loads((_documents_dir() / f"{api}.json").read_text(encoding="utf-8"))
    return out


def _methods(resources: Json) -> Any:
    for resource in resources.values():
        yield from resource.get("methods", {}).values()
        yield from _methods(resource.get("resources", {}))


@dataclass(frozen=True)
class Method:
    """One REST method of a discovery document."""

    api: str
    id: str
    http_method: str
    template: str
    regex: re.Pattern[str]
    params: Json
    request: str | None
    response: str | None

    @property
    def reads_only(self) -> bool:
        """Whether the method only reads: a GET, or a custom method named like a read
        (``entries.list``, ``versions.access``, ``testIamPermissions``) whatever its verb."""
        verb = self.id.rsplit(".", 1)[-1]
        return self.http_method in ("GET", "HEAD") or verb.startswith(
            ("get", "list", "access", "search", "query", "testIamPermissions", "aggregatedList")
        )


def _regex(template: str) -> re.Pattern[str]:
    out, pos = [], 0
    for m in re.finditer(r"\{\+?([A-Za-z0-9_]+)\}", template):
        out.append(re.escape(template[pos : m.start()]))
        out.append(f"(?P<{m.group(1)}>[^/:]+)")  # one segment; ":" starts a custom verb
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out) + r"\Z")


@functools.cache
def method(api: str, method_id: str) -> Method:
    """The method ``method_id`` (``"projects.locations.services.create"``) of ``api``."""
    doc = document(api)
    for m in _methods(doc.get("resources", {})):
        if m["id"] == method_id or m["id"].split(".", 1)[1] == method_id:
            template = "/" + doc.get("servicePath", "") + m.get("flatPath", m["path"])
            return Method(
                api=api,
                id=m["id"],
                http_method=m["httpMethod"],
                template=template,
                regex=_regex(template),
                params=m.get("parameters", {}),
                request=(m.get("request") or {}).get("$ref"),
                response=(m.get("response") or {}).get("$ref"),
            )
    raise KeyError(f"{api} has no method {method_id!r}")


# ------------------------------------------------------------------ proto descriptors (enums)
def _descriptor(api: str, schema: str) -> Any:
    """The protobuf message descriptor of a discovery schema, or ``None``."""
    if api not in _PROTO:
        return None
    module, package, strip = _PROTO[api]
    importlib.import_module(module)
    from google.protobuf import descriptor_pool

    pool = descriptor_pool.Default()
    names = [package + schema.removeprefix(strip)]
    if schema in _LRO and api != "sqladmin.v1beta4":
        names = ["google.longrunning.Operation"]
    for name in names:
        try:
            return pool.FindMessageTypeByName(name)
        except KeyError:
            continue
    return None


def _by_url(type_url: str) -> Any:
    from google.protobuf import descriptor_pool

    try:
        return descriptor_pool.Default().FindMessageTypeByName(type_url.rsplit("/", 1)[-1])
    except KeyError:
        return None


def encode_enums(value: Any, api: str, schema: str | None) -> Any:
    """``value`` (an answer of ``schema``) with enum names turned into their numbers, as
    Google answers a request that asked ``$alt=json;enum-encoding=int``."""
    desc = _descriptor(api, schema) if schema else None
    return _encode(value, desc) if desc is not None else value


def _encode(value: Any, desc: Any) -> Any:
    if isinstance(value, list):
        return [_encode(v, desc) for v in value]
    if not isinstance(value, dict) or desc is None:
        return value
    if "@type" in value:
        desc = _by_url(str(value["@type"])) or desc
    out: Json = {}
    for key, item in value.items():
        fd = (
            desc.fields_by_camelcase_name.get(key)
            if hasattr(desc, "fields_by_camelcase_name")
            else None
        )
        if fd is None:
            out[key] = item
        elif fd.enum_type is not None:
            out[key] = _enum_number(item, fd.enum_type)
        elif fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            value_fd = fd.message_type.fields_by_name["value"]
            out[key] = {
                k: _enum_number(v, value_fd.enum_type)
                if value_fd.enum_type is not None
                else _encode(v, value_fd.message_type)
                for k, v in (item or {}).items()
            }
        else:
            out[key] = _encode(item, fd.message_type)
    return out


def _enum_number(value: Any, enum: Any) -> Any:
    if isinstance(value, list):
        return [_enum_number(v, enum) for v in value]
    if isinstance(value, str) and value in enum.values_by_name:
        return enum.values_by_name[value].number
    return value


# ----------------------------------------------------------------------------- validation
@dataclass
class Checked:
    """A request that passed validation: its body normalised (camelCase names, enum names,
    output-only fields dropped) and its query parameters."""

    method: Method
    params: dict[str, str]
    query: dict[str, str]
    body: Json
    int_enums: bool
    ignored: list[str] = field(default_factory=list)


def check(m: Method, path_params: dict[str, str], query: dict[str, list[str]], raw: Any) -> Checked:
    """Validate one request against ``m``; raise :class:`Invalid` with the offending field."""
    doc = document(m.api)
    single: dict[str, str] = {}
    int_enums = False
    for name, values in query.items():
        spec = m.params.get(name) or doc["parameters"].get(name.removeprefix("$"))
        if name.startswith("$") and name not in _SYSTEM:
            spec = None
        if spec is None or spec.get("location", "query") != "query":
            raise Invalid(
                f"Invalid JSON payload received. Unknown name \"{name}\": Cannot bind query parameter. Field '{name}' could not be found in request message.",
                name,
            )
        if len(values) > 1 and not spec.get("repeated"):
            raise Invalid(f"query parameter {name!r} given {len(values)} times", name)
        if name in ("$alt", "alt"):
            if values[0] not in _ALT:
                raise Invalid(f"Invalid value for system parameter {name}: {values[0]!r}", name)
            int_enums = values[0] == "json;enum-encoding=int"
        else:
            _query_value(values[0], spec, name)
        single[name] = values[0]
    for name, spec in m.params.items():
        if spec.get("location") == "query" and spec.get("required") and name not in single:
            raise Invalid(f"Required parameter {name!r} is missing", name)
    if m.request is None:
        if raw not in (None, {}, b""):
            raise Invalid(f"{m.id} takes no request body", "")
        return Checked(m, dict(path_params), single, {}, int_enums)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise Invalid("Invalid JSON payload received. The request body must be a JSON object.")
    ignored: list[str] = []
    desc = _descriptor(m.api, m.request)
    body = _object(raw, _schema(doc, m.request), doc, "", desc, ignored)
    return Checked(m, dict(path_params), single, body, int_enums, ignored)


def check_answer(api: str, schema: str, payload: Json) -> None:
    """Validate an answer of the fake against ``schema`` of ``api``: only documented fields,
    each of its documented type (output-only fields allowed). Raises :class:`Invalid`."""
    doc = document(api)
    _object(payload, _schema(doc, schema), doc, "", None, None)


def _schema(doc: Json, ref: str) -> Json:
    try:
        out: Json = doc["schemas"][ref]
    except KeyError:
        raise Invalid(f"the discovery document has no schema {ref!r}") from None
    return out


def _query_value(value: str, spec: Json, name: str) -> None:
    kind, fmt = spec.get("type"), spec.get("format")
    if kind == "boolean" and value not in ("true", "false"):
        raise Invalid(f"Invalid value at '{name}' (TYPE_BOOL), \"{value}\"", name)
    if kind == "integer":
        _integer(value, fmt, name)
    if kind == "string" and fmt in ("int64", "uint64"):
        _integer(value, fmt, name)
    if kind == "string" and fmt == "google-fieldmask":
        for part in filter(None, value.split(",")):
            if not _FIELD_PATH.match(part):
                raise Invalid(f"Invalid field mask path {part!r} in '{name}'", name)
    if "enum" in spec and value not in spec["enum"]:
        raise Invalid(f"Invalid value at '{name}', \"{value}\": not one of {spec['enum']}", name)
    pattern = spec.get("pattern")
    if pattern and spec.get("location") == "query" and not re.fullmatch(pattern.strip("^$"), value):
        raise Invalid(f"Invalid value at '{name}': does not match {pattern}", name)


def _integer(value: Any, fmt: str | None, where: str) -> int:
    if isinstance(value, bool):
        raise Invalid(f"Invalid value at '{where}': {value!r} is not an integer", where)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        value = int(value)
    if not isinstance(value, int):
        raise Invalid(
            f"Invalid value at '{where}' ({fmt or 'integer'}), {json.dumps(value)}", where
        )
    low, high = {"uint32": _UINT32, "int64": _INT64, "uint64": _UINT64}.get(fmt or "", _INT32)
    if not low <= value <= high:
        raise Invalid(f"Invalid value at '{where}' ({fmt}): {value} is out of range", where)
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _object(
    raw: Json, schema: Json, doc: Json, where: str, desc: Any, ignored: list[str] | None
) -> Json:
    if "$ref" in schema:
        schema = _schema(doc, schema["$ref"])
    props: Json = schema.get("properties", {})
    out: Json = {}
    for key, value in raw.items():
        name = key if key in props else _camel(key)
        here = f"{where}.{name}" if where else name
        if name not in props:
            at = f" at '{where}'" if where else ""
            raise Invalid(
                f'Invalid JSON payload received. Unknown name "{key}"{at}: Cannot find field.',
                here,
            )
        spec = props[name]
        if spec.get("readOnly") and ignored is not None:
            ignored.append(here)  # field_behavior.proto: OUTPUT_ONLY is ignored, never an error
            continue
        if value is None:
            continue  # JSON null is the field's default (protobuf JSON mapping)
        fd = desc.fields_by_camelcase_name.get(name) if desc is not None else None
        out[name] = _value(value, spec, doc, here, fd, ignored)
    return out


def _value(
    value: Any, spec: Json, doc: Json, where: str, fd: Any, ignored: list[str] | None
) -> Any:
    if "$ref" in spec:
        sub = _schema(doc, spec["$ref"])
        if sub.get("type") == "object" and "properties" in sub:
            if not isinstance(value, dict):
                raise Invalid(f"Invalid value at '{where}': expected an object", where)
            return _object(
                value, sub, doc, where, fd.message_type if fd is not None else None, ignored
            )
        return _value(value, sub, doc, where, fd, ignored)
    kind = spec.get("type")
    if kind == "array":
        if not isinstance(value, list):
            raise Invalid(f"Invalid value at '{where}': expected a list", where)
        return [
            _value(v, spec.get("items", {}), doc, f"{where}[{i}]", fd, ignored)
            for i, v in enumerate(value)
        ]
    if kind == "object" and "additionalProperties" in spec:
        if not isinstance(value, dict):
            raise Invalid(f"Invalid value at '{where}': expected a map", where)
        value_fd = None
        if (
            fd is not None
            and fd.message_type is not None
            and fd.message_type.GetOptions().map_entry
        ):
            value_fd = fd.message_type.fields_by_name["value"]
        item = spec["additionalProperties"]
        if item.get("type") == "any":
            return value
        return {
            str(k): _value(v, item, doc, f"{where}.{k}", value_fd, ignored)
            for k, v in value.items()
        }
    if kind == "object":
        if not isinstance(value, dict):
            raise Invalid(f"Invalid value at '{where}': expected an object", where)
        return _object(
            value, spec, doc, where, fd.message_type if fd is not None else None, ignored
        )
    if kind == "any":
        return value
    if "enum" in spec:
        return _enum(value, spec["enum"], where, fd)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise Invalid(f"Invalid value at '{where}' (TYPE_BOOL), {json.dumps(value)}", where)
        return value
    if kind == "integer":
        return _integer(value, spec.get("format"), where)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise Invalid(f"Invalid value at '{where}' (TYPE_DOUBLE), {json.dumps(value)}", where)
        try:
            float(value)
        except ValueError:
            raise Invalid(
                f"Invalid value at '{where}' (TYPE_DOUBLE), {json.dumps(value)}", where
            ) from None
        return value
    if kind == "string":
        return _string(value, spec, where)
    return value


def _enum(value: Any, names: list[str], where: str, fd: Any) -> str:
    if isinstance(value, str) and value in names:
        return value
    enum = fd.enum_type if fd is not None else None
    if isinstance(value, int) and not isinstance(value, bool) and enum is not None:
        found = enum.values_by_number.get(value)
        if found is not None and found.name in names:
            return str(found.name)
    raise Invalid(
        f"Invalid value at '{where}', {json.dumps(value)}: not a value of the enum "
        f"({', '.join(names)})",
        where,
    )


def b64decode(value: str) -> bytes:
    """Bytes of a protobuf JSON ``bytes`` value: standard or URL-safe base64, padded or not
    (https://protobuf.dev/programming-guides/json/); raises ``ValueError`` otherwise."""
    text = value.rstrip("=").replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _string(value: Any, spec: Json, where: str) -> Any:
    fmt = spec.get("format")
    if fmt in ("int64", "uint64"):
        return str(_integer(value, fmt, where))
    if not isinstance(value, str):
        raise Invalid(f"Invalid value at '{where}' (TYPE_STRING), {json.dumps(value)}", where)
    if fmt == "byte":
        try:
            b64decode(value)
        except ValueError:
            raise Invalid(
                f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed", where
            ) from None
    elif fmt == "google-datetime" and not _DATETIME.match(value):
        raise Invalid(
            f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.Timestamp), Field '{where}', Invalid time format",
            where,
        )
    elif fmt == "google-duration" and not _DURATION.match(value):
        raise Invalid(
            f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.Duration), Field '{where}', Illegal duration format; duration must end with 's'",
            where,
        )
    elif fmt == "google-fieldmask":
        for part in filter(None, value.split(",")):
            if not _FIELD_PATH.match(part):
                raise Invalid(f"Invalid field mask path {part!r} at '{where}'", where)
    pattern = spec.get("pattern")
    if pattern and not re.fullmatch(pattern.strip("^$"), value):
        raise Invalid(f"Invalid value at '{where}': {value!r} does not match {pattern}", where)
    return value
