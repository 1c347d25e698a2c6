"""Conformance tests for the ``queues`` capability: convergence, at-least-once delivery,
redelivery after the visibility timeout, the dead-letter path, FIFO, and queues cloudcore does
not manage.

Time: tests that wait for a visibility timeout move the target's :class:`~..queue_probes.Clock`
when it attaches one, and sleep otherwise (a receive's own visibility timeout of 1-2 seconds
keeps that short on every provider that honours it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ...capabilities import Capability
from ...errors import AlreadyExists, ConfigurationError, Conflict, NotFound
from ...events import record
from ...models.queues import Message, OutgoingMessage, QueueConfig
from ..queue_probes import clock_for, queue_seeder_for, wait
from ._base import Names, exhaust, fault_injector, not_testable, requires, retried_read
from ._storage import no_writes_anywhere

__all__ = ["QueuesSuite"]

Q = Capability.QUEUES


@contextlib.contextmanager
def _queue(provider: Any, names: Names, what: str, **config: Any) -> Iterator[str]:
    """A fresh managed queue ``<run>-<what>N`` (deleted with its dead-letter queue after)."""
    name = names.name(names.unique(what))
    provider.create_queue(QueueConfig(name=name, **config))
    try:
        yield name
    finally:
        provider.delete_queue(name)


def _drain(provider: Any, queue: str, want: int, *, tries: int = 5, **kw: Any) -> list[Message]:
    """Receive until ``want`` messages came (or ``tries`` receives were empty)."""
    got: list[Message] = []
    empty = 0
    while len(got) < want and empty < tries:
        batch = provider.receive_messages(queue, max_messages=10, wait_seconds=1, **kw)
        empty = 0 if batch else empty + 1
        got += batch
    return got


def _nothing(provider: Any, queue: str) -> list[Message]:
    """What a short long-poll receives (expected: nothing). A stand-in with a controllable
    clock is in-process and consistent: no need to wait there."""
    poll = 0 if clock_for(provider) is not None else 1
    got: list[Message] = provider.receive_messages(queue, max_messages=10, wait_seconds=poll)
    return got


class QueuesSuite:
    """Queues: create converges idempotently and reads back; every message sent is received
    (at least once) with its body and attributes; an unacked message comes back after its
    visibility timeout with a higher receive count; after ``max_receives`` it is in the
    dead-letter queue intact and ``redrive`` brings it back; acked messages never come back;
    queues cloudcore does not manage are never touched."""

    @requires(Q)
    def test_queues_create_is_idempotent(self, provider: Any, conformance_names: Names) -> None:
        name = conformance_names.name(conformance_names.unique("idem"))
        dead = provider.supports(Q, "dead_letter")
        config = QueueConfig(
            name=name, visibility_timeout=45, max_receives=5 if dead else None, tags={"t": "1"}
        )
        try:
            made = provider.create_queue(config)
            assert made.name == name and made.config == config, made
            with no_writes_anywhere(provider, "create_queue with an unchanged config"):
                again = provider.create_queue(config)
                also = provider.create_queue(config.model_dump())
            assert again.config == also.config == config
            assert provider.get_queue(name).config == config
            listed = {q.name: q for q in provider.list_queues()}
            assert listed[name].config == config, f"list_queues shows {listed[name].config}"
            if dead:
                assert made.dead_letter_queue == f"{name}-dlq"
                assert listed[f"{name}-dlq"].dead_letter_of == name, "DLQ not listed as such"
        finally:
            provider.delete_queue(name)
        names = [q.name for q in provider.list_queues()]
        assert name not in names and f"{name}-dlq" not in names, "delete left queues behind"
        provider.delete_queue(name)  # already gone: must succeed

    @requires(Q)
    def test_queues_converge_field_by_field(self, provider: Any, conformance_names: Names) -> None:
        with _queue(provider, conformance_names, "converge") as name:
            cfg = QueueConfig(name=name)
            steps: list[dict[str, Any]] = [
                {"visibility_timeout": 120},
                {"retention_seconds": 3600},
                {"tags": {"stage": "two"}},
            ]
            if provider.supports(Q, "dead_letter"):
                steps += [{"max_receives": 5}, {"max_receives": 7}, {"max_receives": None}]
            steps.append({"tags": {}})
            for change in steps:
                cfg = QueueConfig.model_validate({**cfg.model_dump(), **change})
                made = provider.create_queue(cfg)
                assert made.config == cfg, f"{change}: create_queue returned {made.config}"
                got = provider.get_queue(name).config
                assert got == cfg, f"{change}: read back {got}"
            assert f"{name}-dlq" not in [q.name for q in provider.list_queues()], (
                "removing max_receives left the (empty) dead-letter queue"
            )

    @requires(Q)
    def test_queues_send_receive_ack(self, provider: Any, conformance_names: Names) -> None:
        """Every message arrives with its body and attributes, receive_count 1; acked ones
        never come back, even after the visibility timeout."""
        bodies: list[Any] = [b"\x00\xffbinary", "text \u00e9\u6f22", b"", b"x" * 60_000]
        bodies += [f"n{i}" for i in range(21)]  # crosses the send batch size
        sent = [OutgoingMessage(body=b, attributes={"i": str(i)}) for i, b in enumerate(bodies)]
        with _queue(provider, conformance_names, "round-trip", visibility_timeout=10) as name:
            ids = provider.send_messages(name, sent)
            assert len(ids) == len(sent) == len(set(ids)), "one distinct id per message"
            got = _drain(provider, name, len(sent))
            assert sorted(m.body for m in got) == sorted(m.body for m in sent), "bodies differ"
            for m in got:
                want = sent[int(m.attributes["i"])]
                assert m.body == want.body and m.attributes == want.attributes, m
                assert m.receive_count == 1, f"a first delivery counts 1, got {m.receive_count}"
            assert {m.id for m in got} == set(ids), "received ids are not the sent ones"
            provider.ack(name, [m.receipt for m in got])
            provider.ack(name, got[0].receipt)  # twice: accepted
            wait(provider, 12)
            assert _nothing(provider, name) == [], "an acked message came back"
            stats = provider.queue_stats(name)
            assert (stats.visible, stats.in_flight) == (0, 0), stats

    @requires(Q)
    def test_queues_redelivery_after_visibility_timeout(
        self, provider: Any, conformance_names: Names
    ) -> None:
        with _queue(provider, conformance_names, "redeliver", visibility_timeout=10) as name:
            provider.send_messages(name, [b"work"])
            (first,) = _drain(provider, name, 1, visibility_timeout=2)
            assert _nothing(provider, name) == [], "delivered again inside its visibility timeout"
            stats = provider.queue_stats(name)
            assert stats.in_flight == 1 and stats.visible == 0, stats
            wait(provider, 3)
            (second,) = _drain(provider, name, 1)
            assert second.id == first.id and second.body == b"work"
            assert second.receive_count == 2, f"a redelivery counts 2, got {second.receive_count}"
            assert second.receipt != first.receipt, "a new delivery needs a new receipt"
            provider.ack(name, second.receipt)
            wait(provider, 11)
            assert _nothing(provider, name) == [], "an acked message came back"

    @requires(Q)
    def test_queues_release_and_extend(self, provider: Any, conformance_names: Names) -> None:
        with _queue(provider, conformance_names, "release", visibility_timeout=30) as name:
            provider.send_messages(name, [b"again"])
            (m,) = _drain(provider, name, 1)
            provider.release(name, m.receipt)
            (back,) = _drain(provider, name, 1, visibility_timeout=2)
            assert back.id == m.id and back.receive_count == 2, back
            provider.extend_visibility(name, back.receipt, 60)
            wait(provider, 4)
            assert _nothing(provider, name) == [], "an extended message came back early"
            provider.ack(name, back.receipt)
            with pytest.raises(ConfigurationError):
                provider.release(name, "", 0)
            with pytest.raises(ConfigurationError):
                provider.release(name, back.receipt, 601)

    @requires(Q, "dead_letter")
    def test_queues_dead_letter_after_max_receives(
        self, provider: Any, conformance_names: Names
    ) -> None:
        """A message never acked is delivered ``max_receives`` times, then lands in the
        dead-letter queue with body and attributes intact; ``redrive`` moves it back."""
        with _queue(provider, conformance_names, "poison", max_receives=5) as name:
            dlq = f"{name}-dlq"
            provider.send_messages(name, [{"body": b"poison\x00", "attributes": {"k": "v"}}])
            counts: list[int] = []
            for _ in range(5):
                got = _drain(provider, name, 1, visibility_timeout=1)
                assert len(got) == 1, f"delivery {len(counts) + 1} of 5 did not come"
                counts.append(got[0].receive_count)
                wait(provider, 2)
            assert counts == [1, 2, 3, 4, 5], f"receive counts {counts}"
            assert _nothing(provider, name) == [], "delivered after max_receives"
            (dead,) = _drain(provider, dlq, 1, visibility_timeout=1)
            assert (dead.body, dead.attributes) == (b"poison\x00", {"k": "v"}), dead
            if provider.supports(Q, "redrive"):
                wait(provider, 2)
                assert provider.redrive(dlq) == 1
                (back,) = _drain(provider, name, 1)
                assert back.body == b"poison\x00", back
                provider.ack(name, back.receipt)
                with pytest.raises((NotFound, Conflict)):
                    provider.redrive(name)  # not a dead-letter queue
            with pytest.raises(Conflict):
                provider.delete_queue(dlq)  # wired to its queue: delete the queue instead

    @requires(Q, "delay")
    def test_queues_delayed_message(self, provider: Any, conformance_names: Names) -> None:
        with _queue(provider, conformance_names, "delay") as name:
            provider.send_messages(name, [{"body": "later", "delay_seconds": 3}])
            assert _nothing(provider, name) == [], "a delayed message came early"
            wait(provider, 4)
            (m,) = _drain(provider, name, 1)
            assert m.body == b"later"
            provider.ack(name, m.receipt)

    @requires(Q, "fifo")
    def test_queues_fifo_order_and_dedup(self, provider: Any, conformance_names: Names) -> None:
        with _queue(provider, conformance_names, "fifo", fifo=True) as name:
            msgs = [{"body": f"a{i}", "group": "a", "dedup_id": f"a{i}"} for i in range(5)]
            ids = provider.send_messages(name, msgs)
            again = provider.send_messages(name, msgs[:2])  # a resend after a 5xx: dropped
            assert len(again) == 2 and len(ids) == 5, "a resent batch is accepted (and dropped)"
            first = provider.receive_messages(name, max_messages=2)
            assert [m.text for m in first] == ["a0", "a1"][: len(first)] and first, first
            assert _nothing(provider, name) == [], "a group with messages in flight delivered"
            provider.ack(name, [m.receipt for m in first])
            rest = _drain(provider, name, 5 - len(first))
            order = [m.text for m in first + rest]
            assert order == [f"a{i}" for i in range(5)], f"order {order}"
            provider.ack(name, [m.receipt for m in rest])
            assert _nothing(provider, name) == [], "a deduplicated resend was delivered"

    @requires(Q)
    def test_queues_purge_and_stats(self, provider: Any, conformance_names: Names) -> None:
        with _queue(provider, conformance_names, "purge") as name:
            provider.send_messages(name, [f"m{i}" for i in range(12)])
            stats = provider.queue_stats(name)
            assert stats.visible + stats.in_flight + stats.delayed == 12, stats
            provider.purge_queue(name)
            assert _nothing(provider, name) == []
            assert provider.queue_stats(name).visible == 0

    @requires(Q)
    def test_queues_missing_queue(self, provider: Any, conformance_names: Names) -> None:
        name = conformance_names.name("never-made")
        provider.delete_queue(name)  # gone already: succeeds
        calls: list[Callable[[], Any]] = [
            lambda: provider.get_queue(name),
            lambda: provider.send_messages(name, [b"x"]),
            lambda: provider.receive_messages(name),
            lambda: provider.queue_stats(name),
            lambda: provider.purge_queue(name),
        ]
        for call in calls:
            with pytest.raises(NotFound):
                call()

    @requires(Q)
    def test_queues_validation_before_any_call(self, provider: Any) -> None:
        bad: list[Callable[[], Any]] = [
            lambda: provider.create_queue({"name": "Bad_Name"}),
            lambda: provider.create_queue({"name": "q", "visibility_timeout": 5}),
            lambda: provider.create_queue({"name": "q", "max_receives": 3}),
            lambda: provider.send_messages("q", [b"x" * (64 * 1024 + 1)]),
            lambda: provider.send_messages("q", [{"body": "x", "attributes": {"Bad": "v"}}]),
            lambda: provider.receive_messages("q", max_messages=11),
            lambda: provider.receive_messages("q", wait_seconds=21),
            lambda: provider.ack("q", ["bad\nreceipt"]),
        ]
        with record() as rec:
            for call in bad:
                with pytest.raises(ConfigurationError):
                    call()
        assert not rec.api_calls, f"invalid input reached the provider: {rec.api_calls[:3]}"

    @requires(Q)
    def test_queues_unmanaged_untouched(self, provider: Any, conformance_names: Names) -> None:
        seeder = queue_seeder_for(provider)
        if seeder is None:
            not_testable("the target attaches no QueueSeeder (cloudcore.testing.queue_probes)")
        assert seeder is not None
        name = conformance_names.name(conformance_names.unique("not-ours"))
        bodies = [b"theirs-1", b"theirs-2"]
        seeder.create_unmanaged_queue(name, bodies)
        try:
            assert name not in [q.name for q in provider.list_queues()], "listed as managed"
            with pytest.raises(AlreadyExists):
                provider.create_queue(QueueConfig(name=name))
            with pytest.raises((Conflict, NotFound)):
                provider.delete_queue(name)
            calls: list[Callable[[], Any]] = [
                lambda: provider.get_queue(name),
                lambda: provider.purge_queue(name),
                lambda: provider.send_messages(name, [b"ours"]),
                lambda: provider.receive_messages(name),
                lambda: provider.queue_stats(name),
            ]
            for call in calls:
                with pytest.raises(NotFound):
                    call()
            assert seeder.read_unmanaged_queue(name) == bodies, "an unmanaged queue changed"
        finally:
            seeder.remove_unmanaged_queue(name)

    @requires(Q)
    def test_queues_error_mapping_and_retries(
        self, provider: Any, conformance_names: Names
    ) -> None:
        """Throttling and 5xx map to RateLimited/TransientError; a read failing once is
        retried; a send is not repeated by the core (the batch may have arrived)."""
        fault_injector(provider)
        with _queue(provider, conformance_names, "faults") as name:
            stats: Callable[[], Any] = lambda: provider.queue_stats(name).name  # noqa: E731
            for kind in ("throttle", "transient"):
                exhaust(provider, kind, stats, mutating=False, op="queue_stats")
                assert retried_read(provider, kind, "queue_stats", stats) == name
            err = exhaust(
                provider,
                "transient",
                lambda: provider.send_messages(name, [b"once"]),
                op="send_messages",
            )
            assert err.retryable, "a 5xx on send is retryable by the caller"

    @requires(Q)
    def test_queues_zz_nothing_left_behind(self, provider: Any, conformance_names: Names) -> None:
        left = [q.name for q in provider.list_queues() if q.name.startswith(conformance_names.run)]
        assert not left, f"the suite left queues behind: {left[:5]}"
