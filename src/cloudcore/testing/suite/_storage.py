"""Helpers of the storage suites: test buckets, reads, configs of declared features, HTTP."""

from __future__ import annotations

import contextlib
import hashlib
import io
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from ...capabilities import Capability
from ...errors import ConfigurationError
from ...models.storage import BucketConfig, LifecycleRule
from ..wire import wire_counter_for
from ._base import Names, no_writes

S = Capability.STORAGE

__all__ = [
    "S",
    "Unseekable",
    "bucket",
    "config_with_features",
    "http",
    "no_requests",
    "no_writes_anywhere",
    "read",
    "refused",
    "sha256",
]


def sha256(data: bytes) -> str:
    """``"sha256:<hex>"`` of ``data``, as ``ObjectInfo.checksum`` carries it."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def bucket(provider: Any, names: Names, what: str, **config: Any) -> Iterator[str]:
    """A fresh managed bucket ``<run>-<what>`` (deleted with everything in it afterwards)."""
    name = names.name(names.unique(what))
    provider.create_bucket(BucketConfig(name=name, **config))
    try:
        yield name
    finally:
        provider.delete_bucket(name, force=True)


def read(provider: Any, bucket_name: str, key: str, version: str | None = None) -> bytes:
    """An object's bytes, read to the end (so the reader verified them)."""
    with provider.get_object(bucket_name, key, version) as reader:
        data: bytes = reader.read()
        assert reader.read() == b"", "a reader at its end must return b''"
        assert reader.verified, f"{bucket_name}/{key}: read to the end but not verified"
        return data


def config_with_features(provider: Any, name: str, *, versioning: bool = True) -> BucketConfig:
    """A bucket config using every storage feature ``provider`` declares."""
    have = provider.features.get(S, frozenset())
    values: dict[str, Any] = {"name": name, "tags": {"team": "conformance", "cost-center": "42"}}
    versioned = versioning and "versioning" in have
    if versioned:
        values["versioning"] = True
    if "lifecycle" in have:
        rules = [LifecycleRule(prefix="tmp/", expire_days=7)]
        if versioned:
            rules.append(LifecycleRule(prefix="logs/", expire_days=30, noncurrent_expire_days=3))
        values["lifecycle"] = tuple(rules)
    if "cors" in have:
        values["cors_origins"] = ("https://app.example.com", "http://localhost:5173")
    if "public" in have:
        values["public_read"] = True
    return BucketConfig.model_validate(values)


@contextlib.contextmanager
def no_writes_anywhere(provider: Any, what: str) -> Iterator[None]:
    """Zero mutating calls, as the driver reports them and, when the target attaches a wire
    counter, as the stand-in counted them."""
    with no_writes(provider, what):
        yield


@contextlib.contextmanager
def no_requests(provider: Any, what: str) -> Iterator[None]:
    """Zero API calls at all (refused input), reported and, with a wire counter, counted."""
    from ...events import record

    counter = wire_counter_for(provider)
    before = counter.snapshot() if counter is not None else None
    with record() as rec:
        yield
    assert not rec.api_calls, f"{what}: refused input still made API calls {rec.api_calls[:3]}"
    if counter is not None and before is not None:
        seen = counter.since(before)
        assert seen.requests == 0, f"{what}: refused input still reached the stand-in"


def refused(fn: Any, field: str, what: str) -> None:
    """``fn()`` must raise ``ConfigurationError`` naming ``field``."""
    error: ConfigurationError | None = None
    try:
        fn()
    except ConfigurationError as exc:
        error = exc
    assert error is not None, f"{what} was accepted; it must raise ConfigurationError ({field})"
    assert error.field == field, f"{what}: the error names {error.field!r}, not {field!r}: {error}"
    assert field in str(error), f"{what}: the message does not name {field!r}: {error}"


def http(url: str, method: str = "GET", data: bytes | None = None, **headers: str) -> Any:
    """A plain HTTP request (urllib: no SDK, no credentials); returns ``(status, body)``."""
    req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - http(s) only
    assert url.startswith(("http://", "https://")), f"not an HTTP URL: {url[:60]}"
    if data is not None:
        req.add_header("Content-Type", headers.pop("content_type", "application/octet-stream"))
    for key, value in headers.items():
        req.add_header(key.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Unseekable(io.RawIOBase):
    """A binary stream that cannot seek (a pipe, a socket, a request body)."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        chunk = self._inner.read(min(len(buffer), 7919))  # odd-sized reads
        buffer[: len(chunk)] = chunk
        return len(chunk)
