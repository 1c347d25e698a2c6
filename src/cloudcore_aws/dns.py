"""Route53: zones found by name, record sets compared in plain form and written in the cheapest
change batches Route53 accepts.

**Zones.** The zone of a record is the hosted zone with the longest name that is a suffix of the
record's name (a public zone before a private zone of the same name). It is found with
``ListHostedZonesByName``, which lists zones from a given name on, ordered by name with the labels
reversed (``com.example.www.``): the zones under one two-label suffix (``example.com`` and
``dev.example.com``...) are contiguous there, so one call finds them, whatever else the account
holds (one more per 100 zones under that suffix; one more for a single-label zone above it).

**Writes** (``upsert_dns_records``): the current record sets are read once per zone (the whole
listing, or one targeted read per record when that takes fewer calls, judged from the zone's
``ResourceRecordSetCount``), compared with the wanted ones as plain strings, and only the
differences are sent, each in its cheapest form: ``CREATE`` for a record set that does not exist,
``UPSERT`` for one that is replaced (or ``DELETE`` of the old and ``CREATE`` of the new in the same
request, when that counts fewer elements), packed into as few ``ChangeResourceRecordSets`` calls
as the documented per-request limits allow: at most 1,000 ``ResourceRecord`` elements and 32,000
characters of ``Value`` elements, where an ``UPSERT`` counts twice for both
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html, "Limits on
ChangeResourceRecordSets requests"). 2,000 new single-value A records therefore take 2 calls,
2,000 replaced ones 4. A retried sync reads the state again, so a ``CREATE`` is never resent for a
record set that a failed attempt already wrote.

Alias records: a CNAME at a zone apex (which DNS forbids) whose target is an AWS load balancer
(``*.<region>.elb.amazonaws.com``) or a CloudFront distribution becomes a Route53 alias A record,
and is listed back as that CNAME (TTL 60, the alias's effective TTL).

Zone apex NS and SOA records belong to Route53 (they delegate the zone to its name servers): they
are not listed, and writing or deleting the apex NS is refused with
:class:`~cloudcore.errors.ConfigurationError` before anything is sent (a listing copied from
another provider carries that provider's name servers). Routing-policy record sets (weighted,
latency...) are not listed and never changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from cloudcore.errors import ConfigurationError, NotFound
from cloudcore.models import DNSRecord, RecordType

from ._base import AWSBase
from ._dnsvalues import (
    ALIAS_TTL,
    CLOUDFRONT_ZONE_ID,
    ELB_ZONE_IDS,
    alias_target,
    canonical_value,
    decode_name,
    decode_txt,
    encode_txt,
    fqdn,
    value_for_read,
)
from ._errors import error_code
from ._limits import check_record_sets

__all__ = [
    "AWSDNS",
    "CLOUDFRONT_ZONE_ID",
    "ELB_ZONE_IDS",
    "MAX_RECORD_ELEMENTS",
    "MAX_VALUE_CHARACTERS",
    "RRSET_PAGE",
    "ZONE_PAGE",
    "decode_name",
    "decode_txt",
    "encode_txt",
    "pack_changes",
]

MAX_RECORD_ELEMENTS = 1_000
MAX_VALUE_CHARACTERS = 32_000
RRSET_PAGE = 300
"""Record sets per ``ListResourceRecordSets`` response (the documented maximum and default)."""
ZONE_PAGE = 100
"""Zones per ``ListHostedZonesByName`` response (the documented maximum)."""


def _weight(change: dict[str, Any]) -> tuple[int, int]:
    """``(ResourceRecord elements, Value characters)`` one change counts toward the limits."""
    twice = 2 if change["Action"] == "UPSERT" else 1
    records = change["ResourceRecordSet"].get("ResourceRecords")
    if not records:
        return twice, 0  # an alias: no ResourceRecord element, counted as one for safety
    return twice * len(records), twice * sum(len(r["Value"]) for r in records)


def pack_changes(
    changes: Iterable[dict[str, Any] | list[dict[str, Any]]],
) -> list[list[dict[str, Any]]]:
    """Split changes into as few requests as Route53's per-request limits allow, order kept.

    An item may be a list of changes that must land together (the ``DELETE`` and ``CREATE`` that
    replace one record set): such a group is never split across two requests.
    """
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    elements = characters = 0
    for item in changes:
        group = item if isinstance(item, list) else [item]
        e = c = 0
        for change in group:
            we, wc = _weight(change)
            e, c = e + we, c + wc
        if current and (
            elements + e > MAX_RECORD_ELEMENTS or characters + c > MAX_VALUE_CHARACTERS
        ):
            batches.append(current)
            current, elements, characters = [], 0, 0
        current.extend(group)
        elements += e
        characters += c
    if current:
        batches.append(current)
    return batches


@dataclass(frozen=True, slots=True)
class _Zone:
    name: str
    id: str
    private: bool
    record_sets: int | None


def _zone(entry: dict[str, Any]) -> _Zone:
    count = entry.get("ResourceRecordSetCount")
    return _Zone(
        name=fqdn(str(entry["Name"])),
        id=str(entry["Id"]).rsplit("/", 1)[-1],
        private=bool(entry.get("Config", {}).get("PrivateZone")),
        record_sets=int(count) if count is not None else None,
    )


def _prefer_public(zones: Iterable[_Zone]) -> dict[str, _Zone]:
    """One zone per name: the first public one, else the first private one."""
    out: dict[str, _Zone] = {}
    for zone in zones:
        if zone.name not in out or (out[zone.name].private and not zone.private):
            out[zone.name] = zone
    return out


def _suffix(name: str) -> str:
    """The last two labels of a name (the whole name when it has fewer)."""
    parts = name.rsplit(".", 2)
    return ".".join(parts[-2:])


class AWSDNS(AWSBase):
    """The dns capability (Route53)."""

    def _route53(self) -> Any:
        return self._client("route53")

    # ---------------------------------------------------------------- zones
    def _zones_from(self, dns_name: str, within: str | None) -> list[_Zone]:
        """Zones listed from ``dns_name`` on while their names are ``within`` (or under it);
        ``within=None`` keeps only zones named exactly ``dns_name``."""
        out: list[_Zone] = []
        params: dict[str, str] = {"DNSName": dns_name, "MaxItems": str(ZONE_PAGE)}
        while True:
            page = self.call(partial(self._route53().list_hosted_zones_by_name, **params))
            for entry in page.get("HostedZones", []):
                zone = _zone(entry)
                inside = (
                    zone.name == dns_name
                    if within is None
                    else zone.name == within or zone.name.endswith("." + within)
                )
                if not inside:
                    return out  # sorted by reversed labels: nothing further can be inside
                out.append(zone)
            if not page.get("IsTruncated") or not page.get("NextDNSName"):
                return out
            params = {
                "DNSName": str(page["NextDNSName"]),
                "HostedZoneId": str(page["NextHostedZoneId"]),
                "MaxItems": str(ZONE_PAGE),
            }

    def _zone_named(self, name: str) -> _Zone | None:
        """The hosted zone named exactly ``name`` (public first), or ``None``."""
        return _prefer_public(self._zones_from(name, None)).get(name)

    def _zones_of(self, names: Iterable[str]) -> dict[str, _Zone]:
        """The hosted zone of each name (longest suffix; names without a zone are left out)."""
        groups: dict[str, list[str]] = {}
        for name in names:
            groups.setdefault(_suffix(name), []).append(name)
        found: dict[str, _Zone] = {}
        for suffix, group in groups.items():
            zones = _prefer_public(self._zones_from(suffix, suffix))
            if list(zones) == [suffix]:  # the usual case: one zone, no delegated sub-zones
                found.update(dict.fromkeys(group, zones[suffix]))
                continue
            parents: dict[str, _Zone | None] = {}
            missing: list[str] = []
            for name in group:
                best = zones.get(name) or self._longest(name, suffix, zones, parents)
                if best is None:
                    missing.append(name)
                else:
                    found[name] = best
            above = suffix.partition(".")[2]  # a zone above the suffix: a single-label name
            top = self._zone_named(above) if missing and above else None
            if top is not None:
                found.update(dict.fromkeys(missing, top))
        return found

    @staticmethod
    def _longest(
        name: str, suffix: str, zones: dict[str, _Zone], memo: dict[str, _Zone | None]
    ) -> _Zone | None:
        parent = name.partition(".")[2]
        if not parent or len(parent) < len(suffix):
            return None
        if parent not in memo:
            memo[parent] = zones.get(parent) or AWSDNS._longest(parent, suffix, zones, memo)
        return memo[parent]

    def _hosted_zones(self) -> list[tuple[str, str]]:
        """Every hosted zone as ``(name, id)``, one per name (public first): for discovery."""
        entries: list[_Zone] = []
        for page in self._route53().get_paginator("list_hosted_zones").paginate():
            entries.extend(_zone(z) for z in page.get("HostedZones", []))
        return [(z.name, z.id) for z in _prefer_public(entries).values()]

    # -------------------------------------------------------------- reading
    def _rrsets(self, zone_id: str) -> Iterable[dict[str, Any]]:
        """Every record set of a zone, one page per call (each page retried on its own)."""
        params: dict[str, str] = {"HostedZoneId": zone_id, "MaxItems": str(RRSET_PAGE)}
        while True:
            page = self.call(partial(self._route53().list_resource_record_sets, **params))
            yield from page.get("ResourceRecordSets", [])
            if not page.get("IsTruncated"):
                return
            params = {
                "HostedZoneId": zone_id,
                "MaxItems": str(RRSET_PAGE),
                "StartRecordName": str(page["NextRecordName"]),
            }
            if page.get("NextRecordType"):
                params["StartRecordType"] = str(page["NextRecordType"])
            if page.get("NextRecordIdentifier"):
                params["StartRecordIdentifier"] = str(page["NextRecordIdentifier"])

    def _rrset(self, zone_id: str, name: str, rtype: str) -> dict[str, Any] | None:
        """The simple (not routing-policy) record set ``name``/``rtype``, or ``None``."""
        page = self._route53().list_resource_record_sets(
            HostedZoneId=zone_id, StartRecordName=name, StartRecordType=rtype, MaxItems="1"
        )
        for rr in page.get("ResourceRecordSets", []):
            if fqdn(rr["Name"]) == name and rr["Type"] == rtype and "SetIdentifier" not in rr:
                return dict(rr)
        return None

    @staticmethod
    def _stored_type(record: DNSRecord, zone: str) -> str:
        apex_alias = record.type is RecordType.CNAME and record.name == zone
        return "A" if apex_alias else record.type.value

    def _to_rrset(self, record: DNSRecord, zone: str) -> dict[str, Any]:
        if record.type is RecordType.CNAME and record.name == zone:
            target = alias_target(record.values[0])
            if target is None:
                raise ConfigurationError(
                    f"records: {record.name} is the zone apex, where DNS allows no CNAME; "
                    "Route53 can alias the apex only to an AWS load balancer or CloudFront",
                    field="records",
                )
            return {"Name": record.name, "Type": "A", "AliasTarget": target}
        values = [encode_txt(v) if record.type is RecordType.TXT else v for v in record.values]
        return {
            "Name": record.name,
            "Type": record.type.value,
            "TTL": record.ttl,
            "ResourceRecords": [{"Value": v} for v in values],
        }

    @staticmethod
    def _from_rrset(rr: dict[str, Any], zone: str) -> DNSRecord | None:
        name = fqdn(str(rr["Name"]))
        rtype = str(rr["Type"])
        if rr.get("SetIdentifier") or rtype == "SOA" or (rtype == "NS" and name == zone):
            return None
        try:
            if "AliasTarget" in rr:
                if rtype != "A":
                    return None
                host = str(rr["AliasTarget"]["DNSName"]).rstrip(".").lower()
                return DNSRecord(name=name, type=RecordType.CNAME, values=(host,), ttl=ALIAS_TTL)
            if rtype not in RecordType.__members__:
                return None
            values = tuple(value_for_read(rtype, r["Value"]) for r in rr["ResourceRecords"])
            return DNSRecord(name=name, type=RecordType(rtype), values=values, ttl=int(rr["TTL"]))
        except (ConfigurationError, KeyError, ValueError):
            return None  # something cloudcore cannot express; left alone

    def _records_in(self, zone: str, zone_id: str) -> list[DNSRecord]:
        found: dict[tuple[str, RecordType], DNSRecord] = {}
        for rr in self._rrsets(zone_id):
            record = self._from_rrset(rr, zone)
            if record is not None and record.key not in found:
                found[record.key] = record
        return sorted(found.values(), key=lambda r: (r.name, r.type.value))

    # --------------------------------------------------------------- writes
    @staticmethod
    def _refuse_apex_ns(record: DNSRecord, zone: str) -> None:
        if record.type is RecordType.NS and record.name == zone:
            raise ConfigurationError(
                f"records: {record.name} NS is the zone apex's delegation, which Route53 owns "
                "(with the apex SOA); it is neither listed nor written. Leave it out (a listing "
                "copied from another provider carries that provider's name servers)",
                field="records",
            )

    def _upsert_dns_records(self, records: list[DNSRecord]) -> int:
        zones = self._zones_of({r.name for r in records})
        by_zone: dict[_Zone, list[DNSRecord]] = {}
        for record in records:  # every check before the first write
            zone = zones.get(record.name)
            if zone is None:
                raise NotFound(f"no Route53 hosted zone holds {record.name!r}")
            self._refuse_apex_ns(record, zone.name)
            if record.type is RecordType.CNAME and record.name == zone.name:
                self._to_rrset(record, zone.name)  # the apex alias target must be AWS's
            by_zone.setdefault(zone, []).append(record)
        # every zone's changes are computed (reads only) and checked against Route53's value
        # limits before the first write
        plans = [(zone, self._changes(zone, group)) for zone, group in by_zone.items()]
        for zone, changes in plans:
            check_record_sets(
                zone.name,
                (c["ResourceRecordSet"] for cs in changes for c in cs if c["Action"] != "DELETE"),
            )
        written = 0
        for zone, changes in plans:
            for batch in pack_changes(changes):
                self._send(zone.id, batch)
            written += len(changes)
        return written

    def _send(self, zone_id: str, batch: list[dict[str, Any]]) -> None:
        """Send one change batch. A CREATE (or DELETE+CREATE) raced by another writer between
        our read and our write is refused as a whole by Route53; the batch is then sent again
        as UPSERTs, which replace whatever the other writer left (an upsert's last-writer-wins)."""
        route53 = self._route53()
        try:
            route53.change_resource_record_sets(
                HostedZoneId=zone_id, ChangeBatch={"Comment": "cloudcore", "Changes": batch}
            )
        except Exception as exc:
            if error_code(exc) != "InvalidChangeBatch" or all(
                c["Action"] == "UPSERT" for c in batch
            ):
                raise
            for again in pack_changes(_as_upserts(batch)):
                route53.change_resource_record_sets(
                    HostedZoneId=zone_id, ChangeBatch={"Comment": "cloudcore", "Changes": again}
                )

    def _changes(self, zone: _Zone, group: list[DNSRecord]) -> list[list[dict[str, Any]]]:
        """The changes that make ``zone`` hold ``group``: one list per record set written."""
        apex = zone.name
        current = self._current(zone, group)
        changes: list[list[dict[str, Any]]] = []
        for record in group:
            stored = self._stored_type(record, apex)
            have = current.get((record.name, stored))
            if have is None:
                changes.append(
                    [{"Action": "CREATE", "ResourceRecordSet": self._to_rrset(record, apex)}]
                )
            elif not _same(have, record, stored):
                changes.append(_replace(have, self._to_rrset(record, apex)))
        return changes

    def _current(
        self, zone: _Zone, group: list[DNSRecord]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """The simple record sets of the zone that ``group`` may replace, by ``(name, type)``:
        one targeted read per record when that is no more calls than listing the zone."""
        pages = -(-(zone.record_sets or 10**9) // RRSET_PAGE)
        if len(group) <= pages:
            found = {}
            for record in group:
                rtype = self._stored_type(record, zone.name)
                rr = self.call(partial(self._rrset, zone.id, record.name, rtype))
                if rr is not None:
                    found[(record.name, rtype)] = rr
            return found
        return {
            (fqdn(rr["Name"]), rr["Type"]): rr
            for rr in self._rrsets(zone.id)
            if "SetIdentifier" not in rr
        }

    def _list_dns_records(self, zone: str) -> list[DNSRecord]:
        found = self._zone_named(zone)
        if found is None:
            raise NotFound(f"no Route53 hosted zone named {zone!r}")
        return self._records_in(found.name, found.id)

    def _delete_dns_record(self, record: DNSRecord) -> None:
        zone = self._zones_of([record.name]).get(record.name)
        if zone is None:
            raise NotFound(f"no Route53 hosted zone holds {record.name!r}")
        self._refuse_apex_ns(record, zone.name)
        rr = self._rrset(zone.id, record.name, self._stored_type(record, zone.name))
        if rr is None:
            return
        if record.type is RecordType.CNAME and record.name == zone.name and "AliasTarget" not in rr:
            return  # an A record at the apex that is not our alias
        self._route53().change_resource_record_sets(
            HostedZoneId=zone.id,
            ChangeBatch={
                "Comment": "cloudcore",
                "Changes": [{"Action": "DELETE", "ResourceRecordSet": rr}],
            },
        )


_PLAIN_KEYS = frozenset({"Name", "Type", "TTL", "ResourceRecords"})


def _same(have: dict[str, Any], record: DNSRecord, stored: str) -> bool:
    """Whether the record set Route53 holds already is ``record`` (compared as plain strings)."""
    if stored != record.type.value:  # an apex CNAME, held as an alias A record
        target = have.get("AliasTarget")
        if not target:
            return False
        return str(target.get("DNSName", "")).rstrip(".").lower() == record.values[0]
    if "AliasTarget" in have or have.get("TTL") != record.ttl:
        return False
    held: list[dict[str, Any]] = have.get("ResourceRecords") or []
    values = record.values
    if len(held) != len(values):
        return False
    if len(values) == 1:
        return canonical_value(stored, held[0]["Value"]) == values[0]
    return {canonical_value(stored, r["Value"]) for r in held} == set(values)


def _as_upserts(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same batch with every CREATE, and every DELETE+CREATE pair, as one UPSERT."""
    out: list[dict[str, Any]] = []
    for i, change in enumerate(batch):
        rrset = change["ResourceRecordSet"]
        if change["Action"] == "DELETE":
            pair = batch[i + 1]["ResourceRecordSet"] if i + 1 < len(batch) else None
            if (
                pair is not None
                and batch[i + 1]["Action"] == "CREATE"
                and pair["Type"] == rrset["Type"]
            ):
                continue  # replaced by the UPSERT of the CREATE that follows
            out.append(change)
        else:
            out.append({"Action": "UPSERT", "ResourceRecordSet": rrset})
    return out


def _replace(have: dict[str, Any], want: dict[str, Any]) -> list[dict[str, Any]]:
    """The cheapest change that replaces ``have`` by ``want``: an UPSERT (which counts twice),
    or, when the old set is smaller, a DELETE of the old and a CREATE of the new together."""
    old = have.get("ResourceRecords") or ()
    new = want.get("ResourceRecords") or ()
    if old and new and set(have) <= _PLAIN_KEYS and len(old) < len(new):
        old_chars = sum(len(r["Value"]) for r in old)
        if old_chars <= sum(len(r["Value"]) for r in new):
            return [
                {"Action": "DELETE", "ResourceRecordSet": have},
                {"Action": "CREATE", "ResourceRecordSet": want},
            ]
    return [{"Action": "UPSERT", "ResourceRecordSet": want}]
