"""Fixtures of the gcp driver's tests: one fake GCP server per session, reset before each test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("google.cloud.run_v2", reason="the gcp driver's tests need the [gcp] extra")

from cloudcore_gcp.testing import FakeGCP, connect_to

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeGCP]:
    fake = FakeGCP().start()
    try:
        yield fake  # type: ignore[misc]
    finally:
        fake.stop()


@pytest.fixture
def fake(fake_server: FakeGCP) -> FakeGCP:
    """The session's fake, emptied (default zones recreated, faults cleared) for this test."""
    fake_server.reset()
    return fake_server


@pytest.fixture
def gcp(fake: FakeGCP) -> Iterator[Any]:
    """A GCPProvider connected to the fake, with fast retries."""
    provider = connect_to(fake)
    try:
        yield provider
    finally:
        provider.close()


@pytest.fixture
def gcp_no_retry(fake: FakeGCP) -> Iterator[Any]:
    """A GCPProvider that never retries (to observe single errors)."""
    provider = connect_to(fake, retry=False)
    try:
        yield provider
    finally:
        provider.close()
