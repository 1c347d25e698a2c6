"""The suite tests itself: every broken variant of the memory driver must fail the suite, for
the promise it broke (exactly the listed tests fail), and correct drivers must pass."""

from __future__ import annotations

import pytest

from cloudcore.testing import run_suite
from cloudcore.testing.broken import VARIANTS

TARGET = "cloudcore.testing.broken:broken_target"


def test_there_are_at_least_forty_variants() -> None:
    assert len(VARIANTS) >= 40
    assert len({v.cls for v in VARIANTS.values()}) == len(VARIANTS)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_suite_fails_for_the_broken_promise(name: str) -> None:
    variant = VARIANTS[name]
    report = run_suite(TARGET, target_options={"variant": name}, capabilities=[variant.capability])
    assert not report.error, report.error
    assert not report.conformant, f"{name} ({variant.promise}) passed the suite"
    assert set(report.failed()) == set(variant.fails), (
        f"{name} breaks '{variant.promise}': expected {sorted(variant.fails)} to fail, "
        f"got {sorted(report.failed())}"
    )
    assert report.capability_status(variant.capability) == "failed"


def test_memory_reference_passes_everything() -> None:
    report = run_suite("memory")
    assert report.conformant, report.format_text()
    counts = report.counts()
    for capability, row in counts.items():
        assert row["passed"] > 0 and row["failed"] == 0, capability
        assert row["unsupported"] == 0 and row["not_testable"] == 0, capability


def test_honest_partial_driver_is_conformant_with_unsupported_tests() -> None:
    report = run_suite(TARGET, target_options={"variant": "secrets_only"})
    assert report.conformant, report.format_text()
    assert sorted(report.declared) == ["discovery", "secrets"]
    assert report.outcome_of("test_secrets_versions") == "unsupported"
    assert report.outcome_of("test_secrets_round_trip") == "passed"
    counts = report.counts()
    for capability in ("compute", "database", "cache", "dns", "waf", "storage"):
        assert counts[capability]["unsupported"] > 0, capability
        assert counts[capability]["passed"] == counts[capability]["failed"] == 0, capability
        assert report.capability_status(capability) == "unsupported"
    reasons = report.to_json()["unsupported"]
    assert "secrets-only control driver" in reasons["test_compute_deploy_round_trip"]
    assert "keeps only the latest value" in reasons["test_secrets_versions"]


def test_pytest_reports_unsupported_as_its_own_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    report = run_suite(
        TARGET, target_options={"variant": "secrets_only"}, capabilities=["waf"], quiet=False
    )
    out = capsys.readouterr().out
    assert report.counts()["waf"]["unsupported"] == 6
    assert "6 unsupported" in out and "skipped" not in out, out


def test_target_without_fault_injection_reports_not_testable() -> None:
    report = run_suite(
        TARGET, target_options={"variant": "no_fault_injection"}, capabilities=["secrets"]
    )
    assert report.conformant, report.format_text()
    not_testable = {r.name for r in report.results if r.outcome == "not_testable"}
    assert not_testable == {
        "test_secrets_error_mapping",
        "test_secrets_read_retried",
        "test_secrets_store_not_repeated",
        "test_secrets_hygiene_errors",
        "test_secrets_delete_survives_a_failed_read",
        "test_secrets_retry_after_is_what_was_injected",
    }
    assert "no fault injector" in report.to_json()["unsupported"]["test_secrets_read_retried"]


def test_storage_without_probes_or_faults_reports_not_testable() -> None:
    """A target that cannot seed unmanaged buckets, corrupt bytes or inject faults: the tests
    needing them are *not testable*, the rest pass."""
    report = run_suite(
        TARGET,
        target_options={"variant": "no_fault_injection", "storage_probes": False},
        capabilities=["storage"],
    )
    assert report.conformant, report.format_text()
    not_testable = {r.name for r in report.results if r.outcome == "not_testable"}
    assert not_testable == {
        "test_storage_error_mapping_and_retries",
        "test_storage_unmanaged_buckets_untouched",
        "test_storage_integrity_corruption_is_an_error",
    }
    reasons = report.to_json()["unsupported"]
    assert "BucketSeeder" in reasons["test_storage_unmanaged_buckets_untouched"]
    assert "ObjectCorrupter" in reasons["test_storage_integrity_corruption_is_an_error"]
