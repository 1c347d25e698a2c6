"""Wire counters: what a stand-in saw, counted on the stand-in's side, not reported by the driver.

A driver reports its own API calls (:func:`cloudcore.emit_api_call`), and a driver that reports
nothing, or reports writes as reads, would pass every "zero writes on a no-op" check built on
those reports. A test target therefore attaches a :class:`WireCounter` to the provider it
yields: an object that counts, **inside the stand-in** (moto's WSGI app, a fake API's request
handler, the SSH/local transport on the host side of the call), the requests that reached it and
which of them change state. The conformance suite reads it around every write and every no-op::

    counter = wire_counter_for(provider)
    before = counter.snapshot()
    provider.deploy_service("api", config)          # a write
    seen = counter.since(before)
    assert seen.mutating >= 1

A stand-in classifies requests by what they are on the wire (HTTP method, the API operation
named in the request, the shell command run), never by asking the driver. :class:`WireTally` is
the ready-made, thread-safe implementation stand-ins use.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = [
    "WireCounter",
    "WireSnapshot",
    "WireTally",
    "attach_wire_counter",
    "wire_counter_for",
]


@dataclass(frozen=True, slots=True)
class WireSnapshot:
    """Counts at one moment (or the difference between two moments).

    Attributes:
        requests: Every request the stand-in answered.
        mutating: The requests among them that change state.
        writes: ``"what"`` of each mutating request, in order (for error messages), at most
            the last 200 of them.
    """

    requests: int
    mutating: int
    writes: tuple[str, ...] = ()


@runtime_checkable
class WireCounter(Protocol):
    """What the conformance suite needs from a stand-in's own request counting."""

    def snapshot(self) -> WireSnapshot:
        """The counts so far (monotonic: counters never go back)."""

    def since(self, before: WireSnapshot) -> WireSnapshot:
        """What was seen after ``before`` was taken."""


@dataclass
class WireTally:
    """A thread-safe request tally: the ready-made :class:`WireCounter` for stand-ins.

    A stand-in calls :meth:`count` once per request it answers (also for requests it answers
    with an error or an injected fault), classifying the request itself.
    """

    _requests: int = 0
    _mutating: int = 0
    _writes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, what: str, *, mutating: bool) -> None:
        """Record one request (``what``: method and path, API operation, or command name)."""
        with self._lock:
            self._requests += 1
            if mutating:
                self._mutating += 1
                self._writes.append(what)
                if len(self._writes) > 400:
                    del self._writes[:200]

    def snapshot(self) -> WireSnapshot:
        with self._lock:
            return WireSnapshot(self._requests, self._mutating, tuple(self._writes[-200:]))

    def since(self, before: WireSnapshot) -> WireSnapshot:
        now = self.snapshot()
        new = now.mutating - before.mutating
        writes = now.writes[len(now.writes) - min(new, len(now.writes)) :] if new > 0 else ()
        return WireSnapshot(now.requests - before.requests, new, writes)


_attached: weakref.WeakKeyDictionary[object, WireCounter] = weakref.WeakKeyDictionary()


def attach_wire_counter(provider: object, counter: WireCounter) -> None:
    """Make ``counter`` the wire counter of ``provider`` (called by test targets)."""
    _attached[provider] = counter


def wire_counter_for(provider: object) -> WireCounter | None:
    """The wire counter attached to ``provider``, or ``None`` when its target has none."""
    return _attached.get(provider)
