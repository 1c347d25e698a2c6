"""Read-back at Cloudflare: the zones the provider manages (listed afresh), and the WAF targets
holding rules cloudcore manages. Reads only. Cloudflare offers no compute, database or cache, so
there is nothing else to read back (``readback_gaps`` is empty).

A WAF target is a zone: the default zone (the first of the ``zones`` option, or the only zone
the token sees) is listed as ``None``, the others by name, as ``configure_waf`` takes them.
"""

from __future__ import annotations

from cloudcore.errors import ConfigurationError
from cloudcore.models import DNSZone

from .dns import CloudflareDNS
from .waf import CloudflareWAF

__all__ = ["CloudflareReadback"]


class CloudflareReadback(CloudflareDNS, CloudflareWAF):
    """``list_dns_zones`` and ``list_waf_targets``."""

    def _list_dns_zones(self) -> list[DNSZone]:
        with self._lock:
            self._zone_ids = None  # a zone added since the last listing must show
        return [DNSZone(name=name, provider_id=zid) for name, zid in self.zone_ids().items()]

    def _list_waf_targets(self) -> list[str | None]:
        try:
            default: str | None = self.default_zone(None)
        except ConfigurationError:
            default = None  # several zones and none named first: no default target
        targets: list[str | None] = []
        for zone in sorted(self.zone_ids()):
            if self._get_waf_rules(zone):
                targets.append(None if zone == default else zone)
        return targets
