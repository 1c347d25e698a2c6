"""Moving data between providers: secrets (every version, in order), database rows, objects.

Every mover only *reads* the source, and is idempotent on the target, so a rerun after a kill
finishes the job without duplicates:

- a secret version written just before a kill (not yet journaled) is recognised on the target by
  its value and adopted, never written twice;
- a database is loaded table by table in one transaction each (PostgreSQL: ``pg_restore
  --single-transaction --clean``), so a rerun replaces, never appends;
- an object already identical on the target (same SHA-256) is skipped, as ``rclone sync`` does.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import SecretStr

from ..errors import CloudcoreError, NotFound, Unsupported
from .journal import Journal

if TYPE_CHECKING:
    from ..protocol import CloudProvider

__all__ = [
    "TableStore",
    "copy_database",
    "copy_objects",
    "copy_secret",
    "database_store",
    "table_digests",
]


# -- secrets -------------------------------------------------------------------------------------


def copy_secret(source: CloudProvider, target: CloudProvider, key: str, journal: Journal) -> int:
    """Every version of secret ``key``, oldest first; returns how many were written."""
    versions = sorted(
        source.list_secret_versions(key), key=lambda v: (v.created_at is None, v.created_at)
    )
    written = 0
    mapped: set[str] = {
        str(journal.result(f"secret:{key}@{v.version}"))
        for v in versions
        if journal.is_done(f"secret:{key}@{v.version}")
    }
    for v in versions:
        step = f"secret:{key}@{v.version}"
        if journal.is_done(step):
            continue
        value = source.get_secret(key, v.version)
        adopted = _adopt(target, key, value, mapped)
        if adopted is None:
            journal.begin(step)
            adopted = target.store_secret(key, value)
            written += 1
        journal.done(step, adopted)
        mapped.add(adopted)
    return written


def _adopt(target: CloudProvider, key: str, value: SecretStr, mapped: set[str]) -> str | None:
    """The target's newest version not yet mapped, if it holds ``value`` (a write that landed
    before the process died, and was not journaled)."""
    try:
        existing = target.list_secret_versions(key)
    except NotFound:
        return None
    free = [v for v in existing if v.version not in mapped]
    if not free:
        return None
    newest = free[-1]
    if target.get_secret(key, newest.version).get_secret_value() == value.get_secret_value():
        return newest.version
    return None


# -- databases -----------------------------------------------------------------------------------


class TableStore(Protocol):
    """A database's tables, as rows of JSON-able values."""

    def tables(self) -> list[str]: ...
    def rows(self, table: str) -> Iterable[dict[str, Any]]: ...
    def replace(self, table: str, rows: list[dict[str, Any]]) -> None: ...


def table_digests(store: TableStore, *, server_side: bool = False) -> dict[str, dict[str, Any]]:
    """Per table: row count and a digest of the rows, independent of their order.

    By default a SHA-256 over the rows in canonical JSON, computed here (comparable between any
    two stores). With ``server_side`` and a PostgreSQL store, the sum of a 64-bit hash of every row,
    computed by the server (nothing crosses the network but the result): comparable only
    with another PostgreSQL store's server-side digests.
    """
    if server_side and isinstance(store, PostgresStore):
        return {t: store.server_digest(t) for t in sorted(store.tables())}
    out: dict[str, dict[str, Any]] = {}
    for table in sorted(store.tables()):
        lines = sorted(
            json.dumps(_canonical(r), sort_keys=True, separators=(",", ":"))
            for r in store.rows(table)
        )
        digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
        out[table] = {"rows": len(lines), "sha256": digest}
    return out


def _canonical(value: Any) -> Any:
    """JSON values as every store returns them: an integral float is its integer (PostgreSQL's
    ``row_to_json`` prints ``double precision`` 2.0 as ``2``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


class _MemoryRows:
    def __init__(self, provider: Any, name: str) -> None:
        self.provider, self.name = provider, name

    def tables(self) -> list[str]:
        return list(self.provider.list_tables(self.name))

    def rows(self, table: str) -> Iterable[dict[str, Any]]:
        return list(self.provider.read_rows(self.name, table))

    def replace(self, table: str, rows: list[dict[str, Any]]) -> None:
        self.provider.replace_rows(self.name, table, rows)


def _ident(name: str) -> str:
    """A quoted SQL identifier; names with control characters are refused outright."""
    if not name or len(name) > 63 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise CloudcoreError(f"refusing SQL identifier {name!r}: empty, too long or control chars")
    return '"' + name.replace('"', '""') + '"'


@dataclass
class PostgresStore:
    """A PostgreSQL database reached with ``psql``/``pg_dump`` (the password only in the
    child's environment, never on a command line)."""

    host: str
    port: int
    database: str
    username: str
    password: SecretStr

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PGPASSWORD": self.password.get_secret_value(),
            "PGCONNECT_TIMEOUT": "10",
        }

    def _conn(self) -> list[str]:
        return ["-h", self.host, "-p", str(self.port), "-U", self.username, "-d", self.database]

    def psql(self, sql: str) -> str:
        """Run ``sql`` (a script on psql's standard input, COPY data included)."""
        cmd = [_tool("psql"), *self._conn(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        proc = subprocess.run(cmd, input=sql.encode(), capture_output=True, env=self._env())
        if proc.returncode:
            raise CloudcoreError(
                f"psql on {self.host}:{self.port}/{self.database}: "
                f"{proc.stderr.decode(errors='replace').strip()[-500:]}"
            )
        return proc.stdout.decode()

    def tables(self) -> list[str]:
        out = self.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1;")
        return [line for line in out.splitlines() if line]

    def server_digest(self, table: str) -> dict[str, Any]:
        """Row count and the sum of a 64-bit hash of each row's text (order-independent, no
        sort, one pass), computed by the server."""
        t = _ident(table)
        out = self.psql(
            "SELECT count(*) || ' ' || coalesce(sum(hashtextextended(x::text, 7)::numeric), 0) "
            "FROM " + t + " x;"
        ).strip()
        count, _, digest = out.partition(" ")
        return {"rows": int(count), "hashsum": digest}

    def rows(self, table: str) -> Iterable[dict[str, Any]]:
        out = self.psql(f"SELECT row_to_json(t)::text FROM {_ident(table)} t;")  # noqa: S608 - quoted identifier
        return [json.loads(line) for line in out.splitlines() if line]

    def replace(self, table: str, rows: list[dict[str, Any]]) -> None:
        # Column types from the first non-null value of each column (text when all are null).
        columns: dict[str, str] = {}
        for row in rows:
            for k, v in row.items():
                if v is not None and k not in columns:
                    columns[k] = _pg_type(v)
        for row in rows:
            for k in row:
                columns.setdefault(k, "text")
        cols = ", ".join(f"{_ident(c)} {t}" for c, t in columns.items()) or "_empty boolean"
        body = "\n".join(
            json.dumps({k: row.get(k) for k in columns}, separators=(",", ":")) for row in rows
        )
        # One transaction: the table is replaced whole, or not at all. Identifiers are quoted by
        # _ident; values travel only as COPY data.
        t = _ident(table)
        sql = "\n".join(
            [
                "BEGIN;",
                "DROP TABLE IF EXISTS " + t + ";",
                "CREATE TABLE " + t + " (" + cols + ");",
                "CREATE TEMP TABLE _cc_load (doc jsonb) ON COMMIT DROP;",
                "COPY _cc_load (doc) FROM STDIN WITH (FORMAT text);",
                _copy_text(body),
                "INSERT INTO " + t + " SELECT * FROM jsonb_populate_recordset(NULL::" + t + ", "  # noqa: S608
                "(SELECT coalesce(jsonb_agg(doc), '[]'::jsonb) FROM _cc_load));",
                "COMMIT;",
                "",
            ]
        )
        self.psql(sql)


def _copy_text(body: str) -> str:
    """COPY text-format data lines for ``body`` (one JSON document per line), then the end mark."""
    if not body:
        return "\\."
    escaped = body.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r")
    return escaped + "\n\\."


def _pg_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "double precision"
    if isinstance(value, str):
        return "text"
    return "jsonb"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for base in (
        sorted(os.listdir("/usr/lib/postgresql"), reverse=True)
        if os.path.isdir("/usr/lib/postgresql")
        else []
    ):
        path = os.path.join("/usr/lib/postgresql", base, "bin", name)
        if os.path.exists(path):
            return path
    raise Unsupported(f"moving PostgreSQL data needs {name} (Debian: postgresql-client)")


def database_store(provider: CloudProvider, name: str) -> TableStore:
    """How to reach database ``name`` of ``provider`` from here (read and write its tables)."""
    routes = getattr(provider, "routes", None)
    if isinstance(routes, dict):  # a composition: the provider its databases are routed to
        from ..capabilities import Capability

        routed = routes.get(Capability.DATABASE)
        if routed is not None and routed is not provider:
            return database_store(routed, name)
    if hasattr(provider, "read_rows") and hasattr(provider, "list_tables"):
        return _MemoryRows(provider, name)
    getter = getattr(provider, "get_database", None)
    if getter is None:
        raise Unsupported(f"{provider.name}: cannot read database {name!r} back")
    db = getter(name)
    ep = db.endpoint
    if not ep.password_secret:
        raise Unsupported(f"{provider.name}: database {name!r} has no password secret to log in")
    password = provider.get_secret(ep.password_secret)
    from .reach import data_plane_for

    plane = data_plane_for(provider)
    if plane is not None:
        return plane.database_store(db, password)
    return PostgresStore(ep.host, int(ep.port), ep.database, ep.username, password)


def copy_database(
    source: TableStore, target: TableStore, progress: Callable[[str], None] | None = None
) -> dict[str, dict[str, Any]]:
    """Every table of ``source`` into ``target`` (replacing), then both digested: returns the
    source's digests; raises CloudcoreError naming the table when the target's differ."""
    both_pg = isinstance(source, PostgresStore) and isinstance(target, PostgresStore)
    with ThreadPoolExecutor(max_workers=2) as pool:
        if both_pg:
            assert isinstance(source, PostgresStore) and isinstance(target, PostgresStore)
            # The source's digest is computed by its server while the dump streams (the source
            # is not written during a migration), so only the target's follows the copy.
            fa = pool.submit(table_digests, source, server_side=True)
            _pg_to_pg(source, target)
            got = table_digests(target, server_side=True)
            want = fa.result()
        else:
            for table in source.tables():
                target.replace(table, list(source.rows(table)))
                if progress:
                    progress(table)
            fa = pool.submit(table_digests, source)
            got, want = table_digests(target), fa.result()
    for table, digest in want.items():
        if got.get(table) != digest:
            raise CloudcoreError(
                f"table {table}: {got.get(table, {}).get('rows', 0)} rows on the target differ "
                f"from the source's {digest['rows']} after the copy"
            )
    return want


def _pg_to_pg(source: PostgresStore, target: PostgresStore) -> None:
    """``pg_dump -Fc`` streamed into ``pg_restore --single-transaction --clean``."""
    dump = subprocess.Popen(
        [_tool("pg_dump"), *source._conn(), "-Fc", "--no-owner", "--no-acl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=source._env(),
    )
    restore = subprocess.run(
        [
            _tool("pg_restore"),
            "-h",
            target.host,
            "-p",
            str(target.port),
            "-U",
            target.username,
            "-d",
            target.database,
            "--single-transaction",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",
        ],
        stdin=dump.stdout,
        capture_output=True,
        env=target._env(),
    )
    assert dump.stdout is not None
    dump.stdout.close()
    dump_err = dump.stderr.read().decode(errors="replace") if dump.stderr else ""
    if dump.wait() != 0:
        raise CloudcoreError(f"pg_dump from {source.host}:{source.port}: {dump_err.strip()[-500:]}")
    if restore.returncode != 0:
        raise CloudcoreError(
            f"pg_restore into {target.host}:{target.port}: "
            f"{restore.stderr.decode(errors='replace').strip()[-500:]}"
        )


# -- objects -------------------------------------------------------------------------------------


def copy_objects(
    source: CloudProvider,
    target: CloudProvider,
    bucket: str,
    *,
    dest_bucket: str | None = None,
    concurrency: int = 8,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Every object of ``bucket`` from source to target (into ``dest_bucket``, by default the
    same name), skipping identical ones (SHA-256 and size); returns
    ``{"copied": n, "skipped": m}``."""
    dest = dest_bucket or bucket
    have = {o.key: o for o in target.list_objects(dest)}

    def same(src: Any, dst: Any) -> bool:
        return (
            dst is not None
            and dst.size == src.size
            and src.checksum is not None
            and dst.checksum == src.checksum
        )

    def one(info: Any) -> bool:
        if same(info, have.get(info.key)):
            return False
        with source.get_object(bucket, info.key) as reader:
            target.put_object(
                dest,
                info.key,
                reader,
                content_type=info.content_type,
                metadata=dict(info.metadata),
            )
        if progress:
            progress(info.key)
        return True

    objects: Iterator[Any] = iter(source.list_objects(bucket))
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(one, objects))
    return {"copied": sum(results), "skipped": len(results) - sum(results)}
