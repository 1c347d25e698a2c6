"""The memory driver's primitives: its "API calls", fault injection, pagination, tagging."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import SecretStr

from ... import _context
from ...capabilities import KNOWN_FEATURES, Capability
from ...errors import ConfigurationError, RateLimited, TransientError
from ...events import emit_api_call
from ...models import MANAGED_BY_KEY, MANAGED_BY_VALUE, NAME_TAG_KEY, normalize_fqdn, utcnow
from ...provider import BaseProvider
from ..faults import Fault, FaultQueue
from ..wire import WireTally
from .blobs import open_blob_store
from .state import MemoryState

T = TypeVar("T")

__all__ = ["MemoryCore"]


class MemoryCore(BaseProvider):
    """State, primitives and options shared by the memory driver's capability modules.

    Args:
        state_file: A JSON file to share state between processes (written 0600), or ``None``.
        zones: DNS zones that exist (records go to the zone with the longest matching suffix).
        page_size: Items per page of the driver's internal list calls (discovery, secrets, DNS).
        faults: Faults to inject from the start: ``Fault`` objects or their keyword mappings.
        latency: Seconds added to every internal call, to simulate a remote provider.
        region: A region label for resource ids.
        retry: The core retry policy (see :class:`cloudcore.RetryPolicy`).
        multipart_threshold: Objects larger than this many bytes are uploaded in parts of this
            size (``CreateMultipartUpload``, one ``UploadPart`` per part, ``Complete...``), as
            the cloud drivers do; 1 KiB to 5 GiB (S3's largest single PUT).
    """

    name = "memory"
    capabilities = frozenset(Capability)
    features = dict(KNOWN_FEATURES)

    def __init__(
        self,
        *,
        state_file: str | os.PathLike[str] | None = None,
        zones: Sequence[str] = ("example.com",),
        page_size: int = 50,
        faults: Sequence[Fault | Mapping[str, Any]] = (),
        latency: float = 0.0,
        region: str | None = None,
        retry: Any = None,
        multipart_threshold: int = 8 * 1024 * 1024,
    ) -> None:
        super().__init__(region=region, retry=retry)
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ConfigurationError("page_size: a positive integer", field="page_size")
        if latency < 0:
            raise ConfigurationError("latency: must not be negative", field="latency")
        try:
            self._zones = tuple(sorted({normalize_fqdn(z) for z in zones}))
        except ValueError as exc:
            raise ConfigurationError(f"zones: {exc}", field="zones") from None
        if (
            isinstance(multipart_threshold, bool)
            or not isinstance(multipart_threshold, int)
            or not 1024 <= multipart_threshold <= 5 * 1024**3  # one PUT carries 5 GiB at most
        ):
            raise ConfigurationError(
                "multipart_threshold: whole bytes from 1 KiB to 5 GiB", field="multipart_threshold"
            )
        self._state = MemoryState(state_file)
        self._blobs = open_blob_store(self._state.path)
        self.multipart_threshold = multipart_threshold
        self.wire = WireTally()
        # The wire counts a write when the state really changed (see MemoryState.on_change),
        # not when an operation says it writes: a driver reporting writes as reads is caught.
        self._state.on_change = lambda: self.wire.count("state changed", mutating=True)
        from .queues import MemoryClock

        self.clock = MemoryClock()
        self.page_size = page_size
        self.latency = latency
        self.faults = FaultQueue()
        for fault in faults:
            self.faults.inject(fault if isinstance(fault, Fault) else Fault(**fault))

    # ----------------------------------------------------------- primitives
    def _api(self, api: str, *, mutating: bool) -> None:
        """One internal "API call": counted, subject to latency and injected faults; a
        mutating one marks the open state transaction as changed (call it inside one)."""
        self._api_call(api, mutating=mutating, state=True)
        if mutating:
            self._state.mark_dirty()

    def _api_call(self, api: str, *, mutating: bool, state: bool = False) -> None:
        """An API call that changes no state here (an object part streamed into a blob).
        With ``state``, the call's effect on the state is what the wire counts as a write."""
        self.wire.count(api, mutating=mutating and not state)
        emit_api_call(self.name, "memory", api, mutating=mutating)
        if self.latency:
            time.sleep(self.latency)
        ctx = _context.current_call()
        fault = self.faults.take(ctx.operation if ctx else None, api, mutating)
        if fault is not None:
            if fault.kind == "throttle":
                raise RateLimited(f"{api}: throttled (injected)", retry_after=fault.retry_after)
            if fault.kind == "transient":
                raise TransientError(f"{api}: service unavailable (injected)")
            time.sleep(fault.seconds)

    def _read(self, api: str, fn: Callable[[dict[str, Any]], T]) -> T:
        with self._state.open() as data:
            self._api(api, mutating=False)
            return fn(data)

    def _pages(
        self,
        api: str,
        items: Callable[[dict[str, Any]], list[T]],
        key: Hashable = None,
    ) -> Iterator[T]:
        """Yield items page by page, one internal call per page (as real providers list).

        ``items`` builds the whole sorted listing; with a ``key`` (naming the listing and its
        parameters) it is built once per state generation and each page is a slice of it, so a
        listing of N items costs O(N), not O(N²/page).
        """
        start = 0
        memo_key = (api, key) if key is not None else None
        while True:

            def page(data: dict[str, Any], at: int = start) -> list[T]:
                if memo_key is None:
                    return items(data)[at : at + self.page_size]
                return self._state.memo(memo_key, lambda: items(data))[at : at + self.page_size]

            chunk = self.call(lambda: self._read(api, page))
            yield from chunk
            if len(chunk) < self.page_size:
                return
            start += self.page_size

    def _put_secret_locked(self, data: dict[str, Any], key: str, value: SecretStr) -> str:
        """Append a version to secret ``key`` (call inside ``self._state.open()``)."""
        self._api("PutSecretValue", mutating=True)
        entry = data["secrets"].setdefault(key, {"versions": [], "created": utcnow().isoformat()})
        version = str(int(entry["versions"][-1]["id"]) + 1 if entry["versions"] else 1)
        entry["versions"].append(
            {"id": version, "value": value.get_secret_value(), "created": utcnow().isoformat()}
        )
        return version

    def _tags(self, name: str, user: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**(user or {}), MANAGED_BY_KEY: MANAGED_BY_VALUE, NAME_TAG_KEY: name}

    def _close(self) -> None:
        self.faults.clear()
