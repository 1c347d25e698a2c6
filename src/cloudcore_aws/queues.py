"""SQS: one queue per cloudcore queue, its dead-letter queue wired with a redrive policy.

Mapping (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html):

- name: the SQS queue name is the cloudcore name (``<name>.fifo`` for FIFO queues, as SQS
  requires); tags ``managed-by=cloudcore`` and ``cloudcore-name``; a dead-letter queue also
  carries ``cloudcore-dead-letter-of=<queue>``.
- ``visibility_timeout`` -> ``VisibilityTimeout``; ``retention_seconds`` ->
  ``MessageRetentionPeriod``; ``max_receives`` -> ``RedrivePolicy.maxReceiveCount`` pointing at
  ``<name>-dlq`` (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
- Bodies: SQS bodies are text of XML-safe characters
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html);
  a body that is such UTF-8 text is sent as it is (other consumers read it as usual), any other
  is sent base64-encoded with the attribute ``cloudcore-encoding=base64``.
- FIFO: ``MessageGroupId`` is the message's group (``default``), ``MessageDeduplicationId`` its
  ``dedup_id`` or the SHA-256 of its body.
- ``redrive`` receives from the dead-letter queue, sends to the source and deletes, in batches
  of 10 (what ``StartMessageMoveTask`` does, synchronously; it also works where that API is
  missing, as on moto).
- Known queues: the URL of a queue found managed is remembered, so a message call is one
  request (not ``GetQueueUrl`` + ``ListQueueTags`` + the call). Any "queue does not exist"
  answer forgets every remembered URL. The one case this cannot see is a managed queue deleted
  and re-created by another tool between two calls with no failed call in between (SQS blocks
  the name for 60 s after a delete); a new provider instance looks everything up again.
- ``queue_stats``: the ``ApproximateNumberOf...`` attributes; SQS has no oldest-age attribute
  (CloudWatch's ``ApproximateAgeOfOldestMessage`` is a metric), so ``oldest_age_seconds`` is
  ``None``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from cloudcore.errors import AlreadyExists, CloudcoreError, Conflict, NotFound
from cloudcore.models import MANAGED_BY_KEY, NAME_TAG_KEY
from cloudcore.models.queues import (
    Message,
    OutgoingMessage,
    QueueConfig,
    QueueInfo,
    QueueStats,
    dead_letter_name,
)

from ._base import AWSBase
from ._errors import error_code

__all__ = ["AWSQueues"]

DLQ_TAG = "cloudcore-dead-letter-of"
ENCODING_ATTR = "cloudcore-encoding"
DEAD_LETTER_RETENTION = 604_800
_OURS = frozenset({MANAGED_BY_KEY, NAME_TAG_KEY, DLQ_TAG})
# SQS's allowed body characters: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000+
_SQS_TEXT = re.compile("\\A[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*\\Z")
_MISSING = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})
_STALE = frozenset({"ReceiptHandleIsInvalid", "InvalidParameterValue", "MessageNotInflight"})


def _encode(body: bytes) -> tuple[str, bool]:
    """The SQS body of ``body`` and whether it is base64."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True
    if text and _SQS_TEXT.fullmatch(text):
        return text, False
    return base64.b64encode(body).decode("ascii"), True  # empty bodies too: SQS refuses them


class AWSQueues(AWSBase):
    """The queues capability (SQS)."""

    def _sqs(self) -> Any:
        return self._client("sqs")

    # ------------------------------------------------------------- helpers
    def _url(self, name: str, fifo: bool | None = None) -> str | None:
        """The queue's URL (trying the FIFO name too when ``fifo`` is ``None``)."""
        names = {None: [name, name + ".fifo"], True: [name + ".fifo"], False: [name]}[fifo]
        for sqs_name in names:
            try:
                return str(self._sqs().get_queue_url(QueueName=sqs_name)["QueueUrl"])
            except Exception as exc:
                if error_code(exc) not in _MISSING:
                    raise
        return None

    def _queue_urls(self) -> dict[str, str]:
        """URLs of queues known to exist and be managed (a cache of facts only cloudcore
        changes; emptied whenever SQS says a queue does not exist)."""
        urls: dict[str, str] = self.__dict__.setdefault("_known_queue_urls", {})
        return urls

    def _map_error(self, exc: Exception) -> CloudcoreError | None:
        if error_code(exc) in _MISSING:
            self._queue_urls().clear()  # deleted behind cloudcore's back: look it up again
        return super()._map_error(exc)

    def _managed_url(self, name: str) -> str:
        known = self._queue_urls().get(name)
        if known is not None:
            return known
        url = self._url(name)
        if url is None:
            raise NotFound(f"no queue named {name!r}")
        if not self._is_managed(self._queue_tags(url)):
            raise NotFound(f"queue {name!r} is not managed by cloudcore")
        self._queue_urls()[name] = url
        return url

    def _queue_tags(self, url: str) -> dict[str, str]:
        return {
            str(k): str(v)
            for k, v in self._sqs().list_queue_tags(QueueUrl=url).get("Tags", {}).items()
        }

    def _attrs(self, url: str) -> dict[str, str]:
        out = self._sqs().get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
        return {str(k): str(v) for k, v in out.get("Attributes", {}).items()}

    def _read_back(
        self, name: str, url: str, attrs: dict[str, str], tags: dict[str, str]
    ) -> QueueInfo:
        redrive = json.loads(attrs["RedrivePolicy"]) if attrs.get("RedrivePolicy") else None
        config = QueueConfig(
            name=name,
            visibility_timeout=int(attrs["VisibilityTimeout"]),
            retention_seconds=int(attrs["MessageRetentionPeriod"]),
            max_receives=int(redrive["maxReceiveCount"]) if redrive else None,
            fifo=attrs.get("FifoQueue") == "true",
            tags={k: v for k, v in tags.items() if k not in _OURS},
        )
        created = attrs.get("CreatedTimestamp")
        return QueueInfo(
            name=name,
            config=config,
            dead_letter_queue=dead_letter_name(name) if redrive else None,
            dead_letter_of=tags.get(DLQ_TAG),
            provider_name=url,
            created_at=datetime.fromtimestamp(float(created), UTC) if created else None,
        )

    def _wanted_attrs(self, config: QueueConfig, dlq_arn: str | None) -> dict[str, str]:
        attrs = {
            "VisibilityTimeout": str(config.visibility_timeout),
            "MessageRetentionPeriod": str(config.retention_seconds),
        }
        if config.max_receives and dlq_arn:
            attrs["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": config.max_receives}
            )
        return attrs

    def _ensure(self, config: QueueConfig, tags: dict[str, str], dlq_arn: str | None) -> str:
        """Create or converge one SQS queue; returns its URL. Writes only what differs."""
        sqs = self._sqs()
        wanted = self._wanted_attrs(config, dlq_arn)
        url = self._url(config.name)
        if url is None:
            attrs = dict(wanted)
            if config.fifo:
                attrs["FifoQueue"] = "true"
            sqs_name = config.name + (".fifo" if config.fifo else "")
            return str(
                sqs.create_queue(QueueName=sqs_name, Attributes=attrs, tags=tags)["QueueUrl"]
            )
        have_tags = self._queue_tags(url)
        if not self._is_managed(have_tags):
            raise AlreadyExists(f"a queue named {config.name!r} exists (not managed)")
        have = self._attrs(url)
        if (have.get("FifoQueue") == "true") != config.fifo:
            raise Conflict(f"queue {config.name!r}: fifo cannot change (delete it first)")
        changed = {k: v for k, v in wanted.items() if _norm(k, have.get(k)) != _norm(k, v)}
        if "RedrivePolicy" in have and "RedrivePolicy" not in wanted:
            changed["RedrivePolicy"] = ""
        if changed:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=changed)
        gone = sorted(set(have_tags) - set(tags))
        if gone:
            sqs.untag_queue(QueueUrl=url, TagKeys=gone)
        new = {k: v for k, v in tags.items() if have_tags.get(k) != v}
        if new:
            sqs.tag_queue(QueueUrl=url, Tags=new)
        return url

    # -------------------------------------------------------------- queues
    def _create_queue(self, config: QueueConfig) -> QueueInfo:
        name = config.name
        existing = self._url(name)
        if existing is not None:
            tags = self._queue_tags(existing)
            if self._is_managed(tags) and tags.get(DLQ_TAG):
                raise Conflict(f"{name!r} is the dead-letter queue of {tags[DLQ_TAG]!r}")
        dlq_name = dead_letter_name(name)
        dlq_arn = None
        if config.max_receives:
            dlq_config = QueueConfig(
                name=dlq_name,
                visibility_timeout=config.visibility_timeout,
                retention_seconds=DEAD_LETTER_RETENTION,
                fifo=config.fifo,
                tags=config.tags,
            )
            dlq_url = self._url(dlq_name)
            if dlq_url is not None and self._queue_tags(dlq_url).get(DLQ_TAG) != name:
                raise AlreadyExists(f"a queue named {dlq_name!r} exists and is not its DLQ")
            dlq_tags = {**self._tags(dlq_name, config.tags), DLQ_TAG: name}
            dlq_url = self._ensure(dlq_config, dlq_tags, None)
            dlq_arn = self._attrs(dlq_url)["QueueArn"]
        url = self._ensure(config, self._tags(name, config.tags), dlq_arn)
        if not config.max_receives:
            self._drop_dead_letter(name)
        return self._read_back(name, url, self._attrs(url), self._queue_tags(url))

    def _drop_dead_letter(self, name: str) -> None:
        """Delete ``<name>-dlq`` after ``max_receives`` was removed (refused while it holds
        messages: they would be lost)."""
        dlq = dead_letter_name(name)
        url = self._url(dlq)
        if url is None or self._queue_tags(url).get(DLQ_TAG) != name:
            return
        attrs = self._attrs(url)
        held = sum(
            int(attrs.get(k, "0"))
            for k in (
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            )
        )
        if held:
            raise Conflict(
                f"queue {name!r}: its dead-letter queue {dlq!r} holds messages; redrive or "
                "purge it before removing max_receives"
            )
        self._queue_urls().pop(dlq, None)
        self._sqs().delete_queue(QueueUrl=url)

    def _get_queue(self, name: str) -> QueueInfo:
        url = self._managed_url(name)
        return self._read_back(name, url, self._attrs(url), self._queue_tags(url))

    def _delete_queue(self, name: str) -> None:
        self._queue_urls().pop(name, None)
        self._queue_urls().pop(dead_letter_name(name), None)
        url = self._url(name)
        if url is None:
            return
        tags = self._queue_tags(url)
        self._refuse_unmanaged(tags, f"queue {name!r}")
        source = tags.get(DLQ_TAG)
        if source and self._url(source) is not None:
            raise Conflict(f"{name!r} is the dead-letter queue of {source!r}: delete that")
        self._sqs().delete_queue(QueueUrl=url)
        dlq_url = self._url(dead_letter_name(name))
        if dlq_url is not None and self._queue_tags(dlq_url).get(DLQ_TAG) == name:
            self._sqs().delete_queue(QueueUrl=dlq_url)

    def _list_queues(self) -> Iterable[QueueInfo]:
        out = []
        for page in self._sqs().get_paginator("list_queues").paginate():
            for url in page.get("QueueUrls", []):
                tags = self.call(partial(self._queue_tags, str(url)))
                if not self._is_managed(tags) or NAME_TAG_KEY not in tags:
                    continue
                attrs = self.call(partial(self._attrs, str(url)))
                out.append(self._read_back(tags[NAME_TAG_KEY], url, attrs, tags))
        return out

    # ------------------------------------------------------------ messages
    def _send_messages(self, queue: str, batch: list[OutgoingMessage]) -> list[str]:
        url = self._managed_url(queue)
        fifo = url.endswith(".fifo")
        entries = []
        for i, msg in enumerate(batch):
            body, b64 = _encode(msg.body)
            attrs = {k: {"DataType": "String", "StringValue": v} for k, v in msg.attributes.items()}
            if b64:
                attrs[ENCODING_ATTR] = {"DataType": "String", "StringValue": "base64"}
            entry: dict[str, Any] = {"Id": str(i), "MessageBody": body, "MessageAttributes": attrs}
            if msg.delay_seconds:
                entry["DelaySeconds"] = msg.delay_seconds
            if fifo:
                entry["MessageGroupId"] = msg.group or "default"
                entry["MessageDeduplicationId"] = (
                    msg.dedup_id or hashlib.sha256(msg.body).hexdigest()
                )
            entries.append(entry)
        out = self._sqs().send_message_batch(QueueUrl=url, Entries=entries)
        failed = out.get("Failed") or []
        if failed:
            first = failed[0]
            raise Conflict(
                f"SQS refused {len(failed)} of {len(batch)} messages: "
                f"{first.get('Code')}: {first.get('Message')}"
            )
        ids = {int(s["Id"]): str(s["MessageId"]) for s in out.get("Successful", [])}
        return [ids[i] for i in range(len(batch))]

    def _receive_messages(
        self, queue: str, max_messages: int, wait_seconds: int, visibility_timeout: int | None
    ) -> list[Message]:
        url = self._managed_url(queue)
        args: dict[str, Any] = {
            "QueueUrl": url,
            "MaxNumberOfMessages": max_messages,
            "WaitTimeSeconds": wait_seconds,
            "MessageAttributeNames": ["All"],
            "MessageSystemAttributeNames": [
                "ApproximateReceiveCount",
                "SentTimestamp",
                "MessageGroupId",
            ],
        }
        if visibility_timeout is not None:
            args["VisibilityTimeout"] = visibility_timeout
        out = self._sqs().receive_message(**args)
        return [_message(m) for m in out.get("Messages", [])]

    def _ack(self, queue: str, receipts: list[str]) -> None:
        url = self._managed_url(queue)
        for at in range(0, len(receipts), 10):
            chunk = receipts[at : at + 10]
            out = self._sqs().delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(chunk)],
            )
            bad = [f for f in out.get("Failed") or [] if f.get("Code") not in _STALE]
            if bad:
                raise Conflict(
                    f"SQS refused to delete: {bad[0].get('Code')}: {bad[0].get('Message')}"
                )

    def _release(self, queue: str, receipt: str, delay: int) -> None:
        url = self._managed_url(queue)
        try:
            self._sqs().change_message_visibility(
                QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=delay
            )
        except Exception as exc:
            if error_code(exc) not in _STALE:
                raise  # a stale receipt: the message is back already (or acked)

    def _extend_visibility(self, queue: str, receipt: str, seconds: int) -> None:
        url = self._managed_url(queue)
        try:
            self._sqs().change_message_visibility(
                QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=seconds
            )
        except Exception as exc:
            if error_code(exc) in _STALE:
                raise Conflict(
                    "the message of this receipt is no longer in flight (acked, or its "
                    "visibility timeout ran out and it may be delivered again)"
                ) from exc
            raise

    def _queue_stats(self, queue: str) -> QueueStats:
        url = self._managed_url(queue)
        attrs = self._attrs(url)
        return QueueStats(
            name=queue,
            visible=int(attrs.get("ApproximateNumberOfMessages", "0")),
            in_flight=int(attrs.get("ApproximateNumberOfMessagesNotVisible", "0")),
            delayed=int(attrs.get("ApproximateNumberOfMessagesDelayed", "0")),
        )

    def _purge_queue(self, queue: str) -> None:
        self._sqs().purge_queue(QueueUrl=self._managed_url(queue))

    def _redrive(self, dead_letter_queue: str, source: str) -> int:
        dlq = self._managed_url(dead_letter_queue)
        self._managed_url(source)
        moved = 0
        while True:
            got = self._receive_messages(dead_letter_queue, 10, 0, 60)
            if not got:
                return moved
            self._send_messages(
                source,
                [OutgoingMessage(body=m.body, attributes=m.attributes, group=m.group) for m in got],
            )
            self._sqs().delete_message_batch(
                QueueUrl=dlq,
                Entries=[{"Id": str(i), "ReceiptHandle": m.receipt} for i, m in enumerate(got)],
            )
            moved += len(got)


def _norm(key: str, value: str | None) -> Any:
    if key == "RedrivePolicy" and value:
        policy = json.loads(value)
        return (policy.get("deadLetterTargetArn"), int(policy.get("maxReceiveCount", 0)))
    return value


def _message(m: dict[str, Any]) -> Message:
    attrs = {
        str(k): str(v.get("StringValue", "")) for k, v in (m.get("MessageAttributes") or {}).items()
    }
    encoded = attrs.pop(ENCODING_ATTR, None) == "base64"
    body = base64.b64decode(m["Body"]) if encoded else str(m["Body"]).encode("utf-8")
    system = m.get("Attributes") or {}
    sent = system.get("SentTimestamp")
    return Message(
        id=str(m["MessageId"]),
        body=body,
        receipt=str(m["ReceiptHandle"]),
        receive_count=int(system.get("ApproximateReceiveCount", "1")),
        attributes=attrs,
        sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
        group=system.get("MessageGroupId"),
    )
