"""``cloudcore migrate --from SRC --to DST [--plan | --apply]``: move a system between providers.

SRC and DST are a driver name, ``profile:NAME`` (a profile in cloudcore.toml), or a routing
``default=gcp,dns=cloudflare``. ``--plan`` (the default) prints what would happen and writes
nothing anywhere; ``--apply`` migrates, journaling each step in ``--journal`` (default
``.cloudcore/migrate-<src>-<dst>.journal``): run the same command again to resume after a crash.
The source is never written.

Exit codes: 0 done and verified (or a plan), 1 a failure or a verification difference,
2 bad input or a refused plan (strict policy and the target lacks something).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..protocol import CloudProvider

__all__ = ["add_parser"]


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "migrate",
        help="move a whole system (data included) from one provider to another",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--from", dest="source", required=True, metavar="SRC", help="source provider")
    p.add_argument("--to", dest="target", required=True, metavar="DST", help="target provider")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--plan", action="store_true", help="show the plan only (default)")
    mode.add_argument("--apply", action="store_true", help="migrate")
    p.add_argument(
        "--only",
        action="append",
        metavar="KIND",
        help="move only these sections (secrets, databases, caches, buckets, services, dns, waf)",
    )
    p.add_argument(
        "--policy",
        choices=("strict", "lenient"),
        default="strict",
        help="what the target lacks: strict refuses, lenient drops and reports (default strict)",
    )
    p.add_argument("--journal", help="journal file (resume by giving the same file)")
    p.add_argument("--force", action="store_true", help="go past the apply's safety thresholds")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_run)


def _connect(spec: str) -> CloudProvider:
    from ..config import connect
    from ..errors import ConfigurationError

    if spec.startswith("profile:"):
        return connect(profile=spec.removeprefix("profile:"))
    if "=" in spec:
        routing: dict[str, str] = {}
        for part in spec.split(","):
            cap, sep, driver = part.partition("=")
            if not sep or not cap or not driver:
                raise ConfigurationError(
                    f"expected CAPABILITY=DRIVER[,...], got {spec!r}", field="provider"
                )
            routing[cap.strip()] = driver.strip()
        return connect(routing)
    return connect(spec)


def _run(args: argparse.Namespace) -> int:
    from ..migrate import MigrationRefused, migrate, plan_migration

    source, target = _connect(args.source), _connect(args.target)
    try:
        mp = plan_migration(source, target, policy=args.policy, only=args.only)
        if not args.apply:
            if args.json:
                print(json.dumps(mp.to_json(), indent=2))
            else:
                from .stack import render_plan

                print(f"migrate {mp.source} -> {mp.target} (policy {mp.policy}):")
                for g in mp.gaps:
                    print(f"  {'dropped' if g.dropped else 'CANNOT'}: {g}")
                for key, n in mp.secrets.items():
                    print(f"  secret {key}: {n} versions to copy")
                for name in mp.databases:
                    print(f"  database {name}: rows copied and verified per table")
                for name in mp.buckets:
                    print(f"  bucket {name}: objects copied (identical ones skipped)")
                print(render_plan(mp.target_plan))
            return 2 if mp.blocking else 0
        journal = args.journal or f".cloudcore/migrate-{source.name}-{target.name}.journal"
        try:
            report = migrate(
                source,
                target,
                policy=args.policy,
                journal=journal,
                force=args.force,
                progress=None if args.json else (lambda line: print(f"  {line}", flush=True)),
                the_plan=mp,
            )
        except MigrationRefused as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(report.to_json(), indent=2))
        else:
            for g in mp.gaps:
                print(f"  dropped: {g}")
            print("migration complete and verified." if report.ok else "VERIFY FAILED.")
        return 0 if report.ok else 1
    finally:
        source.close()
        target.close()
