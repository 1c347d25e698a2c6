"""The conformance suite: one abstract test class per capability, and all of them together.

A driver's whole test file::

    from cloudcore.testing import ConformanceSuite

    class TestAcme(ConformanceSuite):
        target = "acme"          # its registered test target; or override the `provider` fixture

See ``docs/driver-author-guide.md`` for what each test checks and the options.
"""

from __future__ import annotations

from ._base import ConformanceOptions, SuiteBase, not_testable, requires
from .cache import CacheSuite
from .compute import ComputeSuite
from .database import DatabaseSuite
from .dimensions import DimensionsSuite
from .discovery import DiscoverySuite
from .dns import DNSSuite
from .errors import ErrorsSuite
from .history import HistorySuite
from .jobs import JobsSuite
from .passwords import PasswordsSuite
from .queues import QueuesSuite
from .readback import ReadbackSuite
from .secrets import SecretsSuite
from .storage import StorageSuite
from .waf import WAFSuite

__all__ = [
    "CacheSuite",
    "ComputeSuite",
    "ConformanceOptions",
    "ConformanceSuite",
    "DNSSuite",
    "DatabaseSuite",
    "DimensionsSuite",
    "DiscoverySuite",
    "ErrorsSuite",
    "HistorySuite",
    "JobsSuite",
    "PasswordsSuite",
    "QueuesSuite",
    "ReadbackSuite",
    "SecretsSuite",
    "StorageSuite",
    "SuiteBase",
    "WAFSuite",
    "not_testable",
    "requires",
]


class ConformanceSuite(
    ComputeSuite,
    DatabaseSuite,
    CacheSuite,
    DNSSuite,
    WAFSuite,
    SecretsSuite,
    StorageSuite,
    ReadbackSuite,
    QueuesSuite,
    JobsSuite,
    DiscoverySuite,
    DimensionsSuite,
    PasswordsSuite,
    HistorySuite,
    ErrorsSuite,
):
    """Every capability's tests. Subclass it as ``Test<Driver>`` and set ``target``.

    Attributes:
        target: Registered driver name, or ``"module:attr"`` of a test-target factory.
        target_options: Keyword arguments for the test target (or for ``connect`` when live).
        live: Connect with the driver's normal options (profile/env) instead of its test target.
        options: Suite parameters, see :class:`ConformanceOptions`.
    """
