"""``AcmeProvider``: secrets and DNS on Acme Cloud."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from pydantic import SecretStr

from cloudcore import BaseProvider, Capability, DNSRecord, DNSZone
from cloudcore.errors import CloudcoreError, NotFound
from cloudcore.models import zone_for
from cloudcore.models.secrets import SecretVersion

from ._errors import map_error
from .api import AcmeAPI, AcmeAPIError


class AcmeProvider(BaseProvider):
    """Secrets (versioned) and DNS (A, AAAA, CNAME, TXT) on Acme Cloud.

    Args:
        api: The Acme API client (a fresh in-process one by default).
        retry: The core retry policy.
    """

    name = "acme"
    capabilities = frozenset({Capability.SECRETS, Capability.DNS})
    features = {
        Capability.SECRETS: frozenset({"read", "versions"}),
        Capability.DNS: frozenset({"A", "AAAA", "CNAME", "TXT"}),
    }
    unsupported_reasons = {
        "compute": "Acme Cloud runs no containers; compose with another driver",
        "database": "Acme Cloud has no managed databases",
        "cache": "Acme Cloud has no managed caches",
        "waf": "Acme Cloud has no firewall API",
        "discovery": "the example driver does not implement discovery yet",
        "dns:proxied": "Acme Cloud has no proxy",
        "storage": "Acme Cloud has no object storage",
        "queues": "Acme Cloud has no message queues",
        "jobs": "Acme Cloud has no scheduled jobs",
    }

    def __init__(self, *, api: AcmeAPI | None = None, retry: Any = None) -> None:
        super().__init__(retry=retry)
        self.api = api or AcmeAPI()
        self.page_size = self.api.page_size

    def _map_error(self, exc: Exception) -> CloudcoreError | None:
        return map_error(exc)

    # secrets
    def _store_secret(self, key: str, value: SecretStr) -> str:
        return self.api.put_secret(key, value.get_secret_value())

    def _get_secret(self, key: str, version: str | None) -> SecretStr:
        return SecretStr(self.api.get_secret(key, version))

    def _list_secrets(self) -> Iterator[str]:
        page: int | None = 0
        while page is not None:
            names, page = self.call(partial(self.api.list_secrets, page))
            yield from names

    def _list_secret_versions(self, key: str) -> list[SecretVersion]:
        count = self.api.secret_versions(key)
        return [SecretVersion(key=key, version=str(i)) for i in range(1, count + 1)]

    def _delete_secret(self, key: str) -> None:
        try:
            self.api.delete_secret(key)
        except AcmeAPIError as exc:
            if exc.status != 404:  # already gone is success
                raise

    # dns
    def _zone(self, name: str) -> str:
        zone = zone_for(name, tuple(self.api.zones))
        if zone is None:
            raise NotFound(f"no zone holds {name!r}")
        return zone

    def _list_dns_records(self, zone: str) -> list[DNSRecord]:
        out: list[DNSRecord] = []
        page: int | None = 0
        while page is not None:
            recs, page = self.call(partial(self.api.list_records, zone, page))
            out += [DNSRecord.model_validate(r) for r in recs]
        return out

    def _list_dns_zones(self) -> list[DNSZone]:
        return [DNSZone(name=z) for z in self.api.list_zones()]

    def _upsert_dns_records(self, records: list[DNSRecord]) -> int:
        by_zone: dict[str, list[DNSRecord]] = {}
        for rec in records:
            by_zone.setdefault(self._zone(rec.name), []).append(rec)
        written = 0
        for zone, recs in by_zone.items():
            current = {r.key: r for r in self._list_dns_records(zone)}
            changed = [r for r in recs if r.key not in current or not current[r.key].same_as(r)]
            if changed:
                self.api.put_records(zone, [r.model_dump(mode="json") for r in changed])
                written += len(changed)
        return written

    def _delete_dns_record(self, record: DNSRecord) -> None:
        try:
            self.api.delete_record(self._zone(record.name), record.name, record.type.value)
        except AcmeAPIError as exc:
            if exc.status != 404:
                raise
