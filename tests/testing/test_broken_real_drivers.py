"""Broken variants of the real drivers: the suite catches them on the wire (see
``real_driver_patches.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudcore.testing import run_suite

pytest.importorskip("moto")


def test_aws_writes_hidden_from_the_driver_report_are_caught_on_the_wire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    report = run_suite(
        "real_driver_patches:aws_upsert_resyncs_with_a_raw_client",
        capabilities=["dns"],
        keyword="idempotent or one_field",
    )
    assert not report.error, report.error
    assert report.wire is True
    assert set(report.failed()) == {
        "test_dns_upsert_is_idempotent",
        "test_dns_one_field_at_a_time",
    }, report.format_text()
    messages = " ".join(r.message for r in report.results if r.outcome == "failed")
    assert "changed state on the stand-in" in messages


def test_local_host_commands_misreported_as_reads_are_caught_on_the_wire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    report = run_suite(
        "real_driver_patches:local_deploy_touches_its_state",
        capabilities=["compute"],
        keyword="deploy_is_idempotent or env_order",
    )
    assert not report.error, report.error
    assert report.wire is True
    assert set(report.failed()) == {
        "test_compute_deploy_is_idempotent",
        "test_compute_env_order_is_no_change_one_value_is",
    }, report.format_text()
    messages = " ".join(r.message for r in report.results if r.outcome == "failed")
    assert "localhost: stat" in messages
