"""Queue models: a queue's configuration, messages going in and coming out, and its depth.

Every limit here is what *every* driver can store, so a config valid on one driver is valid on
all of them; the narrowest provider sets each bound:

- visibility timeout 10-600 s: Pub/Sub's ``ackDeadlineSeconds`` is 10-600
  (https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions#Subscription);
  SQS allows 0-43,200 (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
- retention 600 s - 7 days: a Pub/Sub subscription keeps messages 10 minutes to 7 days
  (``messageRetentionDuration``, same page); SQS 60 s - 14 days
  (``MessageRetentionPeriod``, same SQS page).
- maximum receives 5-100: Pub/Sub's ``deadLetterPolicy.maxDeliveryAttempts`` is 5-100
  (https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions#DeadLetterPolicy);
  SQS's ``maxReceiveCount`` is 1-1,000
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
- a message body of 64 KiB: SQS bodies are text, so drivers send bytes base64-encoded
  (4/3 larger), and SQS's and Cloudflare Queues' budgets count attributes too
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html,
  https://developers.cloudflare.com/queues/platform/limits/: 128 KB a message).
- at most 9 attributes a message: SQS allows 10 (same quotas page) and the aws driver uses one
  to mark a body it had to base64-encode.
- delays 0-600 s and receives of at most 10 messages waiting at most 20 s: SQS's
  ``ReceiveMessage`` ``MaxNumberOfMessages`` 1-10 and ``WaitTimeSeconds`` 0-20
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html);
  a release delay rides on Pub/Sub's ``modifyAckDeadline``, 0-600 s.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from ._base import Extras, Model, Name, Tags, field_error

__all__ = [
    "DEAD_LETTER_SUFFIX",
    "MAX_ATTRIBUTES",
    "MAX_MESSAGE_BYTES",
    "MAX_RECEIVE_BATCH",
    "MAX_WAIT_SECONDS",
    "Message",
    "OutgoingMessage",
    "QueueConfig",
    "QueueInfo",
    "QueueStats",
    "dead_letter_name",
]

MAX_MESSAGE_BYTES = 64 * 1024
"""Largest message body, in bytes (see the module docstring for why)."""
MAX_ATTRIBUTES = 9
"""Most attributes on one message: SQS allows 10 and cloudcore keeps one to mark base64 bodies."""
MAX_RECEIVE_BATCH = 10
"""Most messages one ``receive_messages`` call returns (SQS's limit)."""
MAX_WAIT_SECONDS = 20
"""Longest long-poll of one ``receive_messages`` call (SQS's limit)."""
MAX_DELAY_SECONDS = 600
"""Longest delay of a message or a release (Pub/Sub's ``modifyAckDeadline`` maximum)."""
DEAD_LETTER_SUFFIX = "-dlq"
"""A queue's dead-letter queue is named ``<queue>-dlq``."""

_ATTR_KEY_RE = re.compile(r"\A[a-z][a-z0-9_.-]{0,63}\Z")
_DEDUP_RE = re.compile(r"\A[A-Za-z0-9!\"#$%&'()*+,./:;<=>?@\[\\\]^_`{|}~-]{1,128}\Z")
_GROUP_RE = _DEDUP_RE


def dead_letter_name(queue: str) -> str:
    """The name of ``queue``'s dead-letter queue."""
    return queue + DEAD_LETTER_SUFFIX


def _check_attributes(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_ATTRIBUTES:
        raise ValueError(f"at most {MAX_ATTRIBUTES} attributes (SQS's 10, less one cloudcore uses)")
    for key, val in value.items():
        if not isinstance(key, str) or not _ATTR_KEY_RE.fullmatch(key):
            raise ValueError(
                f"attribute name {key!r} must be 1-64 lowercase letters, digits, '_', '.' or '-', "
                "starting with a letter"
            )
        if key.startswith(("cloudcore", "goog", "aws.", "amazon.")):
            raise ValueError(f"attribute name {key!r}: the prefix is reserved")
        if not isinstance(val, str) or not 1 <= len(val) <= 256:
            raise ValueError(f"attribute {key!r}: values are 1-256 characters")
        if not all(0x20 <= ord(c) < 0x7F for c in val):
            raise ValueError(f"attribute {key!r}: values are printable ASCII")
    return value


Attributes = Annotated[dict[str, str], AfterValidator(_check_attributes)]


def _to_bytes(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return value


def _check_body(value: bytes) -> bytes:
    if not isinstance(value, bytes):
        raise ValueError("a body is bytes or text")
    if len(value) > MAX_MESSAGE_BYTES:
        raise ValueError(f"a body is at most {MAX_MESSAGE_BYTES} bytes (got {len(value)})")
    return value


Body = Annotated[bytes, BeforeValidator(_to_bytes), AfterValidator(_check_body)]


def _check_token(what: str) -> Any:
    def check(value: str) -> str:
        if not _DEDUP_RE.fullmatch(value):
            raise ValueError(f"{what} is 1-128 printable ASCII characters without spaces")
        return value

    return AfterValidator(check)


class QueueConfig(Model):
    """A queue, and the dead-letter queue cloudcore wires to it.

    Attributes:
        name: The queue's name. With ``max_receives`` its dead-letter queue is
            ``<name>-dlq``, so the name leaves room for the suffix (at most 59 characters).
        visibility_timeout: Seconds a received message stays hidden from other receivers
            before it is delivered again (unless acked or extended), 10-600.
        retention_seconds: How long an unreceived message is kept, 600 s to 7 days.
        max_receives: Deliveries before a message moves to the dead-letter queue (5-100);
            ``None``: no dead-letter queue, messages are redelivered until retention ends.
        fifo: First-in-first-out per message group, with sender deduplication ids
            (feature ``fifo``).
        tags: User tags (on the queue and its dead-letter queue).
        extras: Provider-specific options.
    """

    name: Name
    visibility_timeout: Annotated[int, Field(ge=10, le=600)] = 30
    retention_seconds: Annotated[int, Field(ge=600, le=604_800)] = 345_600
    max_receives: Annotated[int, Field(ge=5, le=100)] | None = None
    fifo: bool = False
    tags: Tags = Field(default_factory=dict)
    extras: Extras = Field(default_factory=dict)

    @model_validator(mode="after")
    def _room_for_dead_letter(self) -> Self:
        if self.max_receives is not None and len(dead_letter_name(self.name)) > 63:
            raise field_error(
                "name",
                "with max_receives the name is at most 59 characters "
                f"(its dead-letter queue is '<name>{DEAD_LETTER_SUFFIX}')",
            )
        return self


class QueueInfo(Model):
    """A queue as it exists.

    Attributes:
        name: cloudcore name.
        config: The portable configuration read back (``create_queue`` of it again is a no-op).
            A dead-letter queue's own config is what cloudcore gave it (no ``max_receives``).
        dead_letter_queue: Name of its dead-letter queue, when it has one.
        dead_letter_of: For a dead-letter queue: the queue it serves.
        provider_name: The provider's own name or id (SQS URL, Pub/Sub subscription).
        created_at: Creation time (UTC), when known.
    """

    name: str
    config: QueueConfig
    dead_letter_queue: str | None = None
    dead_letter_of: str | None = None
    provider_name: str | None = None
    created_at: datetime | None = None


class OutgoingMessage(Model):
    """A message to send.

    Attributes:
        body: Bytes, or text (sent as its UTF-8 bytes); at most :data:`MAX_MESSAGE_BYTES`.
        attributes: Up to 9 string attributes.
        delay_seconds: Seconds before the message becomes visible, 0-600 (feature ``delay``).
        group: Message group of a FIFO queue (order is kept within a group); ``None`` on FIFO
            queues means the group ``"default"``.
        dedup_id: Deduplication id: on FIFO queues a second send with the same id within
            5 minutes is dropped (SQS FIFO's and the memory driver's window). Standard queues
            ignore it, so resending a batch there may deliver twice (at-least-once).
    """

    body: Body
    attributes: Attributes = Field(default_factory=dict)
    delay_seconds: Annotated[int, Field(ge=0, le=MAX_DELAY_SECONDS)] = 0
    group: Annotated[str, _check_token("a group")] | None = None
    dedup_id: Annotated[str, _check_token("a dedup_id")] | None = None


class Message(Model):
    """A received message.

    Attributes:
        id: The message's id (stable across deliveries).
        body: Its bytes, as sent.
        receipt: The handle of this delivery: ``ack``, ``release`` and ``extend_visibility``
            take it. A later delivery of the same message has a new receipt.
        receive_count: How many times the message has been delivered, this time included.
        attributes: Its attributes.
        sent_at: When it was sent (UTC), when known.
        group: Its FIFO group, if any.
    """

    id: str
    body: bytes
    receipt: str
    receive_count: Annotated[int, Field(ge=1)]
    attributes: dict[str, str] = Field(default_factory=dict)
    sent_at: datetime | None = None
    group: str | None = None

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8")


class QueueStats(Model):
    """How deep a queue is (approximate on every cloud provider).

    Attributes:
        name: cloudcore name.
        visible: Messages waiting to be received.
        in_flight: Messages received and neither acked nor timed out.
        delayed: Messages sent with a delay that is not over yet.
        oldest_age_seconds: Age of the oldest message not yet acked, when known.
    """

    name: str
    visible: Annotated[int, Field(ge=0)]
    in_flight: Annotated[int, Field(ge=0)] = 0
    delayed: Annotated[int, Field(ge=0)] = 0
    oldest_age_seconds: Annotated[float, Field(ge=0)] | None = None
