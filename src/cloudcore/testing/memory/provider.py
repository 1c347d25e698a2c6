"""``MemoryProvider``: the in-process reference driver with every capability."""

from __future__ import annotations

from .compute import MemoryCompute
from .data import MemoryData
from .discovery import MemoryDiscovery
from .edge import MemoryEdge
from .jobs import MemoryJobs
from .readback import MemoryReadback
from .secrets import MemorySecrets
from .storage import MemoryStorage

__all__ = ["MemoryProvider"]


class MemoryProvider(
    MemoryCompute,
    MemoryReadback,
    MemoryData,
    MemoryEdge,
    MemorySecrets,
    MemoryStorage,
    MemoryJobs,
    MemoryDiscovery,
):
    """Every capability and feature, with the full promised semantics, in memory.

    It is the reference the conformance suite is checked against and a fake for users' own
    tests: thread-safe, optionally persisted to a file (``state_file``) so separate processes
    share one state, and with fault injection (``faults=``, ``latency=``, or ``.faults.inject``)
    so callers can test their retry logic. See :class:`~cloudcore.testing.memory._core.MemoryCore`
    for the options.

    Example:
        >>> from cloudcore.testing.faults import Fault
        >>> cloud = MemoryProvider(faults=[Fault("throttle", operation="get_secret")])
    """
