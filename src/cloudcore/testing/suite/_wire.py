"""Writes and no-ops checked twice: as the driver reports them and as its stand-in counted them.

The driver's own report (:func:`cloudcore.emit_api_call`) can be wrong in both directions: a
driver that reports nothing, or reports its writes as reads, would pass every "zero writes"
check built on it alone. When the test target attaches a wire counter
(:func:`cloudcore.testing.wire.attach_wire_counter`), each check here also reads what the
stand-in saw, and the two must agree: a no-op is zero writes on both sides, a write is at least
one on both sides. Without a wire counter the check falls back to the driver's report, and the
report says so ("writes self-reported, not verified").
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ...events import Recorder, record
from ..wire import wire_counter_for

__all__ = ["expect_writes", "no_writes", "writes"]


def _reported(rec: Recorder) -> list[str]:
    return [f"{c.service}:{c.operation}" for c in rec.mutating_calls()]


@contextlib.contextmanager
def no_writes(provider: Any, what: str) -> Iterator[Recorder]:
    """Assert the block writes nothing: zero mutating calls reported by the driver and, with a
    wire counter, zero mutating requests seen by the stand-in."""
    counter = wire_counter_for(provider)
    before = counter.snapshot() if counter is not None else None
    with record() as rec:
        yield rec
    if counter is not None and before is not None:
        seen = counter.since(before)
        assert seen.mutating == 0, (
            f"{what}: repeating it with the same input changed state on the stand-in "
            f"({seen.mutating} mutating requests: {list(seen.writes)[:8]})"
        )
    reported = _reported(rec)
    assert not reported, f"{what}: repeating it with the same input made mutating calls {reported}"


@contextlib.contextmanager
def writes(provider: Any, what: str) -> Iterator[Recorder]:
    """Assert the block really wrote: with a wire counter, the stand-in saw at least one
    mutating request, and the driver reported at least one mutating call (the driver's own
    count agrees with the wire)."""
    counter = wire_counter_for(provider)
    before = counter.snapshot() if counter is not None else None
    with record() as rec:
        yield rec
    reported = _reported(rec)
    if counter is not None and before is not None:
        seen = counter.since(before)
        assert seen.mutating >= 1, (
            f"{what}: a write that reached no stand-in (0 mutating requests seen on the wire; "
            f"the driver reported {reported[:8]})"
        )
        assert reported, (
            f"{what}: the stand-in saw {seen.mutating} mutating requests "
            f"({list(seen.writes)[:8]}) but the driver reported none (writes reported as reads?)"
        )
    assert reported, f"{what}: a write, yet the driver reported no mutating API call"


@contextlib.contextmanager
def expect_writes(provider: Any, what: str, changed: bool) -> Iterator[Recorder]:
    """:func:`writes` when ``changed``, else :func:`no_writes`."""
    check = writes if changed else no_writes
    with check(provider, what) as rec:
        yield rec
