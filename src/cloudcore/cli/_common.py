"""Shared CLI plumbing: global options, connecting, output (JSON or tables), errors."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..errors import (
    CloudcoreError,
    ConfigurationError,
    DriverNotFound,
    DriverNotInstalled,
    NotFound,
    Unsupported,
)

if TYPE_CHECKING:
    from ..protocol import CloudProvider

MEMORY_STATE = os.path.join(".cloudcore", "memory.json")
"""Where the CLI keeps the memory driver's state, so separate invocations share it."""

EXIT_CODES: dict[type[CloudcoreError], int] = {
    ConfigurationError: 2,
    Unsupported: 3,
    NotFound: 4,
    DriverNotFound: 5,
    DriverNotInstalled: 5,
}


def common_parser() -> argparse.ArgumentParser:
    """Options every command accepts, before or after its name."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("connection and output")
    g.add_argument(
        "--provider",
        "-p",
        default=argparse.SUPPRESS,
        help="driver name (default: CLOUDCORE_PROVIDER, the profile's, else 'local')",
    )
    g.add_argument("--profile", default=argparse.SUPPRESS, help="profile in cloudcore.toml")
    g.add_argument(
        "--option",
        "-o",
        action="append",
        default=argparse.SUPPRESS,
        metavar="KEY=VALUE",
        help="driver option (repeatable), e.g. -o region=us-east-1",
    )
    g.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON (for scripts)"
    )
    return p


def parse_pairs(items: Sequence[str] | None, what: str) -> dict[str, str]:
    """``["K=V", ...]`` to a dict, with a clear error for a malformed item."""
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigurationError(f"{what}: expected KEY=VALUE, got {item!r}", field=what)
        out[key] = value
    return out


def _option_value(raw: str) -> Any:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        pass
    if raw[:1] in "[{":
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            pass
    return raw


def connect_from(args: argparse.Namespace) -> CloudProvider:
    """Connect as the global options say (the memory driver's state goes to a shared file)."""
    from ..config import connect, load_profile

    options = {
        k: _option_value(v) for k, v in parse_pairs(getattr(args, "option", None), "option").items()
    }
    provider = getattr(args, "provider", None)
    profile = getattr(args, "profile", None)
    name = provider or os.environ.get("CLOUDCORE_PROVIDER") or load_profile(profile).get("provider")
    if name == "memory" and "state_file" not in options:
        options["state_file"] = os.environ.get("CLOUDCORE_MEMORY_STATE_FILE", MEMORY_STATE)
    return connect(provider, profile=profile, **options)


@contextmanager
def connected(args: argparse.Namespace) -> Iterator[CloudProvider]:
    """``connect_from`` as a context manager that closes the provider."""
    cloud = connect_from(args)
    try:
        yield cloud
    finally:
        cloud.close()


def to_jsonable(value: Any) -> Any:
    """Models, lists and mappings to plain JSON-able data (SecretStr stays masked)."""
    from pydantic import BaseModel, SecretStr

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, SecretStr):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | Iterator):
        return [to_jsonable(v) for v in value]
    return value


def emit(
    args: argparse.Namespace,
    data: Any,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print ``data`` as JSON (``--json``) or for humans (a table for lists of records)."""
    plain = to_jsonable(data)
    if getattr(args, "json", False):
        print(json.dumps(plain, indent=2, sort_keys=True, default=str))
        return
    if isinstance(plain, list) and plain and all(isinstance(r, dict) for r in plain):
        table(plain, columns or list(plain[0]), title=title)
    elif isinstance(plain, dict):
        table([{"field": k, "value": v} for k, v in plain.items()], ["field", "value"], title=title)
    elif isinstance(plain, list):
        for item in plain:
            print(item)
        if not plain:
            print("(none)")
    elif plain is not None:
        print(plain)


def _cell(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def table(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], title: str | None = None
) -> None:
    """Render rows as a rich table on stdout."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, show_lines=False)
    for col in columns:
        t.add_column(col, overflow="fold")
    for row in rows:
        t.add_row(*(_cell(row.get(c)) for c in columns))
    Console().print(t)


@contextmanager
def progress(args: argparse.Namespace, message: str) -> Iterator[None]:
    """A spinner on stderr for long work, when stderr is a terminal and output is not JSON."""
    if getattr(args, "json", False) or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield


def report_error(args: argparse.Namespace, exc: CloudcoreError) -> int:
    """Print a cloudcore error for humans (or as JSON) and return the exit code."""
    code = next((c for t, c in EXIT_CODES.items() if isinstance(exc, t)), 1)
    if getattr(args, "json", False):
        body = {"error": {"kind": exc.kind, "message": str(exc), "retryable": exc.retryable}}
        print(json.dumps(body, indent=2), file=sys.stderr)
    else:
        print(f"error: {exc}", file=sys.stderr)
    return code
