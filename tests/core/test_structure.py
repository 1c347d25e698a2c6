"""The core package's structure: it names no driver, and each capability is one module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import cloudcore
from cloudcore.capabilities import OPERATIONS, Capability
from cloudcore.composite import CompositeProvider
from cloudcore.protocol import CloudProvider
from cloudcore.provider import CAPABILITY_METHODS, BaseProvider

CORE = Path(cloudcore.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_core_imports_no_driver_package() -> None:
    offenders = {
        f"{path.relative_to(CORE.parent)}: {mod}"
        for path in CORE.rglob("*.py")
        for mod in _imported_modules(path)
        if mod.split(".")[0].startswith("cloudcore_")
    }
    assert not offenders, f"the core imports driver packages: {sorted(offenders)}"


def test_core_import_graph_loads_no_driver_package() -> None:
    """Importing every core module (the CLI parser included) loads no driver package except
    the plugin modules the entry points name."""
    code = (
        "import sys, pkgutil, importlib, cloudcore\n"
        "for m in pkgutil.walk_packages(cloudcore.__path__, 'cloudcore.'):\n"
        "    if '.testing' in m.name or m.name.endswith('__main__'): continue\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.startswith('cloudcore_') "
        "and not n.endswith('.plugin') and '.' in n)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"importing the core loaded driver modules: {out}"


def test_every_protocol_method_lives_in_one_capability_module() -> None:
    for name, info in OPERATIONS.items():
        assert info.capability is not None
        owners = [m for m in CAPABILITY_METHODS if name in vars(m)]
        assert len(owners) == 1, f"{name} is defined in {owners}"
        module = owners[0].__module__
        assert module == f"cloudcore.provider.{info.capability.value}", (name, module)
        assert callable(getattr(BaseProvider, name))
        assert callable(getattr(CompositeProvider, name)), f"composition cannot route {name}"
        assert name in dir(CloudProvider), f"the protocol lacks {name}"


def test_each_capability_has_its_module() -> None:
    for cap in Capability:
        path = CORE / "provider" / f"{cap.value}.py"
        assert path.exists(), f"no module for capability {cap.value}"
        assert len(path.read_text().splitlines()) < 500


def test_plugin_commands_come_from_their_drivers() -> None:
    from cloudcore.cli import build_parser

    text = build_parser().format_help()
    assert "demo" in text and "iam-policy" in text
