"""Import and first-call cost of the gcp driver, per capability.

Each measurement runs in a fresh interpreter against the fake GCP APIs on 127.0.0.1: import the
driver, connect, then time the first call of one capability (lazy import of its Google client
library + client construction + the HTTP round trips) and a second, warm call. Reported: the
minimum over ``--repeat`` runs, with bytecode caching on (a normal install) and, with ``--no-pyc``,
off (``PYTHONDONTWRITEBYTECODE=1``, as in this project's dev shell, where every import compiles).

    .venv/bin/python benchmarks/gcp_import_cost.py --repeat 3 --write benchmarks/RESULTS-gcp.md
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import cloudcore
import cloudcore_gcp.provider
t_import = time.perf_counter() - t0
from cloudcore_gcp.testing import FakeGCP
from google.auth.credentials import AnonymousCredentials
fake = FakeGCP().start()
before = set(sys.modules)
t0 = time.perf_counter()
cloud = cloudcore.connect("gcp", project="fake-project", credentials=AnonymousCredentials(),
                          api_endpoint=fake.url, poll_interval=0.01)
t_connect = time.perf_counter() - t0
cap = sys.argv[1]
calls = {
    "secrets": lambda i: cloud.store_secret(f"k{i}", "v"),
    "compute": lambda i: cloud.deploy_service(f"svc{i}", {"image": "nginx", "port": 8080}),
    "database": lambda i: cloud.provision_database({"name": f"db{i}"}),
    "cache": lambda i: cloud.provision_cache({"name": f"c{i}"}),
    "dns": lambda i: cloud.create_dns_record(f"h{i}.example.com", "192.0.2.1"),
    "waf": lambda i: cloud.configure_waf([{"kind": "ip", "cidrs": [f"192.0.2.{i}/32"]}]),
    "discovery": lambda i: list(cloud.list_resources()),
}
t0 = time.perf_counter(); calls[cap](1); first = time.perf_counter() - t0
t0 = time.perf_counter(); calls[cap](2); second = time.perf_counter() - t0
google = sorted(m for m in set(sys.modules) - before if m.count(".") == 2 and m.startswith("google.cloud."))
print(json.dumps({"import": t_import, "connect": t_connect, "first": first, "second": second,
                  "compute_v1": "google.cloud.compute_v1" in sys.modules, "modules": google}))
cloud.close(); fake.stop()
"""

CAPS = ("secrets", "compute", "database", "cache", "dns", "waf", "discovery")


def measure(cap: str, env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, cap], capture_output=True, text=True, env=env, check=False
    )
    if out.returncode:
        raise RuntimeError(f"{cap}: the measurement failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run(repeat: int, pyc: bool) -> dict[str, dict[str, object]]:
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    if pyc:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "cloudcore-bench-pyc")
        for cap in CAPS:  # warm the bytecode cache
            measure(cap, env)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    results: dict[str, dict[str, object]] = {}
    for cap in CAPS:
        runs = [measure(cap, env) for _ in range(repeat)]
        best = {k: min(float(r[k]) for r in runs) for k in ("import", "connect", "first", "second")}  # type: ignore[arg-type]
        results[cap] = {**best, "compute_v1": runs[0]["compute_v1"], "modules": runs[0]["modules"]}
    return results


def table(title: str, results: dict[str, dict[str, object]]) -> str:
    lines = [
        f"### {title}",
        "",
        "| capability | import driver | connect | first call | second call | compute_v1 loaded | Google modules loaded by the first call |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for cap, r in results.items():
        ms = {k: f"{float(r[k]) * 1000:,.0f} ms" for k in ("import", "connect", "first", "second")}  # type: ignore[arg-type]
        mods = ", ".join(str(m).removeprefix("google.cloud.") for m in r["modules"]) or "-"  # type: ignore[attr-defined]
        lines.append(
            f"| {cap} | {ms['import']} | {ms['connect']} | {ms['first']} | {ms['second']} "
            f"| {'yes' if r['compute_v1'] else 'no'} | {mods} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-pyc", action="store_true", help="also measure without bytecode")
    parser.add_argument("--write", help="write the Markdown tables to this file")
    args = parser.parse_args()
    text = table(f"With bytecode cached (min of {args.repeat})", run(args.repeat, pyc=True))
    if args.no_pyc:
        text += "\n" + table(
            f"Without bytecode, PYTHONDONTWRITEBYTECODE=1 (min of {args.repeat})",
            run(args.repeat, pyc=False),
        )
    print(text)
    if args.write:
        Path(args.write).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
