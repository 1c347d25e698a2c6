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


@pytest.fixture(scope="session", autouse=True)
def iam_coverage() -> Iterator[set[tuple[str, str]]]:
    """Every AWS API operation the driver calls during this test run (from the botocore-driven
    ``cloudcore_api_call`` events); at the end, each must be granted by the IAM policy."""
    from cloudcore.events import record
    from cloudcore_aws.iam import actions_for, iam_action

    with record() as rec:
        seen: set[tuple[str, str]] = set()
        yield seen
        seen.update((c.service, c.operation) for c in rec.api_calls if c.provider == "aws")
    granted = actions_for(implied=False)
    missing = sorted(iam_action(s, o) for s, o in seen if iam_action(s, o) not in granted)
    assert not missing, f"the driver called operations its IAM policy does not grant: {missing}"
