"""Fault injection: how tests make a stand-in throttle, fail or slow down on purpose.

Every stand-in (the memory driver, each fake provider API, the bare-metal host fixtures where it
can) offers a :class:`FaultInjector`. A test target attaches it to the provider it yields with
:func:`attach`, and the conformance suite (or a user's own test) finds it with :func:`injector_for`::

    inj = injector_for(provider)
    inj.inject(Fault("throttle", mutating=False, retry_after=0.05))
    provider.get_secret("k")           # first read is throttled, the core retries it

A fault applies to the next ``times`` matching calls. ``operation`` matches a protocol operation
name (injectors that work at the protocol level) and ``api`` an API operation or request path
substring (injectors in fake HTTP servers); ``mutating`` restricts it to reads or writes. An
injector that cannot tell protocol operations apart (a fake HTTP server) ignores ``operation`` and
matches on ``mutating``/``api`` only.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

__all__ = ["Fault", "FaultInjector", "FaultQueue", "attach", "injector_for"]

FaultKind = Literal["throttle", "transient", "latency"]


@dataclass
class Fault:
    """One fault to inject.

    Attributes:
        kind: ``throttle`` (429 / RateLimited with ``retry_after``), ``transient`` (5xx /
            TransientError), or ``latency`` (delay ``seconds`` then proceed).
        operation: Protocol operation to affect (``"get_secret"``), or ``None`` for any.
        api: Substring of the API operation or request path to affect, or ``None`` for any.
        mutating: Only writes (``True``), only reads (``False``), or both (``None``).
        times: How many matching calls it affects.
        retry_after: Seconds to ask the client to wait (throttle).
        seconds: Delay (latency).
    """

    kind: FaultKind
    operation: str | None = None
    api: str | None = None
    mutating: bool | None = None
    times: int = 1
    retry_after: float | None = None
    seconds: float = 0.0
    hits: int = field(default=0, init=False)

    def matches(self, operation: str | None, api: str | None, mutating: bool | None) -> bool:
        """Whether a call with these properties is affected (ignores unknown properties)."""
        if self.operation is not None and operation is not None and self.operation != operation:
            return False
        if self.api is not None and (api is None or self.api not in api):
            return False
        return not (
            self.mutating is not None and mutating is not None and self.mutating != mutating
        )


@runtime_checkable
class FaultInjector(Protocol):
    """What the conformance suite needs from a stand-in's fault injection."""

    def inject(self, fault: Fault) -> None:
        """Queue a fault."""

    def clear(self) -> None:
        """Drop every queued fault."""


class FaultQueue:
    """A thread-safe queue of faults: the ready-made injector for stand-ins.

    A stand-in calls :meth:`take` once per incoming call; it returns the fault to apply (its
    ``times`` counted down) or ``None``.
    """

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def inject(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("Fault.times must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(
        self, operation: str | None = None, api: str | None = None, mutating: bool | None = None
    ) -> Fault | None:
        """The first queued fault matching this call, counted as used; ``None`` if none."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(operation, api, mutating):
                    fault.hits += 1
                    if fault.hits >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


_attached: weakref.WeakKeyDictionary[object, FaultInjector] = weakref.WeakKeyDictionary()


def attach(provider: object, injector: FaultInjector) -> None:
    """Make ``injector`` the fault injector of ``provider`` (called by test targets)."""
    _attached[provider] = injector


def injector_for(provider: object) -> FaultInjector | None:
    """The fault injector attached to ``provider``, or ``None`` if its stand-in has none."""
    return _attached.get(provider)
