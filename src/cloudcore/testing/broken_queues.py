"""Deliberately broken queue and job variants of the memory driver (see :mod:`.broken`): each
breaks one promise of the ``queues`` or ``jobs`` capability, and their suites must catch it."""

from __future__ import annotations

from typing import Any

from ..errors import NotFound
from ..models.jobs import JobConfig, JobInfo
from ..models.queues import Message, QueueConfig, QueueInfo
from .memory import MemoryProvider

__all__ = [
    "AckIgnored",
    "DeadLetterDropsAttributes",
    "DeadLetterNever",
    "DisabledJobFires",
    "JobRetriesIgnored",
    "JobScheduleNotIdempotent",
    "ListsUnmanagedQueues",
    "PurgesUnmanagedQueue",
    "QueueCreateNotIdempotent",
    "ReceiveCountStuck",
    "StaleAckFails",
    "VisibilityTimeoutIgnored",
]


class VisibilityTimeoutIgnored(MemoryProvider):
    """A received message is not hidden: the next receive delivers it again at once."""

    def _receive_messages(
        self, queue: str, max_messages: int, wait_seconds: int, visibility_timeout: int | None
    ) -> list[Message]:
        got = super()._receive_messages(queue, max_messages, wait_seconds, visibility_timeout)
        with self._state.open() as data:
            self._state.mark_dirty()
            for m in data["queues"][queue]["messages"]:
                if m["receipt"] in {g.receipt for g in got}:
                    m["visible_at"] = 0.0
                    m["receipt"] = None
        return got


class ReceiveCountStuck(MemoryProvider):
    """Every delivery reports ``receive_count`` 1 (so workers cannot spot a poison message)."""

    def _receive_messages(
        self, queue: str, max_messages: int, wait_seconds: int, visibility_timeout: int | None
    ) -> list[Message]:
        got = super()._receive_messages(queue, max_messages, wait_seconds, visibility_timeout)
        return [m.model_copy(update={"receive_count": 1}) for m in got]


class DeadLetterNever(MemoryProvider):
    """``max_receives`` is stored but never applied: a poison message is redelivered forever."""

    def _queue_dead_letter(self, data: Any, queue: str, entry: Any, moved: Any, now: float) -> None:
        for m in moved:
            m["receive_count"] = 0


class DeadLetterDropsAttributes(MemoryProvider):
    """A message moved to the dead-letter queue loses its attributes."""

    def _queue_dead_letter(self, data: Any, queue: str, entry: Any, moved: Any, now: float) -> None:
        for m in moved:
            m["attributes"] = {}
        super()._queue_dead_letter(data, queue, entry, moved, now)


class AckIgnored(MemoryProvider):
    """``ack`` accepts receipts and deletes nothing: acked messages come back."""

    def _ack(self, queue: str, receipts: list[str]) -> None:
        with self._state.open() as data:
            self._managed_queue(data, queue)
            self._api("DeleteMessageBatch", mutating=True)


class StaleAckFails(MemoryProvider):
    """``ack`` of a receipt already acked raises ``NotFound``."""

    def _ack(self, queue: str, receipts: list[str]) -> None:
        with self._state.open() as data:
            known = {m["receipt"] for m in self._managed_queue(data, queue)["messages"]}
        if not set(receipts) <= known:
            raise NotFound("receipt handle is invalid")
        super()._ack(queue, receipts)


class QueueCreateNotIdempotent(MemoryProvider):
    """``create_queue`` rewrites the queue's attributes even when nothing changed."""

    def _create_queue(self, config: QueueConfig) -> QueueInfo:
        made = super()._create_queue(config)
        with self._state.open() as data:
            self._api("SetQueueAttributes", mutating=True)
            data["queues"][config.name]["tags"] = self._tags(config.name, config.tags)
        return made


class ListsUnmanagedQueues(MemoryProvider):
    """``list_queues`` lists every queue, also those cloudcore does not manage."""

    def _list_queues(self) -> list[QueueInfo]:
        with self._state.open() as data:
            return [self._queue_info(n, e) for n, e in sorted(data["queues"].items())]


class PurgesUnmanagedQueue(MemoryProvider):
    """``purge_queue`` empties any queue of that name, managed or not."""

    def _purge_queue(self, queue: str) -> None:
        with self._state.open() as data:
            entry = data["queues"].get(queue)
            if entry is None:
                raise NotFound(f"no queue named {queue!r}")
            self._api("PurgeQueue", mutating=True)
            entry["messages"] = []


class JobScheduleNotIdempotent(MemoryProvider):
    """``schedule_job`` updates the schedule even when nothing changed."""

    def _schedule_job(self, name: str, config: JobConfig) -> JobInfo:
        made = super()._schedule_job(name, config)
        with self._state.open() as data:
            self._api("UpdateSchedule", mutating=True)
            data["jobs"][name]["tags"] = self._tags(name, config.tags)
        return made


class JobRetriesIgnored(MemoryProvider):
    """A failed run is never retried."""

    def _job_execute(self, entry: Any, config: JobConfig, start: Any, trigger: str) -> Any:
        once = config.model_copy(update={"retries": 0})
        return super()._job_execute(entry, once, start, trigger)


class DisabledJobFires(MemoryProvider):
    """``enabled=False`` is stored but the schedule keeps firing."""

    def _job_tick(self, data: Any) -> None:
        saved = {}
        for name, entry in data["jobs"].items():
            saved[name] = entry["config"]["enabled"]
            entry["config"]["enabled"] = True
        try:
            super()._job_tick(data)
        finally:
            for name, enabled in saved.items():
                if name in data["jobs"]:
                    data["jobs"][name]["config"]["enabled"] = enabled
