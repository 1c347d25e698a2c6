"""The ``queues`` capability: queues with dead-letter queues, at-least-once delivery.

Protocol (:class:`QueuesProtocol`), implementation on the base provider with the driver hooks
(:class:`QueuesMethods`), and composition routing (:class:`QueuesRouting`).

Promises every driver keeps (the conformance suite checks them):

- ``create_queue`` converges: a managed queue of that name is brought to the config (zero writes
  when it already matches); with ``max_receives`` cloudcore creates ``<name>-dlq`` and wires it.
  A queue of that name cloudcore does not manage is ``AlreadyExists`` and is never changed.
- At-least-once delivery: a received message not acked within its visibility timeout is
  delivered again with a higher ``receive_count``; after ``max_receives`` deliveries it lands in
  the dead-letter queue with its body and attributes intact; an acked message never comes back.
- ``ack`` of a receipt already acked (or expired) succeeds; ``delete_queue`` of a missing queue
  succeeds; ``purge_queue`` and every message operation act only on managed queues (any other
  queue is ``NotFound``).
- ``send_messages`` is not repeated by the core after a failure (the batch may have arrived):
  resending is the caller's choice; FIFO queues drop a resent ``dedup_id`` within 5 minutes,
  standard queues may then deliver twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from ..capabilities import Capability
from ..errors import ConfigurationError, NotFound
from ..models._base import CONTROL_CHARS, validate_name
from ..models.queues import (
    MAX_DELAY_SECONDS,
    MAX_RECEIVE_BATCH,
    MAX_WAIT_SECONDS,
    Message,
    OutgoingMessage,
    QueueConfig,
    QueueInfo,
    QueueStats,
)
from ._core import ProviderCore, RouterCore, coerce

__all__ = ["QueuesMethods", "QueuesProtocol", "QueuesRouting"]

C = Capability.QUEUES
MAX_RECEIPT_CHARS = 8192
"""Longest receipt accepted (SQS receipt handles are at most 1,024 characters; Pub/Sub ack ids
are opaque and longer)."""


def _int(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigurationError(
            f"{field}: a whole number from {low} to {high} (got {value!r})", field=field
        )
    return value


def _receipt(value: object, field: str = "receipt") -> str:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= MAX_RECEIPT_CHARS
        or CONTROL_CHARS.search(value)
    ):
        raise ConfigurationError(
            f"{field}: a receipt from receive_messages (1-{MAX_RECEIPT_CHARS} characters, "
            "no control characters)",
            field=field,
        )
    return value


def _message(value: Any, index: int) -> OutgoingMessage:
    if isinstance(value, OutgoingMessage):
        return value
    if isinstance(value, bytes | bytearray | memoryview | str):
        try:
            return OutgoingMessage(body=value)
        except ConfigurationError as exc:
            raise ConfigurationError(
                f"messages.{index}: {exc.message}", field=f"messages.{index}.body"
            ) from None
    if isinstance(value, Mapping):
        try:
            return OutgoingMessage.model_validate(dict(value))
        except ConfigurationError as exc:
            raise ConfigurationError(
                f"messages.{index}: {exc.message}", field=f"messages.{index}.{exc.field or ''}"
            ) from None
    raise ConfigurationError(
        f"messages.{index}: bytes, text, an OutgoingMessage or a mapping, "
        f"not {type(value).__name__}",
        field=f"messages.{index}",
    )


class QueuesProtocol(Protocol):
    """Message queues."""

    def create_queue(self, config: QueueConfig) -> QueueInfo: ...
    def get_queue(self, name: str) -> QueueInfo: ...
    def delete_queue(self, name: str) -> None: ...
    def list_queues(self) -> list[QueueInfo]: ...
    def send_messages(self, queue: str, messages: Iterable[Any]) -> list[str]: ...
    def receive_messages(
        self,
        queue: str,
        max_messages: int = 1,
        wait_seconds: int = 0,
        visibility_timeout: int | None = None,
    ) -> list[Message]: ...
    def ack(self, queue: str, receipts: str | Iterable[str]) -> None: ...
    def release(self, queue: str, receipt: str, delay: int = 0) -> None: ...
    def extend_visibility(self, queue: str, receipt: str, seconds: int) -> None: ...
    def queue_stats(self, queue: str) -> QueueStats: ...
    def purge_queue(self, queue: str) -> None: ...
    def redrive(self, dead_letter_queue: str) -> int: ...


class QueuesMethods(ProviderCore):
    """``queues`` on a driver: public methods, then the ``_`` hooks a driver implements."""

    send_batch_size: int = 10
    """Messages per send call of the provider (SQS ``SendMessageBatch`` takes 10)."""

    # --------------------------------------------------------------- queues
    def create_queue(self, config: QueueConfig) -> QueueInfo:
        """Create the queue (and ``<name>-dlq`` when ``max_receives`` is set), or bring the
        managed queue of that name to ``config``.

        Raises:
            AlreadyExists: a queue of that name exists and cloudcore does not manage it.
        """
        self.require(C)
        config = coerce(QueueConfig, config, "config")
        feats = [f for f, on in (("dead_letter", config.max_receives), ("fifo", config.fifo)) if on]
        self.require(C, *feats)
        return self._invoke("create_queue", config.name, lambda: self._create_queue(config))

    def get_queue(self, name: str) -> QueueInfo:
        """The managed queue ``name`` with its configuration read back (read-only)."""
        self.require(C)
        name = validate_name(name)
        return self._invoke("get_queue", name, lambda: self._get_queue(name))

    def delete_queue(self, name: str) -> None:
        """Delete a managed queue with its messages and its dead-letter queue; succeeds when it
        is already gone. A dead-letter queue still wired to its queue is refused (``Conflict``):
        delete the queue it serves."""
        self.require(C)
        name = validate_name(name)
        self._invoke("delete_queue", name, lambda: self._delete_queue(name))

    def list_queues(self) -> list[QueueInfo]:
        """Every queue cloudcore manages here (dead-letter queues included), by name."""
        self.require(C)
        return self._invoke(
            "list_queues", None, lambda: sorted(self._list_queues(), key=lambda q: q.name)
        )

    # ------------------------------------------------------------- messages
    def send_messages(self, queue: str, messages: Iterable[Any]) -> list[str]:
        """Send messages, in batches of the provider's size; returns their ids in order.

        Args:
            queue: A managed queue.
            messages: ``bytes``, ``str``, :class:`OutgoingMessage` or mappings of its fields.
        """
        self.require(C)
        queue = validate_name(queue, "queue")
        if isinstance(messages, bytes | str | Mapping | OutgoingMessage):
            messages = [messages]
        items = [_message(m, i) for i, m in enumerate(messages)]
        if any(m.delay_seconds for m in items):
            self.require(C, "delay")
        size = self.send_batch_size

        def send() -> list[str]:
            ids: list[str] = []
            for at in range(0, len(items), size):
                ids += self._send_messages(queue, items[at : at + size])
            return ids

        return self._invoke("send_messages", queue, send) if items else []

    def receive_messages(
        self,
        queue: str,
        max_messages: int = 1,
        wait_seconds: int = 0,
        visibility_timeout: int | None = None,
    ) -> list[Message]:
        """Receive up to ``max_messages`` (1-10), waiting up to ``wait_seconds`` (0-20) for
        the first. Each is hidden for ``visibility_timeout`` seconds (1-600; the queue's own
        when ``None``) unless acked, released or extended."""
        self.require(C)
        queue = validate_name(queue, "queue")
        max_messages = _int(max_messages, "max_messages", 1, MAX_RECEIVE_BATCH)
        wait_seconds = _int(wait_seconds, "wait_seconds", 0, MAX_WAIT_SECONDS)
        if visibility_timeout is not None:
            visibility_timeout = _int(visibility_timeout, "visibility_timeout", 1, 600)
        return self._invoke(
            "receive_messages",
            queue,
            lambda: self._receive_messages(queue, max_messages, wait_seconds, visibility_timeout),
        )

    def ack(self, queue: str, receipts: str | Iterable[str]) -> None:
        """Delete received messages: they are never delivered again. A receipt already acked
        or expired is accepted (the message may then come back once more)."""
        self.require(C)
        queue = validate_name(queue, "queue")
        items = [receipts] if isinstance(receipts, str) else list(receipts)
        checked = [_receipt(r, f"receipts.{i}") for i, r in enumerate(items)]
        if checked:
            self._invoke("ack", queue, lambda: self._ack(queue, checked))

    def release(self, queue: str, receipt: str, delay: int = 0) -> None:
        """Give a received message back: visible again after ``delay`` seconds (0-600)."""
        self.require(C)
        queue = validate_name(queue, "queue")
        receipt = _receipt(receipt)
        delay = _int(delay, "delay", 0, MAX_DELAY_SECONDS)
        self._invoke("release", queue, lambda: self._release(queue, receipt, delay))

    def extend_visibility(self, queue: str, receipt: str, seconds: int) -> None:
        """Keep a received message hidden for ``seconds`` (1-600) from now."""
        self.require(C)
        queue = validate_name(queue, "queue")
        receipt = _receipt(receipt)
        seconds = _int(seconds, "seconds", 1, 600)
        self._invoke(
            "extend_visibility", queue, lambda: self._extend_visibility(queue, receipt, seconds)
        )

    def queue_stats(self, queue: str) -> QueueStats:
        """The queue's depth (approximate on cloud providers)."""
        self.require(C)
        queue = validate_name(queue, "queue")
        return self._invoke("queue_stats", queue, lambda: self._queue_stats(queue))

    def purge_queue(self, queue: str) -> None:
        """Delete every message of a managed queue (never of one cloudcore does not manage)."""
        self.require(C)
        queue = validate_name(queue, "queue")
        self._invoke("purge_queue", queue, lambda: self._purge_queue(queue))

    def redrive(self, dead_letter_queue: str) -> int:
        """Move every message of a dead-letter queue back to the queue it serves; returns how
        many moved. Their receive counts start again."""
        self.require(C, "dead_letter", "redrive")
        dlq = validate_name(dead_letter_queue, "dead_letter_queue")

        def move() -> int:
            info = self._get_queue(dlq)
            if info.dead_letter_of is None:
                raise NotFound(f"{dlq!r} is not a dead-letter queue cloudcore wired")
            return self._redrive(dlq, info.dead_letter_of)

        return self._invoke("redrive", dlq, move)

    # ------------------------------------------------------- driver hooks
    def _create_queue(self, config: QueueConfig) -> QueueInfo:
        """Create or converge the queue and its dead-letter queue; zero writes when it matches."""
        self._missing("queues", "_create_queue")

    def _get_queue(self, name: str) -> QueueInfo:
        """The managed queue (``NotFound`` when absent or not managed)."""
        self._missing("queues", "_get_queue")

    def _delete_queue(self, name: str) -> None:
        """Delete it and its dead-letter queue; quietly when gone."""
        self._missing("queues", "_delete_queue")

    def _list_queues(self) -> Iterable[QueueInfo]:
        """Every managed queue, dead-letter queues included (the core sorts them)."""
        self._missing("queues", "_list_queues")

    def _send_messages(self, queue: str, batch: list[OutgoingMessage]) -> list[str]:
        """Send one batch (at most ``send_batch_size``); return the ids in order."""
        self._missing("queues", "_send_messages")

    def _receive_messages(
        self, queue: str, max_messages: int, wait_seconds: int, visibility_timeout: int | None
    ) -> list[Message]:
        """Receive; a message past ``max_receives`` goes to the dead-letter queue instead."""
        self._missing("queues", "_receive_messages")

    def _ack(self, queue: str, receipts: list[str]) -> None:
        """Delete the messages of these receipts; stale receipts are accepted."""
        self._missing("queues", "_ack")

    def _release(self, queue: str, receipt: str, delay: int) -> None:
        """Make the message visible after ``delay`` seconds."""
        self._missing("queues", "_release")

    def _extend_visibility(self, queue: str, receipt: str, seconds: int) -> None:
        """Hide the message for ``seconds`` from now."""
        self._missing("queues", "_extend_visibility")

    def _queue_stats(self, queue: str) -> QueueStats:
        """Visible, in flight, delayed, oldest age."""
        self._missing("queues", "_queue_stats")

    def _purge_queue(self, queue: str) -> None:
        """Delete every message of the managed queue."""
        self._missing("queues", "_purge_queue")

    def _redrive(self, dead_letter_queue: str, source: str) -> int:
        """Move the dead-letter queue's messages to ``source``; return how many."""
        self._missing("queues", "_redrive")


class QueuesRouting(RouterCore):
    """``queues`` in a composition."""

    def create_queue(self, config: QueueConfig) -> QueueInfo:
        return self._route(C).create_queue(config)

    def get_queue(self, name: str) -> QueueInfo:
        return self._route(C).get_queue(name)

    def delete_queue(self, name: str) -> None:
        self._route(C).delete_queue(name)

    def list_queues(self) -> list[QueueInfo]:
        return self._route(C).list_queues()

    def send_messages(self, queue: str, messages: Iterable[Any]) -> list[str]:
        return self._route(C).send_messages(queue, messages)

    def receive_messages(
        self,
        queue: str,
        max_messages: int = 1,
        wait_seconds: int = 0,
        visibility_timeout: int | None = None,
    ) -> list[Message]:
        return self._route(C).receive_messages(
            queue, max_messages, wait_seconds, visibility_timeout
        )

    def ack(self, queue: str, receipts: str | Iterable[str]) -> None:
        self._route(C).ack(queue, receipts)

    def release(self, queue: str, receipt: str, delay: int = 0) -> None:
        self._route(C).release(queue, receipt, delay)

    def extend_visibility(self, queue: str, receipt: str, seconds: int) -> None:
        self._route(C).extend_visibility(queue, receipt, seconds)

    def queue_stats(self, queue: str) -> QueueStats:
        return self._route(C).queue_stats(queue)

    def purge_queue(self, queue: str) -> None:
        self._route(C).purge_queue(queue)

    def redrive(self, dead_letter_queue: str) -> int:
        return self._route(C).redrive(dead_letter_queue)
