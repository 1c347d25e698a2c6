"""Discovery models: what exists (``Resource``) and how to use it (``ResourceSchema``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from ._base import Model


class ResourceType(StrEnum):
    """Kinds of resources cloudcore manages and lists."""

    SERVICE = "service"
    DATABASE = "database"
    BACKUP = "backup"
    CACHE = "cache"
    DNS_ZONE = "dns_zone"
    DNS_RECORD = "dns_record"
    WAF_POLICY = "waf_policy"
    SECRET = "secret"
    BUCKET = "bucket"
    QUEUE = "queue"
    JOB = "job"


_ID_RE = re.compile(r"\Acloudcore:([a-z0-9_-]+):([^:\x00-\x1f]*):([a-z_]+)/([^\x00-\x1f]+)\Z")


def resource_id(provider: str, region: str | None, rtype: ResourceType | str, name: str) -> str:
    """Build the stable id ``cloudcore:<provider>:<region>:<type>/<name>``."""
    return f"cloudcore:{provider}:{region or ''}:{ResourceType(rtype).value}/{name}"


def parse_resource_id(rid: str) -> tuple[str, str | None, ResourceType, str]:
    """Split a resource id into ``(provider, region, type, name)``.

    Raises:
        ValueError: if ``rid`` is not a cloudcore resource id.
    """
    m = _ID_RE.fullmatch(rid)
    if not m:
        raise ValueError(
            f"{rid!r} is not a cloudcore resource id (cloudcore:PROVIDER:REGION:TYPE/NAME)"
        )
    provider, region, rtype, name = m.groups()
    try:
        kind = ResourceType(rtype)
    except ValueError:
        raise ValueError(f"{rid!r}: unknown resource type {rtype!r}") from None
    return provider, region or None, kind, name


class Resource(Model):
    """One thing cloudcore manages, as discovery lists it. Never carries a secret value.

    Attributes:
        id: Stable URN-like id, ``cloudcore:aws:us-east-1:service/api``.
        type: Kind of resource.
        provider: Driver name.
        region: Region or location, when the provider has them.
        name: cloudcore name (for DNS records: the FQDN and type, ``api.example.com/A``).
        state: Provider state, verbatim or portable.
        endpoints: Addresses where it answers.
        tags: Tags/labels, including ``managed-by=cloudcore``.
        relationships: Ids of related resources (a backup's database, a record's zone).
        metrics: Names of metrics the provider offers for it.
        operations: Protocol operations that apply to it.
        attributes: Other non-secret facts (revision, size, TTL...).
        provider_id: The provider's own identifier (ARN, resource name).
        created_at: Creation time (UTC), when known.
    """

    id: str
    type: ResourceType
    provider: str
    region: str | None = None
    name: str
    state: str = "unknown"
    endpoints: tuple[str, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)
    relationships: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    attributes: dict[str, Any] = Field(default_factory=dict)
    provider_id: str | None = None
    created_at: datetime | None = None

    def carries(self, tags: Mapping[str, str]) -> bool:
        """Whether this resource has every tag of ``tags`` with that value (``{}``: yes).

        Drivers filter ``list_resources`` with it where the provider has no tag filter of its
        own; the core does not filter their answer again."""
        return all(self.tags.get(k) == v for k, v in tags.items())


class OperationSchema(Model):
    """An operation applicable to a resource, for tools and agents.

    Attributes:
        name: Protocol method name.
        description: One line on what it does.
        parameters: JSON Schema of its parameters (an object schema).
        read_only: Changes nothing.
        destructive: May delete or overwrite data.
        idempotent: Repeating it with the same input has no further effect.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    read_only: bool
    destructive: bool
    idempotent: bool


class ResourceSchema(Model):
    """Everything an agent needs to understand and act on a resource.

    Attributes:
        id: The resource id (or the type, for a type-level schema).
        type: Kind of resource.
        provider: Driver name.
        config_schema: JSON Schema of the resource's configuration.
        state_schema: JSON Schema of its observed state (the ``Resource`` model).
        operations: Applicable operations with parameter schemas and hints.
        relationships: Ids of related resources.
        metrics: Metric names.
    """

    id: str
    type: ResourceType
    provider: str
    config_schema: dict[str, Any]
    state_schema: dict[str, Any]
    operations: tuple[OperationSchema, ...] = ()
    relationships: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
