"""The local driver against the conformance suite (this machine, no SSH)."""

from cloudcore.testing import ConformanceSuite


class TestLocal(ConformanceSuite):
    target = "local"
