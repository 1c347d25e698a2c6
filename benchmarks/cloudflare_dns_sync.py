"""DNS sync against the fake Cloudflare API: requests and wall time.

For 1,000 and 5,000 A records: the first sync into an empty zone (create), a repeat of the same
sync (no change), and a sync where 10% of the records have a new address (10% changed). Requests
are counted at the fake (reads = GET, writes = everything else); wall time is the median of
``--repeat`` runs of ``upsert_dns_records`` (the SDK's imports are warmed up first).

Run:  .venv/bin/python benchmarks/cloudflare_dns_sync.py [--sizes 1000 5000] [--repeat 3]
      [--batch-size 200] [--baseline]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from cloudcore.models import DNSRecord
from cloudcore_cloudflare.dns import PAGE
from cloudcore_cloudflare.testing import FakeCloudflare, fake_target

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


def records(n: int, changed: int = 0) -> list[DNSRecord]:
    out = []
    for i in range(n):
        last = 200 if i < changed else 1
        out.append(
            DNSRecord(
                name=f"host{i}.example.com",
                type="A",
                values=[f"10.{i // 256 % 256}.{i % 256}.{last}"],
                ttl=300,
            )
        )
    return out


def run(n: int, repeat: int, batch_size: int) -> list[tuple[str, int, int, int, float]]:
    rows: dict[str, list[tuple[int, int, int, float]]] = {}
    limit = max(200, batch_size)  # the Free plan allows 200 per batch, paid plans 3,500
    with FakeCloudflare(("example.com", "warmup.org"), batch_limit=limit) as fake:
        for _ in range(repeat):
            fake.reset()
            with fake_target(("example.com", "warmup.org"), fake=fake, batch_size=batch_size) as cf:
                cf.dns_page_size = PAGE  # production page size (fake_target lowers it for tests)
                cf.create_dns_record("w.warmup.org", "192.0.2.1")  # imports, connection, zone ids
                cf.list_dns_records("warmup.org")
                for label, recs in (
                    ("create", records(n)),
                    ("no change", records(n)),
                    ("10% changed", records(n, changed=n // 10)),
                ):
                    fake.clear_log()
                    start = time.perf_counter()
                    changed = cf.upsert_dns_records(recs)
                    wall = time.perf_counter() - start
                    rows.setdefault(label, []).append(
                        (changed, fake.read_requests(), fake.write_requests(), wall)
                    )
    out = []
    for label, runs in rows.items():
        changed, reads, writes, _ = runs[-1]
        out.append((label, changed, reads, writes, statistics.median(r[3] for r in runs)))
    return out


def baseline(n: int) -> list[tuple[str, int, int, int, float]]:
    """One request per record through the SDK (what per-record providers do), for scale."""
    import cloudflare

    out = []
    with FakeCloudflare(("example.com",), batch_limit=200) as fake:
        client = cloudflare.Cloudflare(api_token=fake.token, base_url=fake.base_url, max_retries=0)
        zid = fake.zone_id("example.com")
        client.zones.list()  # warm up imports and the connection
        fake.clear_log()
        start = time.perf_counter()
        for rec in records(n):
            client.dns.records.create(
                zone_id=zid, name=rec.name, type="A", content=rec.values[0], ttl=rec.ttl
            )
        wall = time.perf_counter() - start
        out.append(("create", n, fake.read_requests(), fake.write_requests(), wall))
        fake.clear_log()
        start = time.perf_counter()
        existing = {r.name: r.id for r in client.dns.records.list(zone_id=zid, per_page=PAGE)}
        for rec in records(n, changed=n // 10)[: n // 10]:
            client.dns.records.edit(
                existing[rec.name],
                zone_id=zid,
                name=rec.name,
                type="A",
                content=rec.values[0],
                ttl=rec.ttl,
            )
        wall = time.perf_counter() - start
        out.append(("10% changed", n // 10, fake.read_requests(), fake.write_requests(), wall))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument(
        "--baseline", action="store_true", help="also time one request per record (no batching)"
    )
    args = parser.parse_args()
    print(f"batch_size={args.batch_size}, median of {args.repeat} runs")
    print(f"{'records':>8} {'sync':<12} {'changed':>8} {'reads':>6} {'writes':>7} {'wall s':>8}")
    for n in args.sizes:
        for label, changed, reads, writes, wall in run(n, args.repeat, args.batch_size):
            print(f"{n:>8} {label:<12} {changed:>8} {reads:>6} {writes:>7} {wall:>8.3f}")
    if args.baseline:
        print("baseline: one SDK request per record, same fake")
        for n in args.sizes:
            for label, changed, reads, writes, wall in baseline(n):
                print(f"{n:>8} {label:<12} {changed:>8} {reads:>6} {writes:>7} {wall:>8.3f}")


if __name__ == "__main__":
    main()
