"""References between the resources of a stack: ``${kind.name.attr}``.

A service's env value, a secret reference or a DNS record's value may name another resource's
output, resolved when that resource exists (at apply) and shown as ``(known after apply)`` in a
plan. ``$${`` writes a literal ``${``.

Outputs per kind (nothing secret is ever an output: a password is referred to by the *name* of
the secret that holds it):

=============  ==============================================================================
``databases``  ``host``, ``port``, ``database``, ``username``, ``password_secret``, ``url``
``caches``     ``host``, ``port``, ``auth_secret``, ``url``
``buckets``    ``name``, ``url``
``services``   ``url``, ``host``
``secrets``    ``key``
=============  ==============================================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError

__all__ = ["OUTPUTS", "Ref", "find_refs", "resolve", "walk_strings"]

OUTPUTS: Mapping[str, frozenset[str]] = {
    "databases": frozenset({"host", "port", "database", "username", "password_secret", "url"}),
    "caches": frozenset({"host", "port", "auth_secret", "url"}),
    "buckets": frozenset({"name", "url"}),
    "services": frozenset({"url", "host"}),
    "secrets": frozenset({"key"}),
}
"""What each kind of resource exposes to references."""

_ANY = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_REF = re.compile(r"([a-z]+)\.([A-Za-z0-9][A-Za-z0-9_./!-]*)\.([a-z_]+)")


@dataclass(frozen=True, order=True)
class Ref:
    """``${kind.name.attr}``: an output of another resource of the stack."""

    kind: str
    name: str
    attr: str

    def __str__(self) -> str:
        return f"${{{self.kind}.{self.name}.{self.attr}}}"


def _parse(body: str, where: str) -> Ref:
    m = _REF.fullmatch(body)
    if m is None:
        raise ConfigurationError(
            f"{where}: ${{{body}}} is not a reference of the form ${{kind.name.attr}}", field=where
        )
    kind, name, attr = m.groups()
    if kind not in OUTPUTS:
        raise ConfigurationError(
            f"{where}: ${{{body}}} refers to kind {kind!r}; references name one of "
            f"{', '.join(sorted(OUTPUTS))}",
            field=where,
        )
    if attr not in OUTPUTS[kind]:
        raise ConfigurationError(
            f"{where}: ${{{body}}}: {kind} expose {', '.join(sorted(OUTPUTS[kind]))}, not {attr!r}",
            field=where,
        )
    return Ref(kind, name, attr)


def find_refs(text: str, where: str) -> list[Ref]:
    """Every reference in ``text`` (raises ConfigurationError naming ``where`` for a bad one)."""
    return [_parse(m.group(1), where) for m in _ANY.finditer(text) if m.group(0) != "$${"]


def resolve(text: str, where: str, outputs: Mapping[Ref, str | None]) -> str | None:
    """``text`` with its references replaced; ``None`` while any is still unknown."""
    unknown = False

    def sub(m: re.Match[str]) -> str:
        nonlocal unknown
        if m.group(0) == "$${":
            return "${"
        value = outputs.get(_parse(m.group(1), where))
        if value is None:
            unknown = True
            return ""
        return value

    out = _ANY.sub(sub, text)
    return None if unknown else out


def walk_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string inside ``value`` (dicts, lists), with its dotted path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from walk_strings(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from walk_strings(v, f"{path}[{i}]")
