"""Read-back models: what exists, as the portable config it was made with, plus where it answers.

``get_database`` / ``get_cache`` return these; ``get_service_config`` returns the
:class:`~cloudcore.models.ServiceConfig` itself. The config read back, given again to
``provision_*`` / ``deploy_service`` on the same driver, is a no-op: provider-side defaults never
leak into it. Fields a driver cannot read back are listed, with the reason, in its
``readback_gaps`` (keys ``"<capability>:<field path>"``, e.g. ``"database:encrypted"``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field

from ._base import Model
from .data import CacheConfig, CacheEndpoint, DatabaseConfig, DatabaseEndpoint
from .dns import _fqdn

__all__ = ["Cache", "DNSZone", "Database"]


class Database(Model):
    """A database as it exists: the config it was provisioned with, read back, and its endpoint.

    Attributes:
        name: cloudcore name.
        config: The portable config read back (``provision_database`` of it again is a no-op).
        endpoint: Where it answers and how to log in (the password stays in its secret).
        status: The provider's status, verbatim (``available``, ``RUNNABLE``...).
        created_at: Creation time (UTC), when the provider says.
    """

    name: str
    config: DatabaseConfig
    endpoint: DatabaseEndpoint
    status: str = "available"
    created_at: datetime | None = None


class Cache(Model):
    """A cache as it exists: the config it was provisioned with, read back, and its endpoint.

    Attributes:
        name: cloudcore name.
        config: The portable config read back (``provision_cache`` of it again is a no-op).
        endpoint: Where it answers (the password stays in its secret).
        status: The provider's status, verbatim.
        created_at: Creation time (UTC), when the provider says.
    """

    name: str
    config: CacheConfig
    endpoint: CacheEndpoint
    status: str = "available"
    created_at: datetime | None = None


class DNSZone(Model):
    """A DNS zone the provider hosts (``list_dns_records`` takes its ``name``).

    Attributes:
        name: The zone apex, normalised (``example.com``).
        provider_id: The provider's zone id (Route53 hosted zone id, Cloudflare zone id...).
        records: How many record sets it holds, when the listing says (apex NS/SOA included
            where the provider counts them).
        private: Whether it only resolves inside a private network.
    """

    name: Annotated[str, BeforeValidator(_fqdn)]
    provider_id: str | None = None
    records: Annotated[int, Field(ge=0)] | None = None
    private: bool = False
