"""DNS on Cloud DNS (google-cloud-dns).

Zones are the user's: cloudcore finds the managed zone of a name by longest suffix and never
creates or deletes zones. Upserts are batched into one change per zone (up to 500 record sets
per change); replacing a record set is a deletion plus an addition in the same change, which
Cloud DNS applies atomically; a change made stale by a concurrent one (409/412) is recomputed
and sent again. Record sets carry no labels, so cloudcore keeps an ownership registry, as
external-dns does: a TXT record set ``_cloudcore.<name>`` listing ``managed-by=cloudcore
type=<TYPE>`` for each type it wrote, changed in the same atomic change as the records. Discovery
lists what the registry names; ``list_dns_records`` hides the registry. Values are converted to
and from Cloud DNS's zone-file forms (trailing dots on host names, quoted TXT strings split into
character-strings of at most 255 *bytes* of the unescaped UTF-8 value, RFC 1035 §3.3).

The zone's own apex NS and SOA record sets belong to Cloud DNS: they are neither listed nor
writable (writing or deleting one raises ``ConfigurationError`` before any call), so a listing
copied from another provider can never replace the zone's name servers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from cloudcore.errors import ConfigurationError, NotFound
from cloudcore.models import DNSRecord, RecordType, zone_for

from ._base import GCPBase

__all__ = ["GCPDNS", "from_rrdata", "to_rrdata"]

T = TypeVar("T")
_HOST_TYPES = {RecordType.CNAME, RecordType.NS}
_BATCH = 400
_CONFLICT_ATTEMPTS = 8
OWNER_PREFIX = "_cloudcore."
OWNER_WILDCARD = "_cloudcore-wildcard."
OWNER_VALUE = "managed-by=cloudcore type="


def owner_name(name: str) -> str | None:
    """The ownership-registry TXT name of a record name (``None`` when it would be too long)."""
    out = OWNER_WILDCARD + name[2:] if name.startswith("*.") else OWNER_PREFIX + name
    return out if len(out) <= 253 else None


def is_owner(name: str) -> bool:
    """Whether a name is an ownership-registry record."""
    return name.startswith((OWNER_PREFIX, OWNER_WILDCARD))


def owned_name(owner: str) -> str:
    """The record name an ownership-registry name stands for."""
    if owner.startswith(OWNER_WILDCARD):
        return "*." + owner[len(OWNER_WILDCARD) :]
    return owner[len(OWNER_PREFIX) :]


def owned_types(rrset: Any) -> set[str]:
    """The record types an ownership-registry TXT record set lists."""
    values = (from_rrdata(RecordType.TXT, d) for d in rrset.rrdatas)
    return {v[len(OWNER_VALUE) :] for v in values if v.startswith(OWNER_VALUE)}


def to_rrdata(rtype: RecordType, value: str) -> str:
    """A portable record value in Cloud DNS's zone-file form."""
    if rtype in _HOST_TYPES:
        return value + "."
    if rtype in (RecordType.MX, RecordType.SRV):
        head, _, host = value.rpartition(" ")
        return f"{head} {host}."
    if rtype is RecordType.TXT:
        return " ".join(f'"{_escape(c)}"' for c in txt_chunks(value))
    return value


def txt_chunks(value: str, size: int = 255) -> list[str]:
    """``value`` cut into pieces of at most ``size`` UTF-8 bytes, never inside a character
    (a TXT character-string is one length octet and that many bytes: RFC 1035 §3.3)."""
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for ch in value:
        n = len(ch.encode())
        if used + n > size:
            chunks.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += n
    if current or not chunks:
        chunks.append("".join(current))
    return chunks


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def from_rrdata(rtype: RecordType, data: str) -> str:
    """A Cloud DNS rrdata back in portable form."""
    if rtype in _HOST_TYPES or rtype in (RecordType.MX, RecordType.SRV):
        return data.rstrip(".")
    if rtype is RecordType.TXT:
        return _unquote(data)
    return data


def _unquote(data: str) -> str:
    """A TXT rrdata in zone-file syntax (quoted or bare character-strings, ``\\"``, ``\\\\``
    and ``\\DDD`` escapes) back to the one value they concatenate to."""
    out = bytearray()
    i, inside = 0, False
    while i < len(data):
        ch = data[i]
        if ch == "\\" and i + 1 < len(data):
            digits = data[i + 1 : i + 4]
            if len(digits) == 3 and digits.isdigit() and int(digits) < 256:
                out.append(int(digits))
                i += 4
                continue
            out += data[i + 1].encode()
            i += 2
            continue
        if ch == '"':
            inside = not inside
        elif inside or not ch.isspace():
            out += ch.encode()
        i += 1
    return out.decode("utf-8", errors="replace")


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

    def _converge(self, fn: Callable[[], T]) -> T:
        """Run a read-compute-change step again when a concurrent change made it stale
        (Cloud DNS answers 409/412 when a deletion or addition no longer matches)."""
        from google.api_core import exceptions as gexc

        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                return fn()
            except (gexc.Conflict, gexc.PreconditionFailed):
                if attempt == _CONFLICT_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0.01, 0.05 * (attempt + 1)))
        raise AssertionError("unreachable")

    def _owner_change(
        self,
        zone: Any,
        existing: dict[tuple[str, str], Any],
        name: str,
        add: set[str],
        remove: set[str],
    ) -> tuple[list[Any], list[Any]]:
        """The registry update recording that cloudcore owns ``name``'s ``add`` types."""
        owner = owner_name(name)
        if owner is None:
            return [], []
        have = existing.get((owner, "TXT"))
        types = owned_types(have) if have is not None else set()
        new = (types | add) - remove
        if new == types:
            return [], []
        deletions = [have] if have is not None else []
        additions = []
        if new:
            values = [to_rrdata(RecordType.TXT, f"{OWNER_VALUE}{t}") for t in sorted(new)]
            additions.append(zone.resource_record_set(owner + ".", "TXT", 300, values))
        return additions, deletions

    def _upsert_dns_records(self, records: list[DNSRecord]) -> int:
        return self._converge(lambda: self._upsert_once(records))

    def _upsert_once(self, records: list[DNSRecord]) -> int:
        zones = self._zones()
        by_zone: dict[str, list[DNSRecord]] = {}
        for record in records:
            apex = self._zone_of(record.name, zones).dns_name.rstrip(".").lower()
            _refuse_apex(record, apex)
            by_zone.setdefault(apex, []).append(record)
        written = 0
        for apex, items in sorted(by_zone.items()):
            zone = zones[apex]
            existing = self._rrsets(zone)
            for start in range(0, len(items), _BATCH):
                additions, deletions = [], []
                owned: dict[str, set[str]] = {}
                for record in items[start : start + _BATCH]:
                    owned.setdefault(record.name, set()).add(record.type.value)
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
                written += len(additions)
                for name, types in sorted(owned.items()):
                    add, delete = self._owner_change(zone, existing, name, types, set())
                    additions += add
                    deletions += delete
                if additions or deletions:
                    self._apply(zone, additions, deletions)
                    for rr in deletions:
                        existing.pop((rr.name.rstrip(".").lower(), rr.record_type), None)
                    for rr in additions:
                        existing[(rr.name.rstrip(".").lower(), rr.record_type)] = rr
        return written

    def _list_dns_records(self, zone: str) -> list[DNSRecord]:
        zones = self._zones()
        if zone not in zones:
            raise NotFound(f"no Cloud DNS managed zone {zone!r}")
        sets = self._rrsets(zones[zone]).values()
        out = [
            r
            for r in (_record(s) for s in sets)
            if r and not is_owner(r.name) and not _is_apex_ns(r, zone)
        ]
        return sorted(out, key=lambda r: (r.name, r.type.value))

    def _delete_dns_record(self, record: DNSRecord) -> None:
        self._converge(lambda: self._delete_once(record))

    def _delete_once(self, record: DNSRecord) -> None:
        zones = self._zones()
        try:
            zone = self._zone_of(record.name, zones)
        except NotFound:
            return
        _refuse_apex(record, zone.dns_name.rstrip(".").lower())
        existing = self._rrsets(zone)
        have = existing.get((record.name, record.type.value))
        additions, deletions = self._owner_change(
            zone, existing, record.name, set(), {record.type.value}
        )
        if have is not None:
            deletions.append(have)
        if additions or deletions:
            self._apply(zone, additions, deletions)

    def managed_zones(self) -> list[Any]:
        """Every managed zone of the project (with its labels in ``_properties``)."""
        return list(self._zones().values())

    def managed_records(self) -> list[tuple[str, DNSRecord]]:
        """``(zone apex, record)`` for every record set the ownership registry says cloudcore
        wrote."""
        out = []
        for apex, zone in sorted(self._zones().items()):
            sets = self._rrsets(zone)
            for (name, rtype), rrset in sorted(sets.items()):
                if rtype != "TXT" or not is_owner(name):
                    continue
                owned = owned_name(name)
                for t in sorted(owned_types(rrset)):
                    record = sets.get((owned, t))
                    parsed = _record(record) if record is not None else None
                    if parsed is not None:
                        out.append((apex, parsed))
        return out


def _is_apex_ns(record: DNSRecord, apex: str) -> bool:
    return record.name == apex and record.type is RecordType.NS


def _refuse_apex(record: DNSRecord, apex: str) -> None:
    if _is_apex_ns(record, apex):
        raise ConfigurationError(
            f"records: {record.name} NS is the zone's own name-server set, managed by Cloud DNS; "
            "cloudcore neither lists nor writes the apex NS and SOA records",
            field="records",
        )


def _reload_done(changes: Any) -> bool:
    if changes.status == "done":
        return True
    changes.reload()
    return bool(changes.status == "done")
