"""Migrations between the cloud test targets, data included: aws → gcp, gcp → baremetal and
aws → (gcp + cloudflare for DNS and WAF). The aws and gcp targets put a real PostgreSQL behind
their database endpoints (``cloudcore.migrate.reach``), baremetal runs its own over SSH, so rows
really move. Each: the source sees zero writes (counted by its stand-in), verification says
equal, and a second run writes nothing on either side. Needs root (PostgreSQL, sshd): in CI it
runs.

moto's backends live in the test process, shared by every aws target it starts: the names here
(shopdb, shopcache) are used by no other test, so a resource another test deleted a moment ago
(still "deleting" in moto) is never in the way."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from cloudcore import connect
from cloudcore.migrate import migrate
from cloudcore.migrate.data import database_store, table_digests
from cloudcore.testing.wire import wire_counter_for

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="real PostgreSQL servers and sshd need root",
)


def build(cloud: Any, *, commands: bool) -> None:
    """3 services (env with references, secret refs), a database with 10,000 rows in 3
    tables, a cache, 20 DNS records of mixed types, a WAF set, 6 secrets with 2-3 versions."""
    for i in range(6):
        for v in range(2 + i % 2):
            cloud.store_secret(f"app/secret-{i}", f"value-{i}-v{v}-" + "x" * 8)
    db = cloud.provision_database({"name": "shopdb"})
    store = database_store(cloud, "shopdb")
    for table, n in (("users", 3334), ("orders", 3333), ("events", 3333)):
        store.replace(
            table,
            [
                {"id": i, "name": f"{table}-{i}", "amount": i * 1.5, "ok": i % 2 == 0}
                for i in range(n)
            ],
        )
    cache = cloud.provision_cache({"name": "shopcache"})
    for n, name in enumerate(("api", "worker", "web")):
        cloud.deploy_service(
            name,
            {
                "image": f"ghcr.io/shop/{name}:1",
                **({"command": ["sleep", "3600"]} if commands else {}),
                "port": 8081 + n,
                "env": {"DB_HOST": db.host, "DB_PORT": str(db.port), "REDIS_HOST": cache.host},
                "secrets": {"DB_PASSWORD": db.password_secret, "KEY": "app/secret-0"},
            },
        )
    if cloud.supports("dns"):
        records = []
        for i in range(20):
            kind = ("A", "TXT", "CNAME", "MX")[i % 4]
            value = {
                "A": f"192.0.2.{i}",
                "TXT": f"v=spf{i}",
                "CNAME": "target.example.net",
                "MX": f"10 mx{i}.example.net",
            }[kind]
            records.append({"name": f"r{i}.example.com", "type": kind, "values": [value]})
        cloud.upsert_dns_records(records)
    if cloud.supports("waf"):
        cloud.configure_waf(
            [{"kind": "ip", "cidrs": ["203.0.113.0/24"]}, {"kind": "rate_limit", "requests": 100}]
        )


@contextmanager
def aws() -> Iterator[Any]:
    from cloudcore_aws.testing import fake_target

    with fake_target() as provider:
        yield provider


@contextmanager
def gcp() -> Iterator[Any]:
    from cloudcore_gcp.testing import fake_target

    with fake_target() as provider:
        yield provider


@contextmanager
def baremetal() -> Iterator[Any]:
    from cloudcore_baremetal.testing import fake_target

    with fake_target() as provider:
        yield provider


@contextmanager
def gcp_and_cloudflare() -> Iterator[Any]:
    from cloudcore_cloudflare.testing import fake_target as cf_target

    with ExitStack() as stack:
        g = stack.enter_context(gcp())
        cf = stack.enter_context(cf_target())
        yield connect({"default": g, "dns": cf, "waf": cf})


PAIRS: dict[str, tuple[Callable[[], Any], Callable[[], Any], bool]] = {
    "aws-to-gcp": (aws, gcp, False),
    "gcp-to-baremetal": (gcp, baremetal, True),
    "aws-to-gcp+cloudflare": (aws, gcp_and_cloudflare, False),
}


@pytest.mark.parametrize("pair", list(PAIRS))
def test_migration_moves_the_system_with_its_data(pair: str, tmp_path: Path) -> None:
    source_of, target_of, commands = PAIRS[pair]
    with source_of() as src, target_of() as dst:
        build(src, commands=commands)
        counter = wire_counter_for(src)
        assert counter is not None
        before = counter.snapshot()
        report = migrate(src, dst, policy="lenient", journal=tmp_path / "journal")
        assert report.ok, report.to_json()
        assert counter.since(before).mutating == 0, counter.since(before).writes
        assert table_digests(database_store(dst, "shopdb")) == table_digests(
            database_store(src, "shopdb")
        )
        assert sum(d["rows"] for d in report.databases["shopdb"].values()) == 10_000
        api = dst.get_service_config("api")
        ep = dst.get_database("shopdb").endpoint
        assert api.env["DB_HOST"] == ep.host and api.env["DB_PORT"] == str(ep.port)
        assert api.secrets["DB_PASSWORD"].key == ep.password_secret
        for i in range(6):
            key = f"app/secret-{i}"
            assert [
                dst.get_secret(key, v.version).get_secret_value()
                for v in dst.list_secret_versions(key)
            ] == [
                src.get_secret(key, v.version).get_secret_value()
                for v in src.list_secret_versions(key)
            ]
        if dst.supports("dns"):
            assert len(dst.list_dns_records("example.com")) == 20
        dropped = report.to_json()["dropped"]
        # a second run writes nothing on either side
        counters = [c for c in (counter, wire_counter_for(dst)) if c is not None]
        snaps = [c.snapshot() for c in counters]
        again = migrate(src, dst, policy="lenient", journal=tmp_path / "journal")
        assert again.ok and again.to_json()["dropped"] == dropped
        assert [c.since(s).mutating for c, s in zip(counters, snaps, strict=True)] == [0] * len(
            counters
        )
