"""Project-wide test policy.

In CI (``CI`` set), a test marked ``needs_root`` that skips is a failure: CI runs as root with the
Debian packages installed by ``./dev test``, so such a skip means a broken setup, not a missing
optional tool.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

IN_CI = bool(os.environ.get("CI"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    if IN_CI and report.skipped and item.get_closest_marker("needs_root") is not None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"needs_root test skipped in CI (CI={os.environ['CI']}): {reason}"
    return report
