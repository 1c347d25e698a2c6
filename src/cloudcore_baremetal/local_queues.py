"""Queues of the ``local`` driver: an SQLite file under the project folder, leases for the
visibility timeout.

Why SQLite (and not Redis Streams or PostgreSQL) for ``local``: the local driver must work on a
developer's machine with nothing installed (PostgreSQL and Redis are optional there), and SQLite
is in Python's standard library. It is a real transactional store shared safely by every process
on the machine (a worker pool, the API, the CLI): each operation is one ``BEGIN IMMEDIATE``
transaction, so two workers never lease the same message. The file is
``<project_dir>/queues.sqlite3`` (mode 0600).

Semantics are the memory driver's, which follow SQS: a message's ``visible_at`` is its lease
(hidden while received, delayed or released with a delay); a receive that meets a message already
delivered ``max_receives`` times moves it to ``<name>-dlq``; FIFO groups with a message in flight
deliver nothing else; FIFO deduplication ids are kept 5 minutes. Every queue in the file is
cloudcore's (no other tool writes it), so there are no unmanaged queues to protect here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from cloudcore._context import current_call
from cloudcore.errors import Conflict, NotFound, RateLimited, TransientError
from cloudcore.events import emit_api_call
from cloudcore.models.queues import (
    Message,
    OutgoingMessage,
    QueueConfig,
    QueueInfo,
    QueueStats,
    dead_letter_name,
)
from cloudcore.provider import BaseProvider

__all__ = ["LocalQueues"]

DEDUP_WINDOW = 300.0
DEAD_LETTER_RETENTION = 604_800
_SCHEMA = """
CREATE TABLE IF NOT EXISTS queues (
    name TEXT PRIMARY KEY, config TEXT NOT NULL, dead_letter_of TEXT, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, queue TEXT NOT NULL,
    body BLOB NOT NULL, attributes TEXT NOT NULL, sent REAL NOT NULL, visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT, grp TEXT);
CREATE INDEX IF NOT EXISTS messages_by_queue ON messages (queue, visible_at);
CREATE TABLE IF NOT EXISTS dedup (
    queue TEXT NOT NULL, key TEXT NOT NULL, id TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (queue, key));
"""


class LocalQueues(BaseProvider):
    """The queues capability of :class:`~cloudcore_baremetal.local.LocalProvider`."""

    queue_db: str = ""
    """Path of the SQLite file (set by the provider)."""

    # ------------------------------------------------------------ plumbing
    @contextlib.contextmanager
    def _tx(self, api: str, *, mutating: bool) -> Iterator[sqlite3.Connection]:
        """One transaction, counted as one API call (and subject to injected faults)."""
        emit_api_call(self.name, "sqlite", api, mutating=mutating)
        faults = getattr(self.inventory.hosts[0].transport, "faults", None)  # type: ignore[attr-defined]
        if faults is not None:
            ctx = current_call()
            fault = faults.take(ctx.operation if ctx else None, api, mutating)
            if fault is not None and fault.kind == "throttle":
                raise RateLimited(f"{api}: throttled (injected)", retry_after=fault.retry_after)
            if fault is not None and fault.kind == "transient":
                raise TransientError(f"{api}: unavailable (injected)")
        if not os.path.exists(self.queue_db):
            os.makedirs(os.path.dirname(self.queue_db), mode=0o700, exist_ok=True)
            os.close(os.open(self.queue_db, os.O_CREAT | os.O_WRONLY, 0o600))
        db = sqlite3.connect(self.queue_db, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    @staticmethod
    def _row(db: sqlite3.Connection, name: str) -> tuple[dict[str, Any], str | None, float]:
        got = db.execute(
            "SELECT config, dead_letter_of, created FROM queues WHERE name = ?", (name,)
        ).fetchone()
        if got is None:
            raise NotFound(f"no queue named {name!r}")
        config = json.loads(got[0])
        db.execute(
            "DELETE FROM messages WHERE queue = ? AND sent < ?",
            (name, time.time() - config["retention_seconds"]),
        )
        return config, got[1], got[2]

    @staticmethod
    def _info(
        name: str, config: dict[str, Any], dead_letter_of: str | None, created: float
    ) -> QueueInfo:
        cfg = QueueConfig.model_validate(config)
        return QueueInfo(
            name=name,
            config=cfg,
            dead_letter_queue=dead_letter_name(name) if cfg.max_receives else None,
            dead_letter_of=dead_letter_of,
            provider_name=f"sqlite:queue/{name}",
            created_at=datetime.fromtimestamp(created, UTC),
        )

    # -------------------------------------------------------------- queues
    def _create_queue(self, config: QueueConfig) -> QueueInfo:
        name, dlq = config.name, dead_letter_name(config.name)
        wanted = config.model_dump(mode="json")
        dlq_wanted = QueueConfig(
            name=dlq,
            visibility_timeout=config.visibility_timeout,
            retention_seconds=DEAD_LETTER_RETENTION,
            fifo=config.fifo,
            tags=config.tags,
        ).model_dump(mode="json")
        with self._tx("GetQueue", mutating=False) as db:
            rows = {
                r[0]: (json.loads(r[1]), r[2])
                for r in db.execute(
                    "SELECT name, config, dead_letter_of FROM queues WHERE name IN (?, ?)",
                    (name, dlq),
                )
            }
        have = rows.get(name)
        if have is not None and have[1]:
            raise Conflict(f"{name!r} is the dead-letter queue of {have[1]!r}")
        if have is not None and have[0]["fifo"] != config.fifo:
            raise Conflict(f"queue {name!r}: fifo cannot change (delete it first)")
        have_dlq = rows.get(dlq)
        if config.max_receives and have_dlq is not None and have_dlq[1] != name:
            raise Conflict(f"a queue named {dlq!r} exists and is not the dead-letter queue")
        drop_dlq = not config.max_receives and have_dlq is not None and have_dlq[1] == name
        needs = (
            have is None
            or have[0] != wanted
            or (config.max_receives and (have_dlq is None or have_dlq[0] != dlq_wanted))
            or drop_dlq
        )
        if needs:
            with self._tx("PutQueue", mutating=True) as db:
                now = time.time()
                if config.max_receives:
                    db.execute(
                        "INSERT INTO queues VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE "
                        "SET config = excluded.config",
                        (dlq, json.dumps(dlq_wanted), name, now),
                    )
                if drop_dlq:
                    held = db.execute("SELECT COUNT(*) FROM messages WHERE queue = ?", (dlq,))
                    if held.fetchone()[0]:
                        raise Conflict(
                            f"queue {name!r}: its dead-letter queue {dlq!r} holds messages; "
                            "redrive or purge it before removing max_receives"
                        )
                    db.execute("DELETE FROM queues WHERE name = ?", (dlq,))
                db.execute(
                    "INSERT INTO queues VALUES (?, ?, NULL, ?) ON CONFLICT(name) DO UPDATE "
                    "SET config = excluded.config",
                    (name, json.dumps(wanted), now),
                )
        return self._get_queue(name)

    def _get_queue(self, name: str) -> QueueInfo:
        with self._tx("GetQueue", mutating=False) as db:
            return self._info(name, *self._row(db, name))

    def _delete_queue(self, name: str) -> None:
        with self._tx("GetQueue", mutating=False) as db:
            got = db.execute("SELECT dead_letter_of FROM queues WHERE name = ?", (name,)).fetchone()
            if got is None:
                return
            source = got[0]
            if source and db.execute("SELECT 1 FROM queues WHERE name = ?", (source,)).fetchone():
                raise Conflict(f"{name!r} is the dead-letter queue of {source!r}: delete that")
        with self._tx("DeleteQueue", mutating=True) as db:
            dlq = dead_letter_name(name)
            for q in (name, dlq) if self._owns(db, dlq, name) else (name,):
                db.execute("DELETE FROM messages WHERE queue = ?", (q,))
                db.execute("DELETE FROM dedup WHERE queue = ?", (q,))
                db.execute("DELETE FROM queues WHERE name = ?", (q,))

    @staticmethod
    def _owns(db: sqlite3.Connection, dlq: str, name: str) -> bool:
        got = db.execute("SELECT dead_letter_of FROM queues WHERE name = ?", (dlq,)).fetchone()
        return got is not None and got[0] == name

    def _list_queues(self) -> list[QueueInfo]:
        with self._tx("ListQueues", mutating=False) as db:
            rows = db.execute("SELECT name, config, dead_letter_of, created FROM queues").fetchall()
        return [self._info(r[0], json.loads(r[1]), r[2], r[3]) for r in rows]

    # ------------------------------------------------------------ messages
    def _send_messages(self, queue: str, batch: list[OutgoingMessage]) -> list[str]:
        with self._tx("SendMessages", mutating=True) as db:
            config, _, _ = self._row(db, queue)
            now = time.time()
            fifo = config["fifo"]
            db.execute("DELETE FROM dedup WHERE queue = ? AND at < ?", (queue, now - DEDUP_WINDOW))
            ids = []
            for msg in batch:
                key = msg.dedup_id or hashlib.sha256(msg.body).hexdigest()
                if fifo:
                    seen = db.execute(
                        "SELECT id FROM dedup WHERE queue = ? AND key = ?", (queue, key)
                    ).fetchone()
                    if seen is not None:
                        ids.append(str(seen[0]))
                        continue
                mid = str(uuid.uuid4())
                db.execute(
                    "INSERT INTO messages (id, queue, body, attributes, sent, visible_at, grp) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        mid,
                        queue,
                        msg.body,
                        json.dumps(msg.attributes),
                        now,
                        now + msg.delay_seconds,
                        (msg.group or "default") if fifo else None,
                    ),
                )
                if fifo:
                    db.execute("INSERT INTO dedup VALUES (?, ?, ?, ?)", (queue, key, mid, now))
                ids.append(mid)
            return ids

    def _receive_messages(
        self, queue: str, max_messages: int, wait_seconds: int, visibility_timeout: int | None
    ) -> list[Message]:
        deadline = time.monotonic() + wait_seconds
        while True:
            got = self._receive_once(queue, max_messages, visibility_timeout)
            if got or time.monotonic() >= deadline:
                return got
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def _receive_once(
        self, queue: str, max_messages: int, visibility_timeout: int | None
    ) -> list[Message]:
        with self._tx("ReceiveMessages", mutating=True) as db:
            config, _, _ = self._row(db, queue)
            now = time.time()
            hide = visibility_timeout or config["visibility_timeout"]
            busy = {
                r[0]
                for r in db.execute(
                    "SELECT DISTINCT grp FROM messages WHERE queue = ? AND grp IS NOT NULL "
                    "AND receipt IS NOT NULL AND visible_at > ?",
                    (queue, now),
                )
            }
            rows = db.execute(
                "SELECT seq, id, body, attributes, sent, receive_count, grp FROM messages "
                "WHERE queue = ? AND visible_at <= ? ORDER BY seq",
                (queue, now),
            ).fetchall()
            out: list[Message] = []
            for seq, mid, body, attrs, sent, count, grp in rows:
                if len(out) == max_messages:
                    break
                if grp is not None and grp in busy:
                    continue
                if config["max_receives"] and count >= config["max_receives"]:
                    db.execute(
                        "UPDATE messages SET queue = ?, receive_count = 0, receipt = NULL, "
                        "visible_at = ? WHERE seq = ?",
                        (dead_letter_name(queue), now, seq),
                    )
                    continue
                receipt = f"{mid}.{uuid.uuid4().hex}"
                db.execute(
                    "UPDATE messages SET receive_count = ?, receipt = ?, visible_at = ? "
                    "WHERE seq = ?",
                    (count + 1, receipt, now + hide, seq),
                )
                out.append(
                    Message(
                        id=mid,
                        body=bytes(body),
                        receipt=receipt,
                        receive_count=count + 1,
                        attributes=json.loads(attrs),
                        sent_at=datetime.fromtimestamp(sent, UTC),
                        group=grp,
                    )
                )
            return out

    def _ack(self, queue: str, receipts: list[str]) -> None:
        with self._tx("DeleteMessages", mutating=True) as db:
            self._row(db, queue)
            db.executemany(
                "DELETE FROM messages WHERE queue = ? AND receipt = ?",
                [(queue, r) for r in receipts],
            )

    def _release(self, queue: str, receipt: str, delay: int) -> None:
        with self._tx("ChangeVisibility", mutating=True) as db:
            self._row(db, queue)
            db.execute(
                "UPDATE messages SET visible_at = ?, receipt = NULL "
                "WHERE queue = ? AND receipt = ? AND visible_at > ?",
                (time.time() + delay, queue, receipt, time.time()),
            )

    def _extend_visibility(self, queue: str, receipt: str, seconds: int) -> None:
        with self._tx("ChangeVisibility", mutating=True) as db:
            self._row(db, queue)
            now = time.time()
            changed = db.execute(
                "UPDATE messages SET visible_at = ? WHERE queue = ? AND receipt = ? "
                "AND visible_at > ?",
                (now + seconds, queue, receipt, now),
            ).rowcount
            if not changed:
                raise Conflict(
                    "the message of this receipt is no longer in flight (acked, or its "
                    "visibility timeout ran out and it may be delivered again)"
                )

    def _queue_stats(self, queue: str) -> QueueStats:
        with self._tx("GetQueueStats", mutating=False) as db:
            self._row(db, queue)
            now = time.time()
            visible, in_flight, delayed, oldest = db.execute(
                "SELECT COALESCE(SUM(visible_at <= ?), 0), "
                "COALESCE(SUM(visible_at > ? AND receipt IS NOT NULL), 0), "
                "COALESCE(SUM(visible_at > ? AND receipt IS NULL), 0), MIN(sent) "
                "FROM messages WHERE queue = ?",
                (now, now, now, queue),
            ).fetchone()
        return QueueStats(
            name=queue,
            visible=visible,
            in_flight=in_flight,
            delayed=delayed,
            oldest_age_seconds=None if oldest is None else max(0.0, now - oldest),
        )

    def _purge_queue(self, queue: str) -> None:
        with self._tx("PurgeQueue", mutating=True) as db:
            self._row(db, queue)
            db.execute("DELETE FROM messages WHERE queue = ?", (queue,))
            db.execute("DELETE FROM dedup WHERE queue = ?", (queue,))

    def _redrive(self, dead_letter_queue: str, source: str) -> int:
        with self._tx("Redrive", mutating=True) as db:
            self._row(db, dead_letter_queue)
            self._row(db, source)
            return db.execute(
                "UPDATE messages SET queue = ?, receive_count = 0, receipt = NULL, "
                "visible_at = ? WHERE queue = ?",
                (source, time.time(), dead_letter_queue),
            ).rowcount
