"""The :class:`Stack` model: a whole system described once.

A stack holds secrets (names and where their values come from, never values), databases,
caches, buckets, services, DNS records per zone and WAF rule sets per target, plus the routing of
capabilities to providers (the mapping :func:`cloudcore.connect` takes). Each entry is the
portable config of its kind (``DatabaseConfig`` without ``name``: the key is the name), and any
string in a service, a DNS record or a WAF rule may hold a reference (``${databases.main.host}``,
see :mod:`cloudcore.stack.refs`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from ..errors import ConfigurationError
from ..models import (
    BucketConfig,
    CacheConfig,
    DatabaseConfig,
    DNSRecord,
    ServiceConfig,
    WAFRuleSet,
)
from ..models._base import Model, Name, validate_name
from .refs import OUTPUTS, Ref, find_refs, resolve, walk_strings

__all__ = [
    "KINDS",
    "STACK_TAG",
    "SecretSource",
    "Stack",
    "record_name",
]

STACK_TAG = "cloudcore-stack"
"""Tag carried by every taggable resource a stack creates: its value is the stack's name. Pruning
deletes only resources carrying this tag with this stack's name, never anything else."""

KINDS = ("secrets", "databases", "caches", "buckets", "services", "dns", "waf")
"""Sections of a stack, in apply order (deletes run in the reverse order)."""

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")

# A syntactically valid stand-in for each output while validating entries that refer to
# resources not created yet.
_PLACEHOLDER: Mapping[str, str] = {
    "host": "known-after-apply.invalid",
    "port": "1",
    "database": "app",
    "username": "app",
    "password_secret": "known-after-apply",
    "auth_secret": "known-after-apply",
    "url": "https://known-after-apply.invalid/",
    "name": "known-after-apply",
    "key": "known-after-apply",
}


class SecretSource(Model):
    """Where a stack secret's value comes from. The value itself never appears in a stack file.

    Attributes:
        from_env: Environment variable read at apply time; the secret is written when it is
            absent or its value differs.
        generate: Length of a random value generated when the secret is absent (never rotated
            by an apply).
        description: Free text for people.
    """

    from_env: Annotated[str, Field(pattern=_ENV_NAME.pattern)] | None = None
    generate: Annotated[int, Field(ge=16, le=4096)] | None = None
    description: Annotated[str, Field(max_length=1024)] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.from_env is None) == (self.generate is None):
            raise ValueError("give exactly one of from_env or generate")
        return self


def record_name(name: str, zone: str) -> str:
    """A record name as written in a stack (``@``, ``api``, or a full name) as an FQDN."""
    zone = zone.rstrip(".").lower()
    name = name.rstrip(".")
    if name in ("@", ""):
        return zone
    if name.lower() == zone or name.lower().endswith("." + zone):
        return name
    return f"{name}.{zone}"


def placeholders(refs: list[Ref]) -> dict[Ref, str | None]:
    """Valid stand-ins for outputs not known yet (to validate, or to see an entry's shape)."""
    return {r: _PLACEHOLDER[r.attr] for r in refs}


class Stack(Model):
    """A whole system described once (see the module docstring).

    Attributes:
        name: The stack's name, written on every resource it creates as ``cloudcore-stack``.
        providers: Capability (or ``default``) to driver name, as :func:`cloudcore.connect`
            takes it; empty means the provider given on the command line.
        secrets: Secret key to where its value comes from.
        databases: Name to ``DatabaseConfig`` fields.
        caches: Name to ``CacheConfig`` fields.
        buckets: Name to ``BucketConfig`` fields.
        services: Name to ``ServiceConfig`` fields; strings may hold references.
        dns: Zone to its records; a record's name may be relative to the zone (``api``, ``@``).
        waf: Target (``default`` for the provider's default target) to its rules.
    """

    name: Name
    providers: dict[str, str] = Field(default_factory=dict)
    secrets: dict[str, SecretSource] = Field(default_factory=dict)
    databases: dict[str, dict[str, Any]] = Field(default_factory=dict)
    caches: dict[str, dict[str, Any]] = Field(default_factory=dict)
    buckets: dict[str, dict[str, Any]] = Field(default_factory=dict)
    services: dict[str, dict[str, Any]] = Field(default_factory=dict)
    dns: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    waf: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    format: Literal["cloudcore.stack/v1"] = "cloudcore.stack/v1"

    # The entries are checked after pydantic's own validation, outside it, so an error keeps
    # the dotted path of the field (``services.api.env.DB``) instead of pydantic's "(model)".
    def __init__(self, /, **data: Any) -> None:
        super().__init__(**data)
        self._check()

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate a mapping into a stack (ConfigurationError names the bad field)."""
        if isinstance(obj, Mapping) and not args and not kwargs:
            # Through __init__ directly: pydantic would wrap _check's errors as "(model)".
            return cls(**{str(k): v for k, v in obj.items()})
        stack = super().model_validate(obj, *args, **kwargs)
        stack._check()
        return stack

    def _check(self) -> None:
        from ..models.secrets import validate_secret_key

        for key in self.secrets:
            validate_secret_key(key)
        for kind in ("databases", "caches", "buckets", "services"):
            for name, raw in getattr(self, kind).items():
                if "name" in raw and raw["name"] != name:
                    raise ConfigurationError(
                        f"{kind}.{name}.name: {raw['name']!r} differs from its key; leave it out",
                        field=f"{kind}.{name}.name",
                    )
                self.render(kind, name, placeholders(self.refs(kind, name)))
        for zone in self.dns:
            self.render("dns", zone, placeholders(self.refs("dns", zone)))
        for target in self.waf:
            self.render("waf", target, placeholders(self.refs("waf", target)))
        self._check_refs()

    # -- entries ---------------------------------------------------------------------------------

    def entries(self, kind: str) -> list[str]:
        """The names (zones, targets) of one section, sorted."""
        return sorted(getattr(self, kind))

    def raw(self, kind: str, name: str) -> Any:
        """The entry as written in the file."""
        return getattr(self, kind)[name]

    def refs(self, kind: str, name: str) -> list[Ref]:
        """References made by one entry, in order of appearance, without repeats."""
        if kind == "secrets":
            return []
        where = f"{kind}.{name}"
        out: dict[Ref, None] = {}
        for path, text in walk_strings(self.raw(kind, name), where):
            for ref in find_refs(text, path):
                out[ref] = None
        return list(out)

    def render(self, kind: str, name: str, outputs: Mapping[Ref, str | None]) -> Any:
        """The entry as its model with references replaced by ``outputs``; ``None`` while an
        output is unknown. Raises ConfigurationError naming the field for a bad entry."""
        where = f"{kind}.{name}"
        unknown = False

        def sub(value: Any, path: str) -> Any:
            nonlocal unknown
            if isinstance(value, str):
                text = resolve(value, path, outputs)
                if text is None:
                    unknown = True
                    return value
                return text
            if isinstance(value, Mapping):
                return {k: sub(v, f"{path}.{k}") for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [sub(v, f"{path}[{i}]") for i, v in enumerate(value)]
            return value

        data = sub(self.raw(kind, name), where)
        if unknown:
            return None
        return _build(kind, name, data, self.name)

    def _check_refs(self) -> None:
        graph: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for kind in KINDS:
            for name in self.entries(kind):
                deps = graph.setdefault((kind, name), set())
                for ref in self.refs(kind, name):
                    if ref.name not in getattr(self, ref.kind):
                        raise ConfigurationError(
                            f"{kind}.{name}: {ref} refers to {ref.kind}.{ref.name}, which this "
                            f"stack does not define",
                            field=f"{kind}.{name}",
                        )
                    deps.add((ref.kind, ref.name))
        _no_cycle(graph)


def _no_cycle(graph: Mapping[tuple[str, str], set[tuple[str, str]]]) -> None:
    state: dict[tuple[str, str], int] = {}

    def visit(node: tuple[str, str], path: list[tuple[str, str]]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = " -> ".join(f"{k}.{n}" for k, n in [*path[path.index(node) :], node])
            raise ConfigurationError(f"references form a cycle: {cycle}", field=cycle)
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            visit(dep, [*path, node])
        state[node] = 2

    for node in sorted(graph):
        visit(node, [])


def _with_stack_tag(data: dict[str, Any], stack: str) -> dict[str, Any]:
    tags = dict(data.get("tags") or {})
    tags[STACK_TAG] = stack
    return {**data, "tags": tags}


_BUILDERS: Mapping[str, Callable[[str, Any, str], Any]] = {
    "databases": lambda n, d, s: DatabaseConfig(**_with_stack_tag({**d, "name": n}, s)),
    "caches": lambda n, d, s: CacheConfig(**_with_stack_tag({**d, "name": n}, s)),
    "buckets": lambda n, d, s: BucketConfig(**_with_stack_tag({**d, "name": n}, s)),
    "services": lambda n, d, s: (
        validate_name(n, "name"),
        ServiceConfig(**_with_stack_tag(dict(d), s)),
    )[1],
    "dns": lambda zone, d, s: tuple(
        DNSRecord(**{**r, "name": record_name(str(r.get("name", "@")), zone)}) for r in d
    ),
    # Unnamed rules get the names every driver gives them (``ip-1``...), so plans compare equal.
    "waf": lambda target, d, s: WAFRuleSet(rules=tuple(d)).named(),
}


def _build(kind: str, name: str, data: Any, stack: str) -> Any:
    if kind in ("databases", "caches", "buckets", "services") and not isinstance(data, Mapping):
        raise ConfigurationError(
            f"{kind}.{name}: expected a mapping of fields, got {type(data).__name__}",
            field=f"{kind}.{name}",
        )
    if kind in ("dns", "waf") and not isinstance(data, list):
        raise ConfigurationError(
            f"{kind}.{name}: expected a list, got {type(data).__name__}", field=f"{kind}.{name}"
        )
    try:
        return _BUILDERS[kind](name, data, stack)
    except ConfigurationError as exc:
        field = f"{kind}.{name}" + (f".{exc.field}" if exc.field else "")
        raise ConfigurationError(f"{kind}.{name}: {exc}", field=field) from None


assert set(OUTPUTS) <= set(KINDS)
