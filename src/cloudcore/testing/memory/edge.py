"""Memory DNS (zones by longest suffix, batched changes) and WAF (declarative rule sets)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from ...errors import ConfigurationError, NotFound
from ...models import DNSRecord, RecordType, WAFRule, zone_for
from ._core import MemoryCore

CHANGE_BATCH = 100
"""Record-set changes per internal ``ChangeRecordSets`` call."""

_RULES: TypeAdapter[list[WAFRule]] = TypeAdapter(list[WAFRule])


def _rkey(record: DNSRecord) -> str:
    return f"{record.name}|{record.type.value}"


def _stored(raw: dict[str, Any]) -> DNSRecord:
    return DNSRecord.model_construct(
        name=raw["name"],
        type=RecordType(raw["type"]),
        values=tuple(raw["values"]),
        ttl=raw["ttl"],
        proxied=raw.get("proxied"),
    )


def _refuse_apex_ns(zone: str, record: DNSRecord) -> None:
    """The zone's own name servers belong to the provider: never listed, never written."""
    if record.name == zone and record.type is RecordType.NS:
        raise ConfigurationError(
            f"records: {zone} NS is the zone's own delegation; the provider manages it "
            "(apex NS and SOA are never listed or written)",
            field="records",
        )


class MemoryEdge(MemoryCore):
    """DNS zones given at construction; WAF rule sets per target (``None`` = ``"default"``)."""

    def _zone(self, name: str) -> str:
        zone = zone_for(name, self._zones)
        if zone is None:
            raise NotFound(f"no zone holds {name!r} (zones: {', '.join(self._zones) or 'none'})")
        return zone

    # ------------------------------------------------------------------ dns
    def _upsert_dns_records(self, records: list[DNSRecord]) -> int:
        placed = [(self._zone(r.name), r) for r in records]
        for zone, rec in placed:
            _refuse_apex_ns(zone, rec)
        with self._state.open() as data:
            self._api("ListRecordSets", mutating=False)
            changes = []
            for zone, rec in placed:
                current = data["zones"].get(zone, {}).get(_rkey(rec))
                if current is None or not DNSRecord.model_validate(current).same_as(rec):
                    changes.append((zone, rec))
            for start in range(0, len(changes), CHANGE_BATCH):
                self._api("ChangeRecordSets", mutating=True)
                for zone, rec in changes[start : start + CHANGE_BATCH]:
                    data["zones"].setdefault(zone, {})[_rkey(rec)] = rec.model_dump(mode="json")
            return len(changes)

    def _list_dns_records(self, zone: str) -> list[DNSRecord]:
        if zone not in self._zones:
            raise NotFound(f"no zone {zone!r} (zones: {', '.join(self._zones) or 'none'})")

        def items(data: dict[str, Any]) -> list[DNSRecord]:
            recs = data["zones"].get(zone, {})
            # stored records were validated and normalised when written: rebuild them as they are
            return [_stored(recs[k]) for k in sorted(recs)]

        return list(self._pages("ListRecordSets", items, key=zone))

    def _delete_dns_record(self, record: DNSRecord) -> None:
        zone = self._zone(record.name)
        _refuse_apex_ns(zone, record)
        with self._state.open() as data:
            self._api("ListRecordSets", mutating=False)
            if _rkey(record) in data["zones"].get(zone, {}):
                self._api("ChangeRecordSets", mutating=True)
                del data["zones"][zone][_rkey(record)]

    # ------------------------------------------------------------------ waf
    def _configure_waf(self, rules: tuple[WAFRule, ...], target: str | None) -> bool:
        key = target or "default"
        wanted = [r.model_dump(mode="json") for r in rules]
        with self._state.open() as data:
            self._api("GetWebACL", mutating=False)
            current = data["waf"].get(key)
            if current is not None and current["rules"] == wanted:
                return False
            if current is None and not wanted:
                return False
            self._api("PutWebACL", mutating=True)
            version = (current["version"] if current else 0) + 1
            data["waf"][key] = {"rules": wanted, "version": version}
            return True

    def _get_waf_rules(self, target: str | None) -> list[WAFRule]:
        def read(data: dict[str, Any]) -> list[WAFRule]:
            current = data["waf"].get(target or "default")
            return _RULES.validate_python(current["rules"]) if current else []

        return self._read("GetWebACL", read)
