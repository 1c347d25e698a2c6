"""The aws driver against the conformance suite, on a moto server (real HTTP)."""

from cloudcore.testing import ConformanceSuite


class TestAWS(ConformanceSuite):
    target = "aws"
