"""import cloudcore stays cheap and SDK-free; the public namespace is honest."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import cloudcore

HEAVY = ("boto3", "botocore", "google", "cloudflare", "paramiko", "pluggy", "tenacity", "rich")


def test_import_loads_no_sdk() -> None:
    code = "import sys, cloudcore; print(sorted({m.split('.')[0] for m in sys.modules}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.replace("'", '"')))
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def test_connecting_to_memory_loads_no_cloud_sdk() -> None:
    code = (
        "import sys, cloudcore; c = cloudcore.connect('memory'); c.store_secret('k', 'v');"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.replace("'", '"')))
    assert loaded.isdisjoint({"boto3", "botocore", "google", "cloudflare", "paramiko"})


def test_all_is_sorted_and_every_name_resolves() -> None:
    names = [n for n in cloudcore.__all__ if n != "__version__"]

    # "isort-style", as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions
    def style(name: str) -> tuple[int, str]:
        bare = name.strip("_")
        return (0 if bare.isupper() else 1 if bare[:1].isupper() else 2, name)

    assert cloudcore.__all__ == sorted(cloudcore.__all__, key=style)
    assert set(names) == set(cloudcore._EXPORTS)
    for name in names:
        assert getattr(cloudcore, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        cloudcore.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_third_party_driver_is_listed_without_code_changes(tmp_path: Path) -> None:
    """A distribution installed next to cloudcore (a dist-info with an entry point, as pip
    writes it) shows up in `cloudcore drivers --json`; a broken one is reported, not fatal."""
    pkg = tmp_path / "acme_cloud"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "plugin.py").write_text(
        textwrap.dedent(
            """
            from cloudcore.hookspecs import hookimpl

            @hookimpl
            def cloudcore_register_drivers(register):
                register(name="acme", factory="acme_cloud.provider:AcmeProvider",
                         extra="acme-cloud", requires=("acme_sdk_not_installed",),
                         capabilities=("dns",), description="Acme Cloud")
            """
        )
    )
    dist = tmp_path / "acme_cloud-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-cloud\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[cloudcore.drivers]\nacme = acme_cloud.plugin\nbroken = acme_cloud.missing_module\n"
    )
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "cloudcore", "drivers", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    data = json.loads(out.stdout)
    drivers = {d["name"]: d for d in data["drivers"]}
    assert drivers["acme"]["capabilities"] == ["dns"]
    assert drivers["acme"]["installed"] is False
    assert drivers["acme"]["install"] == "pip install acme-cloud"
    assert "memory" in drivers and drivers["memory"]["installed"] is True
    assert "broken" in data["plugin_errors"]
    assert "acme_cloud.missing_module" in data["plugin_errors"]["broken"]
