"""The Cloudflare driver against the conformance suite, on the fake Cloudflare API."""

from cloudcore.testing import ConformanceSuite


class TestCloudflare(ConformanceSuite):
    target = "cloudflare"
