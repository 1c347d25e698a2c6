"""The gcp driver against the conformance suite, on the fake GCP APIs."""

from cloudcore.testing import ConformanceSuite


class TestGCP(ConformanceSuite):
    target = "gcp"
