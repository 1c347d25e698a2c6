"""Object storage: cloudcore's S3 code against hand-written boto3, on one moto server (real HTTP).

In one run, against the same moto server (its own process, as a real endpoint would be):

* **1 x 200 MB** put and get: cloudcore ``put_object(path)`` / ``download_object(path)`` (SHA-256
  recorded and verified, streamed multipart) against boto3's ``upload_file`` / ``download_file``
  (s3transfer, its defaults: 8 MiB parts, 10 threads, no checksum of the whole object);
* **2,000 x 4 KB** put and get: ``put_object(bytes)`` / ``get_object().read()`` against
  ``put_object`` / ``get_object()["Body"].read()``;
* **listing 10,000 objects**: ``list(list_objects(bucket))`` against the ``list_objects_v2``
  paginator.

Throughput is bytes (or objects) per second of wall time; API calls are counted the same way
for both (a botocore ``before-send`` hook on each client: every HTTP request sent); peak RSS of
this process is sampled every 5 ms during the 200 MB transfers, minus the RSS just before.
Variants alternate, order rotating per round. Targets: cloudcore >= 0.9x boto3's throughput;
peak RSS < 64 MB over the baseline during the 200 MB transfers.

    .venv/bin/python benchmarks/storage.py [--big-mb 200] [--small 2000] [--list 10000]
        [--rounds 2] [--out benchmarks/RESULTS-storage.md]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Any

import boto3

from cloudcore.models.storage import BucketConfig
from cloudcore_aws.provider import AWSProvider

REGION = "us-east-1"
MB = 1_000_000


def _session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION
    )


@contextlib.contextmanager
def _server() -> Iterator[str]:
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


class Counter:
    """HTTP requests sent by the clients it is attached to."""

    def __init__(self) -> None:
        self.n = 0
        self._lock = threading.Lock()

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-send.s3", self._count)

    def _count(self, **_: Any) -> None:
        with self._lock:
            self.n += 1


def _rss() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


@contextlib.contextmanager
def _peak_rss() -> Iterator[dict[str, int]]:
    out = {"base": _rss(), "peak": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            out["peak"] = max(out["peak"], _rss())
            time.sleep(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield out
    finally:
        stop.set()
        thread.join()
        out["peak"] = max(out["peak"], _rss())


def _timed(fn: Callable[[], Any], counter: Counter) -> tuple[float, int]:
    before = counter.n
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start, counter.n - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-mb", type=int, default=200)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--list", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default=None, help="write the results (markdown) here")
    args = parser.parse_args()

    raw_calls, cc_calls = Counter(), Counter()
    rows: list[str] = []
    with _server() as url, tempfile.TemporaryDirectory() as tmp:
        raw = _session().client("s3", endpoint_url=url)
        raw_calls.attach(raw)
        cloud = AWSProvider(region=REGION, endpoint_url=url, session=_session())
        cloud._aws.client_hooks.append(cc_calls.attach)
        cloud.create_bucket(BucketConfig(name="bench-cloudcore"))
        raw.create_bucket(Bucket="bench-raw")
        cloud.put_object("bench-cloudcore", "warm", b"w")  # client creation, moto's lazy load
        raw.put_object(Bucket="bench-raw", Key="warm", Body=b"w")

        big = Path(tmp) / "big.bin"
        with big.open("wb") as fh:
            for _ in range(args.big_mb):
                fh.write(os.urandom(MB))
        size = big.stat().st_size
        results: dict[str, dict[str, list[float]]] = {}

        def record(name: str, tool: str, seconds: float, calls: int, **more: float) -> None:
            slot = results.setdefault(f"{name}|{tool}", {})
            slot.setdefault("seconds", []).append(seconds)
            slot.setdefault("calls", []).append(calls)
            for k, v in more.items():
                slot.setdefault(k, []).append(v)

        # -- 1 x big
        for r in range(args.rounds):
            tools = ["raw", "cloudcore"] if r % 2 == 0 else ["cloudcore", "raw"]
            for tool in tools:
                out = str(Path(tmp) / f"down-{tool}.bin")
                with _peak_rss() as mem:
                    if tool == "raw":
                        up, n_up = _timed(
                            lambda: raw.upload_file(str(big), "bench-raw", "big"), raw_calls
                        )
                    else:
                        up, n_up = _timed(
                            lambda: cloud.put_object("bench-cloudcore", "big", big), cc_calls
                        )
                up_rss = mem["peak"] - mem["base"]
                with _peak_rss() as mem:
                    if tool == "raw":
                        down, n_down = _timed(
                            lambda o=out: raw.download_file("bench-raw", "big", o),  # type: ignore[misc]
                            raw_calls,
                        )
                    else:
                        down, n_down = _timed(
                            lambda o=out: cloud.download_object("bench-cloudcore", "big", o),  # type: ignore[misc]
                            cc_calls,
                        )
                down_rss = mem["peak"] - mem["base"]
                assert Path(out).stat().st_size == size
                Path(out).unlink()
                record("big-put", tool, up, n_up, rss=up_rss)
                record("big-get", tool, down, n_down, rss=down_rss)

        # -- many small
        payload = os.urandom(4096)
        keys = [f"small/{i:05d}" for i in range(args.small)]
        for r in range(args.rounds):
            tools = ["raw", "cloudcore"] if r % 2 == 0 else ["cloudcore", "raw"]
            for tool in tools:
                if tool == "raw":

                    def put_raw() -> None:
                        for k in keys:
                            raw.put_object(Bucket="bench-raw", Key=k, Body=payload)

                    def get_raw() -> None:
                        for k in keys:
                            raw.get_object(Bucket="bench-raw", Key=k)["Body"].read()

                    record("small-put", tool, *_timed(put_raw, raw_calls))
                    record("small-get", tool, *_timed(get_raw, raw_calls))
                else:

                    def put_cc() -> None:
                        for k in keys:
                            cloud.put_object("bench-cloudcore", k, payload)

                    def get_cc() -> None:
                        for k in keys:
                            with cloud.get_object("bench-cloudcore", k) as reader:
                                reader.read()

                    record("small-put", tool, *_timed(put_cc, cc_calls))
                    record("small-get", tool, *_timed(get_cc, cc_calls))

        # -- listing
        cloud.create_bucket(BucketConfig(name="bench-list"))
        filler = _session().client("s3", endpoint_url=url)
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(
                    lambda i: filler.put_object(Bucket="bench-list", Key=f"k/{i:06d}", Body=b""),
                    range(args.list),
                )
            )
        paginator = raw.get_paginator("list_objects_v2")
        for r in range(args.rounds + 1):
            tools = ["raw", "cloudcore"] if r % 2 == 0 else ["cloudcore", "raw"]
            for tool in tools:
                if tool == "raw":

                    def list_raw() -> None:
                        n = sum(
                            len(p.get("Contents", []))
                            for p in paginator.paginate(Bucket="bench-list")
                        )
                        assert n == args.list, n

                    record("list", tool, *_timed(list_raw, raw_calls))
                else:

                    def list_cc() -> None:
                        n = sum(1 for _ in cloud.list_objects("bench-list"))
                        assert n == args.list, n

                    record("list", tool, *_timed(list_cc, cc_calls))
        cloud.close()

    def med(name: str, tool: str, field: str) -> float:
        return statistics.median(results[f"{name}|{tool}"][field])

    amounts = {
        "big-put": (size / MB, "MB/s", f"1 x {size / MB:.0f} MB put"),
        "big-get": (size / MB, "MB/s", f"1 x {size / MB:.0f} MB get"),
        "small-put": (args.small, "objects/s", f"{args.small} x 4 KB put"),
        "small-get": (args.small, "objects/s", f"{args.small} x 4 KB get"),
        "list": (args.list, "objects/s", f"list {args.list} objects"),
    }
    rows.append(
        "| workload | boto3 | cloudcore | ratio (cloudcore/boto3) | API calls boto3 | "
        "API calls cloudcore | peak RSS over baseline boto3 / cloudcore |"
    )
    rows.append("|---|---|---|---|---|---|---|")
    for name, (amount, unit, label) in amounts.items():
        raw_rate = amount / med(name, "raw", "seconds")
        cc_rate = amount / med(name, "cloudcore", "seconds")
        rss = ""
        if name.startswith("big"):
            rss = (
                f"{med(name, 'raw', 'rss') / 2**20:.1f} MiB / "
                f"{med(name, 'cloudcore', 'rss') / 2**20:.1f} MiB"
            )
        rows.append(
            f"| {label} | {raw_rate:,.1f} {unit} | {cc_rate:,.1f} {unit} | "
            f"**{cc_rate / raw_rate:.2f}** | {med(name, 'raw', 'calls'):.0f} | "
            f"{med(name, 'cloudcore', 'calls'):.0f} | {rss} |"
        )
    header = (
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"boto3 {version('boto3')}, moto {version('moto')}; medians of {args.rounds} rounds "
        f"({args.rounds + 1} for the listing), variants alternating."
    )
    text = header + "\n\n" + "\n".join(rows) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
