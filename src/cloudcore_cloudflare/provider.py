"""``CloudflareProvider``: DNS, WAF and secrets at Cloudflare's edge, through the official SDK.

See ``docs/drivers/cloudflare.md`` for options, the credential chain and what is unsupported.
"""

from __future__ import annotations

from collections.abc import Mapping

from cloudcore.capabilities import KNOWN_FEATURES, Capability

from .discovery import CloudflareDiscovery
from .readback import CloudflareReadback

__all__ = ["CloudflareProvider"]

_COMPOSE = "compose: connect({{'{cap}': 'aws', 'dns': 'cloudflare', 'waf': 'cloudflare'}})"


class CloudflareProvider(CloudflareReadback, CloudflareDiscovery):
    """The Cloudflare driver (registry name ``cloudflare``).

    Options (all keyword): ``zones``, ``account_id``, ``base_url``, ``client``, ``batch_size``
    (default 200), ``ip_list_threshold``, ``secrets_store_id``, ``timeout``, ``retry``,
    ``map_to_plan`` (default ``False``: values the zone's plan does not allow are refused). The API
    token comes from the SDK's ``CLOUDFLARE_API_TOKEN`` environment variable, or from an
    injected ``client``; it is never a cloudcore option.
    """

    name = "cloudflare"
    capabilities = frozenset(
        {Capability.DNS, Capability.WAF, Capability.SECRETS, Capability.DISCOVERY}
    )
    features: Mapping[Capability, frozenset[str]] = {
        Capability.DNS: frozenset(
            {"A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "CAA", "proxied", "batch"}
        ),
        # every portable rule kind and managed set but ip-reputation (see unsupported_reasons)
        Capability.WAF: KNOWN_FEATURES[Capability.WAF] - {"managed:ip-reputation"},
        Capability.SECRETS: frozenset(),
        Capability.DISCOVERY: frozenset({"tags", "schemas"}),
    }
    unsupported_reasons: Mapping[str, str] = {
        "storage": "object storage (R2) is not implemented by the cloudflare driver yet; the "
        "memory driver has it",
        "compute": "Cloudflare does not run containers here (Workers are not container services); "
        + _COMPOSE.format(cap="compute"),
        "database": "Cloudflare offers no managed PostgreSQL (D1 is SQLite at the edge); "
        + _COMPOSE.format(cap="database"),
        "cache": "Cloudflare offers no managed Redis (its CDN cache is not a key-value cache); "
        + _COMPOSE.format(cap="cache"),
        "secrets:read": "Cloudflare never returns a secret's value through its API (Secrets Store "
        "values are readable only from a Worker binding); store, list and delete work",
        "secrets:versions": "the Secrets Store keeps only the current value of a secret; "
        "store_secret returns a version counter but old versions cannot be listed or read",
        "waf:managed:ip-reputation": "Cloudflare has no managed ruleset for IP reputation (it is "
        "part of Bot Management); use an ip rule with an address list instead",
        "queues": "Cloudflare Queues (HTTP pull consumers) are not implemented in the cloudflare "
        "driver yet; " + _COMPOSE.format(cap="queues"),
        "jobs": "Cloudflare has no scheduler for containers or commands (Cron Triggers run "
        "Workers only); " + _COMPOSE.format(cap="jobs"),
    }
