"""Acme Cloud's API, in process: what the driver talks to. Every call is counted as a wire-level
call, may be faulted (429 / 503) by a FaultQueue, and listings come in pages of ``page_size``."""

from __future__ import annotations

import threading
from typing import Any

from cloudcore.events import emit_api_call
from cloudcore.testing.faults import FaultQueue


class AcmeAPIError(Exception):
    """An API error with an HTTP-like status."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.retry_after = retry_after


class AcmeAPI:
    """Secrets (versioned) and DNS record sets in zones."""

    def __init__(self, zones: tuple[str, ...] = ("example.com",), page_size: int = 5) -> None:
        self.zones = {z: {} for z in zones}  # type: dict[str, dict[str, dict[str, Any]]]
        self.secrets: dict[str, list[str]] = {}
        self.page_size = page_size
        self.faults = FaultQueue()
        self._lock = threading.Lock()

    def _call(self, op: str, mutating: bool) -> None:
        emit_api_call("acme", "api", op, mutating=mutating)
        fault = self.faults.take(None, op, mutating)
        if fault is not None and fault.kind == "throttle":
            raise AcmeAPIError(429, "slow down", retry_after=fault.retry_after)
        if fault is not None and fault.kind == "transient":
            raise AcmeAPIError(503, "service unavailable")

    def put_secret(self, name: str, value: str) -> str:
        self._call("PutSecret", True)
        with self._lock:
            versions = self.secrets.setdefault(name, [])
            versions.append(value)
            return str(len(versions))

    def get_secret(self, name: str, version: str | None) -> str:
        self._call("GetSecret", False)
        with self._lock:
            versions = self.secrets.get(name)
            if not versions:
                raise AcmeAPIError(404, "secret not found")
            if version is None:
                return versions[-1]
            if not version.isdigit() or not 1 <= int(version) <= len(versions):
                raise AcmeAPIError(404, "version not found")
            return versions[int(version) - 1]

    def secret_versions(self, name: str) -> int:
        self._call("ListSecretVersions", False)
        with self._lock:
            if name not in self.secrets:
                raise AcmeAPIError(404, "secret not found")
            return len(self.secrets[name])

    def list_secrets(self, page: int) -> tuple[list[str], int | None]:
        self._call("ListSecrets", False)
        with self._lock:
            names = sorted(self.secrets)
        chunk = names[page * self.page_size : (page + 1) * self.page_size]
        more = (page + 1) * self.page_size < len(names)
        return chunk, page + 1 if more else None

    def delete_secret(self, name: str) -> None:
        self._call("DeleteSecret", True)
        with self._lock:
            if self.secrets.pop(name, None) is None:
                raise AcmeAPIError(404, "secret not found")

    def list_zones(self) -> list[str]:
        self._call("ListZones", False)
        with self._lock:
            return sorted(self.zones)

    def list_records(self, zone: str, page: int) -> tuple[list[dict[str, Any]], int | None]:
        self._call("ListRecords", False)
        with self._lock:
            if zone not in self.zones:
                raise AcmeAPIError(404, "zone not found")
            recs = [self.zones[zone][k] for k in sorted(self.zones[zone])]
        chunk = recs[page * self.page_size : (page + 1) * self.page_size]
        more = (page + 1) * self.page_size < len(recs)
        return [dict(r) for r in chunk], page + 1 if more else None

    def put_records(self, zone: str, records: list[dict[str, Any]]) -> None:
        self._call("PutRecords", True)
        with self._lock:
            for rec in records:
                self.zones[zone][f"{rec['name']}|{rec['type']}"] = dict(rec)

    def delete_record(self, zone: str, name: str, rtype: str) -> None:
        self._call("DeleteRecord", True)
        with self._lock:
            if self.zones.get(zone, {}).pop(f"{name}|{rtype}", None) is None:
                raise AcmeAPIError(404, "record not found")
