"""The memory driver's own promises: shared state across processes, threads, rollback."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import cloudcore as cc
from cloudcore.testing.faults import Fault
from cloudcore.testing.memory import MemoryProvider


def test_state_file_is_shared_between_processes(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    code = (
        "import sys, cloudcore; c = cloudcore.connect('memory', state_file=sys.argv[1]);"
        "print(c.store_secret('shared', 'v'))"
    )
    versions = [
        subprocess.run(
            [sys.executable, "-c", code, str(state)], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(3)
    ]
    assert versions == ["1", "2", "3"]
    assert state.stat().st_mode & 0o777 == 0o600
    local = MemoryProvider(state_file=state)
    assert [v.version for v in local.list_secret_versions("shared")] == ["1", "2", "3"]


def test_parallel_writes_lose_nothing(tmp_path: Path) -> None:
    cloud = MemoryProvider(state_file=tmp_path / "s.json")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: cloud.store_secret(f"k{i}", f"v{i}"), range(40)))
        list(pool.map(lambda i: cloud.store_secret("same", f"v{i}"), range(20)))
    assert cloud.list_secrets() == sorted([f"k{i}" for i in range(40)] + ["same"])
    assert len(cloud.list_secret_versions("same")) == 20
    assert cloud.get_secret("same").get_secret_value() in {f"v{i}" for i in range(20)}


def test_failed_operation_leaves_nothing_half_done(tmp_path: Path) -> None:
    cloud = MemoryProvider(state_file=tmp_path / "s.json", retry=False)
    cloud.provision_database(cc.DatabaseConfig(name="db"))
    before = json.loads((tmp_path / "s.json").read_text())
    with pytest.raises(cc.AlreadyExists):
        cloud.provision_database(cc.DatabaseConfig(name="db", size="large"))
    assert json.loads((tmp_path / "s.json").read_text()) == before


def test_backups_restore_the_data_that_was_there() -> None:
    cloud = MemoryProvider()
    cloud.provision_database(cc.DatabaseConfig(name="main"))
    cloud.insert_rows("main", "users", [{"id": 1}, {"id": 2}])
    backup = cloud.backup_database("main")
    cloud.insert_rows("main", "users", [{"id": 3}])
    restored = cloud.restore_database(backup, "main-restored")
    assert cloud.read_rows(restored.name, "users") == [{"id": 1}, {"id": 2}]
    assert backup.checksum and backup.checksum.startswith("sha256:")
    with pytest.raises(cc.AlreadyExists):
        cloud.restore_database(backup, "main-restored")
    with pytest.raises(cc.NotFound):
        cloud.restore_database("no-such-backup", "other")


def test_faults_from_options_and_latency() -> None:
    cloud = cc.connect(
        "memory",
        faults=[{"kind": "throttle", "operation": "list_secrets", "retry_after": 0.01}],
        latency=0.001,
    )
    with cc.record() as rec:
        assert cloud.list_secrets() == []
    assert rec.operations[0].attempts == 2


def test_discovery_pages_through_everything() -> None:
    cloud = MemoryProvider(page_size=3)
    for i in range(10):
        cloud.store_secret(f"s{i:02d}", "v")
    with cc.record() as rec:
        secrets = list(cloud.list_resources(type="secret"))
    assert [r.name for r in secrets] == [f"s{i:02d}" for i in range(10)]
    assert len(rec.calls("ListResources")) == 4
    assert all(r.tags["managed-by"] == "cloudcore" for r in secrets)
    tagged = list(cloud.list_resources(tags={"cloudcore-name": "s03"}))
    assert [r.name for r in tagged] == ["s03"]


def test_waf_converges_and_dns_batches() -> None:
    cloud = MemoryProvider()
    rules = [cc.IPRule(cidrs=("192.0.2.0/24",)), cc.RateLimitRule(requests=50)]
    assert cloud.configure_waf(rules) is True
    with cc.record() as rec:
        assert cloud.configure_waf(rules) is False
    assert rec.mutating_calls() == []
    assert cloud.configure_waf(rules[:1]) is True
    assert [r.kind for r in cloud.get_waf_rules()] == ["ip"]
    records = [
        cc.DNSRecord(name=f"h{i}.example.com", type="A", values=("192.0.2.1",)) for i in range(250)
    ]
    with cc.record() as rec:
        assert cloud.upsert_dns_records(records) == 250
    assert len(rec.calls("ChangeRecordSets")) == 3
    with cc.record() as rec:
        assert cloud.upsert_dns_records(records) == 0
    assert rec.mutating_calls() == []


def test_injected_latency_fault() -> None:
    cloud = MemoryProvider()
    cloud.faults.inject(Fault("latency", operation="list_secrets", seconds=0.05))
    with cc.record() as rec:
        cloud.list_secrets()
    assert rec.operations[0].duration >= 0.05
