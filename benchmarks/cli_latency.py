"""Command-line latency: cloudcore beside the provider CLIs, measured by hyperfine in one run.

Commands (each a fresh process, as a user runs it):

* ``cloudcore --help``, ``cloudcore drivers``, ``cloudcore completion bash``: no driver imported;
* ``cloudcore -p memory secrets list``: a read on the in-process driver (state in a temp file);
* ``cloudcore -p aws dns list ZONE``: a read of 100 record sets from a moto server (real HTTP);
* anchors: ``aws --version``, ``aws route53 list-resource-record-sets`` (the same read as
  cloudcore's, against the same moto server) and ``gcloud --version``, where installed.

The moto server runs in its own process; the zone and its 100 A records are created before
timing. hyperfine (Debian package ``hyperfine``, installed by ``./dev setup``) runs the commands
without a shell (``-N``), with warm-up runs first, and exports JSON from which the Markdown
table is written. Run under the shared lock::

    flock /tmp/cloudcore-heavy.lock .venv/bin/python benchmarks/cli_latency.py \\
        [--runs 20] [--out benchmarks/RESULTS-cli.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REGION = "us-east-1"
ZONE = "cli-bench.example.com"
RECORDS = 100
AWS_READ = ("dns", "list", ZONE)
FAKE_KEYS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def moto_server() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def make_zone(url: str) -> str:
    import boto3

    client = boto3.client("route53", endpoint_url=url, region_name=REGION)
    zone_id: str = client.create_hosted_zone(Name=ZONE, CallerReference=str(time.time()))[
        "HostedZone"
    ]["Id"]
    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": f"host{i}.{ZONE}",
                "Type": "A",
                "TTL": 300,
                "ResourceRecords": [{"Value": f"10.0.{i // 256}.{i % 256}"}],
            },
        }
        for i in range(RECORDS - 2)  # with the apex SOA and NS: RECORDS record sets
    ]
    client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return zone_id.rsplit("/", 1)[-1]


def commands(url: str, zone_id: str) -> list[tuple[str, list[str]]]:
    bindir = Path(sys.executable).parent
    cc = str(bindir / "cloudcore")
    out: list[tuple[str, list[str]]] = [
        ("cloudcore --help", [cc, "--help"]),
        ("cloudcore drivers", [cc, "drivers"]),
        ("cloudcore completion bash", [cc, "completion", "bash"]),
        ("cloudcore -p memory secrets list", [cc, "-p", "memory", "secrets", "list"]),
        (
            f"cloudcore -p aws dns list ({RECORDS} records, moto)",
            [cc, "-p", "aws", "-o", f"endpoint_url={url}", "-o", f"region={REGION}", *AWS_READ],
        ),
    ]
    aws = shutil.which("aws")
    zone_args = ["--hosted-zone-id", zone_id, "--output", "table"]
    if aws:
        out.append(("aws --version", [aws, "--version"]))
        out.append(
            (
                f"aws route53 list-resource-record-sets ({RECORDS} records, moto)",
                [aws, "--endpoint-url", url, "route53", "list-resource-record-sets", *zone_args],
            )
        )
    gcloud = shutil.which("gcloud")
    if gcloud:
        out.append(("gcloud --version", [gcloud, "--version"]))
    return out


def _version(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (done.stdout or done.stderr).strip().splitlines()[0]


def run_hyperfine(
    cmds: list[tuple[str, list[str]]], runs: int, env: dict[str, str]
) -> list[dict[str, Any]]:
    import shlex

    for name, cmd in cmds:  # each must work before it is timed
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr[-500:]}")
    with tempfile.NamedTemporaryFile(suffix=".json") as export:
        argv = ["hyperfine", "-N", "--warmup", "3", "--runs", str(runs), "--export-json"]
        argv.append(export.name)
        for name, cmd in cmds:
            argv += ["-n", name, shlex.join(cmd)]
        subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
        results: list[dict[str, Any]] = json.loads(Path(export.name).read_text())["results"]
    return results


def write(
    results: list[dict[str, Any]], out: Path, load: tuple[float, ...], versions: dict[str, str]
) -> str:
    by_name = {r["command"]: r for r in results}
    anchors = {
        "aws --version": "aws --version",
        "aws route53": next((n for n in by_name if n.startswith("aws route53")), ""),
    }
    lines = [
        "# Command-line latency: cloudcore beside the provider CLIs",
        "",
        "Written by `benchmarks/cli_latency.py` (hyperfine, one run, each command a fresh process,",
        "3 warm-up runs). Repeat with:",
        "",
        "    flock /tmp/cloudcore-heavy.lock .venv/bin/python benchmarks/cli_latency.py",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} cores shared with other work; load "
        f"average before the run {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min), "
        "so the spread is wide: compare medians and minima within this one run.",
        "",
        "Versions: " + "; ".join(f"{k} {v}" for k, v in versions.items()) + ".",
        "",
        "| command | median ms | min ms | mean ± sd ms | ÷ aws --version | ÷ aws, same read |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    base = by_name.get(anchors["aws --version"])
    read = by_name.get(anchors["aws route53"])
    for r in results:
        med, low = r["median"] * 1000, r["min"] * 1000
        ratio = f"{r['median'] / base['median']:.2f}" if base else "-"
        same = f"{r['median'] / read['median']:.2f}" if read else "-"
        lines.append(
            f"| `{r['command']}` | {med:.0f} | {low:.0f} | "
            f"{r['mean'] * 1000:.0f} ± {r['stddev'] * 1000:.0f} | {ratio} | {same} |"
        )
    lines += [
        "",
        "What makes these numbers: `cloudcore --help`, `drivers` and `completion` import no driver,",
        "no SDK, no pydantic and no rich (a test asserts it); the entry-point scan is cached per",
        "environment (`cloudcore._epcache`); tables are rendered without rich. A read imports",
        "pydantic and the models (the memory driver) or boto3 as well (aws).",
        "",
    ]
    text = "\n".join(lines)
    out.write_text(text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/RESULTS-cli.md"))
    args = parser.parse_args()
    if not shutil.which("hyperfine"):
        raise SystemExit("hyperfine is not installed (apt-get install hyperfine; ./dev setup)")
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as home, moto_server() as url:
        env = {
            **os.environ,
            **FAKE_KEYS,
            "CLOUDCORE_MEMORY_STATE_FILE": str(Path(home) / "memory.json"),
            "CLOUDCORE_PROVIDER": "memory",
        }
        os.environ.update(FAKE_KEYS)
        zone_id = make_zone(url)
        cmds = commands(url, zone_id)
        versions = {
            "cloudcore": _version([cmds[0][1][0], "--version"]),
            "hyperfine": _version(["hyperfine", "--version"]),
        }
        for tool in ("aws", "gcloud"):
            if shutil.which(tool):
                versions[tool] = _version([tool, "--version"])
        results = run_hyperfine(cmds, args.runs, env)
    print(write(results, args.out, load, versions))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
