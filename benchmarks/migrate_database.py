"""Database copy between two PostgreSQL servers: cloudcore's mover vs ``pg_dump | pg_restore``
typed by hand, in one run, interleaved.

Starts two throwaway PostgreSQL clusters on 127.0.0.1 (needs root and Debian's postgresql), fills
three tables on the source to about ``--size-mb`` MiB, then alternates:

- by hand: ``pg_dump -Fc SRC | pg_restore --single-transaction --clean --if-exists --no-owner
  --no-acl -d DST`` (what a careful operator types);
- cloudcore: :func:`cloudcore.migrate.copy_database` between two ``PostgresStore`` -- the same
  stream, plus verification (row count and an order-independent digest of every table, computed
  by each server, in parallel).

Prints MB/s for each run and the ratio of medians (cloudcore throughput / by hand). The target is
≥ 0.9x. With ``--write`` the result goes to ``benchmarks/RESULTS-migrate.md``.

Usage: sudo .venv/bin/python benchmarks/migrate_database.py [--size-mb 1024] [--runs 2] [--write]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from cloudcore.migrate.data import PostgresStore, _tool, copy_database
from cloudcore_baremetal.testhosts import postgres_cluster

PASSWORD = "bench-" + os.urandom(8).hex()


def _admin(pg: dict[str, Any], sql: str, db: str = "postgres") -> str:
    out = subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            _tool("psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(pg["socket_dir"]),
            "-p",
            str(pg["port"]),
            "-d",
            db,
        ],
        input=sql.encode(),
        capture_output=True,
        check=True,
    )
    return out.stdout.decode()


def _prepare(pg: dict[str, Any], databases: list[str]) -> None:
    _admin(pg, f"CREATE ROLE bench LOGIN SUPERUSER PASSWORD '{PASSWORD}';")
    for db in databases:
        _admin(pg, f"CREATE DATABASE {db} OWNER bench;")


def _store(pg: dict[str, Any], db: str) -> PostgresStore:
    return PostgresStore("127.0.0.1", int(pg["port"]), db, "bench", SecretStr(PASSWORD))


def _fill(store: PostgresStore, size_mb: int) -> int:
    rows = max(1000, size_mb * 1024 * 1024 // 290)
    per = rows // 3
    store.psql(
        f"""
        CREATE TABLE users AS SELECT i AS id, md5(i::text) AS email, repeat(md5(i::text), 6) AS bio,
               now() - i * interval '1 second' AS created FROM generate_series(1, {per}) i;
        CREATE TABLE orders AS SELECT i AS id, i % 1000 AS user_id, (i * 7 % 10000) / 100.0 AS total,
               repeat(md5((i * 3)::text), 6) AS note FROM generate_series(1, {per}) i;
        CREATE TABLE events AS SELECT i AS id, jsonb_build_object('k', i, 'h', md5(i::text)) AS doc,
               repeat(md5((i * 5)::text), 5) AS payload FROM generate_series(1, {per}) i;
        ALTER TABLE users ADD PRIMARY KEY (id);
        ALTER TABLE orders ADD PRIMARY KEY (id);
        ANALYZE;
        """
    )
    size = store.psql("SELECT pg_database_size(current_database());").strip()
    return int(size)


def _by_hand(src: PostgresStore, dst: PostgresStore) -> None:
    env = {**os.environ, "PGPASSWORD": PASSWORD}
    cmd = (
        f"{_tool('pg_dump')} -h {src.host} -p {src.port} -U bench -d {src.database} -Fc "
        f"--no-owner --no-acl | {_tool('pg_restore')} -h {dst.host} -p {dst.port} -U bench "
        f"-d {dst.database} --single-transaction --clean --if-exists --no-owner --no-acl"
    )
    subprocess.run(["bash", "-o", "pipefail", "-c", cmd], check=True, env=env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (starts PostgreSQL clusters as the postgres user)", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        a = stack.enter_context(postgres_cluster())
        b = stack.enter_context(postgres_cluster())
        _prepare(a, ["source"])
        _prepare(b, ["byhand", "cloudcore"])
        src = _store(a, "source")
        t0 = time.monotonic()
        size = _fill(src, args.size_mb)
        print(
            f"source: {size / 2**20:.0f} MiB in 3 tables (filled in {time.monotonic() - t0:.0f}s)"
        )
        times: dict[str, list[float]] = {"by hand": [], "cloudcore": []}
        for run in range(args.runs):
            for name in ("by hand", "cloudcore"):
                start = time.monotonic()
                if name == "by hand":
                    _by_hand(src, _store(b, "byhand"))
                else:
                    copy_database(src, _store(b, "cloudcore"))
                took = time.monotonic() - start
                times[name].append(took)
                print(
                    f"run {run + 1} {name:>9}: {took:6.1f}s  {size / 2**20 / took:6.1f} MiB/s",
                    flush=True,
                )
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["by hand"] / med["cloudcore"]
    print(f"throughput ratio cloudcore / by hand: {ratio:.2f} (target >= 0.90)")
    if args.write:
        out = Path(__file__).with_name("RESULTS-migrate.md")
        out.write_text(
            "# Migration benchmarks\n\n"
            "## Database copy between two PostgreSQL servers\n\n"
            f"`sudo .venv/bin/python benchmarks/migrate_database.py --size-mb {args.size_mb} "
            f"--runs {args.runs} --write` on {platform.node() and 'a'} {os.cpu_count()}-core "
            f"machine, {time.strftime('%Y-%m-%d')}; source {size / 2**20:.0f} MiB in 3 tables; "
            "runs interleaved.\n\n"
            "| run | by hand (`pg_dump -Fc \\| pg_restore`) | cloudcore (`copy_database`, with "
            "verification) |\n|---|---|---|\n"
            + "".join(
                f"| {i + 1} | {h:.1f} s ({size / 2**20 / h:.0f} MiB/s) | {c:.1f} s "
                f"({size / 2**20 / c:.0f} MiB/s) |\n"
                for i, (h, c) in enumerate(zip(times["by hand"], times["cloudcore"], strict=True))
            )
            + f"\nThroughput ratio (medians), cloudcore / by hand: **{ratio:.2f}** "
            "(target ≥ 0.90).\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
