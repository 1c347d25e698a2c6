"""The stack commands end to end, as a user runs them (memory driver, state shared between
invocations through .cloudcore/memory.json in the working folder)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(
    tmp: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "CLOUDCORE_PROVIDER": "memory", "NO_COLOR": "1", **(env or {})}
    full.pop("CLOUDCORE_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "cloudcore", *args],
        cwd=tmp,
        input=stdin,
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
    )


def test_export_then_plan_shows_no_changes(tmp_path: Path) -> None:
    assert run(tmp_path, "secrets", "set", "api-key", stdin="k" * 20).returncode == 0
    assert (
        run(
            tmp_path,
            "deploy",
            "api",
            "--image",
            "nginx:1.27",
            "--port",
            "80",
            "--secret",
            "KEY=api-key",
        ).returncode
        == 0
    )
    assert run(tmp_path, "dns", "set", "www.example.com", "A", "192.0.2.10").returncode == 0
    exported = run(tmp_path, "export")
    assert exported.returncode == 0, exported.stderr
    (tmp_path / "system.yaml").write_text(exported.stdout)
    plan = run(tmp_path, "plan", "system.yaml", "--detailed-exitcode", env={"API_KEY": "k" * 20})
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "no changes" in plan.stdout


def test_plan_apply_and_a_one_line_ttl_update(tmp_path: Path) -> None:
    shutil.copy(ROOT / "examples" / "stacks" / "vertical-vibing.yaml", tmp_path / "s.yaml")
    env = {"VV_API_KEYS": "k1,k2"}
    first = run(tmp_path, "plan", "s.yaml", "--detailed-exitcode", env=env)
    assert first.returncode == 2 and "+ services.api" in first.stdout, first.stdout
    refused = run(tmp_path, "apply", "s.yaml", env=env)  # no terminal, no --auto-approve
    assert refused.returncode == 2 and "--auto-approve" in refused.stderr
    applied = run(tmp_path, "apply", "s.yaml", "--auto-approve", env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "apply complete" in applied.stdout
    assert run(tmp_path, "plan", "s.yaml", "--detailed-exitcode", env=env).returncode == 0
    text = (tmp_path / "s.yaml").read_text() + (
        "dns:\n  example.com:\n    - {name: www, type: A, values: [192.0.2.1], ttl: 300}\n"
    )
    (tmp_path / "s.yaml").write_text(text)
    assert run(tmp_path, "apply", "s.yaml", "--auto-approve", env=env).returncode == 0
    (tmp_path / "s.yaml").write_text(text.replace("ttl: 300", "ttl: 900"))
    changed = run(tmp_path, "plan", "s.yaml", "--json", env=env)
    body = json.loads(changed.stdout)
    assert [(c["name"], c["action"], c["diff"]) for c in body["changes"]] == [
        (
            "example.com/www.example.com/A",
            "update",
            [{"path": "ttl", "before": "300", "after": "900"}],
        )
    ]
    human = run(tmp_path, "plan", "s.yaml", env=env).stdout
    assert "~ dns.example.com/www.example.com/A  ttl: 300 -> 900" in human


def test_a_bad_stack_file_is_exit_2_naming_the_field(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "name: x\nservices:\n  api: {image: nginx, env: {A: '${databases.nope.host}'}}\n"
    )
    out = run(tmp_path, "plan", "bad.yaml")
    assert out.returncode == 2
    assert "services.api" in out.stderr and "databases.nope" in out.stderr
