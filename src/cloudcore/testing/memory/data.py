"""Memory databases (with real rows, so backups restore the data that was there) and caches."""

from __future__ import annotations

import copy
import hashlib
import json
import secrets as _secrets
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from ...errors import AlreadyExists, NotFound
from ...models import (
    BackupRef,
    CacheConfig,
    CacheEndpoint,
    DatabaseConfig,
    DatabaseEndpoint,
    utcnow,
)
from ._core import MemoryCore


def db_password_key(name: str) -> str:
    """The cloudcore secret holding a memory database's password."""
    return f"cloudcore/database/{name}/password"


def cache_auth_key(name: str) -> str:
    """The cloudcore secret holding a memory cache's password."""
    return f"cloudcore/cache/{name}/auth"


def _existing(
    section: dict[str, Any], kind: str, name: str, wanted: dict[str, Any]
) -> dict[str, Any] | None:
    """The entry ``name`` if it exists with the ``wanted`` config, ``None`` if it does not.

    Raises:
        AlreadyExists: it exists with a different configuration.
    """
    entry: dict[str, Any] | None = section.get(name)
    if entry is not None and entry["config"] != wanted:
        raise AlreadyExists(f"{kind} {name!r} exists with a different configuration")
    return entry


class MemoryData(MemoryCore):
    """Databases, backups and caches. A database holds tables (``{"table": [rows]}``)."""

    def _new_secret(self, data: dict[str, Any], key: str) -> None:
        value = _secrets.token_urlsafe(24)
        self._put_secret_locked(data, key, SecretStr(value))

    # ------------------------------------------------------------- database
    def _db_endpoint(self, name: str, db: dict[str, Any]) -> DatabaseEndpoint:
        cfg = db["config"]
        return DatabaseEndpoint(
            name=name,
            host=f"{name}.db.memory.internal",
            port=5432,
            database=cfg["database"],
            username=cfg["username"],
            password_secret=db_password_key(name),
            status="available",
            high_availability=cfg["high_availability"],
            provider_id=f"memory:database:{name}",
        )

    def _provision_database(self, config: DatabaseConfig) -> DatabaseEndpoint:
        wanted = config.model_dump(mode="json")
        with self._state.open() as data:
            self._api("DescribeDatabase", mutating=False)
            db = _existing(data["databases"], "database", config.name, wanted)
            if db is not None:
                return self._db_endpoint(config.name, db)
            self._api("CreateDatabase", mutating=True)
            db = {"config": wanted, "tables": {}, "created": utcnow().isoformat()}
            data["databases"][config.name] = db
            self._new_secret(data, db_password_key(config.name))
            return self._db_endpoint(config.name, db)

    def _backup_database(self, name: str) -> BackupRef:
        with self._state.open() as data:
            self._api("DescribeDatabase", mutating=False)
            db = data["databases"].get(name)
            if db is None:
                raise NotFound(f"no database named {name!r}")
            self._api("CreateBackup", mutating=True)
            seq = self._state.next_id(data, "backup")
            backup_id = f"{name}-backup-{seq}"
            tables = copy.deepcopy(db["tables"])
            blob = json.dumps(tables, sort_keys=True).encode()
            data["backups"][backup_id] = {
                "database": name,
                "config": db["config"],
                "tables": tables,
                "created": utcnow().isoformat(),
                "seq": seq,
                "size": len(blob),
                "checksum": "sha256:" + hashlib.sha256(blob).hexdigest(),
            }
            return self._backup_ref(backup_id, data["backups"][backup_id])

    def _backup_ref(self, backup_id: str, b: dict[str, Any]) -> BackupRef:
        return BackupRef(
            id=backup_id,
            database=b["database"],
            created_at=datetime.fromisoformat(b["created"]),
            status="available",
            size_bytes=b["size"],
            checksum=b["checksum"],
            provider=self.name,
        )

    def _list_backups(self, name: str) -> list[BackupRef]:
        def read(data: dict[str, Any]) -> list[BackupRef]:
            found = [(b["seq"], i, b) for i, b in data["backups"].items() if b["database"] == name]
            return [self._backup_ref(i, b) for _, i, b in sorted(found)]

        return self._read("ListBackups", read)

    def _restore_database(self, backup_id: str, new_name: str) -> DatabaseEndpoint:
        with self._state.open() as data:
            self._api("DescribeBackup", mutating=False)
            backup = data["backups"].get(backup_id)
            if backup is None:
                raise NotFound(f"no backup with id {backup_id!r}")
            if new_name in data["databases"]:
                raise AlreadyExists(f"database {new_name!r} exists already")
            self._api("RestoreDatabase", mutating=True)
            config = {**backup["config"], "name": new_name}
            db = {
                "config": config,
                "tables": copy.deepcopy(backup["tables"]),
                "created": utcnow().isoformat(),
                "restored_from": backup_id,
            }
            data["databases"][new_name] = db
            self._new_secret(data, db_password_key(new_name))
            return self._db_endpoint(new_name, db)

    def _delete_database(self, name: str) -> None:
        with self._state.open() as data:
            self._api("DescribeDatabase", mutating=False)
            if name in data["databases"]:
                self._api("DeleteDatabase", mutating=True)
                del data["databases"][name]
                data["secrets"].pop(db_password_key(name), None)

    # ---------------------------------------------------------------- cache
    def _cache_endpoint(self, name: str, cache: dict[str, Any]) -> CacheEndpoint:
        cfg = cache["config"]
        return CacheEndpoint(
            name=name,
            host=f"{name}.cache.memory.internal",
            port=6380 if cfg["tls"] else 6379,
            tls=cfg["tls"],
            auth_secret=cache_auth_key(name) if cfg["auth"] else None,
            status="available",
            high_availability=cfg["high_availability"],
            provider_id=f"memory:cache:{name}",
        )

    def _provision_cache(self, config: CacheConfig) -> CacheEndpoint:
        wanted = config.model_dump(mode="json")
        with self._state.open() as data:
            self._api("DescribeCache", mutating=False)
            cache = _existing(data["caches"], "cache", config.name, wanted)
            if cache is not None:
                return self._cache_endpoint(config.name, cache)
            self._api("CreateCache", mutating=True)
            cache = {"config": wanted, "created": utcnow().isoformat()}
            data["caches"][config.name] = cache
            if config.auth:
                self._new_secret(data, cache_auth_key(config.name))
            return self._cache_endpoint(config.name, cache)

    def _delete_cache(self, name: str) -> None:
        with self._state.open() as data:
            self._api("DescribeCache", mutating=False)
            if name in data["caches"]:
                self._api("DeleteCache", mutating=True)
                del data["caches"][name]
                data["secrets"].pop(cache_auth_key(name), None)

    # ------------------------------------------------------ data (for tests)
    def insert_rows(self, database: str, table: str, rows: list[dict[str, Any]]) -> None:
        """Write rows into a memory database's table (what a client would do over SQL)."""
        with self._state.open() as data:
            db = data["databases"].get(database)
            if db is None:
                raise NotFound(f"no database named {database!r}", provider=self.name)
            self._state.mark_dirty()
            db["tables"].setdefault(table, []).extend(copy.deepcopy(rows))

    def list_tables(self, database: str) -> list[str]:
        """The tables of a memory database, sorted."""
        with self._state.open() as data:
            db = data["databases"].get(database)
            if db is None:
                raise NotFound(f"no database named {database!r}", provider=self.name)
            return sorted(db["tables"])

    def replace_rows(self, database: str, table: str, rows: list[dict[str, Any]]) -> None:
        """Replace a table's rows in one step (what a restore in one transaction does)."""
        with self._state.open() as data:
            db = data["databases"].get(database)
            if db is None:
                raise NotFound(f"no database named {database!r}", provider=self.name)
            self._state.mark_dirty()
            db["tables"][table] = copy.deepcopy(rows)

    def read_rows(self, database: str, table: str) -> list[dict[str, Any]]:
        """The rows of a memory database's table, in insertion order."""
        with self._state.open() as data:
            db = data["databases"].get(database)
            if db is None:
                raise NotFound(f"no database named {database!r}", provider=self.name)
            return copy.deepcopy(db["tables"].get(table, []))
