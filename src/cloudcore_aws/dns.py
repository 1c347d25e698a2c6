"""Route53: hosted zones found by longest suffix, record sets written in packed change batches.

``upsert_dns_records`` reads the current record sets, skips those already equal, and sends the
rest as UPSERTs packed into as few ``ChangeResourceRecordSets`` calls as Route53's documented
per-request limits allow: at most 1,000 ``ResourceRecord`` elements and 32,000 characters in all
``Value`` elements, where an UPSERT counts twice for both. 2,000 single-value A records therefore
take exactly 4 calls, whether they are new or replace existing ones.

Alias records: a CNAME at a zone apex (which DNS forbids) whose target is an AWS load balancer
(``*.<region>.elb.amazonaws.com``) or a CloudFront distribution becomes a Route53 alias A record,
and is listed back as that CNAME (TTL 60, the alias's effective TTL).

Zone apex NS and SOA records, and routing-policy record sets (weighted, latency...), are not
listed and never changed.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from cloudcore._context import current_call
from cloudcore.errors import ConfigurationError, NotFound
from cloudcore.models import DNSRecord, RecordType, zone_for

from ._base import AWSBase
from ._limits import check_record_sets

__all__ = [
    "AWSDNS",
    "CLOUDFRONT_ZONE_ID",
    "ELB_ZONE_IDS",
    "MAX_RECORD_ELEMENTS",
    "MAX_VALUE_CHARACTERS",
    "pack_changes",
]

MAX_RECORD_ELEMENTS = 1_000
MAX_VALUE_CHARACTERS = 32_000
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
ELB_ZONE_IDS = {
    "us-east-1": "Z35SXDOTRQ7X7K",
    "us-east-2": "Z3AADJGX6KTTL2",
    "us-west-1": "Z368ELLRRE2KJ0",
    "us-west-2": "Z1H1FL5HABSF5",
    "ca-central-1": "ZQSVJUPU6J1EY",
    "sa-east-1": "Z2P70J7HTTTPLU",
    "eu-central-1": "Z215JYRZR1TBD5",
    "eu-west-1": "Z32O12XQLNTSW2",
    "eu-west-2": "ZHURV8PSTC4K8",
    "eu-west-3": "Z3Q77PNBQS71R4",
    "eu-north-1": "Z23TAZ6LKFMNIO",
    "ap-south-1": "ZP97RAFLXTNZK",
    "ap-northeast-1": "Z14GRHDCWA56QT",
    "ap-northeast-2": "ZWKZPGTI48KDX",
    "ap-southeast-1": "Z1LMS91P8CMLE5",
    "ap-southeast-2": "Z1GM3OXH4ZPM65",
}
"""Route53 hosted zone of Application and Classic Load Balancers, per region."""

_ELB_RE = re.compile(r"\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.elb\.amazonaws\.com$")
_OCTAL_RE = re.compile(r"\\(\d{3})")
_TARGETED_LOOKUPS = 10  # up to this many records: one targeted read each, else list the zone
_ALIAS_TTL = 60


def alias_target(host: str) -> dict[str, Any] | None:
    """The Route53 ``AliasTarget`` for an AWS load balancer or CloudFront host, else ``None``."""
    host = host.lower().rstrip(".")
    if host.endswith(".cloudfront.net"):
        return {"HostedZoneId": CLOUDFRONT_ZONE_ID, "DNSName": host, "EvaluateTargetHealth": False}
    match = _ELB_RE.search(host)
    if match and match.group(1) in ELB_ZONE_IDS:
        zone = ELB_ZONE_IDS[match.group(1)]
        return {"HostedZoneId": zone, "DNSName": host, "EvaluateTargetHealth": True}
    return None


def decode_name(name: str) -> str:
    """A Route53 name (``\\052.example.com.``) as a cloudcore FQDN (``*.example.com``)."""
    return _OCTAL_RE.sub(lambda m: chr(int(m.group(1), 8)), name).rstrip(".").lower()


def encode_txt(value: str) -> str:
    """One TXT value as Route53 wants it: quoted strings of at most 255 bytes, escaped."""
    data = value.encode("utf-8")
    parts = []
    for i in range(0, max(len(data), 1), 255):
        out = []
        for byte in data[i : i + 255]:
            char = chr(byte)
            if char in '"\\':
                out.append("\\" + char)
            elif 32 <= byte < 127:
                out.append(char)
            else:
                out.append(f"\\{byte:03o}")
        parts.append('"' + "".join(out) + '"')
    return " ".join(parts)


def decode_txt(value: str) -> str:
    """The inverse of :func:`encode_txt` (also reads unquoted values)."""
    if not value.startswith('"'):
        return value
    data = bytearray()
    i, n, inside = 0, len(value), False
    while i < n:
        char = value[i]
        if char == '"':
            inside = not inside
        elif inside and char == "\\" and i + 1 < n:
            if value[i + 1 : i + 4].isdigit() and len(value[i + 1 : i + 4]) == 3:
                data.append(int(value[i + 1 : i + 4], 8))
                i += 3
            else:
                data.extend(value[i + 1].encode())
                i += 1
        elif inside:
            data.extend(char.encode())
        i += 1
    return data.decode("utf-8", "replace")


def _value_for_read(rtype: str, value: str) -> str:
    if rtype == "TXT":
        return decode_txt(value)
    if rtype in ("CNAME", "NS"):
        return value.rstrip(".")
    if rtype in ("MX", "SRV"):
        parts = value.split()
        return " ".join([*parts[:-1], parts[-1].rstrip(".")]) if parts else value
    return value


def pack_changes(changes: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Split changes into as few batches as Route53's per-request limits allow (order kept)."""
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    elements = characters = 0
    for change in changes:
        weight = 2 if change["Action"] == "UPSERT" else 1
        values = [r["Value"] for r in change["ResourceRecordSet"].get("ResourceRecords", [])]
        e = weight * max(len(values), 1)
        c = weight * sum(len(v) for v in values)
        if current and (
            elements + e > MAX_RECORD_ELEMENTS or characters + c > MAX_VALUE_CHARACTERS
        ):
            batches.append(current)
            current, elements, characters = [], 0, 0
        current.append(change)
        elements += e
        characters += c
    if current:
        batches.append(current)
    return batches


class AWSDNS(AWSBase):
    """The dns capability (Route53)."""

    def _route53(self) -> Any:
        return self._client("route53")

    # ---------------------------------------------------------------- zones
    def _hosted_zones(self, refresh: bool = False) -> list[tuple[str, str]]:
        """Hosted zones, read once per protocol call (a zone added since must be seen)."""
        ctx = current_call()
        zones = self._zones
        if zones is None or refresh or self._zones_read_in is not ctx:
            self._zones_read_in = ctx
            public: list[tuple[str, str]] = []
            private: list[tuple[str, str]] = []
            for page in self._route53().get_paginator("list_hosted_zones").paginate():
                for zone in page.get("HostedZones", []):
                    entry = (decode_name(zone["Name"]), str(zone["Id"]).rsplit("/", 1)[-1])
                    is_private = zone.get("Config", {}).get("PrivateZone")
                    (private if is_private else public).append(entry)
            seen: set[str] = set()
            zones = []
            for name, zid in public + private:
                if name not in seen:
                    seen.add(name)
                    zones.append((name, zid))
            self._zones = zones
        return zones

    def _zone_of(self, name: str) -> tuple[str, str]:
        """``(zone name, zone id)`` of the hosted zone holding ``name`` (longest suffix)."""
        zones = dict(self._hosted_zones())
        found = zone_for(name, list(zones))
        if found is None:
            raise NotFound(f"no Route53 hosted zone holds {name!r}")
        return found, zones[found]

    # -------------------------------------------------------------- reading
    def _rrsets(self, zone_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        pages = (
            self._route53()
            .get_paginator("list_resource_record_sets")
            .paginate(HostedZoneId=zone_id)
        )
        for page in pages:
            out.extend(page.get("ResourceRecordSets", []))
        return out

    def _rrset(self, zone_id: str, name: str, rtype: str) -> dict[str, Any] | None:
        page = self._route53().list_resource_record_sets(
            HostedZoneId=zone_id, StartRecordName=name, StartRecordType=rtype, MaxItems="1"
        )
        for rr in page.get("ResourceRecordSets", []):
            if decode_name(rr["Name"]) == name and rr["Type"] == rtype:
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
        name = decode_name(rr["Name"])
        rtype = str(rr["Type"])
        if rr.get("SetIdentifier") or rtype == "SOA" or (rtype == "NS" and name == zone):
            return None
        try:
            if "AliasTarget" in rr:
                if rtype != "A":
                    return None
                host = str(rr["AliasTarget"]["DNSName"]).rstrip(".").lower()
                return DNSRecord(name=name, type=RecordType.CNAME, values=(host,), ttl=_ALIAS_TTL)
            if rtype not in RecordType.__members__:
                return None
            values = tuple(_value_for_read(rtype, r["Value"]) for r in rr["ResourceRecords"])
            return DNSRecord(name=name, type=RecordType(rtype), values=values, ttl=int(rr["TTL"]))
        except (ConfigurationError, KeyError, ValueError):
            return None  # something cloudcore cannot express; left alone

    # --------------------------------------------------------------- writes
    def _upsert_dns_records(self, records: list[DNSRecord]) -> int:
        by_zone: dict[tuple[str, str], list[DNSRecord]] = {}
        for record in records:
            by_zone.setdefault(self._zone_of(record.name), []).append(record)
        for (zone, _), group in by_zone.items():  # every zone checked before the first write
            check_record_sets(zone, [self._to_rrset(r, zone) for r in group])
        written = 0
        for (zone, zone_id), group in by_zone.items():
            wanted = [(r, self._to_rrset(r, zone)) for r in group]  # validates before writing
            current = self._current(zone_id, zone, group)
            changes = []
            for record, rrset in wanted:
                have = current.get((record.name, self._stored_type(record, zone)))
                if have is not None and _equal(have, rrset, record, zone):
                    continue
                changes.append({"Action": "UPSERT", "ResourceRecordSet": rrset})
            for batch in pack_changes(changes):
                self._route53().change_resource_record_sets(
                    HostedZoneId=zone_id,
                    ChangeBatch={"Comment": "cloudcore", "Changes": batch},
                )
            written += len(changes)
        return written

    def _current(
        self, zone_id: str, zone: str, group: list[DNSRecord]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        if len(group) <= _TARGETED_LOOKUPS:
            found = {}
            for record in group:
                rtype = self._stored_type(record, zone)
                rr = self.call(partial(self._rrset, zone_id, record.name, rtype))
                if rr is not None:
                    found[(record.name, rtype)] = rr
            return found
        return {
            (decode_name(rr["Name"]), str(rr["Type"])): rr
            for rr in self._rrsets(zone_id)
            if not rr.get("SetIdentifier")
        }

    def _list_dns_records(self, zone: str) -> list[DNSRecord]:
        zones = dict(self._hosted_zones(refresh=True))
        if zone not in zones:
            raise NotFound(f"no Route53 hosted zone named {zone!r}")
        found: dict[tuple[str, RecordType], DNSRecord] = {}
        for rr in self._rrsets(zones[zone]):
            record = self._from_rrset(rr, zone)
            if record is not None and record.key not in found:
                found[record.key] = record
        return sorted(found.values(), key=lambda r: (r.name, r.type.value))

    def _delete_dns_record(self, record: DNSRecord) -> None:
        zone, zone_id = self._zone_of(record.name)
        check_record_sets(zone, [{"Name": record.name, "Type": record.type.value}])
        rr = self._rrset(zone_id, record.name, self._stored_type(record, zone))
        if rr is None:
            return
        if record.type is RecordType.CNAME and record.name == zone and "AliasTarget" not in rr:
            return  # an A record at the apex that is not our alias
        self._route53().change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={
                "Comment": "cloudcore",
                "Changes": [{"Action": "DELETE", "ResourceRecordSet": rr}],
            },
        )


def _equal(have: dict[str, Any], want: dict[str, Any], record: DNSRecord, zone: str) -> bool:
    if "AliasTarget" in want:
        target = have.get("AliasTarget") or {}
        name = str(target.get("DNSName", "")).rstrip(".").lower()
        return bool(target) and name == want["AliasTarget"]["DNSName"]
    if "AliasTarget" in have:
        return False
    current = AWSDNS._from_rrset(have, zone)
    return current is not None and current.same_as(record)
