"""Data probes: how the conformance suite checks that a restored backup holds the data.

A test target whose stand-in holds real data (the memory driver, real PostgreSQL on a bare-metal
host) attaches a :class:`DatabaseProbe` to the provider it yields. The suite then writes a marker
into a database, backs it up, writes another, restores the backup and checks that exactly the
first marker is in the restored database. Targets without real data (moto's RDS) attach none and
the suite checks backup bookkeeping only.
"""

from __future__ import annotations

import weakref
from typing import Protocol, runtime_checkable

from ..models import DatabaseEndpoint

__all__ = ["DatabaseProbe", "attach_probe", "probe_for"]


@runtime_checkable
class DatabaseProbe(Protocol):
    """Reads and writes marker rows in a database the provider provisioned."""

    def write_marker(self, endpoint: DatabaseEndpoint, marker: str) -> None:
        """Insert ``marker`` (creating the marker table if needed)."""

    def read_markers(self, endpoint: DatabaseEndpoint) -> list[str]:
        """Every marker in the database, in insertion order."""


_probes: weakref.WeakKeyDictionary[object, DatabaseProbe] = weakref.WeakKeyDictionary()


def attach_probe(provider: object, probe: DatabaseProbe) -> None:
    """Make ``probe`` the database probe of ``provider`` (called by test targets)."""
    _probes[provider] = probe


def probe_for(provider: object) -> DatabaseProbe | None:
    """The database probe attached to ``provider``, or ``None``."""
    return _probes.get(provider)
