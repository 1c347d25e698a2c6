"""DNS at Cloudflare: record sets mapped to Cloudflare records, changed through the batch endpoint.

A cloudcore record set (name, type, values) is one Cloudflare record per value. Every record
cloudcore writes carries the comment ``managed-by=cloudcore``. ``upsert_dns_records`` lists each
zone once, computes the changes (keeping records whose value is already right, patching what
differs, creating what is missing, deleting surplus values *of the record sets the caller named*),
and sends them through ``POST /zones/{id}/dns_records/batch`` in chunks of ``batch_size`` (200 by
default, the Free plan's limit). Records of names and types the caller did not name are never
touched, managed or not.

The zone's own apex NS records are Cloudflare's name servers (``name_servers`` of the zone
object): they are not DNS records of the zone, an NS record written at the apex is ignored by
Cloudflare unless the zone uses multi-provider DNS
(https://developers.cloudflare.com/dns/nameservers/nameserver-options/#multi-provider-dns), and
cloudcore neither lists nor writes one (``ConfigurationError``). TTLs follow the zone's plan: 60 s
at least, 30 s on Enterprise (see :func:`._wafplan.fit_ttl`).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from cloudcore.errors import ConfigurationError
from cloudcore.models import DNSRecord, RecordType

from ._core import MARKER, CloudflareCore, envelope
from ._wafplan import fit_ttl

__all__ = ["CloudflareDNS", "record_body", "record_value"]

PAGE = 5000
PROXIABLE = frozenset({RecordType.A, RecordType.AAAA, RecordType.CNAME})


def record_body(rtype: RecordType, value: str) -> dict[str, Any]:
    """The Cloudflare fields (``content``/``priority``/``data``) for one portable value."""
    if rtype is RecordType.MX:
        prio, host = value.split()
        return {"content": host, "priority": int(prio)}
    if rtype is RecordType.SRV:
        prio, weight, port, target = value.split()
        return {
            "data": {
                "priority": int(prio),
                "weight": int(weight),
                "port": int(port),
                "target": target,
            }
        }
    if rtype is RecordType.CAA:
        flags, tag, rest = _caa_parts(value)
        return {"data": {"flags": flags, "tag": tag, "value": rest}}
    return {"content": value}


def _caa_parts(value: str) -> tuple[int, str, str]:
    parts = value.split(None, 2)
    if len(parts) != 3 or not parts[0].isdigit():
        raise ConfigurationError(f"CAA value {value!r} must be 'FLAGS TAG VALUE'", field="values")
    rest = parts[2]
    if len(rest) >= 2 and rest[0] == rest[-1] == '"':
        rest = rest[1:-1]
    return int(parts[0]), parts[1], rest


def canonical(rtype: RecordType, value: str) -> str:
    """The form values are compared (and reported) in."""
    if rtype is RecordType.CAA:
        flags, tag, rest = _caa_parts(value)
        return f'{flags} {tag} "{rest}"'
    return value


def managed(rec: dict[str, Any]) -> bool:
    """Whether a Cloudflare record carries cloudcore's marker comment."""
    comment = str(rec.get("comment") or "")
    return comment == MARKER or comment.startswith(MARKER + " ")


def _comment(ttl: int, proxied: bool) -> str:
    # Cloudflare forces automatic TTL (1) on proxied records; the TTL asked for is kept in the
    # comment, reported by list_dns_records and applied if proxying is turned off.
    return f"{MARKER} ttl={ttl}" if proxied else MARKER


def reported_ttl(rec: dict[str, Any]) -> int:
    """The record's TTL, or the TTL cloudcore recorded for a proxied record."""
    ttl = int(rec.get("ttl") or 1)
    if rec.get("proxied") and managed(rec):
        for part in str(rec.get("comment")).split()[1:]:
            if part.startswith("ttl=") and part[4:].isdigit():
                return int(part[4:])
    return ttl


def record_value(rec: dict[str, Any]) -> str | None:
    """The portable value of one Cloudflare record (``None`` for a type cloudcore does not map)."""
    rtype = rec.get("type")
    content = str(rec.get("content") or "")
    data = rec.get("data") or {}
    try:
        if rtype in ("A", "AAAA"):
            return str(ipaddress.ip_address(content))
        if rtype in ("CNAME", "NS"):
            return content.rstrip(".").lower()
        if rtype == "MX":
            return f"{int(rec.get('priority') or 0)} {content.rstrip('.').lower()}"
        if rtype == "SRV":
            target = str(data.get("target", "")).rstrip(".").lower()
            return f"{data['priority']} {data['weight']} {data['port']} {target}"
        if rtype == "CAA":
            return f'{int(data["flags"])} {data["tag"]} "{data["value"]}"'
        if rtype == "TXT":
            return content
    except (KeyError, TypeError, ValueError):
        return None
    return None


@dataclass
class _Changes:
    deletes: list[dict[str, Any]] = field(default_factory=list)
    patches: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)

    def count(self) -> int:
        return len(self.deletes) + len(self.patches) + len(self.posts)

    def ops(self) -> list[tuple[str, dict[str, Any]]]:
        return (
            [("deletes", d) for d in self.deletes]
            + [("patches", p) for p in self.patches]
            + [("posts", p) for p in self.posts]
        )


def _check_ttl(record: DNSRecord) -> None:
    if not (record.ttl == 1 or 30 <= record.ttl <= 86400):
        raise ConfigurationError(
            f"{record.name} {record.type}: Cloudflare TTLs are 1 (automatic) or 30-86400 s "
            f"(got {record.ttl})",
            field="ttl",
        )
    if record.proxied and record.type not in PROXIABLE:
        raise ConfigurationError(
            f"{record.name} {record.type}: only A, AAAA and CNAME records can be proxied",
            field="proxied",
        )


class CloudflareDNS(CloudflareCore):
    """The dns capability (mixin of :class:`~cloudcore_cloudflare.provider.CloudflareProvider`)."""

    dns_page_size: int = PAGE
    """Records per listing page (5,000; tests lower it to exercise pagination)."""

    @property
    def page_size(self) -> int:
        """Records per page of a DNS listing (the conformance suite crosses a page with it)."""
        return self.dns_page_size

    # ------------------------------------------------------------- reading
    def zone_records(self, zone_id: str) -> list[dict[str, Any]]:
        """Every record of a zone, as Cloudflare returns them (page by page, retried per page)."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            data = self.read(
                lambda p=page: envelope(  # type: ignore[misc]
                    self.cf.dns.records.with_raw_response.list(
                        zone_id=zone_id, per_page=self.dns_page_size, page=p
                    )
                )
            )
            items = data.get("result") or []
            out.extend(items)
            info = data.get("result_info") or {}
            total_pages = info.get("total_pages")
            if len(items) < self.dns_page_size or (
                isinstance(total_pages, int) and page >= total_pages
            ):
                return out
            page += 1

    def _list_dns_records(self, zone: str) -> list[DNSRecord]:
        zid = self.zone_id(zone)
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for rec in self.zone_records(zid):
            if rec.get("type") in RecordType.__members__ and not _apex_ns(rec, zone):
                groups[(rec["name"], rec["type"])].append(rec)
        out: list[DNSRecord] = []
        for (name, rtype), recs in sorted(groups.items()):
            values = [v for v in (record_value(r) for r in recs) if v is not None]
            if not values:
                continue
            kind = RecordType(rtype)
            out.append(
                DNSRecord(
                    name=name,
                    type=kind,
                    values=tuple(dict.fromkeys(values)),
                    ttl=min(reported_ttl(r) for r in recs),
                    proxied=any(bool(r.get("proxied")) for r in recs)
                    if kind in PROXIABLE
                    else None,
                )
            )
        return out

    # ------------------------------------------------------------- writing
    def _upsert_dns_records(self, records: list[DNSRecord]) -> int:
        for record in records:
            _check_ttl(record)
        by_zone: dict[str, list[DNSRecord]] = defaultdict(list)
        for record in records:
            zone = self.zone_of(record.name)
            if record.type is RecordType.NS and record.name == zone:
                raise ConfigurationError(
                    f"records: {record.name} NS is the zone apex: its name servers are "
                    "Cloudflare's own (listed on the zone), not records cloudcore writes",
                    field="records",
                )
            limits = self.zone_limits(zone)
            ttl = fit_ttl(record, limits, self.map_to_plan)
            by_zone[zone].append(record if ttl == record.ttl else _with_ttl(record, ttl))
        changed = 0
        for zone, recs in by_zone.items():
            zid = self.zone_id(zone)
            with self.zone_lock(zid):
                changed += self._sync_zone(zid, recs)
        return changed

    def _sync_zone(self, zid: str, recs: list[DNSRecord]) -> int:
        changed = 0
        index: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for rec in self.zone_records(zid):
            index[(rec["name"], rec["type"])].append(rec)
        changes = _Changes()
        for record in recs:
            existing = index.get((record.name, record.type.value), [])
            changed += _plan(record, existing, changes)
        self._apply(zid, changes)
        return changed

    def _delete_dns_record(self, record: DNSRecord) -> None:
        zone = self.zone_of(record.name)
        if record.type is RecordType.NS and record.name == zone:
            raise ConfigurationError(
                f"record: {record.name} NS is the zone apex: its name servers are Cloudflare's "
                "own, not records cloudcore deletes",
                field="record",
            )
        zid = self.zone_id(zone)
        with self.zone_lock(zid):
            self._delete_set(zid, record)

    def _delete_set(self, zid: str, record: DNSRecord) -> None:
        found = self.read(
            lambda: envelope(
                self.cf.dns.records.with_raw_response.list(
                    zone_id=zid,
                    name={"exact": record.name},
                    type=record.type.value,
                    per_page=PAGE,
                )
            )
        )
        changes = _Changes(deletes=[{"id": r["id"]} for r in found.get("result") or []])
        self._apply(zid, changes)

    def _apply(self, zone_id: str, changes: _Changes) -> None:
        ops = changes.ops()
        for start in range(0, len(ops), self.batch_size):
            chunk = ops[start : start + self.batch_size]
            body: dict[str, list[dict[str, Any]]] = {}
            for kind, op in chunk:
                body.setdefault(kind, []).append(op)
            # The body is already in wire form: pass it as extra_body, which skips the SDK's
            # per-field TypedDict transform (about 2 ms per record, 0.4 s per batch of 200).
            envelope(self.cf.dns.records.with_raw_response.batch(zone_id=zone_id, extra_body=body))


def _apex_ns(rec: dict[str, Any], zone: str) -> bool:
    return rec.get("type") == "NS" and str(rec.get("name", "")).rstrip(".").lower() == zone


def _with_ttl(record: DNSRecord, ttl: int) -> DNSRecord:
    return DNSRecord(
        name=record.name, type=record.type, values=record.values, ttl=ttl, proxied=record.proxied
    )


def _plan(record: DNSRecord, existing: list[dict[str, Any]], changes: _Changes) -> int:
    """Add the changes that make ``existing`` match ``record``; returns 1 if any, else 0."""
    before = changes.count()
    want = {canonical(record.type, v): v for v in record.values}
    have: dict[str, dict[str, Any]] = {}
    spare: list[dict[str, Any]] = []
    for rec in existing:
        value = record_value(rec)
        if value is not None and value in want and value not in have:
            have[value] = rec
        else:
            spare.append(rec)
    for rec in have.values():
        patch = _settings_patch(record, rec)
        if patch:
            changes.patches.append({"id": rec["id"], **patch})
    missing = [v for v in want if v not in have]
    for value in missing:
        body = record_body(record.type, want[value])
        if spare:
            rec = spare.pop(0)
            changes.patches.append({"id": rec["id"], **body, **_settings_patch(record, rec, True)})
        else:
            post: dict[str, Any] = {
                "name": record.name,
                "type": record.type.value,
                "ttl": record.ttl,
                "comment": _comment(record.ttl, bool(record.proxied)),
                **body,
            }
            if record.proxied is not None:
                post["proxied"] = record.proxied
            changes.posts.append(post)
    changes.deletes.extend({"id": rec["id"]} for rec in spare)
    return 1 if changes.count() > before else 0


def _settings_patch(record: DNSRecord, rec: dict[str, Any], full: bool = False) -> dict[str, Any]:
    """TTL, proxied and marker fields of ``rec`` that differ from ``record``."""
    patch: dict[str, Any] = {}
    proxied = bool(rec.get("proxied"))
    if record.proxied is not None and record.proxied != proxied:
        patch["proxied"] = record.proxied
        proxied = record.proxied
    want_ttl = 1 if proxied else record.ttl
    if full or int(rec.get("ttl") or 0) != want_ttl:
        patch["ttl"] = record.ttl
    comment = _comment(record.ttl, proxied)
    if rec.get("comment") != comment:
        patch["comment"] = comment
    return patch
