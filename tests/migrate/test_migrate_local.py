"""memory → local: a system moved onto this machine, its rows into a real PostgreSQL (needs
root and Debian's postgresql: in CI it runs, never skips)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cloudcore.migrate import migrate, plan_migration
from cloudcore.migrate.data import PostgresStore, database_store, table_digests
from cloudcore.testing.memory.target import memory_target
from cloudcore.testing.wire import wire_counter_for
from cloudcore_baremetal.testing import local_target

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="local's database capability needs root (a throwaway PostgreSQL cluster)",
)


def _system(src: object) -> None:
    cloud = src  # memory
    for i in range(3):
        for v in range(2 + i % 2):
            cloud.store_secret(f"app/key-{i}", f"v{v}-" + "s" * 12)  # type: ignore[attr-defined]
    db = cloud.provision_database({"name": "main"})  # type: ignore[attr-defined]
    for table in ("users", "orders", "events"):
        cloud.insert_rows(  # type: ignore[attr-defined]
            "main",
            table,
            [
                {
                    "id": i,
                    "label": f"{table} {i} ü\t\\x",
                    "amount": i / 4,
                    "ok": i % 3 == 0,
                    "meta": {"n": i, "tags": ["a", "b"]},
                    "note": None if i % 5 else "five",
                }
                for i in range(400)
            ],
        )
    for name in ("api", "worker", "web"):
        cloud.deploy_service(  # type: ignore[attr-defined]
            name,
            {
                "command": ["sleep", "3600"],
                "env": {"DB_HOST": db.host, "DB_PORT": str(db.port), "MODE": name},
                "secrets": {"DB_PASSWORD": db.password_secret, "KEY": "app/key-0"},
            },
        )
    cloud.configure_waf([{"kind": "ip", "cidrs": ["203.0.113.0/24"]}])  # type: ignore[attr-defined]


def test_memory_to_local_moves_rows_into_postgresql(tmp_path: Path) -> None:
    with memory_target() as src, local_target() as dst:
        _system(src)
        counter = wire_counter_for(src)
        assert counter is not None
        before = counter.snapshot()
        plan = plan_migration(src, dst, policy="lenient")
        assert any(g.what == "waf.default" and g.dropped for g in plan.gaps)
        report = migrate(src, dst, policy="lenient", journal=tmp_path / "j", the_plan=plan)
        assert report.ok, report.to_json()
        assert counter.since(before).mutating == 0
        target_db = database_store(dst, "main")
        assert isinstance(target_db, PostgresStore)
        assert table_digests(target_db) == table_digests(database_store(src, "main"))
        assert sorted(target_db.tables()) == ["events", "orders", "users"]
        cfg = dst.get_service_config("api")
        ep = dst.get_database("main").endpoint
        assert cfg.env["DB_HOST"] == ep.host and cfg.env["DB_PORT"] == str(ep.port)
        assert cfg.secrets["DB_PASSWORD"].key == ep.password_secret
        # The secret the service gets logs in to the target's database.
        assert target_db.psql("SELECT count(*) FROM users;").strip() == "400"
        again = migrate(src, dst, policy="lenient", journal=tmp_path / "j")
        assert again.ok and again.secret_versions_written == 0
