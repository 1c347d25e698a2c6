"""The test target ``cloudcore conformance acme --fake`` uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cloudcore.testing.faults import attach

from .api import AcmeAPI
from .provider import AcmeProvider


@contextmanager
def acme_target(**options: Any) -> Iterator[AcmeProvider]:
    """A provider on a fresh Acme API, with its fault injector and a fast retry policy."""
    api = AcmeAPI(zones=("example.com",), page_size=int(options.get("page_size", 5)))
    provider = AcmeProvider(api=api, retry={"initial_delay": 0.01, "max_delay": 0.05, "jitter": 0})
    attach(provider, api.faults)
    try:
        yield provider
    finally:
        provider.close()
