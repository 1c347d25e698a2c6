"""DNS on Cloud DNS (google-cloud-dns).

Zones are the user's: cloudcore finds the managed zone of a name by longest suffix and never
creates or deletes zones. Upserts are batched into one change per zone (up to 500 record sets
per change); replacing a record set is a deletion plus an addition in the same change, which
Cloud DNS applies atomically. Values are converted to and from Cloud DNS's zone-file forms
(trailing dots on host names, quoted TXT strings).
"""

from __future__ import annotations

from typing import Any

from cloudcore.errors import NotFound
from cloudcore.models import DNSRecord, RecordType, zone_for

from ._base import GCPBase

__all__ = ["GCPDNS", "from_rrdata", "to_rrdata"]

_HOST_TYPES = {RecordType.CNAME, RecordType.NS}
_BATCH = 500


def to_rrdata(rtype: RecordType, value: str) -> str:
    """A portable record value in Cloud DNS's zone-file form."""
    if rtype in _HOST_TYPES:
        return value + "."
    if rtype in (RecordType.MX, RecordType.SRV):
        head, _, host = value.rpartition(" ")
        return f"{head} {host}."
    if rtype is RecordType.TXT:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        chunks = [escaped[i : i + 255] for i in range(0, len(escaped), 255)] or [""]
        return " ".join(f'"{c}"' for c in chunks)
    return value


def from_rrdata(rtype: RecordType, data: str) -> str:
    """A Cloud DNS rrdata back in portable form."""
    if rtype in _HOST_TYPES or rtype in (RecordType.MX, RecordType.SRV):
        return data.rstrip(".")
    if rtype is RecordType.TXT and data.startswith('"'):
        out, i, inside = [], 0, False
        while i < len(data):
            ch = data[i]
            if ch == "\\" and inside and i + 1 < len(data):
                out.append(data[i + 1])
                i += 2
                continue
            if ch == '"':
                inside = not inside
            elif inside:
                out.append(ch)
            i += 1
        return "".join(out)
    return data


def _record(rrset: Any) -> DNSRecord | None:
    try:
        rtype = RecordType(rrset.record_type)
    except ValueError:
        return None  # SOA and types cloudcore does not model
    return DNSRecord(
        name=rrset.name,
        type=rtype,
        values=tuple(from_rrdata(rtype, d) for d in rrset.rrdatas),
        ttl=int(rrset.ttl),
    )


class GCPDNS(GCPBase):
    """The DNS capability (Cloud DNS managed zones)."""

    def _zones(self) -> dict[str, Any]:
        client = self.clients.dns()
        zones = self.call(lambda: list(client.list_zones()))
        return {z.dns_name.rstrip(".").lower(): z for z in zones}

    def _zone_of(self, name: str, zones: dict[str, Any]) -> Any:
        apex = zone_for(name, list(zones))
        if apex is None:
            raise NotFound(f"no Cloud DNS managed zone holds {name!r}")
        return zones[apex]

    def _rrsets(self, zone: Any) -> dict[tuple[str, str], Any]:
        sets = self.call(lambda: list(zone.list_resource_record_sets()))
        return {(r.name.rstrip(".").lower(), r.record_type): r for r in sets}

    def _apply(self, zone: Any, additions: list[Any], deletions: list[Any]) -> None:
        changes = zone.changes()
        for rrset in deletions:
            changes.delete_record_set(rrset)
        for rrset in additions:
            changes.add_record_set(rrset)
        changes.create()
        self.wait(lambda: _reload_done(changes), f"Cloud DNS change in {zone.dns_name}")

    def _upsert_dns_records(self, records: list[DNSRecord]) -> int:
        zones = self._zones()
        by_zone: dict[str, list[DNSRecord]] = {}
        for record in records:
            apex = self._zone_of(record.name, zones).dns_name.rstrip(".").lower()
            by_zone.setdefault(apex, []).append(record)
        written = 0
        for apex, items in sorted(by_zone.items()):
            zone = zones[apex]
            existing = self._rrsets(zone)
            for start in range(0, len(items), _BATCH):
                additions, deletions = [], []
                for record in items[start : start + _BATCH]:
                    have = existing.get((record.name, record.type.value))
                    if have is not None:
                        current = _record(have)
                        if current is not None and current.same_as(record):
                            continue
                        deletions.append(have)
                    additions.append(
                        zone.resource_record_set(
                            record.name + ".",
                            record.type.value,
                            record.ttl,
                            [to_rrdata(record.type, v) for v in record.values],
                        )
                    )
                if additions:
                    self._apply(zone, additions, deletions)
                    written += len(additions)
        return written

    def _list_dns_records(self, zone: str) -> list[DNSRecord]:
        zones = self._zones()
        if zone not in zones:
            raise NotFound(f"no Cloud DNS managed zone {zone!r}")
        out = [r for r in (_record(s) for s in self._rrsets(zones[zone]).values()) if r]
        return sorted(out, key=lambda r: (r.name, r.type.value))

    def _delete_dns_record(self, record: DNSRecord) -> None:
        zones = self._zones()
        try:
            zone = self._zone_of(record.name, zones)
        except NotFound:
            return
        have = self._rrsets(zone).get((record.name, record.type.value))
        if have is not None:
            self._apply(zone, [], [have])

    def managed_zones(self) -> list[Any]:
        """Every managed zone of the project (with its labels in ``_properties``)."""
        return list(self._zones().values())


def _reload_done(changes: Any) -> bool:
    if changes.status == "done":
        return True
    changes.reload()
    return bool(changes.status == "done")
