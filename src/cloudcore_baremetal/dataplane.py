"""A real PostgreSQL behind a stand-in's database endpoints (for test targets whose stand-in has
none: moto's RDS, the Cloud SQL fake), so data moves are real in tests too.

The cluster starts on first use (needs root and Debian's postgresql); each database the driver
created gets, on it, a database and a login role of the same names with the password from the
driver's password secret (sent as a SCRAM verifier, never in clear text).
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from typing import Any

from pydantic import SecretStr

from cloudcore.migrate.data import PostgresStore, _ident
from cloudcore.models import Database

from ._scram import scram_sha256_verifier
from .database import sql_literal

__all__ = ["PostgresDataPlane"]


class PostgresDataPlane:
    """Attach with :func:`cloudcore.migrate.reach.attach_data_plane`; :meth:`close` stops it."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._pg: dict[str, Any] | None = None
        self._made: set[str] = set()
        self._lock = threading.Lock()

    def _cluster(self) -> dict[str, Any]:
        if self._pg is None:
            from .testhosts import postgres_cluster

            self._pg = self._stack.enter_context(postgres_cluster())
        return self._pg

    def _admin(self, sql: str) -> None:
        pg = self._cluster()
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                f"{pg['bin_dir']}/psql",
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(pg["socket_dir"]),
                "-p",
                str(pg["port"]),
                "-d",
                "postgres",
            ],
            input=sql.encode(),
            capture_output=True,
            check=True,
        )

    def database_store(self, db: Database, password: SecretStr) -> PostgresStore:
        ep = db.endpoint
        with self._lock:
            pg = self._cluster()
            if ep.database not in self._made:
                verifier = scram_sha256_verifier(password.get_secret_value())
                role, name = _ident(ep.username), _ident(ep.database)
                self._admin(
                    f"DO $$ BEGIN CREATE ROLE {role} LOGIN PASSWORD {sql_literal(verifier)}; "
                    "EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n"
                )
                with contextlib.suppress(subprocess.CalledProcessError):  # exists already
                    self._admin(f"CREATE DATABASE {name} OWNER {role};\n")
                self._made.add(ep.database)
        return PostgresStore("127.0.0.1", int(pg["port"]), ep.database, ep.username, password)

    def close(self) -> None:
        self._stack.close()
