"""Fixtures of the AWS driver's tests: one moto server per session, reset before each test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

pytest.importorskip("boto3", reason="the AWS driver's tests need the [aws] extra")
pytest.importorskip("moto", reason="the AWS driver's tests need moto[server] ([dev] extra)")

from cloudcore_aws.provider import AWSProvider
from cloudcore_aws.testing import MotoTarget, fake_target

logging.getLogger("werkzeug").setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def moto_target() -> Iterator[MotoTarget]:
    with fake_target(full=True) as target:
        yield target


@pytest.fixture
def aws(moto_target: MotoTarget) -> MotoTarget:
    """The moto target, every backend cleared (fixtures recreated) before the test."""
    moto_target.reset()
    return moto_target


@pytest.fixture
def cloud(aws: MotoTarget) -> AWSProvider:
    """The provider connected to a clean moto server."""
    return aws.provider
