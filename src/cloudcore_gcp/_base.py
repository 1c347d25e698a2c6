"""What every capability module of the driver shares: options, labels, paging and waiting."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from cloudcore.errors import ConfigurationError, Conflict, OperationTimeout, ProviderError
from cloudcore.models import MANAGED_BY_KEY, MANAGED_BY_VALUE, NAME_TAG_KEY
from cloudcore.provider import BaseProvider

from ._clients import Clients

__all__ = ["GCPBase", "labels_for", "managed"]

T = TypeVar("T")
_LABEL_BAD = re.compile(r"[^a-z0-9_-]")


def _label(value: str, *, key: bool) -> str:
    out = _LABEL_BAD.sub("_", value.lower())[:63]
    if key and (not out or not out[0].isalpha()):
        out = ("t" + out)[:63]
    return out


def labels_for(name: str, tags: Mapping[str, str] | None = None) -> dict[str, str]:
    """Google labels for a resource: the user's tags (made label-safe: lower-case, ``[a-z0-9_-]``,
    63 characters) plus ``managed-by=cloudcore`` and ``cloudcore-name=<name>``."""
    out = {_label(k, key=True): _label(v, key=False) for k, v in (tags or {}).items()}
    out[MANAGED_BY_KEY] = MANAGED_BY_VALUE
    out[NAME_TAG_KEY] = _label(name, key=False)
    return out


def managed(labels: Mapping[str, str] | None) -> bool:
    """Whether a resource's labels say cloudcore manages it."""
    return bool(labels) and dict(labels or {}).get(MANAGED_BY_KEY) == MANAGED_BY_VALUE


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


class GCPBase(BaseProvider):
    """Options and helpers shared by the capability mixins of :class:`GCPProvider`.

    Args:
        project: Google Cloud project id (default: the one of the standard credential chain).
        region: Region for Cloud Run, Cloud SQL and Memorystore (``location`` is an alias).
        location: Alias of ``region``.
        credentials: A ``google.auth`` credentials object (default: ``google.auth.default()``).
        api_endpoint: One endpoint for every API, e.g. the fake's ``http://127.0.0.1:PORT``.
        storage_endpoint: Cloud Storage's endpoint when it differs (e.g. an emulator).
        signing_credentials: ``google.auth`` credentials that sign V4 URLs (a service account
            key) when ``credentials`` cannot (user or metadata-server credentials).
        retry: The core retry policy (see :class:`cloudcore.retry.RetryPolicy`).
        timeout: Seconds per HTTP request (the clients' own retries are turned off).
        operation_timeout: Seconds to wait for a long-running operation.
        poll_interval: First wait between operation polls (doubles up to 10 s).
    """

    def __init__(
        self,
        *,
        project: str | None = None,
        region: str | None = None,
        location: str | None = None,
        credentials: Any = None,
        api_endpoint: str | None = None,
        storage_endpoint: str | None = None,
        signing_credentials: Any = None,
        retry: Any = None,
        timeout: float = 30.0,
        operation_timeout: float = 1800.0,
        poll_interval: float = 1.0,
    ) -> None:
        if region and location and region != location:
            raise ConfigurationError("give region or location, not two different values")
        super().__init__(region=region or location or "us-central1", retry=retry)
        if api_endpoint is not None and not re.match(r"^https?://[^\s/]+", str(api_endpoint)):
            raise ConfigurationError(f"api_endpoint: not an http(s) URL: {api_endpoint!r}")
        if storage_endpoint is not None and not re.match(
            r"^https?://[^\s/]+", str(storage_endpoint)
        ):
            raise ConfigurationError(
                f"storage_endpoint: not an http(s) URL: {storage_endpoint!r}",
                field="storage_endpoint",
            )
        self._clients = Clients(
            self.name, credentials, project, api_endpoint, storage_endpoint, signing_credentials
        )
        self._timeout = float(timeout)
        self._op_timeout = float(operation_timeout)
        self._poll = max(float(poll_interval), 0.0)

    @property
    def project(self) -> str:
        """The Google Cloud project id."""
        project = self._clients.project()
        if not project:
            raise ConfigurationError(
                "gcp: no project: pass project=... or set one in the Google credential chain",
                field="project",
            )
        return project

    @property
    def location(self) -> str:
        """The region/location resources are created in."""
        return self._region or "us-central1"

    @property
    def parent(self) -> str:
        """``projects/<project>/locations/<region>``."""
        return f"projects/{self.project}/locations/{self.location}"

    @property
    def clients(self) -> Clients:
        """The lazily built Google clients."""
        return self._clients

    def kw(self) -> dict[str, Any]:
        """Per-call keyword arguments: no client-side retry (the core retries), short timeout."""
        return {"retry": None, "timeout": self._timeout}

    def pages(self, fetch: Callable[[str], tuple[list[T], str]]) -> list[T]:
        """Every item of a paged listing, one :meth:`call` (retried on its own) per page."""
        items: list[T] = []
        token = ""
        for _ in range(100_000):
            page, token = self.call(lambda tok=token: fetch(tok))  # type: ignore[misc]
            items.extend(page)
            if not token:
                return items
        raise ProviderError("pagination did not end")

    def wait(self, done: Callable[[], bool], what: str) -> None:
        """Poll ``done`` (each poll retried on its own) until it is true or the timeout."""
        start = time.monotonic()
        delay = self._poll
        while not self.call(done):
            waited = time.monotonic() - start
            if waited > self._op_timeout:
                raise OperationTimeout(f"gave up waiting for {what}", waited=waited)
            time.sleep(delay)
            delay = min(max(delay * 2, 0.01), 10.0)

    def wait_lro(self, op: Any, what: str) -> Any:
        """Wait for a google.api_core long-running operation; return its result."""
        self.wait(lambda: bool(op.done(retry=None)), what)
        return op.result(timeout=self._timeout)

    def ensure_managed(self, labels: Mapping[str, str] | None, what: str) -> None:
        """Raise :class:`Conflict` unless the resource carries ``managed-by=cloudcore``."""
        if not managed(labels):
            raise Conflict(f"{what} exists but is not managed by cloudcore; not touching it")
