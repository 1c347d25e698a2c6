"""``cloudcore iam-policy aws``: the least-privilege IAM policy for the chosen capabilities.

Added to the command line by this package's plugin (``cloudcore_cli_commands``); boto3 is not
imported (the policy is data)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cloudcore.capabilities import Capability
from cloudcore.errors import ConfigurationError, DriverNotInstalled


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "iam-policy",
        parents=[common],
        help="print the minimal IAM policy a driver needs (aws)",
    )
    p.add_argument("driver", choices=["aws"])
    p.add_argument(
        "--capability",
        "-c",
        action="append",
        choices=[c.value for c in Capability],
        help="only these capabilities (repeatable; default: all the driver offers)",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    try:
        from cloudcore_aws.iam import policy_for
    except ImportError as exc:
        raise DriverNotInstalled("aws", "aws", exc.name) from exc
    caps = [Capability(c) for c in (args.capability or [])] or None
    try:
        policy = policy_for(caps)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    print(json.dumps(policy, indent=2, sort_keys=False))
    return 0
