"""Shared pieces of the models: the frozen base class, names, tags, size classes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigurationError

# Full-match anchors everywhere (\A...\Z with fullmatch): `$` also matches before a final
# newline, which once let "api\n" through as a name.
_NAME_RE = re.compile(r"\A[a-z][a-z0-9-]{0,62}\Z")
_TAG_KEY_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}\Z")
CONTROL_CHARS = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")
"""Control characters (C0, DEL, and the Unicode line breaks NEL, LS, PS): refused in every
constrained string, since they end lines in the unit files, configs and headers values reach."""
_CONTROL_BUT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NO_CONTROL_SCHEMA: dict[str, Any] = {"not": {"pattern": "[\\x00-\\x1f\\x7f\\x85\\u2028\\u2029]"}}
"""JSON Schema of "no control characters" (an unanchored ``not``/``pattern``, which reads the
same in ECMA-262 and Python regex dialects)."""
TEXT_SCHEMA: dict[str, Any] = {"not": {"pattern": "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"}}
"""JSON Schema of free text: tab, newline and carriage return allowed, other controls not."""
_SECRETISH = ("secret", "password", "token", "value", "auth")


def _check_name(value: str) -> str:
    if not _NAME_RE.fullmatch(value):
        raise ValueError(
            "must be lowercase DNS-label style: a letter, then up to 62 letters, digits or '-'"
        )
    if value.endswith("-"):
        raise ValueError("must not end with '-'")
    return value


def _check_tags(value: dict[str, str]) -> dict[str, str]:
    for key, val in value.items():
        if not _TAG_KEY_RE.fullmatch(key):
            raise ValueError(f"tag key {key!r} must be 1-128 characters of [A-Za-z0-9_.:/=+@-]")
        if len(val) > 256:
            raise ValueError(f"tag {key!r}: value longer than 256 characters")
        if CONTROL_CHARS.search(val):
            raise ValueError(f"tag {key!r}: value contains control characters")
    return value


def check_no_control(value: str, what: str = "value") -> str:
    """Refuse control characters (see :data:`CONTROL_CHARS`)."""
    if CONTROL_CHARS.search(value):
        raise ValueError(f"{what} must not contain control characters")
    return value


def check_text(value: str, what: str = "value") -> str:
    """Free text (an environment value, an argument): newlines and tabs are fine, NUL and the
    other control characters are refused (a NUL would silently cut the value short)."""
    if "\x00" in value:
        raise ValueError(f"{what} must not contain NUL characters")
    if _CONTROL_BUT_TEXT.search(value):
        raise ValueError(f"{what} must not contain control characters other than tab and newline")
    return value


def check_url_path(value: str) -> str:
    """An HTTP path: starts with ``/``; no whitespace, no control characters."""
    if CONTROL_CHARS.search(value):
        raise ValueError("a path must not contain control characters")
    if not value.startswith("/") or any(c.isspace() for c in value):
        raise ValueError("a path starts with '/' and contains no whitespace")
    return value


Name = Annotated[str, AfterValidator(_check_name)]
"""A cloudcore resource name: ``[a-z][a-z0-9-]{0,62}``, not ending in ``-``."""

Tags = Annotated[dict[str, str], AfterValidator(_check_tags)]
UrlPath = Annotated[
    str,
    Field(max_length=1024, json_schema_extra={"pattern": r"^/[^\s\x00-\x1f\x7f]*$"}),
    AfterValidator(check_url_path),
]
"""An HTTP path (health checks, WAF rules)."""
Token = Annotated[str, AfterValidator(check_no_control), Field(json_schema_extra=NO_CONTROL_SCHEMA)]
"""A string without control characters (versions, identifiers)."""
Text = Annotated[str, AfterValidator(check_text), Field(json_schema_extra=TEXT_SCHEMA)]
"""Free text: newlines and tabs allowed, NUL and other control characters refused."""
"""User tags/labels. cloudcore adds ``managed-by=cloudcore`` and ``cloudcore-name`` itself."""

Extras = dict[str, Any]
"""Provider-specific options, the one explicit escape hatch per model."""

MANAGED_BY_KEY = "managed-by"
MANAGED_BY_VALUE = "cloudcore"
NAME_TAG_KEY = "cloudcore-name"


def validate_name(value: str, field: str = "name") -> str:
    """Check a cloudcore resource name, raising :class:`ConfigurationError` naming ``field``."""
    try:
        return _check_name(value) if isinstance(value, str) else _fail_type(value)
    except ValueError as exc:
        raise ConfigurationError(f"{field}: {exc} (got {value!r})", field=field) from None


def field_error(field: str, message: str) -> ConfigurationError:
    """An error a model validator raises to name ``field`` (not ``(model)``) in the
    :class:`ConfigurationError` the model raises."""
    error = ConfigurationError(f"{field}: {message}", field=field)
    error.problems = [(field, message)]  # type: ignore[attr-defined]
    return error


def _fail_type(value: object) -> str:
    raise ValueError(f"must be a string, not {type(value).__name__}")


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class SizeClass(StrEnum):
    """Portable size classes for databases and caches; each driver documents its mapping."""

    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    XLARGE = "xlarge"


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    """``(dotted location, message)`` of each error. A nested model (or a model validated from
    a mapping, whose custom ``__init__`` pydantic calls) raises its own ``ConfigurationError``
    inside the outer validation: its problems are spliced in under their full path, so the
    error names ``lifecycle.0.expire_days``, not ``lifecycle.0`` or ``(model)``."""
    out: list[tuple[str, str]] = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        inner = (err.get("ctx") or {}).get("error")
        nested: list[tuple[str, str]] | None = getattr(inner, "problems", None)
        if isinstance(inner, ConfigurationError) and nested:
            out += [(".".join(p for p in (loc, sub) if p), msg) for sub, msg in nested]
            continue
        msg = err["msg"]
        value = err.get("input")
        secretish = any(word in loc.lower() for word in _SECRETISH)
        if isinstance(value, int | float) and not isinstance(value, bool) and not secretish:
            msg = f"{msg} (got {value!r})"
        out.append((loc, msg))
    return out


def _error(exc: ValidationError, model: str) -> ConfigurationError:
    problems = _problems(exc)
    text = "; ".join(f"{loc or '(model)'}: {msg}" for loc, msg in problems)
    first = next((loc or "(model)" for loc, _ in problems), None)
    error = ConfigurationError(f"invalid {model}: {text}", field=first)
    error.problems = problems  # type: ignore[attr-defined]
    return error


class Model(BaseModel):
    """Base of every cloudcore model: frozen, strict about unknown fields, validated at creation.

    A failed validation raises :class:`~cloudcore.errors.ConfigurationError` (also a ``ValueError``)
    naming each bad field and why, never echoing a secret input.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, defer_build=True
    )

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _error(exc, type(self).__name__) from None

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate ``obj`` (a mapping or model) into this model, raising ConfigurationError."""
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise _error(exc, cls.__name__) from None

    @classmethod
    def model_validate_json(
        cls, json_data: str | bytes | bytearray, *args: Any, **kwargs: Any
    ) -> Self:
        """Validate a JSON document into this model, raising ConfigurationError."""
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            raise _error(exc, cls.__name__) from None


TTL = Annotated[int, Field(ge=1, le=2_147_483_647)]
Port = Annotated[int, Field(ge=1, le=65535)]
