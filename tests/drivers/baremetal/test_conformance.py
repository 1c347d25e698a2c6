"""The baremetal driver against the conformance suite: real sshd, PostgreSQL and Redis."""

import pytest

from cloudcore.testing import ConformanceSuite


@pytest.mark.needs_root
class TestBaremetal(ConformanceSuite):
    target = "baremetal"
