"""The package as a user gets it (issue 18): sdist and wheel built from the checkout, the wheel
installed alone in a fresh virtual environment, run from a folder with no checkout in sight.

* ``cloudcore drivers`` works from a plain install;
* ``cloudcore conformance memory`` without the ``testing`` extra is one clear error naming the
  extra (exit 5), not a traceback; with ``[testing]`` it passes;
* the metadata carries the license file, classifiers, ``py.typed`` and the entry points.

Dependencies come from the package index through uv's cache, pinned by constraints.txt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    assert Path(found).exists(), "uv is installed by ./dev setup"
    return found


def _clean_env(tmp: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "VIRTUAL_ENV", "CLOUDCORE_"))
    }
    env["HOME"] = str(tmp / "home")
    env["XDG_CACHE_HOME"] = str(tmp / "cache")
    uv_cache = os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")
    env["UV_CACHE_DIR"] = uv_cache
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [_uv(), "build", "--out-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return out


def test_wheel_metadata(built: Path) -> None:
    (wheel,) = built.glob("cloudcore-*.whl")
    assert list(built.glob("cloudcore-*.tar.gz")), "no sdist built"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(f"{dist_info}/METADATA").decode()
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
    assert f"{dist_info}/licenses/LICENSE" in names
    for pkg in ("cloudcore", "cloudcore_aws", "cloudcore_cloudflare", "cloudcore_gcp"):
        assert f"{pkg}/py.typed" in names
    assert "License-Expression: Apache-2.0" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    assert "Provides-Extra: testing" in metadata
    assert "cloudcore = cloudcore.cli:main" in entry_points
    assert "memory = cloudcore.testing.memory.plugin" in entry_points


def test_wheel_installed_alone_in_a_fresh_venv(built: Path, tmp_path: Path) -> None:
    (wheel,) = built.glob("cloudcore-*.whl")
    env = _clean_env(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run(
        [_uv(), "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=env
    )
    py = str(venv / "bin" / "python")

    def install(spec: str) -> None:
        subprocess.run(
            [
                _uv(),
                "pip",
                "install",
                "-q",
                "--python",
                py,
                "-c",
                str(ROOT / "constraints.txt"),
                spec,
            ],
            check=True,
            env=env,
            timeout=600,
        )

    def cloudcore(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / "cloudcore"), *args],
            cwd=tmp_path,  # no checkout here: everything comes from the installed wheel
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )

    install(str(wheel))
    drivers = cloudcore("drivers")
    assert drivers.returncode == 0, drivers.stderr
    assert "memory" in drivers.stdout and "pip install 'cloudcore[aws]'" in drivers.stdout
    located = subprocess.run(
        [py, "-c", "import cloudcore; print(cloudcore.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert str(venv) in located and str(ROOT) not in located

    without = cloudcore("conformance", "memory")
    assert without.returncode == 5, without.stderr
    assert "pip install 'cloudcore[testing]'" in without.stderr
    assert "Traceback" not in without.stderr

    install(f"{wheel}[testing]")
    report = cloudcore("conformance", "memory")
    assert report.returncode == 0, report.stdout + report.stderr
    assert "CONFORMANT" in report.stdout
