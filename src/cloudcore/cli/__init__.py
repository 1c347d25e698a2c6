"""The ``cloudcore`` command line.

Every command that prints data takes ``--output table|json|yaml|text`` (``--json`` for short);
connection options (``--provider``, ``--profile``, ``-o KEY=VALUE``) go before or after the
command name. Exit codes: 0 ok, 1 provider error, 2 bad input, 3 unsupported, 4 not found,
5 driver missing or unknown (``docs/cli.md``). Nothing here imports a driver or an SDK until a
command needs it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from ..errors import CloudcoreError
from ._common import common_parser, connected, emit, report_error, structured
from ._help import finish

__all__ = ["build_parser", "main"]

# Subcommands living in their own modules: (module, attribute that adds the parser).
_EXTENSIONS = (
    "cloudcore.cli.conformance",
    "cloudcore.cli.tools",
    "cloudcore.cli.mcp",
    "cloudcore.cli.completion",
    "cloudcore.cli.stack",
    "cloudcore.cli.migrate",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for docs and tests)."""
    from . import compute, queues, resources, storage

    common = common_parser()
    parser = argparse.ArgumentParser(
        prog="cloudcore",
        description="Manage infrastructure the same way on AWS, Cloudflare, Google Cloud and "
        "your own servers.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser(
        "drivers", parents=[common], help="registered drivers, capabilities, install state"
    )
    p.set_defaults(func=drivers)
    p = sub.add_parser("resources", parents=[common], help="list what cloudcore manages")
    p.add_argument("--type", help="service, database, backup, cache, dns_zone, dns_record, ...")
    p.add_argument("--tag", action="append", metavar="KEY=VALUE", help="filter by tag")
    p.set_defaults(func=list_resources)
    p = sub.add_parser("schema", parents=[common], help="schema of a resource id or type:NAME")
    p.add_argument("id")
    p.set_defaults(func=schema)

    compute.add_parsers(sub, common)
    resources.add_parsers(sub, common)
    storage.add_parsers(sub, common)
    queues.add_parsers(sub, common)
    for module_name in _EXTENSIONS:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            if exc.name != module_name:
                raise
            continue
        module.add_parser(sub, common)
    _plugin_commands(sub, common)
    finish(parser)
    return parser


def _plugin_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Subcommands contributed by driver plugins (``cloudcore_cli_commands``)."""
    from ..registry import available_drivers, plugin_manager

    available_drivers()  # loads and registers every plugin module
    plugin_manager().hook.cloudcore_cli_commands(subparsers=sub, common=common)


def _version() -> str:
    from .. import __version__

    return f"cloudcore {__version__}"


def drivers(args: argparse.Namespace) -> int:
    """Each registered driver: capabilities, whether installed, how to install it.

    Reads only what the plugins registered (no driver or SDK is imported), except for
    ``--output json|yaml``, which adds each installed driver's declared features and so imports
    the driver classes.
    """
    from ..registry import available_drivers, plugin_errors

    full = structured(args)
    rows = []
    for name, info in available_drivers().items():
        missing = info.missing_module()
        row: dict[str, Any] = {
            "name": name,
            "description": info.description,
            "capabilities": list(info.capabilities),
            "installed": missing is None,
            "install": info.install_command if missing else None,
            "missing_module": missing,
            "plugin": info.plugin,
            "test_target": info.test_target,
        }
        if full:
            row["features"] = _features(name) if missing is None else {}
        rows.append(row)
    errors = plugin_errors()
    if full:
        emit(args, {"drivers": rows, "plugin_errors": errors})
    else:
        emit(args, rows, columns=["name", "installed", "capabilities", "install", "description"])
        for name, err in errors.items():
            print(f"plugin {name!r} failed to load: {err}", file=sys.stderr)
    return 0


def _features(name: str) -> dict[str, list[str]]:
    """Declared features per capability, read from the driver class without connecting."""
    from ..registry import load_factory

    try:
        factory = load_factory(name)
    except CloudcoreError:
        return {}
    feats: Any = getattr(factory, "features", {})
    if not isinstance(feats, dict):
        return {}
    return {str(cap): sorted(values) for cap, values in feats.items()}


def list_resources(args: argparse.Namespace) -> int:
    from ._common import parse_pairs

    tags = parse_pairs(args.tag, "tag")
    with connected(args) as cloud:
        items = list(cloud.list_resources(args.type, tags or None))
    emit(args, items, columns=["id", "type", "state", "endpoints"], title="resources")
    return 0


def schema(args: argparse.Namespace) -> int:
    import json

    with connected(args) as cloud:
        result = cloud.get_resource_schema(args.id)
    print(json.dumps(result.model_dump(mode="json"), indent=2, sort_keys=True))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see ``cloudcore --help``)."""
    words = list(sys.argv[1:] if argv is None else argv)
    trailing: list[str] | None = None
    if "--" in words:  # `deploy api --port 8000 -- python3 -m http.server`: the command, verbatim
        cut = words.index("--")
        words, trailing = words[:cut], words[cut + 1 :]
    parser = build_parser()
    args = parser.parse_args(words)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    if trailing is not None:
        if not getattr(args, "accepts_trailing", False):
            parser.error("'--' is only for `cloudcore deploy NAME [OPTIONS] -- COMMAND [ARG ...]`")
        args.trailing = trailing
    if getattr(args, "output", None) is None and getattr(args, "json", False):
        args.output = "json"
    args.json = structured(args)  # for plugin commands that read args.json
    try:
        code: int = func(args)
        return code
    except CloudcoreError as exc:
        return report_error(args, exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
