"""Testing support shipped with cloudcore: the conformance suite, the memory driver, fault
injection and data probes for stand-ins.

``ConformanceSuite`` and the per-capability suites import pytest, so they are loaded on first
access (the memory driver and fault injection stay importable without pytest).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runner import SuiteReport, run_suite
    from .suite import ConformanceOptions, ConformanceSuite

__all__ = ["ConformanceOptions", "ConformanceSuite", "SuiteReport", "run_suite"]

_EXPORTS = {
    "ConformanceOptions": ".suite",
    "ConformanceSuite": ".suite",
    "SuiteReport": ".runner",
    "run_suite": ".runner",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cloudcore.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
