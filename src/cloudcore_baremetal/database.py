"""Databases: a PostgreSQL role and database per ``provision_database`` on the ``db`` host.

Names: database ``cc_<name>`` and role ``cc_<name>_<username>`` (``-`` becomes ``_``, hashed
when longer than 63 characters), both commented ``managed-by=cloudcore cloudcore-name=<name>``.
The password is generated here, kept as the cloudcore secret ``db/<name>/password`` and sent to
``psql`` on stdin. Backups are ``pg_dump -Fc`` under ``umask 077`` in ``<state>/backups/<name>``
with a SHA-256 recorded next to them; a restore checks it and ``pg_restore``s into a new database.
"""

# SQL here is built only from identifiers and literals quoted by _ident/sql_literal:
# ruff: noqa: S608

from __future__ import annotations

import hashlib
import json
import secrets as pysecrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from cloudcore.errors import AlreadyExists, NotFound, ProviderError
from cloudcore.models import BackupRef, DatabaseConfig, DatabaseEndpoint

from ._hostutil import as_user
from ._scram import scram_sha256_verifier
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
        if st is not None and st.get("deleting"):  # a killed delete: finish it, then create
            self.delete(config.name)
            st = None
        if st is not None:
            if st.get("restoring"):
                raise AlreadyExists(
                    f"database {config.name!r} is being restored from backup "
                    f"{st['restoring']!r}; run restore_database again to finish it"
                )
            if st["hash"] != digest:
                raise AlreadyExists(f"database {config.name!r} exists with a different config")
            return self._endpoint(st)
        return self._create(config.name, config.username, digest, config.model_dump(mode="json"))

    def _create(
        self,
        name: str,
        username: str,
        digest: str,
        config: dict[str, Any],
        *,
        restoring: str | None = None,
    ) -> DatabaseEndpoint:
        """Create (or finish creating) the role and database, then record them.

        Safe against concurrent callers and reruns after a crash: the password is the secret's
        first version (the first caller's; every other caller reuses it), and the SQL runs
        under a PostgreSQL advisory lock per name, idempotently. The role gets the password
        only as a SCRAM verifier computed here. With ``restoring``, the database is dropped and
        created empty (a rerun of a crashed restore starts again) and the state says so until
        the restore finishes.
        """
        db, role = self._names(name, username)
        comment = f"managed-by=cloudcore cloudcore-name={name}"
        self._check_foreign(db, role, comment)
        secret_key = f"db/{name}/password"
        password = self.p.secret_store.store_first(
            secret_key, SecretStr(pysecrets.token_urlsafe(24))
        )
        verifier = scram_sha256_verifier(password.get_secret_value())
        self._run_locked(name, self._create_sql(db, role, comment, verifier, fresh=bool(restoring)))
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
        if restoring:
            st["restoring"] = restoring
        write_one(self.host, f"databases/{name}.json", st)
        return self._endpoint(st)

    @staticmethod
    def _foreign_sql(db: str, role: str, comment: str) -> tuple[str, str]:
        """Conditions true when the role/database exist but are not cloudcore's for this name.

        A database counts as ours when it carries our comment, or when it is owned by our role
        (a crash between ``CREATE DATABASE`` and its ``COMMENT``).
        """
        role_q = (
            f"SELECT 1 FROM pg_roles WHERE rolname = {sql_literal(role)} AND "
            f"coalesce(shobj_description(oid, 'pg_authid'), '') <> {sql_literal(comment)}"
        )
        db_q = (
            f"SELECT 1 FROM pg_database WHERE datname = {sql_literal(db)} AND "
            f"coalesce(shobj_description(oid, 'pg_database'), '') <> {sql_literal(comment)} AND "
            f"pg_get_userbyid(datdba) <> {sql_literal(role)}"
        )
        return role_q, db_q

    def _check_foreign(self, db: str, role: str, comment: str) -> None:
        role_q, db_q = self._foreign_sql(db, role, comment)
        found = self.psql(
            f"SELECT 'role' FROM ({role_q}) r UNION ALL SELECT 'db' FROM ({db_q}) d;",
            mutating=False,
        )
        kinds = set(found.split())
        for kind, what in (("role", role), ("db", db)):
            if kind in kinds:
                raise AlreadyExists(
                    f"PostgreSQL {'role' if kind == 'role' else 'database'} {what!r} exists "
                    "and is not managed by cloudcore for this name"
                )

    def _create_sql(self, db: str, role: str, comment: str, verifier: str, *, fresh: bool) -> str:
        role_q, db_q = self._foreign_sql(db, role, comment)
        r, d, c = _ident(role), _ident(db), sql_literal(comment)
        sql = [
            # checked again under the lock: a foreign object may have appeared meanwhile
            "DO $cc$ BEGIN",
            f"IF EXISTS ({role_q}) OR EXISTS ({db_q}) THEN",
            "RAISE EXCEPTION 'cloudcore: % exists and is not managed by cloudcore for this name',"
            f" {sql_literal(role + ' or ' + db)};",
            "END IF;",
            f"IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {sql_literal(role)}) THEN",
            f"CREATE ROLE {r} LOGIN; COMMENT ON ROLE {r} IS {c};",
            "END IF;",
            "END $cc$;",
            f"ALTER ROLE {r} LOGIN PASSWORD {sql_literal(verifier)};",
        ]
        if fresh:
            sql.append(f"DROP DATABASE IF EXISTS {d} WITH (FORCE);")
        sql += [
            f"SELECT format('CREATE DATABASE %I OWNER %I', {sql_literal(db)}, {sql_literal(role)})"
            f" WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = {sql_literal(db)})"
            " \\gexec",
            f"COMMENT ON DATABASE {d} IS {c};",
            f"REVOKE ALL ON DATABASE {d} FROM PUBLIC;",
        ]
        return "\n".join(sql) + "\n"

    def _run_locked(self, name: str, sql: str) -> str:
        """Run ``sql`` in one psql session holding the advisory lock of database ``name``.

        The lock lives in the server session: it is released when psql exits, however the
        caller ends, so a crashed run never leaves a stale lock behind.
        """
        key = int.from_bytes(
            hashlib.sha256(f"cloudcore-database:{name}".encode()).digest()[:8], "big", signed=True
        )
        try:
            return self.psql(
                f"SELECT pg_advisory_lock({key});\n{sql}SELECT pg_advisory_unlock({key});\n",
                mutating=True,
            )
        except CommandError as exc:
            if "is not managed by cloudcore" in exc.stderr:
                raise AlreadyExists(exc.stderr.rsplit("ERROR:", 1)[-1].strip()) from None
            raise

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
        st = self.state(new_name)
        if st is not None and st.get("deleting"):  # a killed delete: finish it first
            self.delete(new_name)
            st = None
        if st is not None and st.get("restoring") != backup_id:
            raise AlreadyExists(f"database {new_name!r} exists")
        h = self.host
        pg = h.postgres
        res = h.transport.run(["sha256sum", meta["file"]], mutating=False, name="sha256sum")
        if f"sha256:{res.text.split()[0]}" != meta["checksum"]:
            raise ProviderError(f"backup {backup_id!r} fails its checksum; not restoring")
        config = {**meta["config"], "name": new_name}
        # recorded as "restoring" first: a crash from here on leaves a state the rerun finishes
        endpoint = self._create(
            new_name, meta["username"], config_hash(config), config, restoring=backup_id
        )
        restore = as_user(
            h,
            pg.os_user,
            [
                pg.tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
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
        done = self.state(new_name) or {}
        done.pop("restoring", None)
        done["restored_from"] = backup_id
        write_one(h, f"databases/{new_name}.json", done)
        return endpoint

    def delete(self, name: str) -> None:
        """Drop the database and role, forget the password (succeeds when gone)."""
        st = self.state(name)
        if st is None:
            return
        if not st.get("deleting"):  # recorded first: a run killed half-way is finished later
            write_one(self.host, f"databases/{name}.json", {**st, "deleting": True})
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
