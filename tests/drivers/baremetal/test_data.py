"""PostgreSQL and Redis on the loopback host: real tables, real dumps, real AUTH."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest

import cloudcore
from cloudcore.errors import AlreadyExists, NotFound, Unsupported
from cloudcore.models import CacheConfig, DatabaseConfig

pytestmark = pytest.mark.needs_root


def test_backup_restored_into_a_new_database_has_the_same_rows(bm):
    ep = bm.provision_database(DatabaseConfig(name="shop"))
    try:
        bm.databases.psql(
            "CREATE TABLE orders (id int PRIMARY KEY, item text, qty int);\n"
            "INSERT INTO orders SELECT g, 'item-' || g, g % 7 FROM generate_series(1, 1000) g;\n",
            mutating=True,
            database=ep.database,
        )
        query = "SELECT id, item, qty FROM orders ORDER BY id;"
        before = bm.databases.psql(query, mutating=False, database=ep.database)
        backup = bm.backup_database("shop")
        assert backup.checksum.startswith("sha256:") and backup.size_bytes > 0
        bm.databases.psql("DELETE FROM orders WHERE id > 10;", mutating=True, database=ep.database)
        restored = bm.restore_database(backup, "shop-restored")
        after = bm.databases.psql(query, mutating=False, database=restored.database)
        assert after == before and after.count("\n") == 1000
        # the dump is private to root and its checksum matches the file
        t = bm.inventory.hosts[0].transport
        path = f"{bm.inventory.hosts[0].state_dir}/backups/shop/" + backup.id.split("/")[1]
        mode = t.run(["stat", "-c", "%a", path + ".dump"], mutating=False).text.strip()
        assert mode == "600"
        assert [b.id for b in bm.list_backups("shop")] == [backup.id]
        with pytest.raises(AlreadyExists):
            bm.restore_database(backup, "shop-restored")
        with pytest.raises(NotFound):
            bm.restore_database("shop/20000101T000000000000Z", "other")
    finally:
        bm.delete_database("shop-restored")
        bm.delete_database("shop")


def test_provision_is_idempotent_and_the_password_works(bm, loopback):
    cfg = DatabaseConfig(name="acct", username="owner")
    ep = bm.provision_database(cfg)
    try:
        with cloudcore.record() as rec:
            assert bm.provision_database(cfg) == ep
        assert rec.mutating_calls() == []
        with pytest.raises(AlreadyExists):
            bm.provision_database(DatabaseConfig(name="acct", username="owner", size="large"))
        password = bm.get_secret(ep.password_secret).get_secret_value()
        psql = os.path.join(loopback.pg["bin_dir"], "psql")
        out = subprocess.run(
            [
                psql,
                "-X",
                "-At",
                "-h",
                ep.host,
                "-p",
                str(ep.port),
                "-U",
                ep.username,
                "-d",
                ep.database,
                "-c",
                "SELECT current_user",
            ],
            env={**os.environ, "PGPASSWORD": password},
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == ep.username
        with pytest.raises(Unsupported, match="replication"):
            bm.provision_database(DatabaseConfig(name="ha", high_availability=True))
    finally:
        bm.delete_database("acct")
        bm.delete_database("acct")
    assert "db/acct/password" not in bm.list_secrets()


def _redis(host: str, port: int, *lines: str) -> bytes:
    with socket.create_connection((host, port), 5) as s:
        s.sendall("".join(f"{line}\r\n" for line in lines).encode())
        time.sleep(0.2)
        return s.recv(4096)


def test_cache_is_a_supervised_redis_with_its_own_port_and_password(bm):
    ep = bm.provision_cache(CacheConfig(name="sessions", size="micro"))
    try:
        assert _redis(ep.host, ep.port, "PING").startswith(b"-NOAUTH")
        password = bm.get_secret(ep.auth_secret).get_secret_value()
        assert _redis(ep.host, ep.port, f"AUTH {password}", "PING") == b"+OK\r\n+PONG\r\n"
        with cloudcore.record() as rec:
            assert bm.provision_cache(CacheConfig(name="sessions", size="micro")) == ep
        assert rec.mutating_calls() == []
        other = bm.provision_cache(CacheConfig(name="other", auth=False))
        assert other.port != ep.port and other.auth_secret is None
        bm.delete_cache("other")
        # the password is in a 0600 config file, never on the command line
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        assert password not in ps
    finally:
        bm.delete_cache("sessions")
        bm.delete_cache("sessions")
    with pytest.raises(OSError):
        socket.create_connection((ep.host, ep.port), 1).close()
