"""``CloudflareProvider``: DNS, WAF and secrets at Cloudflare's edge, through the official SDK.

See ``docs/drivers/cloudflare.md`` for options, the credential chain and what is unsupported.
"""

from __future__ import annotations

from collections.abc import Mapping

from cloudcore.capabilities import KNOWN_FEATURES, Capability

from .discovery import CloudflareDiscovery
from .readback import CloudflareReadback
from .storage import CloudflareStorage

__all__ = ["CloudflareProvider"]

_COMPOSE = "compose: connect({{'{cap}': 'aws', 'dns': 'cloudflare', 'waf': 'cloudflare'}})"


class CloudflareProvider(CloudflareReadback, CloudflareStorage, CloudflareDiscovery):
    """The Cloudflare driver (registry name ``cloudflare``).

    Options (all keyword): ``zones``, ``account_id``, ``base_url``, ``client``, ``batch_size``
    (default 200), ``ip_list_threshold``, ``secrets_store_id``, ``timeout``, ``retry``,
    ``map_to_plan`` (default ``False``: values the zone's plan does not allow are refused), and
    for R2 storage ``r2_endpoint``, ``r2_jurisdiction``, ``r2_profile``, ``r2_region``,
    ``r2_session`` (:class:`~cloudcore_cloudflare.storage.CloudflareStorage`). The API
    token comes from the SDK's ``CLOUDFLARE_API_TOKEN`` environment variable, or from an
    injected ``client``; it is never a cloudcore option; R2's access key pair comes from
    ``R2_ACCESS_KEY_ID`` / ``R2_SECRET_ACCESS_KEY`` or an AWS shared-config profile.
    """

    name = "cloudflare"
    capabilities = frozenset(
        {
            Capability.DNS,
            Capability.WAF,
            Capability.SECRETS,
            Capability.STORAGE,
            Capability.DISCOVERY,
        }
    )
    features: Mapping[Capability, frozenset[str]] = {
        Capability.DNS: frozenset(
            {"A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "CAA", "proxied", "batch"}
        ),
        # every portable rule kind and managed set but ip-reputation (see unsupported_reasons)
        Capability.WAF: KNOWN_FEATURES[Capability.WAF] - {"managed:ip-reputation"},
        Capability.SECRETS: frozenset(),
        Capability.STORAGE: frozenset({"presign", "lifecycle", "cors"}),
        Capability.DISCOVERY: frozenset({"tags", "schemas"}),
    }
    unsupported_reasons: Mapping[str, str] = {
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
        "storage:versioning": "R2 keeps one version per key: object versioning is not part of "
        "R2 (PutBucketVersioning is unimplemented: https://developers.cloudflare.com/r2/api/s3/api/)",
        "storage:public": "R2 has no bucket policies or ACLs through its S3 API; public reads go "
        "through an r2.dev subdomain or a custom domain set up in the dashboard or the Cloudflare "
        "API (https://developers.cloudflare.com/r2/buckets/public-buckets/); use presign() for "
        "reads without credentials",
        "waf:managed:ip-reputation": "Cloudflare has no managed ruleset for IP reputation (it is "
        "part of Bot Management); use an ip rule with an address list instead",
        "queues": "Cloudflare Queues (HTTP pull consumers) are not implemented in the cloudflare "
        "driver yet; " + _COMPOSE.format(cap="queues"),
        "jobs": "Cloudflare has no scheduler for containers or commands (Cron Triggers run "
        "Workers only); " + _COMPOSE.format(cap="jobs"),
    }
