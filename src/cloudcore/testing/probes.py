"""Data probes: how the conformance suite looks at data behind a driver's back.

A test target whose stand-in holds real data (the memory driver, real PostgreSQL on a bare-metal
host) attaches a :class:`DatabaseProbe` to the provider it yields. The suite then writes a marker
into a database, backs it up, writes another, restores the backup and checks that exactly the
first marker is in the restored database. Targets without real data (moto's RDS) attach none and
the suite checks backup bookkeeping only.

For storage, a target may attach a :class:`BucketSeeder` (buckets cloudcore does not manage) and
an :class:`ObjectCorrupter` (stored bytes damaged behind the driver's back); without them the
tests that need them are reported *not testable*.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from ..models import DatabaseEndpoint

__all__ = [
    "BucketSeeder",
    "DatabaseProbe",
    "ObjectCorrupter",
    "attach_bucket_seeder",
    "attach_corrupter",
    "attach_probe",
    "bucket_seeder_for",
    "corrupter_for",
    "probe_for",
]


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


# ------------------------------------------------------------------ storage


@runtime_checkable
class BucketSeeder(Protocol):
    """Makes buckets that cloudcore does not manage, as another tool or person would.

    The conformance suite seeds one, then checks that cloudcore never lists, changes or deletes
    it (nor the objects in it). Targets attach one with :func:`attach_bucket_seeder`; the memory
    target does, a target over a real S3 API can (create a bucket without cloudcore's tags).
    """

    def create_unmanaged_bucket(self, name: str, objects: Mapping[str, bytes]) -> None:
        """Create bucket ``name`` holding ``objects``, without cloudcore's managed-by mark."""

    def read_unmanaged_bucket(self, name: str) -> dict[str, bytes] | None:
        """The bucket's current objects (``None`` when it does not exist any more)."""

    def remove_unmanaged_bucket(self, name: str) -> None:
        """Delete the bucket and its objects (cleanup; quietly when gone)."""


@runtime_checkable
class ObjectCorrupter(Protocol):
    """Damages stored object bytes behind the driver's back (what a bad disk or a broken
    replica does), so the suite can check that a read raises ``IntegrityError`` instead."""

    def corrupt_object(self, bucket: str, key: str, *, truncate: bool = False) -> None:
        """Change the latest version's stored bytes without changing the checksum it was
        stored with: flip one byte (same size), or with ``truncate`` drop the last byte."""


_seeders: weakref.WeakKeyDictionary[object, BucketSeeder] = weakref.WeakKeyDictionary()
_corrupters: weakref.WeakKeyDictionary[object, ObjectCorrupter] = weakref.WeakKeyDictionary()


def attach_bucket_seeder(provider: object, seeder: BucketSeeder) -> None:
    """Make ``seeder`` the bucket seeder of ``provider`` (called by test targets)."""
    _seeders[provider] = seeder


def bucket_seeder_for(provider: object) -> BucketSeeder | None:
    """The bucket seeder attached to ``provider``, or ``None``."""
    return _seeders.get(provider)


def attach_corrupter(provider: object, corrupter: ObjectCorrupter) -> None:
    """Make ``corrupter`` the object corrupter of ``provider`` (called by test targets)."""
    _corrupters[provider] = corrupter


def corrupter_for(provider: object) -> ObjectCorrupter | None:
    """The object corrupter attached to ``provider``, or ``None``."""
    return _corrupters.get(provider)
