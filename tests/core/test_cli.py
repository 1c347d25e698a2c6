"""The CLI end to end on the memory driver (state shared between invocations)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(tmp: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLOUDCORE_PROVIDER": "memory"}
    env.pop("CLOUDCORE_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "cloudcore", *args],
        cwd=tmp,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
    )


DEPLOY = (
    "deploy",
    "api",
    "--image",
    "nginx:1.27",
    "--port",
    "80",
    "--replicas",
    "2",
    "--env",
    "MODE=prod",
    "--json",
)


def test_deploy_status_and_idempotency(tmp_path: Path) -> None:
    first = run(tmp_path, *DEPLOY)
    assert first.returncode == 0, first.stderr
    again = run(tmp_path, *DEPLOY)
    assert json.loads(first.stdout)["changed"] is True
    assert json.loads(again.stdout)["changed"] is False
    status = json.loads(run(tmp_path, "status", "api", "--json").stdout)
    assert status["desired"] == 2 and status["revision"] == "1"
    scaled = json.loads(run(tmp_path, "scale", "api", "4", "--json").stdout)
    assert scaled["desired"] == 4


def test_secrets_never_on_the_command_line_and_masked_by_default(tmp_path: Path) -> None:
    stored = run(tmp_path, "secrets", "set", "db-pass", "--json", stdin="hunter2\n")
    assert stored.returncode == 0, stored.stderr
    assert json.loads(stored.stdout) == {"key": "db-pass", "version": "1"}
    masked = run(tmp_path, "secrets", "get", "db-pass", "--json")
    assert "hunter2" not in masked.stdout
    revealed = run(tmp_path, "secrets", "get", "db-pass", "--reveal")
    assert revealed.stdout.strip() == "hunter2"
    listing = run(tmp_path, "secrets", "list", "--json")
    assert json.loads(listing.stdout) == ["db-pass"]
    assert (tmp_path / ".cloudcore" / "memory.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("status", "nope"), 4, "no service named 'nope'"),
        (("deploy", "Bad", "--image", "x"), 2, "name"),
        (("deploy", "api", "--image", "x", "--cpu", "-1"), 2, "cpu"),
        (("--provider", "nope", "services"), 5, "registered drivers"),
    ],
)
def test_errors_have_exit_codes_and_clear_text(
    tmp_path: Path, args: tuple[str, ...], code: int, text: str
) -> None:
    result = run(tmp_path, *args)
    assert result.returncode == code, result.stderr
    assert text in result.stderr
    assert "Traceback" not in result.stderr


def test_json_errors(tmp_path: Path) -> None:
    result = run(tmp_path, "status", "nope", "--json")
    assert json.loads(result.stderr)["error"]["kind"] == "NotFound"


def test_dns_waf_db_round_trip(tmp_path: Path) -> None:
    assert run(tmp_path, "dns", "point", "www.example.com", "192.0.2.7").returncode == 0
    records = json.loads(run(tmp_path, "dns", "list", "example.com", "--json").stdout)
    assert records[0]["values"] == ["192.0.2.7"]
    assert json.loads(run(tmp_path, "dns", "delete", "www.example.com", "A", "--json").stdout) == {
        "deleted": 1
    }
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"kind": "geo", "countries": ["RU"]}]))
    assert json.loads(run(tmp_path, "waf", "apply", str(rules), "--json").stdout)["changed"]
    assert not json.loads(run(tmp_path, "waf", "apply", str(rules), "--json").stdout)["changed"]
    assert run(tmp_path, "db", "provision", "main").returncode == 0
    backup = json.loads(run(tmp_path, "db", "backup", "main", "--json").stdout)
    restored = run(tmp_path, "db", "restore", backup["id"], "main-copy", "--json")
    assert json.loads(restored.stdout)["name"] == "main-copy"
    kinds = {r["type"] for r in json.loads(run(tmp_path, "resources", "--json").stdout)}
    assert {"database", "backup", "waf_policy", "secret"} <= kinds


def test_help_lists_the_commands(tmp_path: Path) -> None:
    out = run(tmp_path, "--help").stdout
    for command in ("drivers", "resources", "schema", "deploy", "secrets", "dns", "waf", "db"):
        assert command in out
