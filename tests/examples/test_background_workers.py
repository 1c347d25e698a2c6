"""examples/background_workers.py runs unchanged on the local and aws test targets: every job is
processed by one of two workers, and the poisoned message ends in the dead-letter queue."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from cloudcore.registry import load_test_target

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "background_workers.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("background_workers", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("driver", ["local", "aws", "memory"])
def test_background_workers(driver: str) -> None:
    if driver == "aws":
        pytest.importorskip("moto", reason="the aws target needs moto[server]")
    example = _example()
    with load_test_target(driver)() as cloud:
        out = example.run(cloud, jobs=30)
    assert sorted(out["done"]) == sorted(f"job-{i}" for i in range(30)), "a job was lost"
    assert out["dead"] == [{"id": "bad", "poison": True}], out["dead"]
    assert set(out["done"].values()) <= {"worker-0", "worker-1"}
