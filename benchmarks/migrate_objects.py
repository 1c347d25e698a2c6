"""Object copy between two S3 endpoints: cloudcore's mover vs ``rclone sync``, in one run.

Starts two moto servers (the aws driver's test target, real HTTP), puts ``--objects`` objects of
``--size`` bytes into a bucket on the first, then alternates:

- ``rclone sync`` (Debian's rclone) from the first endpoint's bucket to a fresh bucket on the
  second, with ``--transfers`` parallel transfers and checksums on;
- cloudcore: :func:`cloudcore.migrate.copy_objects` (the same count of parallel transfers), into
  a fresh bucket created by the aws driver.

For each: wall time, and the requests each moto server saw (counted server-side). A second run
of each on the now-identical buckets shows what "already in sync" costs. With ``--write`` the
result goes to ``benchmarks/RESULTS-migrate.md`` (appended section).

Usage: .venv/bin/python benchmarks/migrate_objects.py [--objects 2000] [--size 16384] [--write]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cloudcore.migrate import copy_objects
from cloudcore_aws.testing import fake_target


def _rclone_env(src: Any, dst: Any) -> dict[str, str]:
    # rclone's S3 backend cannot use a custom CA bundle with its own HTTP transport, and the
    # endpoints are plain http:// on loopback anyway
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    for name, target in (("SRC", src), ("DST", dst)):
        prefix = f"RCLONE_CONFIG_{name}_"
        env.update(
            {
                prefix + "TYPE": "s3",
                prefix + "PROVIDER": "Other",
                prefix + "ENDPOINT": target.url,
                prefix + "ACCESS_KEY_ID": "testing",
                prefix + "SECRET_ACCESS_KEY": "testing",
                prefix + "REGION": "us-east-1",
                prefix + "FORCE_PATH_STYLE": "true",
            }
        )
    return env


def _timed(label: str, fn: Any, servers: list[Any]) -> tuple[float, int]:
    before = [s.wire.snapshot() for s in servers]
    start = time.monotonic()
    fn()
    took = time.monotonic() - start
    requests = sum(s.wire.since(b).requests for s, b in zip(servers, before, strict=True))
    print(f"{label:<34} {took:7.2f}s  {requests:6d} requests", flush=True)
    return took, requests


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=2000)
    ap.add_argument("--size", type=int, default=16384)
    ap.add_argument("--transfers", type=int, default=8)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    rclone = shutil.which("rclone")
    if rclone is None:
        print("needs rclone (apt-get install rclone)", file=sys.stderr)
        return 2
    rows: list[tuple[str, float, int]] = []
    with contextlib.ExitStack() as stack:
        src = stack.enter_context(fake_target(full=True))
        dst = stack.enter_context(fake_target(full=True))
        for target in (src, dst):
            # the test target pages by 7 and splits parts at the minimum (cheap boundary tests);
            # measure with the driver's own defaults (1,000 keys a page), as a user runs it
            cls = type(target.provider)
            target.provider.object_page_size = cls.object_page_size
            target.provider.multipart_threshold = cls.multipart_threshold
            target.provider.part_size = cls.part_size
        src.provider.create_bucket({"name": "data"})
        blob = os.urandom(args.size)
        for i in range(args.objects):
            src.provider.put_object("data", f"objects/{i:05d}.bin", blob[i % 97 :] + blob[: i % 97])
        dst.client("s3").create_bucket(Bucket="data-rclone")
        # S3 bucket names are global (also across moto's per-server accounts): distinct names
        dst.provider.create_bucket({"name": "data-cloudcore"})
        env = _rclone_env(src, dst)
        servers = [src, dst]

        def run_rclone() -> None:
            subprocess.run(
                [
                    rclone,
                    "sync",
                    "src:data",
                    "dst:data-rclone",
                    "--transfers",
                    str(args.transfers),
                    "--checksum",
                    "--s3-no-check-bucket",
                    "-q",
                ],
                check=True,
                env=env,
            )

        def run_cloudcore() -> None:
            copy_objects(
                src.provider,
                dst.provider,
                "data",
                dest_bucket="data-cloudcore",
                concurrency=args.transfers,
            )

        for label, fn in (
            ("rclone sync (first copy)", run_rclone),
            ("cloudcore copy_objects (first copy)", run_cloudcore),
            ("rclone sync (already in sync)", run_rclone),
            ("cloudcore (already in sync)", run_cloudcore),
        ):
            took, requests = _timed(label, fn, servers)
            rows.append((label, took, requests))
    if args.write:
        out = Path(__file__).with_name("RESULTS-migrate.md")
        text = out.read_text() if out.exists() else "# Migration benchmarks\n"
        marker = "\n## Object copy between two S3 endpoints\n"
        text = (
            text.split(marker)[0].rstrip("\n")
            + "\n"
            + marker
            + (
                f"\n`.venv/bin/python benchmarks/migrate_objects.py --objects {args.objects} "
                f"--size {args.size} --transfers {args.transfers} --write`, "
                f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores; two moto servers over HTTP; "
                "requests counted by the servers.\n\n| run | time | requests |\n|---|---|---|\n"
                + "".join(f"| {label} | {t:.2f} s | {r} |\n" for label, t, r in rows)
            )
        )
        out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
