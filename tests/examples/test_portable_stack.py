"""examples/portable_stack.py runs unchanged on the aws, gcp and memory test targets."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import cloudcore
from cloudcore.errors import ConfigurationError, DriverNotFound, DriverNotInstalled
from cloudcore.registry import load_test_target

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "portable_stack.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("portable_stack", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _target(name: str) -> Any:
    try:
        return load_test_target(name)
    except (DriverNotFound, DriverNotInstalled, ConfigurationError) as exc:
        pytest.skip(f"the {name} test target is not available yet: {exc}")


@pytest.mark.parametrize("driver", ["memory", "gcp", "aws"])
def test_portable_stack_runs_unchanged(driver: str) -> None:
    example = _example()
    with _target(driver)() as cloud:
        out = example.build_stack(cloud)
        kinds = {rtype for rtype, _ in out["resources"]}
        names = {name for _, name in out["resources"]}
        assert {"service", "database", "secret"} <= kinds, out["resources"]
        assert {"shop-api", "shop-db", "shop/api-key"} <= names
        assert cloud.get_secret(out["database"].password_secret).get_secret_value()
        listed = {(r.name, r.type) for r in cloud.list_dns_records("example.com")}
        assert (out["record"].name, out["record"].type) in listed
        applied = [r.name for r in out["waf_rules"]]
        assert applied == [
            r.name for r in example.WAF_RULES if r.name not in out["skipped_waf_rules"]
        ]
        assert applied, "no WAF rule applied"

        with cloudcore.record() as rec:  # the second run converges: nothing is written
            again = example.build_stack(cloud)
        assert rec.mutating_calls(cloud.name) == [], rec.mutating_calls(cloud.name)[:5]
        assert again["service"].changed is False
        assert again["service"].revision == out["service"].revision

        example.tear_down(cloud)
        left = {name for _, name in ((r.type, r.name) for r in cloud.list_resources())}
        assert not {"shop-api", "shop-db", "shop/api-key"} & left
