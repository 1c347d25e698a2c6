"""Memory queues: at-least-once delivery with visibility timeouts, receive counts, dead-letter
queues, FIFO groups with a 5-minute deduplication window, on the driver's controllable clock.

A message is a record in the queue's list: ``visible_at`` (epoch seconds on :attr:`clock`)
hides it while it is in flight or delayed; ``receipt`` is the handle of its current delivery.
The rules follow SQS (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html):
a receive of a message that has already been delivered ``max_receives`` times moves it to the
dead-letter queue instead of delivering it again; one receive may return several messages of a
FIFO group, in order, but a group with a message in flight delivers nothing else until that
message is acked or becomes visible again
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html).
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from ...errors import AlreadyExists, Conflict, NotFound
from ...models.queues import (
    Message,
    OutgoingMessage,
    QueueConfig,
    QueueInfo,
    QueueStats,
    dead_letter_name,
)
from ._core import MemoryCore

__all__ = ["MemoryClock", "MemoryQueues"]

DEDUP_WINDOW = 300.0
"""Seconds a FIFO deduplication id is remembered (SQS FIFO's 5-minute interval)."""
DEAD_LETTER_RETENTION = 604_800
"""A dead-letter queue keeps messages as long as any driver can (7 days)."""


class MemoryClock:
    """The memory driver's clock: real time plus an offset that tests move forward.

    ``advance(30)`` makes visibility timeouts, delays, retention and job schedules behave as
    if 30 seconds had passed, without waiting. The offset is per process.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Epoch seconds."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds


def _iso(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class MemoryQueues(MemoryCore):
    """Queues in the shared state, under ``data["queues"]``."""

    clock: MemoryClock

    # ------------------------------------------------------------- helpers
    def _managed_queue(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        entry: dict[str, Any] | None = data["queues"].get(name)
        if entry is None or not entry.get("managed"):
            raise NotFound(f"no queue named {name!r} is managed here")
        self._queue_expire(entry)
        return entry

    def _queue_expire(self, entry: dict[str, Any]) -> None:
        """Drop messages past their retention (what the provider does on its own)."""
        limit = self.clock.now() - entry["config"]["retention_seconds"]
        kept = [m for m in entry["messages"] if m["sent"] >= limit]
        if len(kept) != len(entry["messages"]):
            self._state.mark_dirty()
            entry["messages"] = kept

    def _queue_info(self, name: str, entry: dict[str, Any]) -> QueueInfo:
        config = QueueConfig.model_validate(entry["config"])
        return QueueInfo(
            name=name,
            config=config,
            dead_letter_queue=dead_letter_name(name) if config.max_receives else None,
            dead_letter_of=entry.get("dead_letter_of"),
            provider_name=f"memory:queue/{name}",
            created_at=_iso(entry["created"]),
        )

    def _queue_new(self, config: QueueConfig, dead_letter_of: str | None) -> dict[str, Any]:
        return {
            "config": config.model_dump(mode="json"),
            "tags": self._tags(config.name, config.tags),
            "managed": True,
            "dead_letter_of": dead_letter_of,
            "created": self.clock.now(),
            "messages": [],
            "dedup": {},
        }

    # -------------------------------------------------------------- queues
    def _create_queue(self, config: QueueConfig) -> QueueInfo:
        dlq = dead_letter_name(config.name)
        dlq_config = QueueConfig(
            name=dlq,
            visibility_timeout=config.visibility_timeout,
            retention_seconds=DEAD_LETTER_RETENTION,
            fifo=config.fifo,
            tags=config.tags,
        )
        with self._state.open() as data:
            self._api("GetQueueAttributes", mutating=False)
            queues = data["queues"]
            entry = queues.get(config.name)
            if entry is not None and not entry.get("managed"):
                raise AlreadyExists(f"a queue named {config.name!r} exists (not managed)")
            if entry is not None and entry.get("dead_letter_of"):
                raise Conflict(f"{config.name!r} is the dead-letter queue of another queue")
            if entry is not None and entry["config"]["fifo"] != config.fifo:
                raise Conflict(f"queue {config.name!r}: fifo cannot change (delete it first)")
            if config.max_receives:
                self._api("GetQueueAttributes", mutating=False)
                have = queues.get(dlq)
                if have is not None and have.get("dead_letter_of") != config.name:
                    raise AlreadyExists(f"a queue named {dlq!r} exists and is not its DLQ")
                if have is None:
                    self._api("CreateQueue", mutating=True)
                    queues[dlq] = self._queue_new(dlq_config, config.name)
                elif have["config"] != dlq_config.model_dump(mode="json"):
                    self._api("SetQueueAttributes", mutating=True)
                    have["config"] = dlq_config.model_dump(mode="json")
                    have["tags"] = self._tags(dlq, config.tags)
            elif entry is not None and entry["config"]["max_receives"]:
                old = queues.get(dlq)
                if old is not None and old["messages"]:
                    raise Conflict(
                        f"queue {config.name!r}: its dead-letter queue {dlq!r} holds messages; "
                        "redrive or purge it before removing max_receives"
                    )
                if old is not None:
                    self._api("DeleteQueue", mutating=True)
                    del queues[dlq]
            wanted = config.model_dump(mode="json")
            if entry is None:
                self._api("CreateQueue", mutating=True)
                entry = queues[config.name] = self._queue_new(config, None)
            elif entry["config"] != wanted:
                self._api("SetQueueAttributes", mutating=True)
                entry["config"] = wanted
                entry["tags"] = self._tags(config.name, config.tags)
            return self._queue_info(config.name, entry)

    def _get_queue(self, name: str) -> QueueInfo:
        return self._read(
            "GetQueueAttributes", lambda d: self._queue_info(name, self._managed_queue(d, name))
        )

    def _delete_queue(self, name: str) -> None:
        with self._state.open() as data:
            self._api("GetQueueAttributes", mutating=False)
            entry = data["queues"].get(name)
            if entry is None:
                return
            if not entry.get("managed"):
                raise Conflict(f"queue {name!r} is not managed by cloudcore")
            source = entry.get("dead_letter_of")
            if source and source in data["queues"]:
                raise Conflict(f"{name!r} is the dead-letter queue of {source!r}: delete that")
            self._api("DeleteQueue", mutating=True)
            del data["queues"][name]
            dlq = dead_letter_name(name)
            if data["queues"].get(dlq, {}).get("dead_letter_of") == name:
                self._api("DeleteQueue", mutating=True)
                del data["queues"][dlq]

    def _list_queues(self) -> list[QueueInfo]:
        def items(data: dict[str, Any]) -> list[QueueInfo]:
            return [
                self._queue_info(name, entry)
                for name, entry in sorted(data["queues"].items())
                if entry.get("managed")
            ]

        return list(self._pages("ListQueues", items, key=("queues",)))

    # ------------------------------------------------------------ messages
    def _send_messages(self, queue: str, batch: list[OutgoingMessage]) -> list[str]:
        with self._state.open() as data:
            entry = self._managed_queue(data, queue)
            self._api("SendMessageBatch", mutating=True)
            now = self.clock.now()
            fifo = entry["config"]["fifo"]
            dedup: dict[str, list[Any]] = entry["dedup"]
            for key in [k for k, (_, at) in dedup.items() if at < now - DEDUP_WINDOW]:
                del dedup[key]
            ids = []
            for msg in batch:
                key = msg.dedup_id or hashlib.sha256(msg.body).hexdigest()
                if fifo and key in dedup:
                    ids.append(dedup[key][0])
                    continue
                mid = str(uuid.uuid4())
                entry["messages"].append(
                    {
                        "id": mid,
                        "body": base64.b64encode(msg.body).decode("ascii"),
                        "attributes": dict(msg.attributes),
                        "sent": now,
                        "visible_at": now + msg.delay_seconds,
                        "receive_count": 0,
                        "receipt": None,
                        "group": (msg.group or "default") if fifo else None,
                    }
                )
                if fifo:
                    dedup[key] = [mid, now]
                ids.append(mid)
            return ids

    def _receive_messages(
        self, queue: str, max_messages: int, wait_seconds: int, visibility_timeout: int | None
    ) -> list[Message]:
        deadline = time.monotonic() + wait_seconds
        while True:
            got = self._queue_receive_once(queue, max_messages, visibility_timeout)
            if got or time.monotonic() >= deadline:
                return got
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def _queue_receive_once(
        self, queue: str, max_messages: int, visibility_timeout: int | None
    ) -> list[Message]:
        with self._state.open() as data:
            entry = self._managed_queue(data, queue)
            self._api("ReceiveMessage", mutating=False)
            config = entry["config"]
            now = self.clock.now()
            hide = visibility_timeout or config["visibility_timeout"]
            busy = {
                m["group"]
                for m in entry["messages"]
                if m["group"] is not None and m["receipt"] is not None and m["visible_at"] > now
            }
            out: list[Message] = []
            moved: list[dict[str, Any]] = []
            for m in entry["messages"]:
                if len(out) == max_messages:
                    break
                if m["visible_at"] > now or (m["group"] is not None and m["group"] in busy):
                    continue
                if config["max_receives"] and m["receive_count"] >= config["max_receives"]:
                    moved.append(m)
                    continue
                self._state.mark_dirty()
                m["receive_count"] += 1
                m["receipt"] = f"{m['id']}.{uuid.uuid4().hex}"
                m["visible_at"] = now + hide
                out.append(self._queue_message(m))
            if moved:
                self._queue_dead_letter(data, queue, entry, moved, now)
            return out

    def _queue_dead_letter(
        self,
        data: dict[str, Any],
        queue: str,
        entry: dict[str, Any],
        moved: list[dict[str, Any]],
        now: float,
    ) -> None:
        """Move ``moved`` to the queue's dead-letter queue (the provider does this itself, so no
        API call is counted)."""
        self._state.mark_dirty()
        ids = {m["id"] for m in moved}
        entry["messages"] = [m for m in entry["messages"] if m["id"] not in ids]
        dlq = data["queues"].get(dead_letter_name(queue))
        if dlq is None:
            return  # the DLQ was deleted behind cloudcore's back: SQS drops them too
        for m in moved:
            dlq["messages"].append({**m, "receive_count": 0, "receipt": None, "visible_at": now})

    @staticmethod
    def _queue_message(m: dict[str, Any]) -> Message:
        return Message(
            id=m["id"],
            body=base64.b64decode(m["body"]),
            receipt=m["receipt"],
            receive_count=m["receive_count"],
            attributes=m["attributes"],
            sent_at=_iso(m["sent"]),
            group=m["group"],
        )

    def _queue_in_flight(self, entry: dict[str, Any], receipt: str) -> dict[str, Any] | None:
        now = self.clock.now()
        messages: list[dict[str, Any]] = entry["messages"]
        for m in messages:
            if m["receipt"] == receipt and m["visible_at"] > now:
                return m
        return None

    def _ack(self, queue: str, receipts: list[str]) -> None:
        with self._state.open() as data:
            entry = self._managed_queue(data, queue)
            self._api("DeleteMessageBatch", mutating=True)
            wanted = set(receipts)
            entry["messages"] = [m for m in entry["messages"] if m["receipt"] not in wanted]

    def _release(self, queue: str, receipt: str, delay: int) -> None:
        with self._state.open() as data:
            entry = self._managed_queue(data, queue)
            self._api("ChangeMessageVisibility", mutating=True)
            m = self._queue_in_flight(entry, receipt)
            if m is not None:
                m["visible_at"] = self.clock.now() + delay
                m["receipt"] = None

    def _extend_visibility(self, queue: str, receipt: str, seconds: int) -> None:
        with self._state.open() as data:
            entry = self._managed_queue(data, queue)
            self._api("ChangeMessageVisibility", mutating=True)
            m = self._queue_in_flight(entry, receipt)
            if m is None:
                raise Conflict(
                    "the message of this receipt is no longer in flight (acked, or its "
                    "visibility timeout ran out and it may be delivered again)"
                )
            m["visible_at"] = self.clock.now() + seconds

    def _queue_stats(self, queue: str) -> QueueStats:
        def read(data: dict[str, Any]) -> QueueStats:
            entry = self._managed_queue(data, queue)
            now = self.clock.now()
            msgs = entry["messages"]
            hidden = [m for m in msgs if m["visible_at"] > now]
            in_flight = sum(1 for m in hidden if m["receipt"] is not None)
            oldest = min((m["sent"] for m in msgs), default=None)
            return QueueStats(
                name=queue,
                visible=len(msgs) - len(hidden),
                in_flight=in_flight,
                delayed=len(hidden) - in_flight,
                oldest_age_seconds=None if oldest is None else max(0.0, now - oldest),
            )

        return self._read("GetQueueAttributes", read)

    def _purge_queue(self, queue: str) -> None:
        with self._state.open() as data:
            entry = self._managed_queue(data, queue)
            self._api("PurgeQueue", mutating=True)
            entry["messages"] = []
            entry["dedup"] = {}

    def _redrive(self, dead_letter_queue: str, source: str) -> int:
        with self._state.open() as data:
            dlq = self._managed_queue(data, dead_letter_queue)
            target = self._managed_queue(data, source)
            self._api("StartMessageMoveTask", mutating=True)
            now = self.clock.now()
            moved = dlq["messages"]
            dlq["messages"] = []
            for m in moved:
                target["messages"].append(
                    {**m, "receive_count": 0, "receipt": None, "visible_at": now}
                )
            return len(moved)

    # ------------------------------------------------- test-target helpers
    def seed_queue(self, name: str, bodies: list[bytes]) -> None:
        """Create a queue as another tool would (not managed by cloudcore) holding ``bodies``:
        the "queues cloudcore does not manage" of the conformance suite."""
        with self._state.open() as data:
            if name in data["queues"]:
                raise AlreadyExists(f"queue {name!r} exists")
            self._state.mark_dirty()
            entry = self._queue_new(QueueConfig(name=name), None)
            entry["managed"] = False
            entry["tags"] = {}
            now = self.clock.now()
            entry["messages"] = [
                {
                    "id": str(uuid.uuid4()),
                    "body": base64.b64encode(b).decode("ascii"),
                    "attributes": {},
                    "sent": now,
                    "visible_at": now,
                    "receive_count": 0,
                    "receipt": None,
                    "group": None,
                }
                for b in bodies
            ]
            data["queues"][name] = entry

    def queue_bodies(self, name: str) -> list[bytes] | None:
        """Every message body of a queue, managed or not (``None`` when it does not exist)."""
        with self._state.open() as data:
            entry = data["queues"].get(name)
            if entry is None:
                return None
            return [base64.b64decode(m["body"]) for m in entry["messages"]]

    def remove_queue(self, name: str) -> None:
        """Delete a queue whatever manages it (test cleanup; quietly when gone)."""
        with self._state.open() as data:
            if name in data["queues"]:
                self._state.mark_dirty()
                del data["queues"][name]
