"""Probes of the queue and job suites: a clock to move forward, queues cloudcore does not
manage, and job runs that fail on purpose.

- :class:`Clock`: a target whose stand-in has a controllable clock (the memory driver) attaches
  one, so visibility timeouts and schedules are tested without waiting; without one the suite
  sleeps for real (seconds for queues; schedule tests that would wait minutes are *not testable*).
- :class:`QueueSeeder`: makes a queue as another tool would; the suite checks cloudcore never
  lists, purges, reads or deletes it.
- :class:`JobScripter`: makes the next attempts of a job exit non-zero, so the suite can check
  that a failed run is retried and then succeeds.
"""

from __future__ import annotations

import time
import weakref
from typing import Protocol, runtime_checkable

__all__ = [
    "Clock",
    "JobScripter",
    "QueueSeeder",
    "attach_clock",
    "attach_job_scripter",
    "attach_queue_seeder",
    "clock_for",
    "job_scripter_for",
    "queue_seeder_for",
    "wait",
]


@runtime_checkable
class Clock(Protocol):
    """Moves the stand-in's time forward."""

    def advance(self, seconds: float) -> None:
        """Make ``seconds`` pass for visibility timeouts, delays and schedules."""


@runtime_checkable
class QueueSeeder(Protocol):
    """Makes queues that cloudcore does not manage."""

    def create_unmanaged_queue(self, name: str, bodies: list[bytes]) -> None:
        """Create queue ``name`` holding ``bodies``, without cloudcore's managed-by mark."""

    def read_unmanaged_queue(self, name: str) -> list[bytes] | None:
        """The bodies it holds (``None`` when it does not exist any more)."""

    def remove_unmanaged_queue(self, name: str) -> None:
        """Delete it (cleanup; quietly when gone)."""


@runtime_checkable
class JobScripter(Protocol):
    """Decides how the next attempts of a job end."""

    def script_exits(self, job: str, exit_codes: list[int]) -> None:
        """The next attempts of ``job`` exit with ``exit_codes`` in order (then as configured)."""


_clocks: weakref.WeakKeyDictionary[object, Clock] = weakref.WeakKeyDictionary()
_seeders: weakref.WeakKeyDictionary[object, QueueSeeder] = weakref.WeakKeyDictionary()
_scripters: weakref.WeakKeyDictionary[object, JobScripter] = weakref.WeakKeyDictionary()


def attach_clock(provider: object, clock: Clock) -> None:
    """Make ``clock`` the controllable clock of ``provider`` (called by test targets)."""
    _clocks[provider] = clock


def clock_for(provider: object) -> Clock | None:
    """The clock attached to ``provider``, or ``None``."""
    return _clocks.get(provider)


def wait(provider: object, seconds: float) -> None:
    """Let ``seconds`` pass for ``provider``: move its clock, or sleep."""
    clock = clock_for(provider)
    if clock is not None:
        clock.advance(seconds)
    else:
        time.sleep(seconds)


def attach_queue_seeder(provider: object, seeder: QueueSeeder) -> None:
    """Make ``seeder`` the queue seeder of ``provider``."""
    _seeders[provider] = seeder


def queue_seeder_for(provider: object) -> QueueSeeder | None:
    """The queue seeder attached to ``provider``, or ``None``."""
    return _seeders.get(provider)


def attach_job_scripter(provider: object, scripter: JobScripter) -> None:
    """Make ``scripter`` the job scripter of ``provider``."""
    _scripters[provider] = scripter


def job_scripter_for(provider: object) -> JobScripter | None:
    """The job scripter attached to ``provider``, or ``None``."""
    return _scripters.get(provider)
