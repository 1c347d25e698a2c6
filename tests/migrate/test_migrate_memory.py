"""Migrations between memory providers (and memory → local with a real PostgreSQL): a whole
system with data, verified; a rerun writes nothing; the source is never written; strict and
lenient policies; SIGKILL at many points of one migration, each followed by a resumed run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudcore.migrate import MigrationRefused, migrate, plan_migration
from cloudcore.migrate.data import table_digests
from cloudcore.migrate.journal import KILL_ENV
from cloudcore.testing.memory.provider import MemoryProvider
from cloudcore.testing.memory.target import memory_target
from cloudcore.testing.wire import wire_counter_for

ROOT = Path(__file__).resolve().parents[2]


def build_system(cloud: Any, *, rows: int = 300, objects: int = 20, records: int = 20) -> None:
    """The acceptance system, scaled by the arguments: 3 services with references, a database
    with rows in 3 tables, a cache, a bucket, DNS records of mixed types, a WAF set, 6 secrets
    with 2-3 versions."""
    for i in range(6):
        for v in range(2 + i % 2):
            cloud.store_secret(f"app/secret-{i}", f"value-{i}-v{v}-" + "x" * 8)
    db = cloud.provision_database({"name": "main", "storage_gb": 30})
    cache = cloud.provision_cache({"name": "sessions"})
    for t, table in enumerate(("users", "orders", "events")):
        cloud.insert_rows(
            "main",
            table,
            [
                {
                    "id": i,
                    "name": f"{table}-{i}",
                    "amount": i * 1.5,
                    "ok": i % 2 == 0,
                    "meta": {"t": t},
                }
                for i in range(rows)
            ],
        )
    cloud.create_bucket({"name": "uploads", "versioning": True})
    for i in range(objects):
        cloud.put_object("uploads", f"files/{i:04d}.bin", os.urandom(64 + i))
    for name in ("api", "worker", "web"):
        cloud.deploy_service(
            name,
            {
                "image": f"ghcr.io/shop/{name}:1",
                "port": 8080,
                "env": {
                    "DB_HOST": db.host,
                    "REDIS_HOST": cache.host + ":" + str(cache.port),
                    "MODE": "prod",
                },
                "secrets": {"DB_PASSWORD": db.password_secret, "KEY": "app/secret-0"},
            },
        )
    recs: list[dict[str, Any]] = []
    for i in range(records):
        kind = ("A", "TXT", "CNAME", "MX")[i % 4]
        value = {
            "A": f"192.0.2.{i}",
            "TXT": f"v=spf{i}",
            "CNAME": "target.example.net",
            "MX": f"10 mx{i}.example.net",
        }[kind]
        recs.append({"name": f"r{i}.example.com", "type": kind, "values": [value], "ttl": 300})
    cloud.upsert_dns_records(recs)
    cloud.configure_waf(
        [{"kind": "ip", "cidrs": ["203.0.113.0/24"]}, {"kind": "rate_limit", "requests": 100}]
    )


@pytest.fixture
def pair() -> Iterator[tuple[MemoryProvider, MemoryProvider]]:
    with memory_target() as src, memory_target() as dst:
        yield src, dst


def test_memory_to_memory_moves_everything_and_verifies(
    pair: tuple[MemoryProvider, MemoryProvider], tmp_path: Path
) -> None:
    src, dst = pair
    build_system(src)
    counter = wire_counter_for(src)
    assert counter is not None
    before = counter.snapshot()
    report = migrate(src, dst, journal=tmp_path / "j")
    assert report.ok, report.to_json()
    assert counter.since(before).mutating == 0, "the source was written"
    # Data equal, versions in order, references rewritten to the target's resources.
    assert table_digests_equal(src, dst)
    for i in range(6):
        key = f"app/secret-{i}"
        assert [
            dst.get_secret(key, v.version).get_secret_value() for v in dst.list_secret_versions(key)
        ] == [
            src.get_secret(key, v.version).get_secret_value() for v in src.list_secret_versions(key)
        ]
    api = dst.get_service_config("api")
    assert api.env["DB_HOST"] == dst.get_database("main").endpoint.host
    assert api.secrets["DB_PASSWORD"].key == dst.get_database("main").endpoint.password_secret
    assert {o.key for o in dst.list_objects("uploads")} == {
        o.key for o in src.list_objects("uploads")
    }
    assert len(dst.list_dns_records("example.com")) == 20
    # A second run writes nothing on either side.
    dst_counter = wire_counter_for(dst)
    assert dst_counter is not None
    b1, b2 = counter.snapshot(), dst_counter.snapshot()
    again = migrate(src, dst, journal=tmp_path / "j")
    assert again.ok
    assert counter.since(b1).mutating == 0
    assert dst_counter.since(b2).mutating == 0, dst_counter.since(b2).writes


def table_digests_equal(src: Any, dst: Any) -> bool:
    from cloudcore.migrate.data import database_store

    return table_digests(database_store(src, "main")) == table_digests(database_store(dst, "main"))


def test_plan_writes_nothing_anywhere(pair: tuple[MemoryProvider, MemoryProvider]) -> None:
    src, dst = pair
    build_system(src, rows=10, objects=3)
    counters = [wire_counter_for(src), wire_counter_for(dst)]
    snaps = [c.snapshot() for c in counters if c]
    mp = plan_migration(src, dst)
    assert mp.target_plan.has_changes and not mp.gaps
    assert [c.since(s).mutating for c, s in zip(counters, snaps, strict=True) if c] == [0, 0]


def test_strict_refuses_and_lenient_drops_what_the_target_lacks(tmp_path: Path) -> None:
    with memory_target() as src, memory_target() as dst:
        build_system(src, rows=5, objects=2, records=4)
        dst.capabilities = dst.capabilities - {c for c in dst.capabilities if c.value == "waf"}
        counter = wire_counter_for(dst)
        assert counter is not None
        before = counter.snapshot()
        with pytest.raises(MigrationRefused, match="waf.default"):
            migrate(src, dst, journal=tmp_path / "strict")
        assert counter.since(before).mutating == 0
        report = migrate(src, dst, policy="lenient", journal=tmp_path / "lenient")
        assert report.ok
        assert any(g.what == "waf.default" and g.dropped for g in report.plan.gaps)
        assert "waf.default" in " ".join(report.to_json()["dropped"])


_CHILD = textwrap.dedent(
    """
    import json, sys
    from cloudcore.migrate import migrate
    from cloudcore.testing.memory.provider import MemoryProvider
    src = MemoryProvider(state_file=sys.argv[1], zones=("example.com",))
    dst = MemoryProvider(state_file=sys.argv[2], zones=("example.com",))
    report = migrate(src, dst, journal=sys.argv[3])
    print(json.dumps(report.to_json()))
    """
)


def _fingerprint(state: Path) -> dict[str, Any]:
    p = MemoryProvider(state_file=str(state), zones=("example.com",))
    from cloudcore.migrate.data import database_store

    return {
        # Passwords the target's own database and cache generated differ run to run: for them
        # only the number of versions counts (one: nothing duplicated).
        "secrets": {
            k: len(p.list_secret_versions(k))
            if k.startswith("cloudcore/")
            else [p.get_secret(k, v.version).get_secret_value() for v in p.list_secret_versions(k)]
            for k in sorted(p.list_secrets())
        },
        "tables": table_digests(database_store(p, "main"))
        if p.list_resources(type="database")
        else {},
        "objects": sorted((o.key, o.checksum) for o in p.list_objects("uploads"))
        if p.list_buckets()
        else [],
        "services": sorted(s.name for s in p.list_services()),
        "dns": sorted((r.name, str(r.type), r.values) for r in p.list_dns_records("example.com")),
        "waf": [r.model_dump() for r in p.get_waf_rules()],
    }


def test_sigkill_at_many_points_then_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    src_state = tmp_path / "src.json"
    src = MemoryProvider(state_file=str(src_state), zones=("example.com",))
    build_system(src, rows=50, objects=6, records=8)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

    def run(dst: Path, journal: Path, kill_after: int | None) -> subprocess.CompletedProcess[str]:
        e = dict(env)
        e.pop(KILL_ENV, None)
        if kill_after is not None:
            e[KILL_ENV] = str(kill_after)
        return subprocess.run(
            [sys.executable, "-c", _CHILD, str(src_state), str(dst), str(journal)],
            capture_output=True,
            text=True,
            env=e,
            timeout=300,
        )

    clean = run(tmp_path / "clean.json", tmp_path / "clean.journal", None)
    assert clean.returncode == 0, clean.stderr
    want = _fingerprint(tmp_path / "clean.json")
    total = len((tmp_path / "clean.journal").read_text().splitlines())
    points = sorted({max(2, round(i * total / 20)) for i in range(1, 21)})
    assert len(points) >= 10
    for n in points:
        dst, journal = tmp_path / f"k{n}.json", tmp_path / f"k{n}.journal"
        killed = run(dst, journal, n)
        assert killed.returncode == -9, (n, killed.returncode, killed.stderr[-2000:])
        resumed = run(dst, journal, None)
        assert resumed.returncode == 0, (n, resumed.stderr[-2000:])
        assert json.loads(resumed.stdout.splitlines()[-1])["ok"]
        got = _fingerprint(dst)
        assert got == want, n
