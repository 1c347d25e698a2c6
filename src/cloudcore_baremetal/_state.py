"""State kept on the hosts: one-line JSON documents (mode 0600) under the state folder."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from ._shell import SEQ, quiet, script

if TYPE_CHECKING:
    from .inventory import Host

__all__ = ["config_hash", "read_all", "read_one", "short_ident", "write_one"]


def config_hash(data: Any) -> str:
    """A stable SHA-256 of a JSON-able value."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def read_all(host: Host, folder: str, filename: str, *, name: str = "read-state") -> list[Any]:
    """Every ``<folder>/*/<filename>`` (or ``<folder>/*.json`` with ``filename='*.json'``)."""
    depth = "1" if filename.startswith("*") else "2"
    res = host.transport.run(
        script(
            [
                "find",
                host.path(folder),
                "-mindepth",
                depth,
                "-maxdepth",
                depth,
                "-name",
                filename,
                "-exec",
                "cat",
                "{}",
                "+",
            ],
            quiet(),
            SEQ,
            ["true"],
        ),
        mutating=False,
        name=name,
    )
    out = []
    for line in res.text.splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def read_one(host: Host, path: str, *, name: str = "read-state") -> Any:
    """One JSON document, or ``None`` when the file does not exist."""
    data = host.transport.read_file(host.path(path), name=name)
    return None if data is None else json.loads(data)


def write_one(host: Host, path: str, doc: Any, *, name: str = "write-state") -> None:
    """Write one JSON document (0600), creating its folder (0700)."""
    full = host.path(path)
    folder = full.rsplit("/", 1)[0]
    host.transport.run(["mkdir", "-p", "-m", "700", folder], mutating=True, name="mkdir")
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str) + "\n"
    host.transport.write_file(full, text.encode(), name=name)


def short_ident(*parts: str, limit: int = 63) -> str:
    """A PostgreSQL-safe identifier from validated parts (``-`` becomes ``_``), max 63 chars."""
    ident = "_".join(p.replace("-", "_") for p in parts)
    if len(ident) <= limit:
        return ident
    digest = hashlib.sha256(ident.encode()).hexdigest()[:10]
    return f"{ident[: limit - 11]}_{digest}"
