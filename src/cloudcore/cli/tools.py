"""``cloudcore tools``: print the AI tool manifest of a provider.

``--format well-known`` (the ``/.well-known/ai-tools.json`` document), ``openai`` or
``anthropic``; read-only tools only unless ``--allow-writes``; ``get_secret`` only with
``--allow-secret-values``. Always JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._common import common_parser, connected

__all__ = ["add_parser", "main"]


def add_parser(sub: Any, common: argparse.ArgumentParser | None = None) -> None:
    """Add the ``tools`` subcommand to ``sub`` (an argparse subparsers object)."""
    p = sub.add_parser(
        "tools",
        parents=[common or common_parser()],
        help="the AI tool manifest (well-known, openai or anthropic format)",
        description=__doc__,
    )
    p.add_argument(
        "--format",
        "-f",
        choices=("well-known", "openai", "anthropic"),
        default="well-known",
        help="manifest format (default: well-known)",
    )
    p.add_argument("--allow-writes", action="store_true", help="include tools that change things")
    p.add_argument(
        "--allow-secret-values", action="store_true", help="include get_secret (returns values)"
    )
    p.add_argument(
        "--out-file", metavar="FILE", help="write to FILE instead of stdout (always JSON)"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Print the manifest; returns the exit code."""
    from ..llm.manifest import tools

    with connected(args) as cloud:
        doc = tools(
            cloud,
            args.format,
            allow_writes=args.allow_writes,
            allow_secret_values=args.allow_secret_values,
        )
    text = json.dumps(doc, indent=2, sort_keys=True)
    if args.out_file:
        with open(args.out_file, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    return 0
