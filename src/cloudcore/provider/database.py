"""The ``database`` capability: PostgreSQL databases, backups and restores.

Protocol (:class:`DatabaseProtocol`), implementation on the base provider with the driver hooks
(:class:`DatabaseMethods`), and composition routing (:class:`DatabaseRouting`).
"""

from __future__ import annotations

from typing import Protocol

from ..capabilities import Capability
from ..errors import ConfigurationError
from ..models import BackupRef, Database, DatabaseConfig, DatabaseEndpoint, validate_name
from ._core import ProviderCore, RouterCore, coerce

__all__ = ["DatabaseMethods", "DatabaseProtocol", "DatabaseRouting"]

C = Capability.DATABASE


class DatabaseProtocol(Protocol):
    """Managed PostgreSQL."""

    def provision_database(self, config: DatabaseConfig) -> DatabaseEndpoint: ...
    def backup_database(self, name: str) -> BackupRef: ...
    def list_backups(self, name: str) -> list[BackupRef]: ...
    def restore_database(self, backup: BackupRef | str, new_name: str) -> DatabaseEndpoint: ...
    def delete_database(self, name: str) -> None: ...
    def get_database(self, name: str) -> Database: ...


class DatabaseMethods(ProviderCore):
    """``database`` on a driver: public methods, then the ``_`` hooks a driver implements."""

    def provision_database(self, config: DatabaseConfig) -> DatabaseEndpoint:
        """Create the database (or return it when it exists with the same config).

        Raises:
            AlreadyExists: a database of that name exists with a different config.
        """
        self.require(C)
        config = coerce(DatabaseConfig, config, "config")
        feats = [config.engine] + (["high_availability"] if config.high_availability else [])
        self.require(C, *feats)
        return self._invoke(
            "provision_database", config.name, lambda: self._provision_database(config)
        )

    def backup_database(self, name: str) -> BackupRef:
        """Take a backup now; returns a reference ``restore_database`` accepts."""
        self.require(C, "backups")
        name = validate_name(name)
        return self._invoke("backup_database", name, lambda: self._backup_database(name))

    def list_backups(self, name: str) -> list[BackupRef]:
        """Backups of a database, oldest first."""
        self.require(C, "backups")
        name = validate_name(name)
        return self._invoke("list_backups", name, lambda: self._list_backups(name))

    def restore_database(self, backup: BackupRef | str, new_name: str) -> DatabaseEndpoint:
        """Restore a backup into a new database named ``new_name``.

        Raises:
            NotFound: no such backup.
            AlreadyExists: ``new_name`` is taken.
        """
        self.require(C, "restore")
        new_name = validate_name(new_name, "new_name")
        if isinstance(backup, str):
            if not backup:
                raise ConfigurationError("backup: empty backup id", field="backup")
            backup_id = backup
        elif isinstance(backup, BackupRef):
            backup_id = backup.id
        else:
            raise ConfigurationError("backup: expected a BackupRef or a backup id", field="backup")
        return self._invoke(
            "restore_database", new_name, lambda: self._restore_database(backup_id, new_name)
        )

    def delete_database(self, name: str) -> None:
        """Delete a database; succeeds when already gone. Drivers keep a final backup where
        the provider offers it (documented per driver)."""
        self.require(C)
        name = validate_name(name)
        self._invoke("delete_database", name, lambda: self._delete_database(name))

    def get_database(self, name: str) -> Database:
        """The database with the config it was provisioned with, read back, and its endpoint:
        ``provision_database(db.config)`` is a no-op. Read-only.

        Raises:
            NotFound: no such database.
        """
        self.require(C)
        name = validate_name(name)
        return self._invoke("get_database", name, lambda: self._get_database(name))

    # ------------------------------------------------------- driver hooks
    def _provision_database(self, config: DatabaseConfig) -> DatabaseEndpoint:
        """Create the database, or return it when it exists with the same config
        (``AlreadyExists`` when the config differs)."""
        self._missing("database", "_provision_database")

    def _backup_database(self, name: str) -> BackupRef:
        """Take one backup now (not repeated on retry unless made safe with the call token)."""
        self._missing("database", "_backup_database")

    def _list_backups(self, name: str) -> list[BackupRef]:
        """Backups of ``name``, oldest first."""
        self._missing("database", "_list_backups")

    def _restore_database(self, backup_id: str, new_name: str) -> DatabaseEndpoint:
        """Restore into a new database (``NotFound`` / ``AlreadyExists`` as documented)."""
        self._missing("database", "_restore_database")

    def _delete_database(self, name: str) -> None:
        """Delete; return quietly when already gone."""
        self._missing("database", "_delete_database")

    def _get_database(self, name: str) -> Database:
        """Read the database back (``NotFound`` when absent). No writes."""
        self._missing("database", "_get_database")


class DatabaseRouting(RouterCore):
    """``database`` in a composition."""

    def provision_database(self, config: DatabaseConfig) -> DatabaseEndpoint:
        return self._route(C).provision_database(config)

    def backup_database(self, name: str) -> BackupRef:
        return self._route(C).backup_database(name)

    def list_backups(self, name: str) -> list[BackupRef]:
        return self._route(C).list_backups(name)

    def restore_database(self, backup: BackupRef | str, new_name: str) -> DatabaseEndpoint:
        return self._route(C).restore_database(backup, new_name)

    def delete_database(self, name: str) -> None:
        self._route(C).delete_database(name)

    def get_database(self, name: str) -> Database:
        return self._route(C).get_database(name)
