"""The suite's building blocks: options, names, laziness."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cloudcore.models import validate_name
from cloudcore.testing import ConformanceOptions
from cloudcore.testing.memory import MemoryProvider
from cloudcore.testing.suite._base import Names, check_unsupported


def test_options_refuse_unknown_names_and_compute_pages() -> None:
    with pytest.raises(ValueError, match="unknown conformance options"):
        ConformanceOptions.build({"zonee": "example.net"})
    opts = ConformanceOptions.build({"zone": "example.net", "service_command": ["true"]})
    assert opts.zone == "example.net" and opts.service_command == ("true",)
    assert opts.past_one_page(object()) == 25
    assert opts.past_one_page(MemoryProvider(page_size=7)) == 17
    assert ConformanceOptions(page_size=3).past_one_page(MemoryProvider(page_size=7)) == 9


@pytest.mark.parametrize("length", [20, 40, 63])
def test_edge_names_are_valid_and_exact(length: int) -> None:
    name = Names().edge(length)
    assert validate_name(name) == name
    assert len(name) in (length, length - 1)  # a trailing hyphen is dropped


def test_names_are_unique_per_run() -> None:
    a, b = Names(), Names()
    assert a.run != b.run and a.run.startswith("cct")
    assert a.unique("x") != a.unique("x")


def test_unsupported_probe_accepts_only_unsupported_with_reason() -> None:
    class NoWAF(MemoryProvider):
        capabilities = MemoryProvider.capabilities - {"waf"}  # type: ignore[operator]
        unsupported_reasons = {"waf": "no firewall here"}

    assert check_unsupported(NoWAF(), ConformanceOptions(), "waf", None) == "no firewall here"
    assert check_unsupported(NoWAF(), ConformanceOptions(), "waf", "geo") == "no firewall here"


def test_unsupported_probe_requires_a_reason_the_driver_wrote() -> None:
    class Silent(MemoryProvider):
        capabilities = MemoryProvider.capabilities - {"waf"}  # type: ignore[operator]
        unsupported_reasons: dict[str, str] = {}

    with pytest.raises(pytest.fail.Exception, match=r"unsupported_reasons\['waf'\]"):
        check_unsupported(Silent(), ConformanceOptions(), "waf", None)


def test_importing_cloudcore_testing_does_not_import_pytest() -> None:
    code = (
        "import sys, cloudcore.testing, cloudcore.testing.memory, cloudcore.testing.faults; "
        "assert 'pytest' not in sys.modules, 'pytest imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_without_the_plugin_the_error_says_how_to_load_it(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text(
        "from cloudcore.testing import ConformanceSuite\n\n\n"
        "class TestX(ConformanceSuite):\n    target = 'memory'\n"
    )
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_x.py"]
    args += ["-k", "dns_upsert_is_idempotent"]
    done = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "-p cloudcore.testing.pytest_plugin" in done.stdout, done.stdout[-2000:]
    assert "fixture 'provider' not found" not in done.stdout


def test_after_suite_hook_runs_once_after_every_test_with_the_provider_open(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "after.txt"
    (tmp_path / "test_y.py").write_text(
        "from cloudcore.testing import ConformanceSuite\n\n\n"
        "class TestY(ConformanceSuite):\n    target = 'memory'\n\n"
        "    def after_suite(self, provider):\n"
        "        names = provider.list_secrets()\n"
        f"        with open({str(marker)!r}, 'a') as f:\n"
        "            f.write(f'{len(names)}\\n')\n"
    )
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_y.py"]
    args += ["-k", "secrets_round_trip or secrets_delete_when_gone"]
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    assert marker.read_text() == "0\n"  # once, after the cleanup, on an open provider
