"""Run the conformance suite on one target in-process and summarise it per capability.

``cloudcore conformance`` and the suite's own self-test use :func:`run_suite`; the result is a
:class:`SuiteReport` that renders as a text matrix (capability x passed / failed / unsupported /
not testable) or as JSON (the input of ``cloudcore.testing.matrix``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..capabilities import Capability
from .suite._base import MARK, OUTCOME_PROPERTY

__all__ = [
    "OUTCOMES",
    "WIRE_SELF_REPORTED",
    "WIRE_VERIFIED",
    "SuiteReport",
    "TestResult",
    "run_suite",
]

OUTCOMES = ("passed", "failed", "unsupported", "not_testable", "skipped")
"""Every outcome a suite test can have, in report order."""

WIRE_VERIFIED = "verified on the wire"
"""Report text: writes and no-ops were counted by the stand-in, and the driver's count agreed."""

WIRE_SELF_REPORTED = "self-reported, not verified"
"""Report text: the target has no wire counter; writes were counted from the driver's events."""

_TEST_FILE = """\
from cloudcore.testing import ConformanceSuite


class TestConformance(ConformanceSuite):
    target = {target!r}
    target_options = {target_options!r}
    live = {live!r}
    options = {options!r}
"""


@dataclass
class TestResult:
    """One suite test's outcome.

    Attributes:
        name: Test function name (``test_secrets_round_trip``).
        capability: The capability it is counted under.
        outcome: One of :data:`OUTCOMES`.
        message: Failure text, or the reason for unsupported / not testable.
        duration: Seconds (setup, call and teardown).
    """

    __test__ = False  # not a pytest test class

    name: str
    capability: str
    outcome: str = "passed"
    message: str = ""
    duration: float = 0.0


@dataclass
class SuiteReport:
    """What one run of the suite found.

    Attributes:
        driver: Driver (or target) name.
        mode: ``"fake"`` (its test target) or ``"live"`` (connected with its normal options).
        results: One entry per test that ran.
        declared: Capabilities the provider declares.
        features: Features it declares, per capability.
        provider: The provider's ``name``.
        error: Set when the run itself broke (collection error, unknown driver).
        duration: Seconds.
        wire: Whether the target attached a wire counter, so writes and no-ops were counted
            on the stand-in's side (``None``: no test got as far as the provider).
    """

    driver: str
    mode: str = "fake"
    results: list[TestResult] = field(default_factory=list)
    declared: list[str] = field(default_factory=list)
    features: dict[str, list[str]] = field(default_factory=dict)
    provider: str = ""
    error: str = ""
    duration: float = 0.0
    wire: bool | None = None

    def counts(self) -> dict[str, dict[str, int]]:
        """Per capability (in protocol order), the number of tests of each outcome."""
        table = {c.value: dict.fromkeys(OUTCOMES, 0) for c in Capability}
        for r in self.results:
            table.setdefault(r.capability, dict.fromkeys(OUTCOMES, 0))[r.outcome] += 1
        return table

    def failed(self, capability: str | None = None) -> list[str]:
        """Names of the failed tests (of one capability, if given)."""
        return [
            r.name
            for r in self.results
            if r.outcome == "failed" and (capability is None or r.capability == capability)
        ]

    def outcome_of(self, name: str) -> str | None:
        """The outcome of the test called ``name``, or ``None`` if it did not run."""
        return next((r.outcome for r in self.results if r.name == name), None)

    @property
    def conformant(self) -> bool:
        """No run error, no failed test, and every declared capability had a passing test."""
        if self.error or self.failed() or not self.results:
            return False
        counts = self.counts()
        ran = {r.capability for r in self.results}
        return all(counts[c]["passed"] > 0 for c in self.declared if c in ran)

    def capability_status(self, capability: str) -> str:
        """``passed``, ``failed``, ``unsupported``, ``partial`` (some features unsupported) or
        ``not run``."""
        row = self.counts().get(capability, {})
        if row.get("failed"):
            return "failed"
        if capability not in self.declared:
            return "unsupported" if row.get("unsupported") else "not run"
        if not row.get("passed"):
            return "not run"
        return "partial" if row.get("unsupported") else "passed"

    def writes_verification(self) -> str:
        """How this run checked writes and no-ops: on the wire, or as the driver reports them."""
        if self.wire is None:
            return "not checked"
        return WIRE_VERIFIED if self.wire else WIRE_SELF_REPORTED

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-able data (what ``--json FILE`` writes)."""
        from .. import __version__

        counts = self.counts()
        return {
            "driver": self.driver,
            "provider": self.provider,
            "mode": self.mode,
            "cloudcore_version": __version__,
            "conformant": self.conformant,
            "error": self.error or None,
            "writes": self.writes_verification(),
            "duration_seconds": round(self.duration, 2),
            "capabilities": {
                cap: {
                    "declared": cap in self.declared,
                    "features": self.features.get(cap, []),
                    "status": self.capability_status(cap),
                    "writes": self.writes_verification()
                    if cap in self.declared and counts[cap]["passed"]
                    else None,
                    **counts[cap],
                    "tests": {r.name: r.outcome for r in self.results if r.capability == cap},
                }
                for cap in counts
            },
            "failures": [
                {"test": r.name, "capability": r.capability, "message": r.message}
                for r in self.results
                if r.outcome == "failed"
            ],
            "slowest": [
                {"test": r.name, "seconds": round(r.duration, 2)}
                for r in sorted(self.results, key=lambda r: -r.duration)[:10]
            ],
            "unsupported": {
                r.name: r.message
                for r in self.results
                if r.outcome in ("unsupported", "not_testable")
            },
        }

    def format_text(self) -> str:
        """The capability matrix as plain text."""
        head = f"{'capability':<12} {'declared':<9}{'passed':>7}{'failed':>7}{'unsupported':>12}"
        head += f"{'not testable':>13}  status"
        lines = [f"cloudcore conformance: {self.driver} ({self.mode})", head, "-" * len(head)]
        total = dict.fromkeys(OUTCOMES, 0)
        for cap, row in self.counts().items():
            for k in OUTCOMES:
                total[k] += row[k]
            status = self.capability_status(cap)
            if cap in self.declared and row["passed"] and self.wire is not None:
                status += f" (writes {self.writes_verification()})"
            lines.append(
                f"{cap:<12} {'yes' if cap in self.declared else 'no':<9}{row['passed']:>7}"
                f"{row['failed']:>7}{row['unsupported']:>12}{row['not_testable']:>13}"
                f"  {status}"
            )
        lines.append("-" * len(head))
        lines.append(
            f"{'total':<12} {'':<9}{total['passed']:>7}{total['failed']:>7}"
            f"{total['unsupported']:>12}{total['not_testable']:>13}"
        )
        for r in self.results:
            if r.outcome == "failed":
                lines.append(
                    f"FAILED {r.capability}: {r.name}: {r.message.splitlines()[-1] if r.message else ''}"
                )
        if self.wire is False:
            lines.append(
                "note: writes self-reported, not verified: the test target attaches no wire "
                "counter (cloudcore.testing.wire.attach_wire_counter)"
            )
        if self.error:
            lines.append(f"ERROR: {self.error}")
        verdict = "CONFORMANT" if self.conformant else "NOT CONFORMANT"
        lines.append(f"result: {verdict} ({self.duration:.1f} s)")
        return "\n".join(lines)


class _Collector:
    """A pytest plugin object that keeps the outcome of each suite test."""

    def __init__(self, capabilities: set[str] | None) -> None:
        self.capabilities = capabilities
        self.meta: dict[str, tuple[str, str]] = {}
        self.results: dict[str, TestResult] = {}
        self.declared: list[str] = []
        self.features: dict[str, list[str]] = {}
        self.provider = ""
        self.wire: bool | None = None
        self.errors: list[str] = []
        self.start_failures: list[str] = []
        """Setup failures of tests that never got a provider (the target did not start)."""
        self.nested = "PYTEST_VERSION" in os.environ  # pytest sets it for its session's length

    def pytest_configure(self, config: Any) -> None:
        if self.nested:
            # run from inside another pytest session (the suite testing itself): like pytester's
            # inline runs, skip the full garbage collection pytest makes at the end of a session
            # to find unraisable exceptions; in a session holding millions of objects it cost
            # seconds per run (the outer session still sees them)
            try:
                from _pytest.unraisableexception import gc_collect_iterations_key
            except ImportError:  # pragma: no cover - another pytest
                return
            config.stash[gc_collect_iterations_key] = 0

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.errors.append(f"collection failed: {report.longreprtext.strip()[-2000:]}")

    def pytest_collection_modifyitems(self, config: Any, items: list[Any]) -> None:
        keep, drop = [], []
        for item in items:
            mark = item.get_closest_marker(MARK)
            cap = mark.kwargs["capability"] if mark is not None else "other"
            if self.capabilities is not None and cap not in self.capabilities:
                drop.append(item)
                continue
            keep.append(item)
            self.meta[item.nodeid] = (cap, item.name)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    def pytest_runtest_logreport(self, report: Any) -> None:
        cap, name = self.meta.get(report.nodeid, ("other", report.nodeid.split("::")[-1]))
        result = self.results.setdefault(report.nodeid, TestResult(name, cap, outcome=""))
        props = dict(report.user_properties)
        result.duration += float(getattr(report, "duration", 0.0) or 0.0)
        if "cloudcore_declared" in props:
            self.declared = json.loads(props["cloudcore_declared"])
            self.features = json.loads(str(props.get("cloudcore_features", "{}")))
            self.provider = str(props.get("cloudcore_provider", ""))
            self.wire = props.get("cloudcore_wire") == "on"
        if report.failed and report.when == "setup" and "cloudcore_declared" not in props:
            self.start_failures.append(report.longreprtext.strip()[-3000:])
        if report.failed:
            if result.outcome != "failed":
                result.outcome = "failed"
                result.message = report.longreprtext.strip()[-3000:]
        elif report.skipped and result.outcome != "failed":
            result.outcome = str(props.get(OUTCOME_PROPERTY) or "skipped")
            longrepr = report.longrepr
            result.message = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
        elif report.when == "call" and not result.outcome:
            result.outcome = "passed"


def run_suite(
    target: str,
    *,
    target_options: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    live: bool = False,
    capabilities: list[str] | tuple[str, ...] | set[str] | None = None,
    keyword: str | None = None,
    quiet: bool = True,
    pytest_args: tuple[str, ...] = (),
) -> SuiteReport:
    """Run the conformance suite on ``target`` in this process.

    Args:
        target: Registered driver name, or ``"module:attr"`` of a test-target factory.
        target_options: Keyword arguments for the test target (or ``connect`` when ``live``).
        options: Suite options (:class:`~cloudcore.testing.ConformanceOptions` fields).
        live: Connect with the driver's normal options (profile/env), not its test target.
        capabilities: Run only these capabilities' tests.
        keyword: A pytest ``-k`` expression.
        quiet: Swallow pytest's own output.
        pytest_args: More pytest arguments.
    """
    import pytest

    caps = {str(Capability(c)) for c in capabilities} if capabilities else None
    tmp = Path(tempfile.mkdtemp(prefix="cloudcore-conformance-"))
    report = SuiteReport(driver=target, mode="live" if live else "fake")
    start = time.perf_counter()
    try:
        test_file = tmp / f"test_conformance_{secrets.token_hex(4)}.py"
        test_file.write_text(
            _TEST_FILE.format(
                target=target,
                target_options=dict(target_options or {}),
                live=live,
                options=dict(options or {}),
            )
        )
        ini = tmp / "pytest.ini"
        ini.write_text("[pytest]\n")
        args = [
            str(test_file),
            "-c",
            str(ini),
            "--rootdir",
            str(tmp),
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            "--tb=short",
            "-q",
            "-W",
            "ignore::pytest.PytestAssertRewriteWarning",  # cloudcore is imported before pytest
        ]
        if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
            args += ["-p", "cloudcore.testing.pytest_plugin"]
        if keyword:
            args += ["-k", keyword]
        args += list(pytest_args)
        collector = _Collector(caps)
        sink: contextlib.AbstractContextManager[Any] = (
            contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext()
        )
        with sink:
            code = pytest.main(args, plugins=[collector])
        report.results = [r for r in collector.results.values() if r.outcome]
        report.declared = collector.declared
        report.features = collector.features
        report.provider = collector.provider
        report.wire = collector.wire
        failed = [r for r in report.results if r.outcome == "failed"]
        if collector.errors:
            report.error = collector.errors[0]
        elif failed and len(collector.start_failures) == len(failed):
            # every failure is the same fixture error, repeated per test: one run error instead
            first = collector.start_failures[0]
            last = next((ln for ln in reversed(first.splitlines()) if ln.strip()), first)
            report.error = f"the test target failed to start ({len(failed)} tests could not run): {last.strip()}"
            report.results = [r for r in report.results if r.outcome != "failed"]
        elif int(code) not in (0, 1, 5):
            report.error = f"pytest exited with {code!s}"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        report.duration = time.perf_counter() - start
    return report
