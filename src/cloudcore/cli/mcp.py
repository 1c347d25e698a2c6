"""``cloudcore mcp``: serve a provider to AI agents over MCP (stdio).

Read-only by default: write tools appear only with ``--allow-writes``, and ``get_secret`` (the
one tool returning a secret value) only with ``--allow-secret-values``. Needs the ``mcp``
package: ``pip install 'cloudcore[mcp]'``. Nothing but MCP messages goes to stdout.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import common_parser, connected

__all__ = ["add_parser", "main"]


def add_parser(sub: Any, common: argparse.ArgumentParser | None = None) -> None:
    """Add the ``mcp`` subcommand to ``sub`` (an argparse subparsers object)."""
    p = sub.add_parser(
        "mcp",
        parents=[common or common_parser()],
        help="serve the provider as an MCP server over stdio (read-only by default)",
        description=__doc__,
    )
    p.add_argument(
        "--allow-writes", action="store_true", help="offer tools that create, change or delete"
    )
    p.add_argument(
        "--allow-secret-values",
        action="store_true",
        help="offer get_secret, which returns secret values to the agent",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Serve until the client disconnects; returns the exit code."""
    from ..llm.mcp import build_server, run_stdio

    with connected(args) as cloud:
        build_server(cloud)  # fail fast (missing mcp) before reading stdin
        print(
            f"cloudcore mcp: serving {cloud.name} over stdio "
            f"({'read-write' if args.allow_writes else 'read-only'}"
            f"{', secret values allowed' if args.allow_secret_values else ''})",
            file=sys.stderr,
        )
        run_stdio(
            cloud,
            allow_writes=args.allow_writes,
            allow_secret_values=args.allow_secret_values,
        )
    return 0
