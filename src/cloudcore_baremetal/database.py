"""Databases: a PostgreSQL role and database per ``provision_database`` on the ``db`` host.

Names: database ``cc_<name>`` and role ``cc_<name>_<username>`` (``-`` becomes ``_``, hashed
when longer than 63 characters), both commented ``managed-by=cloudcore cloudcore-name=<name>``.
The password is generated here, kept as the cloudcore secret ``db/<name>/password`` and sent to
``psql`` on stdin. Backups are ``pg_dump -Fc`` under ``umask 077`` in ``<state>/backups/<name>``
with a SHA-256 recorded next to them; a restore checks it and ``pg_restore``s into a new database.
"""

from __future__ import annotations

import json
import secrets as pysecrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from cloudcore.errors import AlreadyExists, NotFound, ProviderError
from cloudcore.models import BackupRef, DatabaseConfig, DatabaseEndpoint

from ._hostutil import as_user
from ._shell import AND, SEQ, from_file, quiet, script, to_file
from ._state import config_hash, read_all, read_one, short_ident, write_one
from .transport import CommandError

if TYPE_CHECKING:
    from .inventory import Host
    from .provider import BaremetalProvider

__all__ = ["Databases", "sql_literal"]


def sql_literal(value: str) -> str:
    """A PostgreSQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _ident(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


class Databases:
    """The database engine of a bare-metal provider."""

    def __init__(self, provider: BaremetalProvider) -> None:
        self.p = provider

    @property
    def host(self) -> Host:
        """The ``db`` host."""
        return self.p.inventory.one("db")

    def psql(self, sql: str, *, mutating: bool, database: str = "postgres") -> str:
        """Run SQL (sent on stdin) as the cluster owner; returns unaligned output."""
        h = self.host
        pg = h.postgres
        argv = as_user(
            h,
            pg.os_user,
            [
                pg.tool("psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                pg.socket_dir,
                "-p",
                str(pg.port),
                "-d",
                database,
                "-f",
                "-",
            ],
        )
        res = h.transport.run(argv, mutating=mutating, name="psql", stdin=sql.encode())
        return res.text

    def _names(self, name: str, username: str) -> tuple[str, str]:
        return short_ident("cc", name), short_ident("cc", name, username)

    def _endpoint(self, st: dict[str, Any]) -> DatabaseEndpoint:
        h = self.host
        return DatabaseEndpoint(
            name=st["name"],
            host=h.postgres.address or h.address,
            port=h.postgres.port,
            database=st["database"],
            username=st["role"],
            password_secret=st["password_secret"],
            status="available",
            provider_id=f"{h.name}/{st['database']}",
        )

    def state(self, name: str) -> dict[str, Any] | None:
        """The recorded state of a database, or ``None``."""
        st = read_one(self.host, f"databases/{name}.json")
        return st if isinstance(st, dict) else None

    def all_states(self) -> list[dict[str, Any]]:
        """Every recorded database."""
        return [s for s in read_all(self.host, "databases", "*.json") if isinstance(s, dict)]

    def provision(self, config: DatabaseConfig) -> DatabaseEndpoint:
        """Create the role and database (or return them when the config matches)."""
        digest = config_hash(config.model_dump(mode="json"))
        st = self.state(config.name)
        if st is not None:
            if st["hash"] != digest:
                raise AlreadyExists(f"database {config.name!r} exists with a different config")
            return self._endpoint(st)
        return self._create(config.name, config.username, digest, config.model_dump(mode="json"))

    def _create(
        self, name: str, username: str, digest: str, config: dict[str, Any]
    ) -> DatabaseEndpoint:
        db, role = self._names(name, username)
        comment = f"managed-by=cloudcore cloudcore-name={name}"
        query = " ".join(
            [
                "SELECT 'role', coalesce(shobj_description(oid, 'pg_authid'), '')",
                "FROM pg_roles WHERE rolname =",
                sql_literal(role),
                "UNION ALL SELECT 'db', coalesce(shobj_description(oid, 'pg_database'), '')",
                "FROM pg_database WHERE datname =",
                sql_literal(db) + ";",
            ]
        )
        found = self.psql(query, mutating=False)
        existing = dict(line.split("|", 1) for line in found.splitlines() if "|" in line)
        for kind, what in (("role", role), ("db", db)):
            if kind in existing and existing[kind] != comment:
                raise AlreadyExists(
                    f"PostgreSQL {'role' if kind == 'role' else 'database'} {what!r} exists "
                    "and is not managed by cloudcore for this name"
                )
        password = pysecrets.token_urlsafe(24)
        secret_key = f"db/{name}/password"
        self.p.secret_store.store(secret_key, SecretStr(password))
        sql = []
        if "role" in existing:
            sql.append(f"ALTER ROLE {_ident(role)} LOGIN PASSWORD {sql_literal(password)};")
        else:
            sql.append(f"CREATE ROLE {_ident(role)} LOGIN PASSWORD {sql_literal(password)};")
            sql.append(f"COMMENT ON ROLE {_ident(role)} IS {sql_literal(comment)};")
        if "db" not in existing:
            sql.append(f"CREATE DATABASE {_ident(db)} OWNER {_ident(role)};")
            sql.append(f"COMMENT ON DATABASE {_ident(db)} IS {sql_literal(comment)};")
            sql.append(f"REVOKE ALL ON DATABASE {_ident(db)} FROM PUBLIC;")
        try:
            self.psql("\n".join(sql) + "\n", mutating=True)
        except CommandError as exc:  # psql echoes the failing statement: hide the password
            raise CommandError(
                exc.name, exc.code, exc.stderr.replace(password, "**********"), exc.host
            ) from None
        st = {
            "kind": "database",
            "name": name,
            "hash": digest,
            "database": db,
            "role": role,
            "password_secret": secret_key,
            "config": config,
            "created_at": datetime.now(UTC).isoformat(),
        }
        write_one(self.host, f"databases/{name}.json", st)
        return self._endpoint(st)

    def _backup_dir(self, name: str) -> str:
        return self.host.path("backups", name)

    def backup(self, name: str) -> BackupRef:
        """``pg_dump -Fc`` under ``umask 077``, with its SHA-256 recorded."""
        st = self.state(name)
        if st is None:
            raise NotFound(f"no database named {name!r}")
        h = self.host
        pg = h.postgres
        now = datetime.now(UTC)
        stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
        d = self._backup_dir(name)
        tmp, final = f"{d}/{stamp}.dump.tmp", f"{d}/{stamp}.dump"
        dump = as_user(
            h,
            pg.os_user,
            [
                pg.tool("pg_dump"),
                "-Fc",
                "-h",
                pg.socket_dir,
                "-p",
                str(pg.port),
                "-d",
                st["database"],
            ],
        )
        res = h.transport.run(
            script(
                ["mkdir", "-p", "-m", "700", d],
                AND,
                ["umask", "077"],
                AND,
                dump,
                to_file(tmp),
                AND,
                ["mv", "-f", tmp, final],
                AND,
                ["sha256sum", final],
                AND,
                ["stat", "-c", "%s", final],
            ),
            mutating=True,
            name="pg_dump",
        )
        lines = res.text.split()
        digest, size = lines[0], int(lines[-1])
        meta = {
            "id": f"{name}/{stamp}",
            "database": name,
            "created_at": now.isoformat(),
            "size_bytes": size,
            "checksum": f"sha256:{digest}",
            "file": final,
            "config": st["config"],
            "username": st["config"].get("username", "app"),
        }
        write_one(h, f"backups/{name}/{stamp}.json", meta)
        return self._ref(meta)

    def _ref(self, meta: dict[str, Any]) -> BackupRef:
        return BackupRef(
            id=meta["id"],
            database=meta["database"],
            created_at=datetime.fromisoformat(meta["created_at"]),
            status="available",
            size_bytes=meta["size_bytes"],
            checksum=meta["checksum"],
            provider=self.p.name,
        )

    def list_backups(self, name: str) -> list[BackupRef]:
        """Backups of a database, oldest first."""
        metas = read_all(self.host, f"backups/{name}", "*.json")
        return sorted((self._ref(m) for m in metas), key=lambda b: b.created_at)

    def all_backups(self) -> list[BackupRef]:
        """Every backup on the db host."""
        res = self.host.transport.run(
            script(
                [
                    "find",
                    self.host.path("backups"),
                    "-mindepth",
                    "2",
                    "-maxdepth",
                    "2",
                    "-name",
                    "*.json",
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
            name="read-state",
        )
        out = []
        for line in res.text.splitlines():
            try:
                out.append(self._ref(json.loads(line)))
            except (ValueError, KeyError):
                continue
        return out

    def restore(self, backup_id: str, new_name: str) -> DatabaseEndpoint:
        """Check the dump's SHA-256 and ``pg_restore`` it into a new database."""
        name, _, stamp = backup_id.partition("/")
        if not stamp or not stamp.replace("T", "").replace("Z", "").isdigit():
            raise NotFound(f"no backup with id {backup_id!r}")
        meta = read_one(self.host, f"backups/{name}/{stamp}.json")
        if meta is None:
            raise NotFound(f"no backup with id {backup_id!r}")
        if self.state(new_name) is not None:
            raise AlreadyExists(f"database {new_name!r} exists")
        h = self.host
        pg = h.postgres
        res = h.transport.run(["sha256sum", meta["file"]], mutating=False, name="sha256sum")
        if f"sha256:{res.text.split()[0]}" != meta["checksum"]:
            raise ProviderError(f"backup {backup_id!r} fails its checksum; not restoring")
        config = {**meta["config"], "name": new_name}
        endpoint = self._create(new_name, meta["username"], config_hash(config), config)
        restore = as_user(
            h,
            pg.os_user,
            [
                pg.tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--role",
                endpoint.username,
                "-h",
                pg.socket_dir,
                "-p",
                str(pg.port),
                "-d",
                endpoint.database,
            ],
        )
        h.transport.run(script(restore, from_file(meta["file"])), mutating=True, name="pg_restore")
        return endpoint

    def delete(self, name: str) -> None:
        """Drop the database and role, forget the password (succeeds when gone)."""
        st = self.state(name)
        if st is None:
            return
        self.psql(
            f"DROP DATABASE IF EXISTS {_ident(st['database'])} WITH (FORCE);\n"
            f"DROP ROLE IF EXISTS {_ident(st['role'])};\n",
            mutating=True,
        )
        self.p.secret_store.delete(st["password_secret"])
        self.host.transport.run(
            ["rm", "-f", self.host.path("databases", f"{name}.json")], mutating=True, name="rm"
        )

    def existing(self) -> set[str]:
        """Names of the PostgreSQL databases that really exist (for discovery)."""
        out = self.psql("SELECT datname FROM pg_database;", mutating=False)
        return {line.strip() for line in out.splitlines() if line.strip()}
