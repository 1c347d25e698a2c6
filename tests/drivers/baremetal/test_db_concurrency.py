"""Concurrent ``provision_database`` for one name, and passwords never in the server log.

Issue 11 item 7: of two concurrent calls one failed, yet its password became the latest
``db/<name>/password`` (so the endpoint's secret no longer logged in), and the failed
``CREATE ROLE ... PASSWORD '<plaintext>'`` landed verbatim in the PostgreSQL server log.
"""

from __future__ import annotations

import os
import subprocess
import threading
from typing import Any

import pytest

from cloudcore.models import DatabaseConfig
from cloudcore_baremetal._scram import scram_sha256_verifier
from cloudcore_baremetal.testing import random_key

pytestmark = pytest.mark.needs_root


def _login(loopback: Any, ep: Any, password: str) -> subprocess.CompletedProcess[str]:
    """``psql`` over TCP with SCRAM-SHA-256 (the cluster's host auth), as the endpoint's role."""
    return subprocess.run(
        [
            os.path.join(loopback.pg["bin_dir"], "psql"),
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
        check=False,
    )


def _server_log(loopback: Any) -> str:
    with open(os.path.join(os.path.dirname(loopback.pg["socket_dir"]), "pg.log")) as fh:
        return fh.read()


def test_verifier_has_postgresql_format_and_a_random_salt():
    a = scram_sha256_verifier("pencil")
    b = scram_sha256_verifier("pencil")
    assert a != b and "pencil" not in a
    head, keys = a.split("$", 1)[1].split("$")
    iterations, salt = head.split(":")
    assert iterations == "4096" and len(salt) == 24  # 16 bytes, base64
    assert [len(k) for k in keys.split(":")] == [44, 44]  # 32-byte StoredKey and ServerKey
    fixed = scram_sha256_verifier("pencil", salt=b"0123456789abcdef")
    assert fixed == scram_sha256_verifier("pencil", salt=b"0123456789abcdef")


def test_concurrent_provisions_agree_and_no_password_reaches_the_server_log(bm, loopback):
    bm.databases.psql(
        "ALTER SYSTEM SET log_statement = 'all';\nSELECT pg_reload_conf();\n", mutating=True
    )
    key = random_key()
    providers = [loopback.provider(secret_key=key) for _ in range(3)]
    names = [f"race{i}" for i in range(3)]
    try:
        log_start = len(_server_log(loopback))
        for name in names:
            barrier = threading.Barrier(len(providers))
            results: list[Any] = [None] * len(providers)

            def go(
                i: int,
                name: str = name,
                barrier: threading.Barrier = barrier,
                results: list[Any] = results,
            ) -> None:
                barrier.wait()
                try:
                    results[i] = providers[i].provision_database(DatabaseConfig(name=name))
                except Exception as exc:  # recorded and asserted below
                    results[i] = exc

            threads = [threading.Thread(target=go, args=(i,)) for i in range(len(providers))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            # every caller gets the same endpoint; only one password was ever stored
            assert all(not isinstance(r, Exception) for r in results), results
            assert len({r.model_dump_json() for r in results}) == 1
            ep = results[0]
            versions = providers[0].list_secret_versions(ep.password_secret)
            assert [v.version for v in versions] == ["1"]
            password = providers[0].get_secret(ep.password_secret).get_secret_value()
            out = _login(loopback, ep, password)
            assert out.returncode == 0, out.stderr
            assert out.stdout.strip() == ep.username
            assert _login(loopback, ep, password + "x").returncode != 0
        log = _server_log(loopback)[log_start:]
        assert "SCRAM-SHA-256$4096:" in log  # the statements were logged, as verifiers only
        for name in names:
            password = providers[0].get_secret(f"db/{name}/password").get_secret_value()
            assert password not in log
    finally:
        bm.databases.psql(
            "ALTER SYSTEM RESET log_statement;\nSELECT pg_reload_conf();\n", mutating=True
        )
        for name in names:
            providers[0].delete_database(name)
        for p in providers:
            p.close()
