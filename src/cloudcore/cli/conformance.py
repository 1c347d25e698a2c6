"""``cloudcore conformance NAME [--fake] [--json FILE] [-k EXPR]``: run the conformance suite on a
driver and print the capability matrix (passed / failed / unsupported / not testable).

With ``--fake`` the suite runs against the driver's registered test target (its stand-in, started
and torn down by the run). Without it, the suite connects with the driver's normal options: the
``cloudcore.toml`` profile (``--profile``), ``CLOUDCORE_<DRIVER>_<OPTION>`` variables and ``-o
KEY=VALUE`` -- and creates and deletes real (small, ``cct``-prefixed) resources there.

Exit status: 0 when every capability the driver declares passes (and nothing failed), 1 when a
test failed, 2 on bad usage or when the run itself broke, 5 for an unknown driver or when what the
run needs is not installed: the suite needs pytest and jsonschema, and ``--fake`` needs what the
driver's stand-in runs on (moto for aws) -- ``pip install 'cloudcore[testing]'`` installs them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "main", "run"]


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="registered driver name (see `cloudcore drivers`)")
    p.add_argument(
        "--fake", action="store_true", help="run against the driver's registered test target"
    )
    p.add_argument("--json", dest="json_file", metavar="FILE", help="also write the report as JSON")
    p.add_argument("-k", dest="keyword", metavar="EXPR", help="pytest -k expression")
    p.add_argument(
        "--capability",
        "-c",
        action="append",
        dest="only",
        metavar="CAP",
        help="run only this capability's tests (repeatable)",
    )
    p.add_argument(
        "--option",
        "-o",
        action="append",
        default=argparse.SUPPRESS,
        metavar="KEY=VALUE",
        help="option for the test target (--fake) or the driver connection (repeatable)",
    )
    p.add_argument(
        "--suite-option",
        "-s",
        action="append",
        dest="suite_option",
        metavar="KEY=VALUE",
        help="conformance option, e.g. -s zone=example.net (see the driver-author guide)",
    )
    p.add_argument(
        "--profile",
        default=argparse.SUPPRESS,
        help="profile in cloudcore.toml for the driver connection (without --fake)",
    )
    p.add_argument("--verbose", "-v", action="store_true", help="show pytest's own output")
    p.set_defaults(func=main)


def add_parser(sub: Any, common: argparse.ArgumentParser | None = None) -> None:
    """Add the ``conformance`` subcommand to ``sub`` (an argparse subparsers object)."""
    p = sub.add_parser(
        "conformance",
        help="run the conformance suite on a driver and print its capability matrix",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _configure(p)


def _pairs(items: Sequence[str] | None, what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ValueError(f"{what}: expected KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


SUITE_REQUIRES = ("pytest", "jsonschema")
"""Modules the suite itself runs on (the ``testing`` extra)."""


def _missing_for_run(info: Any, *, fake: bool) -> str | None:
    """The first module the run needs that is not installed (checked without importing it)."""
    import importlib.util

    needed = list(SUITE_REQUIRES)
    if fake:
        needed += [str(m) for m in info.metadata.get("test_requires", ())]
    for module in needed:
        try:
            if importlib.util.find_spec(module) is None:
                return module
        except (ImportError, ValueError):
            return module
    return None


def main(args: argparse.Namespace) -> int:
    """Run the suite as ``args`` say; print the matrix; return the exit status."""
    from ..errors import CloudcoreError, DriverNotFound
    from ..registry import get_driver
    from ..testing.runner import run_suite
    from ..testing.suite._base import ConformanceOptions

    try:
        info = get_driver(args.name)
        missing = _missing_for_run(info, fake=args.fake)
        if missing:
            print(
                f"error: `cloudcore conformance {info.name}{' --fake' if args.fake else ''}` "
                f"needs the module {missing!r}, which is not installed; install it with: "
                "pip install 'cloudcore[testing]'",
                file=sys.stderr,
            )
            return 5
        if args.fake and not info.test_target:
            print(f"driver {info.name!r} registers no test target", file=sys.stderr)
            return 2
        target_options = _pairs(getattr(args, "option", None), "--option")
        if not args.fake and getattr(args, "profile", None):
            target_options.setdefault("profile", args.profile)
        options = _pairs(args.suite_option, "--suite-option")
        ConformanceOptions.build(options)  # refuse unknown options before starting anything
    except DriverNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 5
    except (CloudcoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = run_suite(
        info.name,
        target_options=target_options,
        options=options,
        live=not args.fake,
        capabilities=args.only,
        keyword=args.keyword,
        quiet=not args.verbose,
    )
    print(report.format_text())
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(report.to_json(), indent=2) + "\n")
    if report.error:
        return 2
    return 0 if report.conformant else 1


def run(argv: Sequence[str] | None = None) -> int:
    """``cloudcore conformance`` as a function: ``run(["memory", "--fake", "--json", "r.json"])``."""
    parser = argparse.ArgumentParser(prog="cloudcore conformance", description=__doc__)
    _configure(parser)
    return main(parser.parse_args(argv))
