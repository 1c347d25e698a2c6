"""``cloudcore demo``: the README's main job, on the embedded ``local`` driver.

Added to the command line by this package's plugin (``cloudcore_cli_commands``); the demo itself
is imported only when the command runs."""

from __future__ import annotations

import argparse
from typing import Any

from cloudcore.errors import DriverNotInstalled


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "demo",
        parents=[common],
        help="deploy an example web service with 2 replicas and a secret on this machine",
        description="Deploys an example web service (2 replicas, a secret injected as an "
        "environment variable) with the local driver, waits until it is healthy, shows its "
        "status, makes a real HTTP request to it, lists resources, prints the AI tool manifest "
        "and cleans up.",
    )
    p.add_argument("--keep", action="store_true", help="leave the service running afterwards")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    try:
        from cloudcore_baremetal.demo import run_demo
    except ImportError as exc:
        raise DriverNotInstalled("local", "baremetal", exc.name) from exc
    return int(run_demo(keep=args.keep, echo=print))
