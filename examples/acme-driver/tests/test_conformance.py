"""Acme against the cloudcore conformance suite."""

from cloudcore.testing import ConformanceSuite


class TestAcme(ConformanceSuite):
    target = "acme"  # the test target registered in cloudcore_acme.plugin
