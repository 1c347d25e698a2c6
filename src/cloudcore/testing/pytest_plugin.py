"""The ``cloudcore`` pytest plugin (entry point ``pytest11``): the conformance suite's fixtures
and its two extra outcomes.

Fixtures:
    provider: A connected provider for the running suite class. By default it opens the class's
        ``target`` (a registered driver's test target, or ``"module:attr"`` of a context-manager
        factory) with ``target_options``; with ``live = True`` it calls ``cloudcore.connect``
        (profile and ``CLOUDCORE_*`` environment). Override it in your class or conftest to
        build the provider yourself.
    conformance_options: The :class:`~cloudcore.testing.suite._base.ConformanceOptions` of the
        class (its ``options`` attribute over the driver's registered ``conformance_options``).
    conformance_names: Unique names for this run.

Outcomes: a suite test whose capability or feature the driver does not declare is reported
``UNSUPPORTED`` (after checking that the call raises ``Unsupported`` with a reason); a test that
needs something the target lacks (a fault injector) is reported ``NOT TESTABLE``. Both are
distinct categories in the terminal summary and in ``cloudcore conformance`` reports.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from .suite._base import (
    MARK,
    OUTCOME_PROPERTY,
    ConformanceOptions,
    Names,
    _NotTestable,
    check_unsupported,
)
from .wire import wire_counter_for

__all__ = ["conformance_names", "conformance_options", "provider"]


class _UnsupportedOutcome(Exception):
    """Raised in setup when a requirement is undeclared and correctly refused."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARK}(capability, features): a cloudcore conformance test and what it needs",
    )


def _registered_options(target: str | None) -> dict[str, Any]:
    if not target or ":" in target:
        return {}
    from ..registry import get_driver

    try:
        meta = get_driver(target).metadata
    except Exception:
        return {}
    opts = meta.get("conformance_options") or {}
    return dict(opts) if isinstance(opts, dict) else {}


@pytest.fixture(scope="class")
def conformance_options(request: pytest.FixtureRequest) -> ConformanceOptions:
    """Per-target suite parameters (see ``ConformanceOptions``)."""
    cls = request.cls
    target = getattr(cls, "target", None)
    merged = {**_registered_options(target), **dict(getattr(cls, "options", None) or {})}
    return ConformanceOptions.build(merged)


@pytest.fixture(scope="session")
def conformance_names() -> Names:
    """Unique resource names for this run."""
    return Names()


def _factory(target: str) -> Any:
    if ":" in target:
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)
    from ..registry import load_test_target

    return load_test_target(target)


@pytest.fixture(scope="class")
def provider(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A connected provider from the class's ``target`` (see the module docstring)."""
    cls = request.cls
    target = getattr(cls, "target", None)
    if not target:
        pytest.fail(
            "set `target = '<driver name>'` on your conformance class, or override the "
            "`provider` fixture",
            pytrace=False,
        )
    options = dict(getattr(cls, "target_options", None) or {})
    if getattr(cls, "live", False):
        from ..config import connect

        with connect(target, **options) as live:
            yield live
            _after_suite(cls, live)
        return
    with _factory(target)(**options) as stand_in:
        yield stand_in
        _after_suite(cls, stand_in)


def _after_suite(cls: type, provider: Any) -> None:
    """The class's ``after_suite(provider)`` hook: driver-specific checks once every suite test
    (and its cleanup) ran, before the provider closes."""
    hook = getattr(cls, "after_suite", None)
    if callable(hook):
        hook(cls(), provider)


@pytest.fixture(autouse=True)
def _cloudcore_requirements(request: pytest.FixtureRequest) -> None:
    """For suite tests: turn undeclared requirements into the *unsupported* outcome."""
    marker = request.node.get_closest_marker(MARK)
    if marker is None:
        return
    capability = marker.kwargs["capability"]
    features = tuple(marker.kwargs.get("features", ()))
    prov = request.getfixturevalue("provider")
    opts = request.getfixturevalue("conformance_options")
    declared = sorted(str(c) for c in prov.capabilities)
    request.node.user_properties.append(("cloudcore_declared", json.dumps(declared)))
    request.node.user_properties.append(("cloudcore_provider", str(prov.name)))
    feats = {str(c): sorted(prov.features.get(c, ())) for c in prov.capabilities}
    request.node.user_properties.append(("cloudcore_features", json.dumps(feats)))
    wire = wire_counter_for(prov) is not None
    request.node.user_properties.append(("cloudcore_wire", "on" if wire else "off"))
    missing: str | None = None
    feature: str | None = None
    if not prov.supports(capability):
        missing = capability
    else:
        for feat in features:
            if not prov.supports(capability, feat):
                missing, feature = f"{capability}:{feat}", feat
                break
    if missing is None:
        return
    reason = check_unsupported(prov, opts, capability, feature)
    raise _UnsupportedOutcome(f"{missing}: {reason}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker(MARK)
        if marker is not None:
            item.user_properties.append(("cloudcore_capability", marker.kwargs["capability"]))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    excinfo = call.excinfo
    if excinfo is not None and isinstance(excinfo.value, _UnsupportedOutcome | _NotTestable):
        kind = "unsupported" if isinstance(excinfo.value, _UnsupportedOutcome) else "not_testable"
        reason = str(excinfo.value)
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"{kind}: {reason}")
        report.user_properties = [
            *report.user_properties,
            (OUTCOME_PROPERTY, kind),
            ("cloudcore_reason", reason),
        ]
    return report


def pytest_report_teststatus(
    report: pytest.TestReport, config: pytest.Config
) -> tuple[str, str, str] | None:
    if not report.skipped:
        return None
    kind = dict(report.user_properties).get(OUTCOME_PROPERTY)
    if kind == "unsupported":
        return "unsupported", "U", "UNSUPPORTED"
    if kind == "not_testable":
        return "not testable", "N", "NOT TESTABLE"
    return None
