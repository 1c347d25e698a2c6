"""The entry-point scan is cached per environment and invalidated by an install (issue 19)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any


def _plugin(site: Path, name: str) -> None:
    pkg = site / f"{name}_cloud"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "plugin.py").write_text(
        textwrap.dedent(
            f"""
            from cloudcore.hookspecs import hookimpl

            @hookimpl
            def cloudcore_register_drivers(register):
                register(name={name!r}, factory="{name}_cloud.provider:P", capabilities=("dns",))
            """
        )
    )
    dist = site / f"{name}_cloud-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-cloud\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[cloudcore.drivers]\n{name} = {name}_cloud.plugin\n")


def _drivers(site: Path, cache: Path, **extra: str) -> set[str]:
    return {d["name"] for d in _report(site, cache, **extra)["drivers"]}


def _report(site: Path, cache: Path, **extra: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), *sys.path]),
        "XDG_CACHE_HOME": str(cache),
        **extra,
    }
    out = subprocess.run(
        [sys.executable, "-m", "cloudcore", "drivers", "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    report: dict[str, Any] = json.loads(out.stdout)
    return report


def test_cache_is_written_reused_and_invalidated_by_an_install(tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    _plugin(site, "acme")
    assert {"acme", "memory"} <= _drivers(site, cache)
    files = list((cache / "cloudcore").glob("entry-points-*.json"))
    assert len(files) == 1
    cached = json.loads(files[0].read_text())
    assert ["acme", "acme_cloud.plugin"] in cached
    # Served from the cache: an entry planted there is loaded (proof the cache was read) ...
    files[0].write_text(json.dumps([*cached, ["planted", "acme_cloud.missing"]]))
    assert "planted = acme_cloud.missing" in str(_report(site, cache)["plugin_errors"])
    # ... and installing a distribution (its dist-info appears) makes the next run scan again.
    _plugin(site, "zeta")
    names = _drivers(site, cache)
    assert "zeta" in names
    # CLOUDCORE_NO_CACHE=1 scans every time and writes nothing.
    other = tmp_path / "other-cache"
    assert "zeta" in _drivers(site, other, CLOUDCORE_NO_CACHE="1")
    assert not other.exists()
