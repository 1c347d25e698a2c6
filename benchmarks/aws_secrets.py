"""cloudcore's AWS driver against raw boto3, side by side on one moto server (real HTTP).

1,000 ``store_secret`` (new secrets) and 1,000 ``get_secret`` through cloudcore, and the same
through a plain boto3 client, interleaved in rounds of 10 with the order rotating, so every
variant sees the same server, warm-up and drift. Two raw baselines:

* **raw minimal**: ``create_secret(Name, SecretString)`` / ``get_secret_value(SecretId)``, what a
  quick script writes;
* **raw same request**: the request cloudcore sends (``managed-by``/``cloudcore-name`` tags and a
  ``ClientRequestToken`` on create, ``VersionStage="AWSCURRENT"`` on get), so the difference is
  cloudcore's own cost, not the server's work on the extra fields.

The moto server runs in its own process (as a real endpoint would), so client and server do not
share one interpreter lock; ``--in-process`` uses ``ThreadedMotoServer`` instead.
Target: cloudcore at most 1.10 times raw boto3.

    .venv/bin/python benchmarks/aws_secrets.py [--n 1000] [--round 10] [--in-process]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import platform
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from importlib.metadata import version

import boto3

from cloudcore_aws.provider import AWSProvider

REGION = "us-east-1"


def _session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION
    )


@contextlib.contextmanager
def _server(in_process: bool) -> Iterator[str]:
    if in_process:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="operations of each kind")
    parser.add_argument("--round", type=int, default=10, help="operations per interleaved round")
    parser.add_argument("--in-process", action="store_true", help="ThreadedMotoServer in-process")
    args = parser.parse_args()

    with _server(args.in_process) as url:
        raw = _session().client("secretsmanager", endpoint_url=url)
        cloud = AWSProvider(region=REGION, endpoint_url=url, session=_session())
        # warm up every path (client creation, moto's lazy backend load) outside the timings
        raw.create_secret(Name="warm-raw", SecretString="x")
        raw.get_secret_value(SecretId="warm-raw")
        cloud.store_secret("warm-cc", "x")
        cloud.get_secret("warm-cc")

        def same_create(i: int) -> object:
            key = f"same/s{i:05d}"
            return raw.create_secret(
                Name=key,
                SecretString=f"v{i}",
                Tags=[
                    {"Key": "cloudcore-name", "Value": key},
                    {"Key": "managed-by", "Value": "cloudcore"},
                ],
                ClientRequestToken=str(uuid.uuid4()),
            )

        stores: dict[str, Callable[[int], object]] = {
            "raw minimal": lambda i: raw.create_secret(Name=f"raw/s{i:05d}", SecretString=f"v{i}"),
            "raw same request": same_create,
            "cloudcore": lambda i: cloud.store_secret(f"cc/s{i:05d}", f"v{i}"),
        }
        gets: dict[str, Callable[[int], object]] = {
            "raw minimal": lambda i: raw.get_secret_value(SecretId=f"raw/s{i:05d}"),
            "raw same request": lambda i: raw.get_secret_value(
                SecretId=f"same/s{i:05d}", VersionStage="AWSCURRENT"
            ),
            "cloudcore": lambda i: cloud.get_secret(f"cc/s{i:05d}"),
        }
        totals: dict[tuple[str, str], float] = {}
        cpu: dict[tuple[str, str], float] = {}
        for what, variants in (("store_secret", stores), ("get_secret", gets)):
            names = list(variants)
            for r, first in enumerate(range(0, args.n, args.round)):
                keys = range(first, min(first + args.round, args.n))
                order = names[r % len(names) :] + names[: r % len(names)]
                for name in order:
                    start, start_cpu = time.perf_counter(), time.process_time()
                    for i in keys:
                        variants[name](i)
                    totals[what, name] = totals.get((what, name), 0.0) + time.perf_counter() - start
                    cpu[what, name] = cpu.get((what, name), 0.0) + time.process_time() - start_cpu
        cloud.close()

    n = args.n
    where = "in-process ThreadedMotoServer" if args.in_process else "moto server in its own process"
    print(f"# cloudcore vs raw boto3: Secrets Manager, moto {version('moto')} ({where}), n={n}")
    print(
        f"python {platform.python_version()}, boto3 {boto3.__version__}, "
        f"{platform.machine()}, rounds of {args.round} interleaved\n"
    )
    print(
        "| operation | raw minimal ms/call | raw same request ms/call | cloudcore ms/call "
        "| ratio vs minimal | ratio vs same request |"
    )
    print("|---|---|---|---|---|---|")
    sums = {"raw minimal": 0.0, "raw same request": 0.0, "cloudcore": 0.0}
    for what in ("store_secret", "get_secret"):
        row = {name: totals[what, name] for name in sums}
        for name in sums:
            sums[name] += row[name]
        print(
            f"| {what} x{n} | {row['raw minimal'] / n * 1e3:.2f} | "
            f"{row['raw same request'] / n * 1e3:.2f} | {row['cloudcore'] / n * 1e3:.2f} | "
            f"{row['cloudcore'] / row['raw minimal']:.3f} | "
            f"{row['cloudcore'] / row['raw same request']:.3f} |"
        )
    vs_min = sums["cloudcore"] / sums["raw minimal"]
    vs_same = sums["cloudcore"] / sums["raw same request"]
    print(
        f"| both | {sums['raw minimal']:.2f} s | {sums['raw same request']:.2f} s | "
        f"{sums['cloudcore']:.2f} s | **{vs_min:.3f}** | **{vs_same:.3f}** |"
    )
    print("\nClient CPU per call (ms; the client's own work, no waiting on the server):\n")
    print("| operation | raw minimal | raw same request | cloudcore |")
    print("|---|---|---|---|")
    for what in ("store_secret", "get_secret"):
        print(
            f"| {what} | {cpu[what, 'raw minimal'] / n * 1e3:.3f} | "
            f"{cpu[what, 'raw same request'] / n * 1e3:.3f} | {cpu[what, 'cloudcore'] / n * 1e3:.3f} |"
        )
    print(
        f"\ntarget ratio <= 1.10: vs minimal {'met' if vs_min <= 1.10 else 'NOT met'}, "
        f"vs same request {'met' if vs_same <= 1.10 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
