"""Discovery at Cloudflare: zones, managed DNS records, WAF rulesets and IP lists, secrets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from cloudcore.models import (
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    NAME_TAG_KEY,
    Resource,
    ResourceType,
    resource_id,
)

from .dns import CloudflareDNS, managed, record_value, reported_ttl
from .secrets import CloudflareSecrets, parse_comment, secret_name
from .waf import PHASES, REF_PREFIX, CloudflareWAF

__all__ = ["CloudflareDiscovery"]


def _tags(name: str) -> dict[str, str]:
    return {MANAGED_BY_KEY: MANAGED_BY_VALUE, NAME_TAG_KEY: name}


class CloudflareDiscovery(CloudflareDNS, CloudflareWAF, CloudflareSecrets):
    """The discovery capability (mixin of :class:`~cloudcore_cloudflare.provider.CloudflareProvider`)."""

    def _rid(self, rtype: ResourceType, name: str) -> str:
        return resource_id(self.name, None, rtype, name)

    def _list_resources(
        self, type: ResourceType | None, tags: Mapping[str, str]
    ) -> Iterator[Resource]:
        # Cloudflare has no tag filter for these kinds: the driver filters what it lists.
        return (r for r in self._discover(type) if r.carries(tags))

    def _discover(self, type: ResourceType | None) -> Iterator[Resource]:
        want = {type} if type is not None else set(ResourceType)
        zones = self.zone_ids()
        for zone, zid in sorted(zones.items()):
            zone_rid = self._rid(ResourceType.DNS_ZONE, zone)
            if ResourceType.DNS_ZONE in want:
                yield Resource(
                    id=zone_rid,
                    type=ResourceType.DNS_ZONE,
                    provider=self.name,
                    name=zone,
                    state="active",
                    tags=_tags(zone),
                    operations=("list_dns_records", "upsert_dns_records", "configure_waf"),
                    provider_id=zid,
                )
            if ResourceType.DNS_RECORD in want:
                yield from self._record_resources(zid, zone_rid)
            if ResourceType.WAF_POLICY in want:
                yield from self._waf_resources(zone, zid, zone_rid)
        if ResourceType.WAF_POLICY in want and self.account_id:
            for name, lst in sorted(self._lists().items()):
                yield Resource(
                    id=self._rid(ResourceType.WAF_POLICY, f"ip-list/{name}"),
                    type=ResourceType.WAF_POLICY,
                    provider=self.name,
                    name=f"ip-list/{name}",
                    state="active",
                    tags=_tags(name),
                    attributes={"kind": "ip_list", "items": lst.get("num_items", 0)},
                    provider_id=lst.get("id"),
                )
        if ResourceType.SECRET in want and self.account_id:
            for item in self.store_secrets():
                meta = parse_comment(item.get("comment"))
                if meta is None or secret_name(meta[0]) != item.get("name"):
                    continue
                yield Resource(
                    id=self._rid(ResourceType.SECRET, meta[0]),
                    type=ResourceType.SECRET,
                    provider=self.name,
                    name=meta[0],
                    state=str(item.get("status") or "active"),
                    tags=_tags(meta[0]),
                    operations=("store_secret", "list_secret_versions", "delete_secret"),
                    attributes={"version": str(meta[1]), "store_name": item.get("name")},
                    provider_id=item.get("id"),
                )

    def _record_resources(self, zid: str, zone_rid: str) -> Iterator[Resource]:
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for rec in self.zone_records(zid):
            if managed(rec):
                groups[(rec["name"], rec["type"])].append(rec)
        for (name, rtype), recs in sorted(groups.items()):
            label = f"{name}/{rtype}"
            yield Resource(
                id=self._rid(ResourceType.DNS_RECORD, label),
                type=ResourceType.DNS_RECORD,
                provider=self.name,
                name=label,
                state="active",
                tags=_tags(label),
                relationships=(zone_rid,),
                operations=("upsert_dns_records", "delete_dns_record"),
                attributes={
                    "values": [v for v in (record_value(r) for r in recs) if v is not None],
                    "ttl": min(reported_ttl(r) for r in recs),
                    "proxied": any(bool(r.get("proxied")) for r in recs),
                },
                provider_id=",".join(r["id"] for r in recs),
            )

    def _waf_resources(self, zone: str, zid: str, zone_rid: str) -> Iterator[Resource]:
        phases: dict[str, str] = {}
        count = 0
        for phase in PHASES:
            current = self._entrypoint(zid, phase) or {}
            ours = [
                r
                for r in current.get("rules") or []
                if str(r.get("ref", "")).startswith(REF_PREFIX)
            ]
            if ours:
                phases[phase] = str(current.get("id"))
                count += len(ours)
        if count:
            yield Resource(
                id=self._rid(ResourceType.WAF_POLICY, zone),
                type=ResourceType.WAF_POLICY,
                provider=self.name,
                name=zone,
                state="active",
                tags=_tags(zone),
                relationships=(zone_rid,),
                operations=("configure_waf", "get_waf_rules"),
                attributes={"rules": count, "rulesets": phases},
                provider_id=",".join(phases.values()),
            )
