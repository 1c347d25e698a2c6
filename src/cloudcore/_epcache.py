"""The entry points of one group, cached on disk per environment.

Scanning the installed distributions with :mod:`importlib.metadata` costs 50-70 ms in an
environment of a few hundred packages (half of ``cloudcore drivers``). The result depends only
on which distributions are installed where, so it is cached in
``$XDG_CACHE_HOME/cloudcore/`` (``~/.cache/cloudcore/``) under a key made of the interpreter, the
import path and the modification time of every directory on it: installing, upgrading or
removing a distribution changes its directory's mtime (a ``.dist-info`` folder appears or goes),
so the next run scans again. The working directory (on the path under ``python -m``) counts by
name only: its mtime changes with every file written there. ``CLOUDCORE_NO_CACHE=1`` turns the cache off; a cache that cannot be
read or written is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Any

__all__ = ["entry_points", "load"]


def _cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cloudcore")


def _key(group: str) -> str:
    parts = [sys.version, sys.prefix, group]
    cwd = os.getcwd()
    for entry in sys.path:
        if entry in ("", ".", cwd):  # `python -m`: the working directory, whose mtime churns
            parts.append(entry)
            continue
        try:
            parts.append(f"{entry}\0{os.stat(entry or '.').st_mtime_ns}")
        except OSError:
            parts.append(f"{entry}\0-")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def entry_points(group: str) -> list[tuple[str, str]]:
    """``(name, "module[:attr]")`` of every entry point in ``group``, sorted by name."""
    use_cache = os.environ.get("CLOUDCORE_NO_CACHE", "") in ("", "0")
    path = os.path.join(_cache_dir(), f"entry-points-{_key(group)}.json")
    if use_cache:
        try:
            with open(path, encoding="utf-8") as fh:
                cached = json.load(fh)
            return [(str(n), str(v)) for n, v in cached]
        except (OSError, ValueError, TypeError):
            pass
    from importlib.metadata import entry_points as scan

    found = sorted({(ep.name, ep.value) for ep in scan(group=group)})
    if use_cache:
        _write(path, found)
    return found


def _write(path: str, data: list[tuple[str, str]]) -> None:
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except OSError:
        pass


def load(value: str) -> Any:
    """What an entry point's ``module:attr.sub`` value names (the module, without ``:``)."""
    import importlib

    module_name, _, attrs = value.split("[", 1)[0].partition(":")
    obj: Any = importlib.import_module(module_name.strip())
    for attr in filter(None, attrs.strip().split(".")):
        obj = getattr(obj, attr)
    return obj
