"""Planning a large stack against the aws test target: requests made and time.

Creates, on a moto server (real HTTP), ``--services`` ECS services and ``--records`` Route53
records through the aws driver, then plans a stack describing exactly them (so the plan is
empty) and a second time with one TTL changed. Reports the requests the server saw for each plan
(counted server-side), split by API operation, the requests per resource, and the time.

Usage: .venv/bin/python benchmarks/stack_plan.py [--services 200] [--records 2000] [--write]
"""

from __future__ import annotations

import argparse
import collections
import os
import time
from pathlib import Path
from typing import Any

from cloudcore.stack import Stack, plan
from cloudcore_aws.testing import FAKE_ZONE, fake_target


def _stack(services: int, records: int, ttl0: int = 300) -> Stack:
    return Stack.model_validate(
        {
            "name": "bench",
            "services": {
                f"svc-{i:03d}": {
                    "image": f"ghcr.io/bench/svc:{i}",
                    "port": 8080,
                    "cpu": 0.25,
                    "memory": 512,
                    "env": {"INDEX": str(i)},
                }
                for i in range(services)
            },
            "dns": {
                FAKE_ZONE.rstrip("."): [
                    {
                        "name": f"h{i:05d}",
                        "type": "A",
                        "values": [f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"],
                        "ttl": 300 if i else ttl0,
                    }
                    for i in range(records)
                ]
            },
        }
    )


def _measure(label: str, target: Any, stack: Stack) -> dict[str, Any]:
    wire = target.wire
    before = wire.snapshot()
    start = time.monotonic()
    p = plan(stack, target.provider, env={})
    took = time.monotonic() - start
    seen = wire.since(before)
    ops = collections.Counter(w.split(" ", 1)[0] for w in seen.writes)
    changed = [c for c in p.changes if c.action != "noop"]
    print(
        f"{label}: {took:.1f}s, {seen.requests} requests ({seen.mutating} mutating), "
        f"{len(changed)} changes",
        flush=True,
    )
    return {
        "label": label,
        "seconds": took,
        "requests": seen.requests,
        "mutating": seen.mutating,
        "changes": len(changed),
        "ops": dict(ops),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--services", type=int, default=200)
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    with fake_target(full=True) as target:
        stack = _stack(args.services, args.records)
        start = time.monotonic()
        for name in stack.entries("services"):
            target.provider.deploy_service(name, stack.render("services", name, {}))
        target.provider.upsert_dns_records(stack.render("dns", FAKE_ZONE.rstrip("."), {}))
        print(f"setup: {time.monotonic() - start:.0f}s", flush=True)
        rows = [
            _measure("plan, nothing changed", target, stack),
            _measure("plan, one TTL changed", target, _stack(args.services, args.records, 600)),
        ]
    resources = args.services + args.records
    for r in rows:
        r["per_resource"] = r["requests"] / resources
    if args.write:
        out = Path(__file__).with_name("RESULTS-stacks.md")
        out.write_text(
            "# Stack plan benchmark\n\n"
            f"`.venv/bin/python benchmarks/stack_plan.py --services {args.services} --records "
            f"{args.records} --write`, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
            "aws driver against one moto server over HTTP; requests counted by the server.\n\n"
            "| plan | time | requests | mutating | requests per resource | changes |\n"
            "|---|---|---|---|---|---|\n"
            + "".join(
                f"| {r['label']} | {r['seconds']:.1f} s | {r['requests']} | {r['mutating']} | "
                f"{r['per_resource']:.2f} | {r['changes']} |\n"
                for r in rows
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
