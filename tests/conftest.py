"""Project-wide test policy.

In CI (``CI`` set), a test marked ``needs_root`` that skips is a failure: CI runs as root with the
Debian packages installed by ``./dev test``, so such a skip means a broken setup, not a missing
optional tool.
"""

from __future__ import annotations

import os
import shutil
import tempfile
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


# How pytest-xdist spreads the tests (``./dev test`` runs two workers): the tests that share this
# machine's state (supervisord programs, ports found free by a scan, nftables, network namespaces,
# the bare-metal test hosts, PostgreSQL and Redis started for real) all run on one worker, one
# after another; every other file runs whole on one worker (a conformance class's tests depend
# on running in order in one process: what one test makes, a later one deletes, and the last ones
# check that nothing is left). A new file of the first kind goes under one of these folders.
HOST_PATHS = (
    "tests/drivers/local/",
    "tests/drivers/baremetal/",
    "tests/migrate/",
    "tests/examples/",
    "tests/llm/",
    "tests/stack/test_reference_stacks_local.py",
    "tests/core/test_cli_conventions.py",
    "tests/core/test_registry_capabilities.py",
    "tests/core/test_structure.py",
)


def work_unit(nodeid: str) -> str:
    """The unit a test is scheduled in: ``host``, or its file."""
    path = nodeid.split("::", 1)[0]
    return "host" if path.startswith(HOST_PATHS) else path


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    # xdist's own "loadgroup" cannot be used: it renames items through ``item._nodeid``, which
    # pytest 9 no longer reads; the scheduler sees node ids, so the grouping is done here
    from xdist.scheduler import LoadScopeScheduling

    class HostScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return HostScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = str(config.rootpath)
    stray = [
        item.nodeid
        for item in items
        if item.get_closest_marker("needs_root") is not None
        and work_unit(os.path.relpath(str(item.path), root).replace(os.sep, "/")) != "host"
    ]
    if stray:
        raise pytest.UsageError(
            "needs_root tests outside HOST_PATHS (tests/conftest.py) would run beside the "
            f"others on another worker: {stray[:5]}"
        )


def pytest_configure(config: pytest.Config) -> None:
    # a short temporary root, for this run only: xdist adds its worker's name to the default one
    # (/tmp/pytest-of-root/pytest-N/popen-gw0/...), and the local driver refuses a project folder
    # longer than 80 characters (its supervisord socket path must fit in 108 bytes)
    if getattr(config, "workerinput", None) is None and not config.option.basetemp:
        config.option.basetemp = tempfile.mkdtemp(prefix="cct-")
        config.stash[_OWN_BASETEMP] = config.option.basetemp


def pytest_unconfigure(config: pytest.Config) -> None:
    own = config.stash.get(_OWN_BASETEMP, None)
    if own:
        shutil.rmtree(own, ignore_errors=True)


_OWN_BASETEMP = pytest.StashKey[str]()
