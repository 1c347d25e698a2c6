"""Storage in the LLM layer: parameter types of the storage operations, and tool results.

In a tool call, ``key`` is an object key and ``name`` / ``bucket`` a bucket name (not a secret
name or a resource name): each gets the JSON Schema of the rule the provider checks, so a value
the schema accepts is one the provider accepts.

Security: ``put_object``'s ``data`` is **content only** in a tool: ``{"text": ...}`` (UTF-8) or
``{"base64": ...}``, never a string the provider would read as a local path (an agent could
otherwise upload any file the server can read). ``download_object`` (writes a local file) is not
a tool at all. ``get_object`` returns the content (text, or base64 when it is not UTF-8) up to
:data:`MAX_TOOL_OBJECT_BYTES`; ``list_objects`` at most :data:`MAX_TOOL_LISTING` objects.
"""

from __future__ import annotations

import base64
import binascii
from itertools import islice
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from ..errors import ConfigurationError
from ..models.storage import (
    MAX_KEY_BYTES,
    check_bucket_name,
    check_content_type,
    check_metadata,
    check_object_key,
)

__all__ = [
    "BUCKET_PATTERN",
    "MAX_TOOL_LISTING",
    "MAX_TOOL_OBJECT_BYTES",
    "NOT_TOOLS",
    "OBJECT_KEY_PATTERN",
    "ORIGIN_PATTERN",
    "PREFIX_PATTERN",
    "STORAGE_PARAM_TYPES",
    "object_for_tool",
    "objects_for_tool",
]

MAX_TOOL_OBJECT_BYTES = 5 * 1024 * 1024
"""Largest object a tool writes or returns (larger ones: presign, the CLI, or the library)."""

MAX_TOOL_LISTING = 1000
"""Objects one ``list_objects`` tool call returns at most (``truncated`` says there are more)."""

NOT_TOOLS = frozenset({"download_object"})
"""Operations never offered as tools: ``download_object`` writes a file on the server."""

BUCKET_PATTERN = (
    r"^(?!xn--|sthree-|goog)(?!.*google)(?!.*(?:-s3alias|--ol-s3|--x-s3|--table-s3)$)"
    r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"
)
_CTRL = r"\x00-\x1f\x7f"
OBJECT_KEY_PATTERN = rf"^(?!/)(?!.*//)(?!(?:.*/)?\.\.?(?:/|$))[^{_CTRL}]*[^{_CTRL}/]$"
PREFIX_PATTERN = rf"^(?!/)[^{_CTRL}]*$"
ORIGIN_PATTERN = r"^(?:\*|https?://(?:\*\.)?[a-z0-9.-]+(?::[0-9]{1,5})?)$"
_TOKEN = r"[A-Za-z0-9!#$&^_.+-]"
CONTENT_TYPE_PATTERN = (
    rf"^[A-Za-z0-9]{_TOKEN}{{0,126}}/[A-Za-z0-9]{_TOKEN}{{0,126}}"
    rf'(?: *; *{_TOKEN}+=(?:{_TOKEN}+|"[^"\\{_CTRL}]*"))*$'
)
_BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


BucketParam = Annotated[
    str,
    AfterValidator(check_bucket_name),
    WithJsonSchema({"type": "string", "pattern": BUCKET_PATTERN, "description": "bucket name"}),
]
KeyParam = Annotated[
    str,
    AfterValidator(check_object_key),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": OBJECT_KEY_PATTERN,
            "maxLength": MAX_KEY_BYTES,
            "description": "object key: a path like 'reports/2026/q1.csv' (no leading '/', "
            "no '.' or '..' segment, at most 1024 bytes of UTF-8)",
        }
    ),
]
PrefixParam = Annotated[
    str, Field(pattern=PREFIX_PATTERN, max_length=MAX_KEY_BYTES, description="key prefix")
]
ContentTypeParam = Annotated[
    str, Field(pattern=CONTENT_TYPE_PATTERN, max_length=255), AfterValidator(check_content_type)
]
MetadataParam = Annotated[
    dict[str, str],
    AfterValidator(check_metadata),
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"pattern": r"^(?!cloudcore-)[a-z0-9][a-z0-9-]{0,127}$"},
            "additionalProperties": {"type": "string", "pattern": r"^[\x20-\x7e]*$"},
            "description": "user metadata (at most 2048 bytes of keys and values)",
        }
    ),
]


class TextContent(BaseModel):
    """Object content as text (stored as UTF-8)."""

    model_config = ConfigDict(extra="forbid", title="TextContent")
    text: Annotated[str, Field(max_length=MAX_TOOL_OBJECT_BYTES)]


class Base64Content(BaseModel):
    """Object content as base64 (any bytes)."""

    model_config = ConfigDict(extra="forbid", title="Base64Content", regex_engine="python-re")
    base64: Annotated[
        str, Field(pattern=_BASE64_PATTERN, max_length=(MAX_TOOL_OBJECT_BYTES + 2) // 3 * 4)
    ]


def _content_bytes(value: TextContent | Base64Content) -> bytes:
    if isinstance(value, TextContent):
        try:
            data = value.text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text: not valid Unicode (lone surrogates)") from None
    else:
        try:
            data = base64.b64decode(value.base64, validate=True)
        except (binascii.Error, ValueError):  # pragma: no cover - the pattern refused it
            raise ValueError("base64: not valid base64") from None
    if len(data) > MAX_TOOL_OBJECT_BYTES:
        raise ValueError(f"content larger than {MAX_TOOL_OBJECT_BYTES} bytes")
    return data


ContentParam = Annotated[
    TextContent | Base64Content,
    AfterValidator(_content_bytes),
    Field(
        description="the object's content: {'text': ...} (stored as UTF-8) or {'base64': ...}; "
        "never a file path"
    ),
]

VersionParam = Annotated[
    str, Field(pattern=r"^[\x21-\x7e]{1,1024}$", description="version id (printable ASCII)")
]
_VERSION_OPS = ("get_object", "head_object", "delete_object", "download_object")
_BUCKET_OPS = (
    "put_object",
    "get_object",
    "head_object",
    "list_objects",
    "delete_object",
    "copy_object",
    "presign",
    "download_object",
)
_KEY_OPS = (
    "put_object",
    "get_object",
    "head_object",
    "delete_object",
    "copy_object",
    "presign",
    "download_object",
)

STORAGE_PARAM_TYPES: dict[tuple[str, str], Any] = {
    **{(op, "bucket"): BucketParam for op in _BUCKET_OPS},
    **{(op, "key"): KeyParam for op in _KEY_OPS},
    ("get_bucket", "name"): BucketParam,
    ("delete_bucket", "name"): BucketParam,
    ("copy_object", "new_key"): KeyParam,
    ("copy_object", "dest_bucket"): BucketParam | None,
    ("list_objects", "prefix"): PrefixParam | None,
    ("put_object", "data"): ContentParam,
    ("put_object", "content_type"): ContentTypeParam | None,
    ("put_object", "metadata"): MetadataParam | None,
    ("presign", "content_type"): ContentTypeParam | None,
    ("presign", "expires_in"): Annotated[int, Field(ge=1, le=7 * 24 * 3600)],
    **{(op, "version"): VersionParam | None for op in _VERSION_OPS},
    ("download_object", "path"): str,  # never a tool (NOT_TOOLS); typed for the schema only
}
"""Per-operation parameter types of the storage operations (see the module docs)."""


def object_for_tool(reader: Any) -> dict[str, Any]:
    """What the ``get_object`` tool returns: the object's info and its content (``text`` when
    it is UTF-8, else ``base64``), read to the end and verified.

    Raises:
        ConfigurationError: the object is larger than :data:`MAX_TOOL_OBJECT_BYTES`.
    """
    with reader:
        info = reader.info
        if info.size > MAX_TOOL_OBJECT_BYTES:
            raise ConfigurationError(
                f"the object is {info.size} bytes; a tool returns at most "
                f"{MAX_TOOL_OBJECT_BYTES} (use presign, the CLI or the library)",
                field="key",
            )
        data = reader.read()
    out: dict[str, Any] = {"info": info.model_dump(mode="json")}
    try:
        out["text"] = data.decode("utf-8")
    except UnicodeDecodeError:
        out["base64"] = base64.b64encode(data).decode()
    return out


def objects_for_tool(listing: Any) -> dict[str, Any]:
    """What the ``list_objects`` tool returns: at most :data:`MAX_TOOL_LISTING` objects."""
    items = list(islice(listing, MAX_TOOL_LISTING + 1))
    return {
        "objects": [i.model_dump(mode="json") for i in items[:MAX_TOOL_LISTING]],
        "truncated": len(items) > MAX_TOOL_LISTING,
    }
