"""The ``dns`` capability: record sets in zones the provider hosts.

Protocol (:class:`DNSProtocol`), implementation on the base provider with the driver hooks
(:class:`DNSMethods`), and composition routing (:class:`DNSRouting`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ..capabilities import Capability
from ..errors import ConfigurationError
from ..models import DNSRecord, DNSZone, infer_record, normalize_fqdn
from ._core import ProviderCore, RouterCore, coerce

__all__ = ["DNSMethods", "DNSProtocol", "DNSRouting"]

C = Capability.DNS


class DNSProtocol(Protocol):
    """Managed DNS."""

    def create_dns_record(self, domain: str, target: str, ttl: int = 300) -> DNSRecord: ...
    def upsert_dns_records(self, records: Iterable[DNSRecord]) -> int: ...
    def list_dns_records(self, zone: str) -> list[DNSRecord]: ...
    def delete_dns_record(self, record: DNSRecord) -> None: ...
    def list_dns_zones(self) -> list[DNSZone]: ...


class DNSMethods(ProviderCore):
    """``dns`` on a driver: public methods, then the ``_`` hooks a driver implements."""

    def create_dns_record(self, domain: str, target: str, ttl: int = 300) -> DNSRecord:
        """Point ``domain`` at ``target``: an A or AAAA record for an address, else a CNAME.
        Replaces the record set of that name and type if it exists."""
        self.require(C)
        record = infer_record(domain, target, ttl)
        self.require(C, record.type.value)
        self._invoke("create_dns_record", record.name, lambda: self._upsert_dns_records([record]))
        return record

    def upsert_dns_records(self, records: Iterable[DNSRecord]) -> int:
        """Create or replace record sets, in as few batched calls as the provider allows.

        Returns:
            How many record sets were written (0 when every one already matched).
        """
        self.require(C)
        items = [coerce(DNSRecord, r, "records[]") for r in records]
        keys = [r.key for r in items]
        if len(set(keys)) != len(keys):
            dupes = sorted({f"{n} {t}" for n, t in keys if keys.count((n, t)) > 1})
            raise ConfigurationError(f"records: duplicate record sets {dupes[:5]}", field="records")
        needed = {r.type.value for r in items} | (
            {"proxied"} if any(r.proxied for r in items) else set()
        )
        self.require(C, *sorted(needed))
        if not items:
            return 0
        return self._invoke("upsert_dns_records", None, lambda: self._upsert_dns_records(items))

    def list_dns_records(self, zone: str) -> list[DNSRecord]:
        """Every record set in ``zone`` (the zone apex name, e.g. ``example.com``)."""
        self.require(C)
        try:
            zone = normalize_fqdn(zone)
        except ValueError as exc:
            raise ConfigurationError(f"zone: {exc}", field="zone") from None
        return self._invoke("list_dns_records", zone, lambda: self._list_dns_records(zone))

    def delete_dns_record(self, record: DNSRecord) -> None:
        """Delete a record set (by name and type); succeeds when already gone."""
        self.require(C)
        record = coerce(DNSRecord, record, "record")
        self._invoke("delete_dns_record", record.name, lambda: self._delete_dns_record(record))

    def list_dns_zones(self) -> list[DNSZone]:
        """Every zone the provider hosts that cloudcore may write to, sorted by name."""
        self.require(C)
        zones = self._invoke("list_dns_zones", None, self._list_dns_zones)
        return sorted(zones, key=lambda z: z.name)

    # ------------------------------------------------------- driver hooks
    def _upsert_dns_records(self, records: list[DNSRecord]) -> int:
        """Write the record sets that differ, batched; return how many were written."""
        self._missing("dns", "_upsert_dns_records")

    def _list_dns_records(self, zone: str) -> list[DNSRecord]:
        """Every record set of ``zone`` except its apex NS and SOA (``NotFound`` for no zone)."""
        self._missing("dns", "_list_dns_records")

    def _delete_dns_record(self, record: DNSRecord) -> None:
        """Delete by name and type; return quietly when already gone."""
        self._missing("dns", "_delete_dns_record")

    def _list_dns_zones(self) -> list[DNSZone]:
        """Every zone, all pages. No writes."""
        self._missing("dns", "_list_dns_zones")


class DNSRouting(RouterCore):
    """``dns`` in a composition."""

    def create_dns_record(self, domain: str, target: str, ttl: int = 300) -> DNSRecord:
        return self._route(C).create_dns_record(domain, target, ttl)

    def upsert_dns_records(self, records: Iterable[DNSRecord]) -> int:
        return self._route(C).upsert_dns_records(records)

    def list_dns_records(self, zone: str) -> list[DNSRecord]:
        return self._route(C).list_dns_records(zone)

    def delete_dns_record(self, record: DNSRecord) -> None:
        self._route(C).delete_dns_record(record)

    def list_dns_zones(self) -> list[DNSZone]:
        return self._route(C).list_dns_zones()
