"""The path a real driver author takes: install the example driver into a throwaway virtual
environment (which does not see the project's), run ``cloudcore conformance`` there, read the
report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "acme-driver"
SUPPORTED = {"secrets", "dns"}

pytestmark = pytest.mark.slow


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(found).exists():
        pytest.skip("uv is not installed")
    return found


def _run(
    *cmd: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_example_test_file_is_at_most_15_lines() -> None:
    lines = (EXAMPLE / "tests" / "test_conformance.py").read_text().splitlines()
    assert len(lines) <= 15


def test_example_driver_in_a_throwaway_venv(tmp_path: Path) -> None:
    uv = _uv()
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    made = _run(uv, "venv", "-q", "--python", base, str(venv), cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    env["VIRTUAL_ENV"] = str(venv)
    # what a driver author installs: cloudcore with its conformance suite, and their driver
    install = [uv, "pip", "install", "-q", "-e", f"{ROOT}[testing]", "-e", str(EXAMPLE), "pytest"]
    done = _run(*install[:3], "--offline", *install[3:], cwd=tmp_path, env=env)
    if done.returncode != 0:  # not in the uv cache: fetch
        done = _run(*install, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr

    py = venv / "bin" / "python"
    paths = _run(str(py), "-c", "import sys; print(sys.path)", cwd=tmp_path, env=env).stdout
    assert str(ROOT / ".venv") not in paths, "the throwaway venv must not see the project venv"

    run = _run(
        str(venv / "bin" / "cloudcore"),
        "conformance",
        "acme",
        "--fake",
        "--json",
        "r.json",
        cwd=tmp_path,
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "unsupported" in run.stdout and "CONFORMANT" in run.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["driver"] == "acme" and report["conformant"] is True
    for cap, row in report["capabilities"].items():
        if cap in SUPPORTED:
            assert row["declared"] and row["status"] == "passed", (cap, row)
            assert row["passed"] > 0 and row["failed"] == 0 and row["unsupported"] == 0
        else:
            assert not row["declared"] and row["status"] == "unsupported", (cap, row)
            assert row["unsupported"] > 0 and row["passed"] == row["failed"] == 0
    assert "no managed databases" in report["unsupported"]["test_database_provision_idempotent"]

    tests = _run(
        str(py),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        str(EXAMPLE / "tests"),
        cwd=tmp_path,
        env=env,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    # the driver's own few-line test file runs exactly the suite the conformance report counted
    rows = report["capabilities"].values()
    passed = sum(r["passed"] for r in rows)
    unsupported = sum(r["unsupported"] for r in rows)
    assert passed and unsupported
    assert f"{passed} passed" in tests.stdout, tests.stdout
    assert f"{unsupported} unsupported" in tests.stdout, tests.stdout
