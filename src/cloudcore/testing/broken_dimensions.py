"""Broken variants of the memory driver that keep the happy path and break one dimension of a
promise: one field ignored or over-weighted, a sibling hurt, a boundary crossed. Each is caught
by :mod:`cloudcore.testing.suite.dimensions`. Registered in
:data:`cloudcore.testing.broken.VARIANTS`.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import SecretStr

from ..errors import CloudcoreError, RateLimited, TransientError
from ..models import (
    CacheConfig,
    CacheEndpoint,
    DatabaseConfig,
    DatabaseEndpoint,
    DNSRecord,
    WAFRule,
)
from .memory import MemoryProvider

__all__ = [
    "CachePasswordLeftBehind",
    "CacheTLSChangeIgnored",
    "DNSDeleteTakesTheWholeName",
    "DNSTTLChangeIgnored",
    "DNSValueOrderIsAChange",
    "DatabaseDeleteByPrefix",
    "DatabasePasswordInSDKLog",
    "DeleteGivesUpOnReadError",
    "EnvOrderRedeploys",
    "LatestVersionByText",
    "ListingStaleReplicas",
    "RepeatsPageAtExactBoundary",
    "RepeatsUnsafeRestore",
    "RestoresLatestBackup",
    "StripsSecretValues",
    "ThrottleDropsRetryAfter",
    "WAFOrderIgnored",
]


def _key(rec: DNSRecord) -> str:
    return f"{rec.name}|{rec.type.value}"


def _stored_records(provider: MemoryProvider) -> dict[str, dict[str, Any]]:
    with provider._state.open() as data:
        return {k: dict(v) for zone in data["zones"].values() for k, v in zone.items()}


class DNSTTLChangeIgnored(MemoryProvider):
    """A record set whose values match is "unchanged", whatever its TTL."""

    def _upsert_dns_records(self, records: list[DNSRecord]) -> int:
        stored = _stored_records(self)
        kept = []
        for rec in records:
            cur = stored.get(_key(rec))
            if cur is not None and set(cur["values"]) == set(rec.values):
                rec = rec.model_copy(update={"ttl": cur["ttl"]})
            kept.append(rec)
        return super()._upsert_dns_records(kept)


class DNSValueOrderIsAChange(MemoryProvider):
    """Compares values as a list: the same values in another order are rewritten."""

    def _upsert_dns_records(self, records: list[DNSRecord]) -> int:
        stored = _stored_records(self)
        reordered = [
            r
            for r in records
            if _key(r) in stored
            and set(stored[_key(r)]["values"]) == set(r.values)
            and list(stored[_key(r)]["values"]) != list(r.values)
        ]
        with self._state.open() as data:
            for rec in reordered:  # forget it, so the upsert below writes it again
                data["zones"].get(self._zone(rec.name), {}).pop(_key(rec), None)
        return super()._upsert_dns_records(records)


class DNSDeleteTakesTheWholeName(MemoryProvider):
    """``delete_dns_record`` deletes every record set at the name, not only its type."""

    def _delete_dns_record(self, record: DNSRecord) -> None:
        super()._delete_dns_record(record)
        with self._state.open() as data:
            recs = data["zones"].get(self._zone(record.name), {})
            for key in [k for k in recs if k.split("|")[0] == record.name]:
                self._api("ChangeRecordSets", mutating=True)
                del recs[key]


class EnvOrderRedeploys(MemoryProvider):
    """The config digest depends on the order of the env vars."""

    def _deploy_service(self, name: str, config: Any) -> Any:
        with self._state.open() as data:
            cur = data["services"].get(name)
            if cur is not None and list(cur["config"].get("env") or {}) != list(config.env):
                self._api("PutService", mutating=True)
                cur["hash"] = "env-order-" + cur["hash"]
        return super()._deploy_service(name, config)


class LatestVersionByText(MemoryProvider):
    """The latest version is the greatest version id as text ("9" after "11")."""

    def _get_secret(self, key: str, version: str | None) -> SecretStr:
        if version is None:
            with self._state.open() as data:
                entry = data["secrets"].get(key)
                if entry and entry["versions"]:
                    version = max((str(v["id"]) for v in entry["versions"]), key=str)
        return super()._get_secret(key, version)


class StripsSecretValues(MemoryProvider):
    """Stores values with surrounding whitespace stripped ("cleaning up" pasted values)."""

    def _store_secret(self, key: str, value: SecretStr) -> str:
        return super()._store_secret(key, SecretStr(value.get_secret_value().strip()))


class WAFOrderIgnored(MemoryProvider):
    """Compares rule sets as sets: a new order of the same rules is "unchanged"."""

    def _configure_waf(self, rules: tuple[WAFRule, ...], target: str | None) -> bool:
        current = self._get_waf_rules(target)
        if len(current) == len(rules) and all(r in current for r in rules):
            return False
        return super()._configure_waf(rules, target)


class CacheTLSChangeIgnored(MemoryProvider):
    """Provisioning an existing cache with only ``tls`` changed answers the old cache."""

    def _provision_cache(self, config: CacheConfig) -> CacheEndpoint:
        with self._state.open() as data:
            cur = data["caches"].get(config.name)
        if cur is not None and cur["config"] == {**config.model_dump(mode="json"), "tls": cur[
            "config"
        ]["tls"]}:  # fmt: skip
            config = config.model_copy(update={"tls": cur["config"]["tls"]})
        return super()._provision_cache(config)


class DatabaseDeleteByPrefix(MemoryProvider):
    """``delete_database(name)`` deletes every database whose name starts with ``name``."""

    def _delete_database(self, name: str) -> None:
        super()._delete_database(name)
        with self._state.open() as data:
            for other in [n for n in data["databases"] if n.startswith(name)]:
                self._api("DeleteDatabase", mutating=True)
                del data["databases"][other]


_sdk_log = logging.getLogger("cloudcore_memsdk.wire")
_sdk_log.setLevel(logging.WARNING)  # quiet unless someone turns SDK logging up, as SDKs are


class DatabasePasswordInSDKLog(MemoryProvider):
    """The "SDK" under the driver logs each request body, password included, at DEBUG."""

    def _provision_database(self, config: DatabaseConfig) -> DatabaseEndpoint:
        endpoint = super()._provision_database(config)
        if endpoint.password_secret:
            password = self._get_secret(endpoint.password_secret, None).get_secret_value()
            _sdk_log.debug("CreateDBInstance body: MasterUserPassword=%s", password)
        return endpoint


class CachePasswordLeftBehind(MemoryProvider):
    """``delete_cache`` leaves the cache's password secret behind."""

    def _delete_cache(self, name: str) -> None:
        with self._state.open() as data:
            kept = {k: v for k, v in data["secrets"].items() if k.startswith("cloudcore/cache/")}
        super()._delete_cache(name)
        with self._state.open() as data:
            data["secrets"].update(kept)


class RestoresLatestBackup(MemoryProvider):
    """``restore_database`` restores the newest backup of the same database, whichever was asked."""

    def _restore_database(self, backup_id: str, new_name: str) -> DatabaseEndpoint:
        with self._state.open() as data:
            wanted = data["backups"].get(backup_id)
            if wanted is not None:
                same = [
                    b for b, v in data["backups"].items() if v["database"] == wanted["database"]
                ]
                backup_id = max(same, key=lambda b: (data["backups"][b]["created"], b))
        return super()._restore_database(backup_id, new_name)


class ListingStaleReplicas(MemoryProvider):
    """``list_services`` reports the replicas of the deployed config, not the scaled count."""

    def _list_services(self) -> Any:
        with self._state.open() as data:
            deployed = {n: s["config"]["replicas"] for n, s in data["services"].items()}
        return [
            s.model_copy(update={"replicas": deployed.get(s.name, s.replicas)})
            for s in super()._list_services()
        ]


class DeleteGivesUpOnReadError(MemoryProvider):
    """``delete_secret`` treats a failed read as "already gone" and returns without deleting."""

    def _delete_secret(self, key: str) -> None:
        try:
            super()._delete_secret(key)
        except TransientError:
            return


class ThrottleDropsRetryAfter(MemoryProvider):
    """Maps throttling to ``RateLimited`` but drops how long the provider asked to wait."""

    def _api(self, api: str, *, mutating: bool) -> None:
        try:
            super()._api(api, mutating=mutating)
        except RateLimited as exc:
            raise RateLimited(exc.message) from exc


class RepeatsUnsafeRestore(MemoryProvider):
    """``restore_database`` retries a failed restore blindly (no idempotency token)."""

    def _restore_database(self, backup_id: str, new_name: str) -> DatabaseEndpoint:
        try:
            return super()._restore_database(backup_id, new_name)
        except CloudcoreError as exc:
            if not isinstance(exc, TransientError):
                raise
            return super()._restore_database(backup_id, new_name)


class RepeatsPageAtExactBoundary(MemoryProvider):
    """A secrets listing of exactly k full pages: the empty page after them makes the driver
    read the last page again (its names twice)."""

    def _pages(self, api: str, items: Any, key: Any = None) -> Any:
        out = list(super()._pages(api, items, key))
        if api == "ListSecrets" and out and len(out) % self.page_size == 0:
            out += out[-self.page_size :]
        return iter(out)
