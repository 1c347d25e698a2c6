"""The baremetal driver against the conformance suite: real sshd, PostgreSQL and Redis."""

import os

import pytest

from cloudcore.testing import ConformanceSuite

ROOT = os.geteuid() == 0  # without root the target cannot start: a skip that fails in CI
pytestmark = [] if ROOT else [pytest.mark.needs_root, pytest.mark.skip(reason="needs root")]


class TestBaremetal(ConformanceSuite):
    target = "baremetal"
