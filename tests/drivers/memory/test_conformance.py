"""The memory driver against the conformance suite: every capability must pass."""

from cloudcore.testing import ConformanceSuite


class TestMemory(ConformanceSuite):
    target = "memory"
