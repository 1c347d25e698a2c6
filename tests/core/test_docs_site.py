"""The documentation site builds with ``mkdocs build --strict`` (issue 18): a broken link, a page
missing from the navigation or a docstring the reference generator cannot parse fails here.
The generated reference must also have something to show: every public name of ``cloudcore``
and every ``_`` hook a driver implements carries a docstring.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cloudcore
from cloudcore.provider import (
    cache,
    compute,
    database,
    discovery,
    dns,
    jobs,
    queues,
    secrets,
    storage,
    waf,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    hooks = (tmp_path / "site" / "reference" / "driver-hooks" / "index.html").read_text()
    assert "_deploy_service" in hooks and "_store_secret" in hooks
    assert (tmp_path / "site" / "cli" / "index.html").exists()


def test_every_public_name_has_a_docstring() -> None:
    missing = [
        name
        for name in cloudcore.__all__
        if (inspect.isclass(obj := getattr(cloudcore, name)) or inspect.isfunction(obj))
        and not inspect.getdoc(obj)
    ]
    assert missing == []


def test_every_driver_hook_has_a_docstring() -> None:
    missing = []
    hooks = 0
    for module in (cache, compute, database, discovery, dns, jobs, queues, secrets, storage, waf):
        for cls_name, cls in vars(module).items():
            if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                continue
            for name, member in vars(cls).items():
                # A hook is the `_` twin of a public method: `_deploy_service` of `deploy_service`.
                hook = name.startswith("_") and not name.startswith("__") and callable(member)
                if hook and hasattr(cls, name[1:]):
                    hooks += 1
                    if not inspect.getdoc(member):
                        missing.append(f"{module.__name__}.{cls_name}.{name}")
    assert hooks > 20
    assert missing == []
