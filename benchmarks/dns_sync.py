"""DNS sync, side by side in one run: cloudcore, hand-written boto3 and octoDNS on the same stand-ins.

Route53: one moto server (``cloudcore_aws._motowire.CountingMotoServer``, in this process) counts
every request on its own side and sums the time spent answering them. For each size N and each
repetition, each tool (in an order that rotates every repetition) gets a fresh hosted zone and runs
three phases on N single-value A records: **create** (into the empty zone), **no change** (the same
records again) and **10% changed** (N/10 records get a new address). Per phase: requests and writes
seen by the server, wall time, and client time (wall minus time inside the server). ``gc.freeze()``
runs before each timed phase. moto is reset between repetitions.

* **cloudcore**: ``AWSProvider.upsert_dns_records`` with ``DNSRecord`` objects built beforehand.
* **boto3**: the code one writes by hand for exactly this job (below, :func:`boto3_sync`): the zone
  by ``ListHostedZonesByName``, the record sets listed, CREATE for new names and UPSERT for changed
  ones, packed to Route53's per-request limits.
* **octoDNS**: ``octodns_route53.Route53Provider`` (``get_zones_by_name=True``) planning and
  applying a desired ``Zone`` built beforehand; botocore reaches moto through
  ``AWS_ENDPOINT_URL_ROUTE_53``. A fresh provider per phase (as each ``octodns-sync`` run is),
  with its client warmed up before the timer starts.

Cloudflare: the repository's fake Cloudflare API (``cloudcore_cloudflare.testing.FakeCloudflare``),
requests counted from its own log; cloudcore's driver (official SDK, batch endpoint) against
``octodns_cloudflare.CloudflareProvider`` (``api_url`` pointed at the fake), same phases.

Run (under the shared lock: it keeps both cores busy for minutes)::

    flock /tmp/cloudcore-heavy.lock .venv/bin/python benchmarks/dns_sync.py \\
        [--sizes 100 1000 5000 10000] [--repeat 3] [--cloudflare-sizes 100 1000 5000] \\
        [--out benchmarks/RESULTS-dns.md]

octoDNS comes from the ``bench`` extra: ``uv pip install -c constraints.txt -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata as md
import logging
import math
import os
import platform
import statistics
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
logging.getLogger("werkzeug").setLevel(logging.ERROR)
logging.getLogger("octodns").setLevel(logging.WARNING)

PHASES = ("create", "no change", "10% changed")
KEY = "testing"


def addresses(n: int, changed: int = 0) -> list[tuple[str, str]]:
    """``(label, IPv4)`` of N hosts; the first ``changed`` get another address."""
    return [
        (f"host{i}", f"{11 if i < changed else 10}.{i // 65536}.{i // 256 % 256}.{i % 256}")
        for i in range(n)
    ]


def phase_data(n: int) -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        ("create", addresses(n)),
        ("no change", addresses(n)),
        ("10% changed", addresses(n, changed=n // 10)),
    ]


# ------------------------------------------------------------------ the hand-written baseline
def boto3_sync(client: Any, zone: str, wanted: dict[tuple[str, str], tuple[int, list[str]]]) -> int:
    """Make ``zone`` hold ``wanted`` ({(fqdn, type): (ttl, values)}), as one writes it by hand."""
    found = client.list_hosted_zones_by_name(DNSName=zone, MaxItems="1")["HostedZones"]
    if not found or found[0]["Name"] != zone + ".":
        raise LookupError(zone)
    zone_id = found[0]["Id"]
    have: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for page in client.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        for rr in page["ResourceRecordSets"]:
            if "ResourceRecords" in rr:
                values = sorted(r["Value"] for r in rr["ResourceRecords"])
                have[(rr["Name"][:-1].lower(), rr["Type"])] = (rr["TTL"], values)
    changes = []
    for (name, rtype), (ttl, values) in wanted.items():
        old = have.get((name, rtype))
        if old is not None and old == (ttl, sorted(values)):
            continue
        rrset = {
            "Name": name,
            "Type": rtype,
            "TTL": ttl,
            "ResourceRecords": [{"Value": v} for v in values],
        }
        changes.append({"Action": "UPSERT" if old else "CREATE", "ResourceRecordSet": rrset})
    batch: list[dict[str, Any]] = []
    elements = chars = 0
    for change in changes:
        k = 2 if change["Action"] == "UPSERT" else 1
        records = change["ResourceRecordSet"]["ResourceRecords"]
        e, c = k * len(records), k * sum(len(r["Value"]) for r in records)
        if batch and (elements + e > 1000 or chars + c > 32000):
            client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": batch})
            batch, elements, chars = [], 0, 0
        batch.append(change)
        elements, chars = elements + e, chars + c
    if batch:
        client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": batch})
    return len(changes)


# ------------------------------------------------------------------------------ measurements
@dataclass
class Sample:
    requests: int
    writes: int
    wall: float | None
    client: float | None
    error: str | None = None


@dataclass
class Table:
    rows: dict[tuple[str, int, str, str], list[Sample]] = field(default_factory=dict)

    def add(self, provider: str, n: int, phase: str, tool: str, sample: Sample) -> None:
        self.rows.setdefault((provider, n, phase, tool), []).append(sample)

    def median(self, key: tuple[str, int, str, str], attr: str) -> float | None:
        values = [getattr(s, attr) for s in self.rows.get(key, []) if getattr(s, attr) is not None]
        return statistics.median(values) if values else None


def timed(
    run: Callable[[], Any], counts: Callable[[], tuple[int, int, float]]
) -> tuple[Sample, Any]:
    gc.collect()
    gc.freeze()
    error = None
    try:
        req0, wr0, srv0 = counts()
        start = time.perf_counter()
        try:
            result = run()
        except Exception as exc:  # a tool that fails a phase is reported, not timed
            result, error = None, f"{type(exc).__name__}: {str(exc)[:160]}"
        wall = time.perf_counter() - start
        req1, wr1, srv1 = counts()
    finally:
        gc.unfreeze()
    server = srv1 - srv0
    sample = Sample(req1 - req0, wr1 - wr0, wall, wall - server if server >= 0 else None)
    if error is not None:
        sample.error, sample.wall, sample.client = error, None, None
    return sample, result


# --------------------------------------------------------------------------------- Route53
def route53(sizes: list[int], repeat: int, table: Table, tools: tuple[str, ...]) -> None:
    import boto3

    from cloudcore.models import DNSRecord
    from cloudcore_aws._motowire import CountingMotoServer
    from cloudcore_aws.provider import AWSProvider

    server = CountingMotoServer()
    url = server.start()
    os.environ["AWS_ENDPOINT_URL_ROUTE_53"] = url  # octoDNS builds its own client
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    session = boto3.Session(
        aws_access_key_id=KEY, aws_secret_access_key=KEY, region_name="us-east-1"
    )
    plain = session.client("route53", endpoint_url=url)
    hand = session.client("route53", endpoint_url=url)
    cloud = AWSProvider(region="us-east-1", endpoint_url=url, session=session)
    wire = server.wire

    def counts() -> tuple[int, int, float]:
        snap = wire.snapshot()
        return snap.requests, snap.mutating, wire.server_seconds

    def cloudcore_run(zone: str, data: list[tuple[str, str]]) -> Callable[[], Any]:
        records = [DNSRecord(name=f"{h}.{zone}", type="A", values=(ip,), ttl=300) for h, ip in data]
        return lambda: cloud.upsert_dns_records(records)

    def boto3_run(zone: str, data: list[tuple[str, str]]) -> Callable[[], Any]:
        wanted = {(f"{h}.{zone}", "A"): (300, [ip]) for h, ip in data}
        return lambda: boto3_sync(hand, zone, wanted)

    def octodns_run(zone: str, data: list[tuple[str, str]]) -> Callable[[], Any]:
        from octodns.record import Record
        from octodns.zone import Zone
        from octodns_route53 import Route53Provider

        desired = Zone(f"{zone}.", [])
        for h, ip in data:
            desired.add_record(Record.new(desired, h, {"type": "A", "ttl": 300, "value": ip}))
        provider = Route53Provider(
            "route53", access_key_id=KEY, secret_access_key=KEY, get_zones_by_name=True
        )
        provider._conn.list_hosted_zones_by_name(MaxItems="1")  # warm: connection, endpoint

        def run() -> Any:
            plan = provider.plan(desired)
            return provider.apply(plan) if plan else 0

        return run

    runners = {"cloudcore": cloudcore_run, "boto3": boto3_run, "octodns": octodns_run}
    warm_zone = "warm.example"
    plain.create_hosted_zone(Name=warm_zone, CallerReference=warm_zone)
    for tool in tools:  # imports, clients, connections: before anything is timed
        runners[tool](warm_zone, addresses(3))()
    for n in sizes:
        for rep in range(repeat):
            urllib.request.urlopen(  # the local moto server
                urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=60
            ).close()
            order = tools[rep % len(tools) :] + tools[: rep % len(tools)]
            for tool in order:
                zone = f"{tool}{rep}n{n}.example"
                plain.create_hosted_zone(Name=zone, CallerReference=f"{zone}-{time.time()}")
                for phase, data in phase_data(n):
                    run = runners[tool](zone, data)
                    sample, _ = timed(run, counts)
                    table.add("route53", n, phase, tool, sample)
                    print(f"route53 N={n} rep={rep} {tool:9} {phase:12} {sample}", flush=True)
    cloud.close()
    server.stop()


# ------------------------------------------------------------------------------ Cloudflare
def cloudflare(sizes: list[int], repeat: int, table: Table, tools: tuple[str, ...]) -> None:
    from cloudcore.models import DNSRecord
    from cloudcore_cloudflare.dns import PAGE
    from cloudcore_cloudflare.testing import FakeCloudflare, fake_target

    names = [f"{t}{r}n{n}.example" for n in sizes for r in range(repeat) for t in tools]
    zones = (*names, "warm.example")
    with FakeCloudflare(zones, batch_limit=200) as fake:

        def counts() -> tuple[int, int, float]:
            with fake._log_lock:
                reqs = list(fake.requests)
            return len(reqs), sum(1 for r in reqs if r.mutating), -1.0  # no server clock

        with fake_target(zones, fake=fake) as cf:
            cf.dns_page_size = PAGE  # the production page size (fake_target lowers it for tests)

            def cloudcore_run(zone: str, data: list[tuple[str, str]]) -> Callable[[], Any]:
                records = [
                    DNSRecord(name=f"{h}.{zone}", type="A", values=(ip,), ttl=300) for h, ip in data
                ]
                return lambda: cf.upsert_dns_records(records)

            def octodns_run(zone: str, data: list[tuple[str, str]]) -> Callable[[], Any]:
                from octodns.record import Record
                from octodns.zone import Zone
                from octodns_cloudflare import CloudflareProvider

                desired = Zone(f"{zone}.", [])
                for h, ip in data:
                    desired.add_record(
                        Record.new(desired, h, {"type": "A", "ttl": 300, "value": ip})
                    )
                provider = CloudflareProvider(
                    "cloudflare", token=fake.token, api_url=fake.base_url, pagerules=False
                )

                def run() -> Any:
                    plan = provider.plan(desired)
                    return provider.apply(plan) if plan else 0

                return run

            runners = {"cloudcore": cloudcore_run, "octodns": octodns_run}
            for tool in tools:
                runners[tool]("warm.example", addresses(3))()
            for n in sizes:
                for rep in range(repeat):
                    order = tools[rep % len(tools) :] + tools[: rep % len(tools)]
                    for tool in order:
                        zone = f"{tool}{rep}n{n}.example"  # empty until now
                        for phase, data in phase_data(n):
                            sample, _ = timed(runners[tool](zone, data), counts)
                            sample.client = None
                            table.add("cloudflare", n, phase, tool, sample)
                            print(
                                f"cloudflare N={n} rep={rep} {tool:9} {phase:12} {sample}",
                                flush=True,
                            )


# --------------------------------------------------------------------------------- results
def _fmt(value: float | None, scale: float = 1000.0, digits: int = 1) -> str:
    return "-" if value is None else f"{value * scale:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.3f}"


def _load() -> str:
    up = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    return (
        f"`{up}` (loadavg {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores)"
    )


def report(table: Table, args: argparse.Namespace, load_before: str, load_after: str) -> str:
    versions = ", ".join(
        f"{p} {md.version(p)}"
        for p in ("boto3", "botocore", "moto", "octodns", "octodns-route53", "octodns-cloudflare")
        if _installed(p)
    )
    out = [
        "# DNS sync: cloudcore, hand-written boto3 and octoDNS in one interleaved run",
        "",
        "Command: `flock /tmp/cloudcore-heavy.lock .venv/bin/python benchmarks/dns_sync.py "
        f"--sizes {' '.join(map(str, args.sizes))} --repeat {args.repeat} --cloudflare-sizes "
        f"{' '.join(map(str, args.cloudflare_sizes))} --cloudflare-repeat {args.cloudflare_repeat}`"
        " (see the script's docstring for what each tool does).",
        "",
        f"Python {platform.python_version()}; {versions}.",
        f"Load before: {load_before}. Load after: {load_after}.",
        "",
        "Requests and writes are counted by the stand-in (moto's WSGI app; the fake Cloudflare's "
        "request log). Times are medians over the repetitions, in ms. *client* = wall minus the "
        "time spent inside the moto server (Route53 only). The minimum is the count Route53's "
        "documented limits allow (`tests/drivers/aws/test_dns_calls.py`).",
        "",
    ]
    for provider, tools in (("route53", args.tools), ("cloudflare", args.cloudflare_tools)):
        sizes = args.sizes if provider == "route53" else args.cloudflare_sizes
        if not sizes or not tools:
            continue
        out += [f"## {'Route53 (moto)' if provider == 'route53' else 'Cloudflare (fake API)'}", ""]
        errors: set[str] = set()
        head = ["N", "phase"]
        for tool in tools:
            head += [f"{tool} req/writes", f"{tool} wall"]
            if provider == "route53":
                head.append(f"{tool} client")
        if provider == "route53":
            head += ["minimum req/writes", "cc/boto3 wall", "cc/boto3 client", "cc/octoDNS wall"]
        else:
            head += ["cc/octoDNS wall"]
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for n in sizes:
            for phase in PHASES:
                row = [f"{n:,}", phase]
                med: dict[tuple[str, str], float | None] = {}
                for tool in tools:
                    key = (provider, n, phase, tool)
                    samples = table.rows.get(key, [])
                    counts = f"{samples[-1].requests}/{samples[-1].writes}" if samples else "-"
                    failed = [x.error for x in samples if x.error]
                    if failed:
                        counts += " (failed)"
                        errors.add(f"{tool} at N={n:,}, {phase}: {failed[0]}")
                    med[(tool, "wall")] = table.median(key, "wall")
                    med[(tool, "client")] = table.median(key, "client")
                    row += [counts, _fmt(med[(tool, "wall")])]
                    if provider == "route53":
                        row.append(_fmt(med[(tool, "client")]))
                if provider == "route53":
                    row.append("{}/{}".format(*minimum(phase, n)))
                    row.append(_ratio(med.get(("cloudcore", "wall")), med.get(("boto3", "wall"))))
                    row.append(
                        _ratio(med.get(("cloudcore", "client")), med.get(("boto3", "client")))
                    )
                row.append(_ratio(med.get(("cloudcore", "wall")), med.get(("octodns", "wall"))))
                out.append("| " + " | ".join(row) + " |")
        out.append("")
        out += [f"- failed: {e}" for e in sorted(errors)] + ([""] if errors else [])
    return "\n".join(out) + "\n"


def minimum(phase: str, n: int) -> tuple[int, int]:
    """Route53's documented minimum ``(requests, writes)``; see ``test_dns_calls.py``."""
    listing = 1 if phase == "create" else math.ceil((n + 2) / 300)
    writes = {"create": math.ceil(n / 1000), "no change": 0}.get(phase, math.ceil(n / 5000))
    return 1 + listing + writes, writes


def _installed(name: str) -> bool:
    try:
        md.version(name)
    except md.PackageNotFoundError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 1000, 5000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cloudflare-sizes", type=int, nargs="*", default=[100, 1000, 5000])
    parser.add_argument("--cloudflare-repeat", type=int, default=1)
    parser.add_argument("--out", default=None, help="write the Markdown report here")
    args = parser.parse_args()
    octodns = _installed("octodns") and _installed("octodns-route53")
    if not octodns:
        print("octoDNS is not installed (the [bench] extra): measuring against boto3 only")
    args.tools = ("cloudcore", "boto3", "octodns") if octodns else ("cloudcore", "boto3")
    cf_octodns = _installed("octodns-cloudflare")
    args.cloudflare_tools = ("cloudcore", "octodns") if cf_octodns else ("cloudcore",)
    load_before = _load()
    table = Table()
    route53(args.sizes, args.repeat, table, args.tools)
    if args.cloudflare_sizes:
        cloudflare(args.cloudflare_sizes, args.cloudflare_repeat, table, args.cloudflare_tools)
    text = report(table, args, load_before, _load())
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
