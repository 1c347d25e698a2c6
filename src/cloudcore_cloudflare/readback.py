"""Read-back at Cloudflare: the zones this provider manages and the zones whose entry-point
rulesets hold cloudcore's rules (reads only: the zone listing and each phase's entry point)."""

from __future__ import annotations

from cloudcore.errors import ConfigurationError
from cloudcore.models import DNSZone

from .discovery import CloudflareDiscovery
from .waf import PHASES, REF_PREFIX

__all__ = ["CloudflareReadback"]


class CloudflareReadback(CloudflareDiscovery):
    """``list_dns_zones`` and ``list_waf_targets`` (mixin of the provider)."""

    def _list_dns_zones(self) -> list[DNSZone]:
        return [
            DNSZone(name=name, provider_id=zid) for name, zid in sorted(self.zone_ids().items())
        ]

    def _list_waf_targets(self) -> list[str | None]:
        try:
            default: str | None = self.default_zone(None)
        except ConfigurationError:  # several zones and none named first: no default target
            default = None
        out: list[str | None] = []
        for name, zid in sorted(self.zone_ids().items()):
            ours = any(
                str(rule.get("ref", "")).startswith(REF_PREFIX)
                for phase in PHASES
                for rule in (self._entrypoint(zid, phase) or {}).get("rules") or []
            )
            if ours:
                out.append(None if name == default else name)
        return out
