"""Shared CLI plumbing: global options, connecting, output (JSON or tables), errors."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
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
from ._output import FORMATS, emit, output_format, structured, to_jsonable

if TYPE_CHECKING:
    from ..protocol import CloudProvider

__all__ = [
    "EXIT_CODES",
    "FORMATS",
    "common_parser",
    "connect_from",
    "connected",
    "emit",
    "exit_code",
    "for_cli",
    "output_format",
    "parse_pairs",
    "progress",
    "report_error",
    "structured",
    "to_jsonable",
]

MEMORY_STATE = os.path.join(".cloudcore", "memory.json")
"""Where the CLI keeps the memory driver's state, so separate invocations share it."""

EXIT_CODES: dict[type[CloudcoreError], int] = {  # documented in docs/cli.md
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
        "--output",
        choices=FORMATS,
        default=argparse.SUPPRESS,
        metavar="FORMAT",
        help="table (default), json, yaml or text (tab-separated); default: CLOUDCORE_OUTPUT",
    )
    g.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="same as --output json"
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


@contextmanager
def progress(args: argparse.Namespace, message: str) -> Iterator[None]:
    """Show long work as it goes, on stderr (nothing with ``--output json|yaml``).

    On a terminal: a spinner whose text names the write the driver is making now. Otherwise (CI
    logs, pipes): a timestamped line at the start, one per write the driver makes (service and
    API operation, from the ``cloudcore_api_call`` hook: never a value), and one at the end.
    """
    if structured(args):
        yield
        return
    import time

    from ..registry import plugin_manager

    started = time.monotonic()
    tty = sys.stderr.isatty()
    status: Any = None
    pm = plugin_manager()

    class _Steps:
        @staticmethod
        def cloudcore_api_call(event: Any) -> None:
            if not event.mutating:
                return
            step = f"{event.service} {event.operation}"
            if status is not None:
                status.update(f"{message} ({step})")
            elif not tty:
                _stamp(f"  {step}")

    from ..hookspecs import hookimpl

    hookimpl(_Steps.cloudcore_api_call)
    steps = _Steps()
    pm.register(steps)
    try:
        if tty:
            from rich.console import Console
            from rich.markup import escape

            message = escape(message)
            with Console(stderr=True).status(message) as status:
                yield
        else:
            _stamp(message)
            yield
            _stamp(f"done: {message.rstrip('. ')} ({time.monotonic() - started:.1f} s)")
    finally:
        pm.unregister(steps)


def _stamp(message: str) -> None:
    import time

    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def exit_code(exc: CloudcoreError) -> int:
    """The exit status for ``exc`` (see :data:`EXIT_CODES`; any other provider error is 1)."""
    return next((c for t, c in EXIT_CODES.items() if isinstance(exc, t)), 1)


def report_error(args: argparse.Namespace, exc: CloudcoreError) -> int:
    """Print a cloudcore error for humans (or as JSON) and return the exit code."""
    code = exit_code(exc)
    message = for_cli(str(exc))
    hint = _did_you_mean(exc)
    if structured(args):
        body: dict[str, Any] = {
            "error": {"kind": exc.kind, "message": message, "retryable": exc.retryable}
        }
        if hint:
            body["error"]["hint"] = hint
        body["error"]["exit_code"] = code
        print(json.dumps(body, indent=2), file=sys.stderr)
    else:
        print(f"error: {message}", file=sys.stderr)
        if hint:
            print(f"hint: {hint}", file=sys.stderr)
    return code


_PASS_OPTION = re.compile(r"\bpass (\w+)=")
_CONNECT_MAPPING = re.compile(r"connect\((\{[^()]*\})\)")


def for_cli(message: str) -> str:
    """Advice written for Python callers, said the command line's way: ``pass region=`` becomes
    ``-o region=VALUE``, ``connect({...})`` a composition profile in ``cloudcore.toml``."""
    message = _PASS_OPTION.sub(r"pass -o \1=VALUE (or \1 in the profile)", message)
    return _CONNECT_MAPPING.sub(_toml_profile, message)


def _toml_profile(match: re.Match[str]) -> str:
    import ast

    try:
        mapping = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return match.group(0)
    if not isinstance(mapping, dict):
        return match.group(0)
    table = ", ".join(f"{k} = {json.dumps(str(v))}" for k, v in mapping.items())
    return f"a cloudcore.toml profile with provider = {{ {table} }}"


def _did_you_mean(exc: CloudcoreError) -> str | None:
    if isinstance(exc, DriverNotFound):
        import difflib

        close = difflib.get_close_matches(exc.name.lower(), exc.known, n=1, cutoff=0.5)
        if close:
            return f"did you mean --provider {close[0]}? (`cloudcore drivers` lists them all)"
    if isinstance(exc, DriverNotInstalled) and exc.install_command:
        return f"{exc.install_command}, then `cloudcore drivers` shows it installed"
    return None
