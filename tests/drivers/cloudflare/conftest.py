"""One fake Cloudflare API per session; each test gets a fresh provider and a reset fake."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from cloudcore_cloudflare.testing import FakeCloudflare, fake_target

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
ZONES = ("example.com", "sub.example.com", "example.org")
PLAN = "pro"
"""The plan of the shared fake's zones (tests of other plans build their own fake)."""


@pytest.fixture(scope="session")
def fake() -> Iterator[FakeCloudflare]:
    with FakeCloudflare(ZONES, plans=dict.fromkeys(ZONES, PLAN)) as server:
        yield server


@pytest.fixture
def cf(fake: FakeCloudflare) -> Iterator[Any]:
    fake.reset()
    with fake_target(ZONES, fake=fake) as provider:
        yield provider
