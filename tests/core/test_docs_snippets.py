"""Every Python snippet of README.md and docs/ runs (issue 18), on the memory driver.

The snippets of one page run in order in one namespace (a page builds on its earlier snippets,
as a reader does). ``cloudcore.connect`` is the real one with the driver swapped: whatever driver
or composition a snippet names is served by ``memory``, with the options the memory driver
understands (``retry``, ``faults``, ...) kept and the cloud-specific ones (``region``,
``api_token``, ...) dropped -- so what is checked is that the page's code is right about
cloudcore's API, models and validation. The memory driver behaves as the contract says (the
conformance suite holds it to that), so a snippet that fails here fails for a reader too.

A snippet that cannot run here says so in the page, on the line before its fence::

    <!-- snippet: skip (needs pandas and a Google Cloud project) -->

and the reason is checked to be there; a page may also prepare its namespace with a hidden
block ``<!-- snippet: setup ... -->`` (code in the comment, run before the page's first snippet).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cloudcore
from cloudcore.config import connect as real_connect

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *ROOT.joinpath("docs").rglob("*.md")])
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)
SKIP = re.compile(r"<!-- snippet: skip \((.+?)\) -->\s*$")
SETUP = re.compile(r"<!-- snippet: setup\n(.*?)-->", re.S)


def _memory_options(options: dict[str, Any]) -> dict[str, Any]:
    from cloudcore.testing.memory.provider import MemoryProvider

    accepted = set(inspect.signature(MemoryProvider.__init__).parameters) - {"self"}
    return {k: v for k, v in options.items() if k in accepted}


def memory_connect(provider: Any = None, /, *, profile: str | None = None, **options: Any) -> Any:
    """``cloudcore.connect`` with every driver served by ``memory``."""
    del provider, profile
    return real_connect("memory", **_memory_options(options))


def snippets(page: Path) -> Iterator[tuple[int, str | None, str]]:
    """(line, skip reason or None, code) of each Python block of ``page``."""
    text = page.read_text()
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP.search(before)
        yield line, skip.group(1) if skip else None, match.group(1)


PAGES_WITH_CODE = [p for p in PAGES if any(True for _ in snippets(p))]


def test_there_are_snippets_to_run() -> None:
    assert sum(1 for p in PAGES for _, skip, _ in snippets(p) if skip is None) >= 20


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_snippet_of_the_page_runs(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("CLOUDCORE_PROVIDER", "CLOUDCORE_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(cloudcore, "connect", memory_connect)
    namespace: dict[str, Any] = {"__name__": f"snippets_{page.stem}"}
    setup = SETUP.search(page.read_text())
    if setup:
        exec(compile(setup.group(1), f"{page.name}:setup", "exec"), namespace)
    ran = 0
    for line, skip, code in snippets(page):
        if skip is not None:
            assert len(skip) > 8, f"{page.name}:{line}: say why the snippet cannot run"
            continue
        try:
            exec(compile(code, f"{page.relative_to(ROOT)}:{line}", "exec"), namespace)
        except Exception as exc:
            pytest.fail(f"{page.relative_to(ROOT)}:{line}: {type(exc).__name__}: {exc}")
        ran += 1
    assert ran > 0 or page.name != "user-guide.md"
    for value in namespace.values():  # close the providers the page connected
        if not isinstance(value, type) and callable(getattr(value, "supports", None)):
            value.close()
