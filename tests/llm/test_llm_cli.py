"""``cloudcore tools`` and ``cloudcore mcp`` as commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLOUDCORE = Path(sys.executable).with_name("cloudcore")


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CLOUDCORE_MEMORY_STATE_FILE": str(tmp_path / "state.json")}


@pytest.mark.parametrize("fmt", ["well-known", "openai", "anthropic"])
def test_tools_command_prints_each_format(tmp_path: Path, fmt: str) -> None:
    command = [str(CLOUDCORE)] if CLOUDCORE.exists() else [sys.executable, "-m", "cloudcore"]
    out = subprocess.run(
        [*command, "tools", "--provider", "memory", "--format", fmt],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
        check=True,
    )
    doc = json.loads(out.stdout)
    entries = doc["tools"] if fmt == "well-known" else doc
    names = {e.get("name") or e["function"]["name"] for e in entries}
    assert "list_resources" in names
    assert "deploy_service" not in names


def test_mcp_without_the_sdk_names_the_extra(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['mcp'] = None\n"
        "from cloudcore.cli import main\n"
        "sys.exit(main(['mcp', '--provider', 'memory']))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 5, out.stderr
    assert "pip install 'cloudcore[mcp]'" in out.stderr
