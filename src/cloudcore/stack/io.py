"""Reading and writing stack files: YAML, TOML or JSON, chosen by the file's suffix."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from .model import Stack

__all__ = ["dump_stack", "load_stack", "parse_stack"]

_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}


def _format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in _FORMATS:
        raise ConfigurationError(
            f"{path}: a stack file ends in .yaml, .yml, .toml or .json (got {suffix or 'none'})",
            field="file",
        )
    return _FORMATS[suffix]


def parse_stack(text: str, fmt: str = "yaml", source: str = "<stack>") -> Stack:
    """A stack from the text of a file in ``fmt`` (``yaml``, ``toml`` or ``json``)."""
    data: Any
    try:
        if fmt == "yaml":
            import yaml

            data = yaml.safe_load(text)
        elif fmt == "toml":
            data = tomllib.loads(text)
        elif fmt == "json":
            data = json.loads(text)
        else:
            raise ConfigurationError(f"unknown stack format {fmt!r}", field="format")
    except ConfigurationError:
        raise
    except Exception as exc:
        raise ConfigurationError(
            f"{source}: not valid {fmt.upper()}: {exc}", field="file"
        ) from None
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"{source}: a stack file holds a mapping at the top (got {type(data).__name__})",
            field="file",
        )
    try:
        return Stack.model_validate(data)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{source}: {exc}", field=exc.field) from None


def load_stack(path: str | Path) -> Stack:
    """Read a stack file (``.yaml``, ``.yml``, ``.toml`` or ``.json``)."""
    fmt = _format(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{path}: {exc.strerror or exc}", field="file") from None
    return parse_stack(text, fmt, str(path))


def dump_stack(stack: Stack, fmt: str = "yaml") -> str:
    """The stack as text in ``fmt``; defaults and empty sections left out."""
    data = stack.model_dump(mode="json", exclude_defaults=True)
    data = {"format": stack.format, **data}
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=False) + "\n"
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    raise ConfigurationError(f"stacks are written as yaml or json, not {fmt!r}", field="format")
