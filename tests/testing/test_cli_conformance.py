"""``cloudcore conformance``: the matrix, the JSON report, exit codes; and the matrix page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudcore.cli.conformance import run
from cloudcore.testing.matrix import main as matrix_main
from cloudcore.testing.matrix import render


def test_memory_report_is_conformant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    assert run(["memory", "--fake", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "result: CONFORMANT" in text and "secrets" in text
    report = json.loads(out.read_text())
    assert report["conformant"] is True and report["failures"] == []
    assert report["writes"] == "verified on the wire"
    assert "passed (writes verified on the wire)" in text and "self-reported" not in text
    for cap, row in report["capabilities"].items():
        assert row["declared"] and row["status"] == "passed", cap
        assert row["passed"] > 0 and row["failed"] == row["unsupported"] == 0, cap
        assert row["writes"] == "verified on the wire", cap


_NO_WIRE = """
import contextlib
from cloudcore.testing.memory import MemoryProvider

@contextlib.contextmanager
def target():
    with MemoryProvider() as provider:   # no attach_wire_counter: writes are self-reported
        yield provider
"""


def test_target_without_wire_counter_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudcore.testing.runner import run_suite

    (tmp_path / "nowire_target.py").write_text(_NO_WIRE)
    monkeypatch.syspath_prepend(str(tmp_path))
    report = run_suite("nowire_target:target", capabilities=["dns"], keyword="idempotent")
    assert report.conformant and report.wire is False
    text = report.format_text()
    assert "passed (writes self-reported, not verified)" in text
    assert "note: writes self-reported, not verified" in text
    assert report.to_json()["capabilities"]["dns"]["writes"] == "self-reported, not verified"


def test_one_capability_and_keyword(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert run(["memory", "--fake", "-c", "dns", "-k", "idempotent", "--json", str(out)]) == 0
    caps = json.loads(out.read_text())["capabilities"]
    assert list(caps["dns"]["tests"]) == ["test_dns_upsert_is_idempotent"]
    assert all(not row["tests"] for cap, row in caps.items() if cap != "dns")


def test_unknown_driver_and_bad_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["no-such-driver", "--fake"]) == 5
    assert run(["memory", "--fake", "-s", "zone"]) == 2
    assert run(["memory", "--fake", "-s", "no_such_option=1"]) == 2
    assert "unknown conformance options" in capsys.readouterr().err


def test_matrix_page_from_reports(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    assert run(["memory", "--fake", "-c", "compute", "--json", str(reports / "memory.json")]) == 0
    broken = json.loads((reports / "memory.json").read_text())
    broken.update(driver="other", conformant=False)
    broken["capabilities"]["dns"].update(status="failed", failed=1)
    broken["failures"] = [
        {"test": "test_dns_round_trip", "capability": "dns", "message": "E  boom"}
    ]
    (reports / "other.json").write_text(json.dumps(broken))
    page = tmp_path / "matrix.md"
    assert matrix_main(["--reports", str(reports), "-o", str(page)]) == 0
    text = page.read_text()
    assert "| memory (fake) | yes | ✅ passed" in text
    assert "| other (fake) | no |" in text and "❌ failed" in text
    assert "`test_dns_round_trip` (dns): E  boom" in text
    assert render([]).startswith("# Capability matrix")


_BROKEN_START = """
import contextlib

@contextlib.contextmanager
def target():
    raise RuntimeError("sshd did not start: port 2222 in use")
    yield
"""


def test_target_that_fails_to_start_is_one_run_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not one identical failure per test and exit 1, but one error and exit 2."""
    from cloudcore.testing.runner import run_suite

    (tmp_path / "nostart_target.py").write_text(_BROKEN_START)
    monkeypatch.syspath_prepend(str(tmp_path))
    report = run_suite("nostart_target:target", capabilities=["secrets"])
    assert report.failed() == [] and not report.conformant
    assert report.error.startswith("the test target failed to start (")
    assert "sshd did not start: port 2222 in use" in report.error
    text = report.format_text()
    assert text.count("sshd did not start") == 1 and "FAILED" not in text
