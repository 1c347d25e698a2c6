"""Broken variants of the memory driver for the core capabilities (compute, secrets, DNS, WAF,
database, discovery, errors): the classes :data:`cloudcore.testing.broken.VARIANTS` names, as
:mod:`.broken_storage` and :mod:`.broken_queues` hold theirs."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import SecretStr

from ..capabilities import Capability
from ..errors import CloudcoreError, NotFound, TransientError
from ..models import DatabaseEndpoint, DeploymentResult, DNSRecord, Resource, ResourceType, WAFRule
from .memory import MemoryProvider
from .memory.compute import config_hash

log = logging.getLogger("cloudcore.testing.broken")
T = TypeVar("T")


class StaleRead(MemoryProvider):
    """``get_secret`` keeps answering the first version after an update."""

    def _get_secret(self, key: str, version: str | None) -> SecretStr:
        return super()._get_secret(key, version or "1")


class NonIdempotentDeploy(MemoryProvider):
    """``deploy_service`` writes a new revision even when the config is unchanged."""

    def _deploy_service(self, name: str, config: Any) -> DeploymentResult:
        with self._state.open() as data:
            if name in data["services"]:
                data["services"][name]["hash"] = "forced-" + config_hash(config)
        return super()._deploy_service(name, config)


class ThrottleAsNotFound(MemoryProvider):
    """Maps throttling to ``NotFound`` (the worst misclassification)."""

    def _api(self, api: str, *, mutating: bool) -> None:
        try:
            super()._api(api, mutating=mutating)
        except CloudcoreError as exc:
            if exc.kind == "RateLimited":
                raise NotFound(f"{api}: not found") from exc
            raise


class SecretInError(MemoryProvider):
    """A failed ``store_secret`` puts the value into the error message."""

    def _store_secret(self, key: str, value: SecretStr) -> str:
        try:
            return super()._store_secret(key, value)
        except CloudcoreError as exc:
            exc.message = f"{exc.message} (value {value.get_secret_value()!r})"
            exc.args = (exc.message,)
            raise


class SecretInRepr(MemoryProvider):
    """The provider's ``repr`` shows the last secret value it stored."""

    _last = ""

    def _store_secret(self, key: str, value: SecretStr) -> str:
        self._last = value.get_secret_value()
        return super()._store_secret(key, value)

    def __repr__(self) -> str:
        return f"<SecretInRepr last={self._last}>"


class SecretInListing(MemoryProvider):
    """Discovery lists each secret with its latest value as an attribute."""

    def _list_resources(self, type: ResourceType | None, tags: Any) -> Iterator[Resource]:
        with self._state.open() as data:
            values = {
                k: e["versions"][-1]["value"] for k, e in data["secrets"].items() if e["versions"]
            }
        for res in super()._list_resources(type, tags):
            if res.type == ResourceType.SECRET and res.name in values:
                res = res.model_copy(
                    update={"attributes": {**res.attributes, "value": values[res.name]}}
                )
            yield res


class DropsLastPage(MemoryProvider):
    """Listings that span several pages lose their last page."""

    def _pages(self, api: str, items: Any, key: Any = None) -> Iterator[Any]:
        out: list[Any] = list(super()._pages(api, items, key))
        if len(out) > self.page_size:
            full = (len(out) // self.page_size) * self.page_size
            out = out[: full if full < len(out) else full - self.page_size]
        return iter(out)


class DeleteFailsWhenGone(MemoryProvider):
    """``delete_secret`` of a missing secret raises ``NotFound`` instead of succeeding."""

    def _delete_secret(self, key: str) -> None:
        with self._state.open() as data:
            if key not in data["secrets"]:
                raise NotFound(f"no secret named {key!r}")
        super()._delete_secret(key)


class LostUpdate(MemoryProvider):
    """``store_secret`` does read-modify-write of the whole store without holding the lock."""

    def _store_secret(self, key: str, value: SecretStr) -> str:
        with self._state.open() as data:
            snapshot = {
                k: dict(v, versions=list(v["versions"])) for k, v in data["secrets"].items()
            }
        time.sleep(0.002)
        with self._state.open() as data:
            version = self._put_secret_locked({"secrets": snapshot}, key, value)
            data["secrets"] = snapshot
        return version


class RestoresWrongData(MemoryProvider):
    """``restore_database`` restores the database's current data, not the backup's."""

    def _restore_database(self, backup_id: str, new_name: str) -> DatabaseEndpoint:
        endpoint = super()._restore_database(backup_id, new_name)
        with self._state.open() as data:
            source = data["backups"][backup_id]["database"]
            if source in data["databases"]:
                data["databases"][new_name]["tables"] = {
                    t: list(rows) for t, rows in data["databases"][source]["tables"].items()
                }
        return endpoint


class DiscoveryMissesType(MemoryProvider):
    """Discovery never lists caches."""

    def _list_resources(self, type: ResourceType | None, tags: Any) -> Iterator[Resource]:
        return (r for r in super()._list_resources(type, tags) if r.type != ResourceType.CACHE)


class DiscoveryIgnoresTags(MemoryProvider):
    """Discovery filters on the type but lists every resource whatever ``tags`` asks for."""

    def _list_resources(self, type: ResourceType | None, tags: Any) -> Iterator[Resource]:
        return super()._list_resources(type, {})


class WAFDoesNotConverge(MemoryProvider):
    """``configure_waf`` adds the new rules to the old ones instead of replacing the set."""

    def _configure_waf(self, rules: tuple[WAFRule, ...], target: str | None) -> bool:
        current = super()._get_waf_rules(target)
        names = {r.name for r in rules}
        merged = (*rules, *(r for r in current if r.name not in names))
        return super()._configure_waf(merged, target)


class DNSRewritesUnchanged(MemoryProvider):
    """``upsert_dns_records`` writes every record set, changed or not."""

    def _upsert_dns_records(self, records: list[DNSRecord]) -> int:
        with self._state.open() as data:
            for rec in records:
                zone = self._zone(rec.name)
                data["zones"].get(zone, {}).pop(f"{rec.name}|{rec.type.value}", None)
        return super()._upsert_dns_records(records)


class InventedReason(MemoryProvider):
    """Does not declare WAF and writes no reason for it: the core's default text is all a user
    would see."""

    capabilities = frozenset(Capability) - {Capability.WAF}


class NotImplementedWAF(MemoryProvider):
    """Does not declare WAF, and signals it with ``NotImplementedError`` instead of ``Unsupported``."""

    capabilities = frozenset(Capability) - {Capability.WAF}

    def configure_waf(self, rules: Any, target: str | None = None) -> bool:
        raise NotImplementedError("WAF is not implemented")

    def get_waf_rules(self, target: str | None = None) -> list[WAFRule]:
        raise NotImplementedError("WAF is not implemented")


class RepeatsUnsafeBackup(MemoryProvider):
    """``backup_database`` retries a failed backup blindly (no idempotency token)."""

    def _backup_database(self, name: str) -> Any:
        try:
            return super()._backup_database(name)
        except TransientError:
            return super()._backup_database(name)


class StaleStatus(MemoryProvider):
    """``get_service_status`` answers from a cache filled at the first read."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._cache: dict[str, Any] = {}
        self._cache_lock = threading.Lock()

    def _get_service_status(self, name: str) -> Any:
        with self._cache_lock:
            if name not in self._cache:
                self._cache[name] = super()._get_service_status(name)
            return self._cache[name]

    def _delete_service(self, name: str) -> None:
        with self._cache_lock:
            self._cache.pop(name, None)
        super()._delete_service(name)


class WriteOnlyRepeatsStore(MemoryProvider):
    """A write-only secrets store (values not readable, as at Cloudflare) that repeats a failed
    ``store_secret`` blindly: caught without reading any value back."""

    features = {
        **MemoryProvider.features,
        Capability.SECRETS: frozenset(),
    }
    unsupported_reasons = {
        "secrets:read": "this variant's store never returns values",
        "secrets:versions": "this variant keeps only the latest value",
    }

    def _store_secret(self, key: str, value: SecretStr) -> str:
        try:
            return super()._store_secret(key, value)
        except TransientError:
            return super()._store_secret(key, value)


class RotationIgnored(MemoryProvider):
    """A redeploy after a referenced secret was rotated changes nothing: the versions the
    references resolve to are left out of the service's digest (the service keeps the old
    value, as an unpinned ECS ``valueFrom`` or Cloud Run ``latest`` did)."""

    def _resolve_secret_refs(self, data: Any, config: Any) -> dict[str, str]:
        resolved = super()._resolve_secret_refs(data, config)
        return dict.fromkeys(resolved, "latest")


class SecretInLog(MemoryProvider):
    """Logs each stored value at DEBUG level."""

    def _store_secret(self, key: str, value: SecretStr) -> str:
        log.debug("storing %s = %s", key, value.get_secret_value())
        return super()._store_secret(key, value)
