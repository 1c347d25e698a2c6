"""``cloudcore queues`` and ``cloudcore jobs`` end to end on the memory driver (state shared
between invocations through its state file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLOUDCORE_PROVIDER": "memory"}
    env.pop("CLOUDCORE_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "cloudcore", *args],
        cwd=tmp,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def ok(tmp: Path, *args: str) -> Any:
    result = cli(tmp, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_queue_commands(tmp_path: Path) -> None:
    made = ok(tmp_path, "queues", "create", "work", "--max-receives", "5", "--tag", "team=a")
    assert made["dead_letter_queue"] == "work-dlq" and made["config"]["tags"] == {"team": "a"}
    sent = ok(tmp_path, "queues", "send", "work", "one", "two ✓", "--attr", "kind=test")
    assert sent["sent"] == 2
    assert ok(tmp_path, "queues", "stats", "work")["visible"] == 2
    got = ok(tmp_path, "queues", "receive", "work", "--max", "10", "--ack")
    assert sorted(m["body"] for m in got) == ["one", "two ✓"]
    assert all(m["attributes"] == {"kind": "test"} and m["receive_count"] == 1 for m in got)
    assert ok(tmp_path, "queues", "stats", "work")["visible"] == 0
    names = [q["name"] for q in ok(tmp_path, "queues", "ls")]
    assert names == ["work", "work-dlq"]
    assert ok(tmp_path, "queues", "redrive", "work-dlq") == {"moved": 0}
    ok(tmp_path, "queues", "delete", "work")
    assert ok(tmp_path, "queues", "ls") == []


def test_job_commands(tmp_path: Path) -> None:
    info = ok(
        tmp_path,
        "jobs",
        "schedule",
        "nightly",
        "--cron",
        "30 3 * * 1-5",
        "--timezone",
        "Europe/Berlin",
        "--retries",
        "2",
        "--command",
        "report",
    )
    assert info["config"]["cron"] == "30 3 * * 1-5" and info["next_run_at"]
    listed = ok(tmp_path, "jobs", "ls")
    assert [(j["name"], j["timezone"], j["enabled"]) for j in listed] == [
        ("nightly", "Europe/Berlin", True)
    ]
    run = ok(tmp_path, "jobs", "run", "nightly")
    assert run["trigger"] == "manual" and run["outcome"] == "succeeded"
    assert [r["id"] for r in ok(tmp_path, "jobs", "runs", "nightly")] == [run["id"]]
    ok(tmp_path, "jobs", "delete", "nightly")
    assert ok(tmp_path, "jobs", "ls") == []


def test_bad_schedule_is_refused_naming_the_field(tmp_path: Path) -> None:
    result = cli(tmp_path, "jobs", "schedule", "j", "--cron", "0 0 * * MON", "--command", "x")
    assert result.returncode != 0
    assert "cron" in result.stderr and "MON" in result.stderr
    assert ok(tmp_path, "jobs", "ls") == []
