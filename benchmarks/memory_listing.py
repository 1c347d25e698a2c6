"""Memory driver listings at 10,000 and 100,000 records: linear, not quadratic.

The memory driver lists page by page (as real providers do). It used to rebuild and sort the whole
listing for every page, so a listing of N items cost O(N²/page): 26 s at 10k DNS records, 139 s at
20k. Each listing is now built once per state generation and paged as slices.

Measures, for N = 10,000 and 100,000 A records in one zone (page size 50, the driver's default):
``list_dns_records``, ``list_resources()`` and the MCP server's paged ``resources/list`` (every
page), and prints the time per record. Linear means the time per record at 100k is within 2x of
the time at 10k.

Each timed listing follows a write, so nothing of an earlier listing is reused.

Usage: .venv/bin/python benchmarks/memory_listing.py [--sizes 10000 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import anyio

from cloudcore.models import DNSRecord
from cloudcore.testing.memory import MemoryProvider


def records(n: int) -> list[DNSRecord]:
    return [
        DNSRecord(
            name=f"h{i}.example.com", type="A", values=(f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}",)
        )
        for i in range(n)
    ]


def mcp_all_pages(provider: MemoryProvider) -> int:
    from mcp import Client

    from cloudcore.llm.mcp import build_server

    async def run() -> int:
        seen = 0
        async with Client(build_server(provider)) as client:
            cursor = None
            while True:
                page = await client.list_resources(cursor=cursor)
                seen += len(page.resources)
                cursor = page.next_cursor
                if cursor is None:
                    return seen

    return anyio.run(run)


def timed(fn: Callable[[], Any], runs: int, before: Callable[[], Any]) -> float:
    samples = []
    for _ in range(runs):
        before()  # a write: the next listing starts from a changed state (nothing cached)
        gc.collect()
        gc.freeze()
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
        gc.unfreeze()
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    results: dict[str, dict[int, float]] = {}
    for n in args.sizes:
        provider = MemoryProvider(zones=("example.com",))
        provider.upsert_dns_records(records(n))
        cases = {
            "list_dns_records": lambda p=provider: p.list_dns_records("example.com"),
            "list_resources": lambda p=provider: list(p.list_resources()),
            "MCP resources/list (all pages)": lambda p=provider: mcp_all_pages(p),
        }
        for name, fn in cases.items():
            counter = iter(range(1_000_000))
            write = lambda p=provider, c=counter: p.store_secret("bench", f"v{next(c)}")  # noqa: E731
            results.setdefault(name, {})[n] = timed(fn, args.runs, write)
    print(f"load average after: {os.getloadavg()}")
    print()
    head = " | ".join(f"{n:,} records" for n in args.sizes)
    print(f"| listing | {head} | µs/record ratio (largest ÷ smallest) |")
    print("|---|" + "---|" * len(args.sizes) + "---|")
    for name, by_size in results.items():
        cells = " | ".join(
            f"{by_size[n]:.3f} s ({by_size[n] / n * 1e6:.1f} µs/rec)" for n in args.sizes
        )
        small, large = min(args.sizes), max(args.sizes)
        ratio = (by_size[large] / large) / (by_size[small] / small)
        print(f"| {name} | {cells} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
