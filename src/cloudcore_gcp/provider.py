"""``GCPProvider``: the Google Cloud driver, composed of one mixin per capability."""

from __future__ import annotations

from cloudcore.capabilities import KNOWN_FEATURES, Capability
from cloudcore.errors import CloudcoreError

from ._base import GCPBase
from ._errors import map_error
from .cache import GCPCache
from .compute import GCPCompute
from .database import GCPDatabase
from .discovery import GCPDiscovery
from .dns import GCPDNS
from .readback import GCPReadback
from .secrets import GCPSecrets
from .storage import GCPStorage
from .waf import GCPWAF

__all__ = ["GCPProvider"]

C = Capability


class GCPProvider(
    GCPReadback,
    GCPCompute,
    GCPDatabase,
    GCPCache,
    GCPDNS,
    GCPWAF,
    GCPSecrets,
    GCPStorage,
    GCPDiscovery,
    GCPBase,
):
    """Google Cloud: Cloud Run v2, Cloud SQL, Memorystore, Cloud DNS, Cloud Armor, Secret Manager,
    Cloud Storage.

    Connect with ``cloudcore.connect("gcp", project="my-project", region="europe-west1")``.
    Options are those of :class:`~cloudcore_gcp._base.GCPBase`: ``project``, ``region`` (or
    ``location``), ``credentials``, ``api_endpoint``, ``retry``, ``timeout``,
    ``operation_timeout``, ``poll_interval``. Clients are built on first use per capability.
    """

    name = "gcp"
    capabilities = frozenset(
        {C.COMPUTE, C.DATABASE, C.CACHE, C.DNS, C.WAF, C.SECRETS, C.DISCOVERY, C.STORAGE}
    )
    features = {
        C.COMPUTE: frozenset(
            {"images", "autoscaling", "health_check", "secrets_env", "endpoint", "logs"}
        ),
        C.DATABASE: frozenset(
            {"postgres", "high_availability", "backups", "restore", "encryption"}
        ),
        C.CACHE: frozenset({"redis", "high_availability", "tls", "auth"}),
        C.DNS: frozenset({"A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "CAA", "batch"}),
        C.WAF: KNOWN_FEATURES[C.WAF],  # every portable rule kind and managed set
        C.SECRETS: frozenset({"versions", "read"}),
        C.DISCOVERY: frozenset({"tags", "schemas"}),
        C.STORAGE: frozenset({"versioning", "presign", "lifecycle", "cors", "public"}),
    }
    unsupported_reasons = {
        "compute:commands": "Cloud Run runs container images: give an image (a command then "
        "overrides its entry point)",
        "dns:proxied": "Cloud DNS has no proxy mode; compose with cloudflare for proxied records",
        "queues": "Pub/Sub queues are not implemented in the gcp driver yet; compose: "
        "connect({'compute': 'gcp', 'queues': 'aws'})",
        "jobs": "Cloud Scheduler jobs are not implemented in the gcp driver yet; compose: "
        "connect({'compute': 'gcp', 'jobs': 'aws'})",
    }

    def _map_error(self, exc: Exception) -> CloudcoreError | None:
        return map_error(exc)

    def _close(self) -> None:
        self.clients.close()
