"""Composition: one provider made of several, routed by capability.

``connect({"compute": "aws", "database": "aws", "dns": "cloudflare", "waf": "cloudflare"})``
returns a :class:`CompositeProvider`. Each protocol method goes to the provider routed for its
capability, which validates, retries and emits events itself. Discovery merges every distinct
underlying provider's resources; ``get_resource_schema`` follows the provider named in the id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Self

from pydantic import SecretStr

from .capabilities import Capability
from .errors import ConfigurationError, NotFound, Unsupported
from .models import (
    BackupRef,
    CacheConfig,
    CacheEndpoint,
    DatabaseConfig,
    DatabaseEndpoint,
    DeploymentResult,
    DNSRecord,
    LogEntry,
    Resource,
    ResourceSchema,
    ResourceType,
    ServiceConfig,
    ServiceStatus,
    ServiceSummary,
    WAFRule,
    parse_resource_id,
)
from .models.secrets import SecretVersion
from .protocol import CloudProvider

__all__ = ["CompositeProvider"]

C = Capability


class CompositeProvider:
    """Routes each capability to its own provider.

    Args:
        routes: Capability to provider. Capabilities not routed are unsupported, with a reason
            saying how to route them.
        owned: Providers this composite created and must close.
    """

    def __init__(
        self,
        routes: Mapping[Capability, CloudProvider],
        owned: Iterable[CloudProvider] = (),
    ) -> None:
        self._routes = dict(routes)
        self._owned = list(owned)
        for cap, prov in self._routes.items():
            if not prov.supports(cap):
                raise Unsupported(
                    cap.value,
                    reason=f"routed to {prov.name!r}, which does not offer it: "
                    + prov.unsupported_reason(cap),
                )
        parts = ",".join(f"{c.value}={p.name}" for c, p in sorted(self._routes.items()))
        self._name = f"composite({parts})"

    # ----------------------------------------------------------------- meta
    @property
    def name(self) -> str:
        return self._name

    @property
    def region(self) -> str | None:
        regions = {p.region for p in self._providers()}
        return regions.pop() if len(regions) == 1 else None

    @property
    def routes(self) -> dict[Capability, CloudProvider]:
        """Capability to provider, as routed."""
        return dict(self._routes)

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset(self._routes)

    @property
    def features(self) -> Mapping[Capability, frozenset[str]]:
        return {c: p.features.get(c, frozenset()) for c, p in self._routes.items()}

    def supports(self, capability: Capability | str, feature: str | None = None) -> bool:
        try:
            cap = Capability(capability)
        except ValueError:
            return False
        prov = self._routes.get(cap)
        return prov is not None and prov.supports(cap, feature)

    def unsupported_reason(self, capability: Capability | str, feature: str | None = None) -> str:
        try:
            cap = Capability(capability)
        except ValueError:
            return f"{capability!r} is not a capability"
        prov = self._routes.get(cap)
        if prov is None:
            return (
                f"{cap.value} is not routed in this composition; add {cap.value!r} to the mapping"
            )
        return prov.unsupported_reason(cap, feature)

    def _route(self, cap: Capability) -> CloudProvider:
        prov = self._routes.get(cap)
        if prov is None:
            raise Unsupported(cap.value, reason=self.unsupported_reason(cap), provider=self._name)
        return prov

    def _providers(self) -> list[CloudProvider]:
        seen: list[CloudProvider] = []
        for prov in self._routes.values():
            if not any(prov is s for s in seen):
                seen.append(prov)
        return seen

    def close(self) -> None:
        for prov in self._owned:
            prov.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<CompositeProvider {self._name}>"

    # -------------------------------------------------------------- compute
    def deploy_service(self, name: str, config: ServiceConfig) -> DeploymentResult:
        return self._route(C.COMPUTE).deploy_service(name, config)

    def scale_service(self, name: str, replicas: int) -> ServiceStatus:
        return self._route(C.COMPUTE).scale_service(name, replicas)

    def get_service_status(self, name: str) -> ServiceStatus:
        return self._route(C.COMPUTE).get_service_status(name)

    def list_services(self) -> list[ServiceSummary]:
        return self._route(C.COMPUTE).list_services()

    def delete_service(self, name: str) -> None:
        self._route(C.COMPUTE).delete_service(name)

    def get_logs(
        self, name: str, since: datetime | None = None, limit: int = 100
    ) -> list[LogEntry]:
        return self._route(C.COMPUTE).get_logs(name, since, limit)

    # ------------------------------------------------------------- database
    def provision_database(self, config: DatabaseConfig) -> DatabaseEndpoint:
        return self._route(C.DATABASE).provision_database(config)

    def backup_database(self, name: str) -> BackupRef:
        return self._route(C.DATABASE).backup_database(name)

    def list_backups(self, name: str) -> list[BackupRef]:
        return self._route(C.DATABASE).list_backups(name)

    def restore_database(self, backup: BackupRef | str, new_name: str) -> DatabaseEndpoint:
        return self._route(C.DATABASE).restore_database(backup, new_name)

    def delete_database(self, name: str) -> None:
        self._route(C.DATABASE).delete_database(name)

    # ---------------------------------------------------------------- cache
    def provision_cache(self, config: CacheConfig) -> CacheEndpoint:
        return self._route(C.CACHE).provision_cache(config)

    def delete_cache(self, name: str) -> None:
        self._route(C.CACHE).delete_cache(name)

    # ------------------------------------------------------------------ dns
    def create_dns_record(self, domain: str, target: str, ttl: int = 300) -> DNSRecord:
        return self._route(C.DNS).create_dns_record(domain, target, ttl)

    def upsert_dns_records(self, records: Iterable[DNSRecord]) -> int:
        return self._route(C.DNS).upsert_dns_records(records)

    def list_dns_records(self, zone: str) -> list[DNSRecord]:
        return self._route(C.DNS).list_dns_records(zone)

    def delete_dns_record(self, record: DNSRecord) -> None:
        self._route(C.DNS).delete_dns_record(record)

    # ------------------------------------------------------------------ waf
    def configure_waf(self, rules: Iterable[WAFRule], target: str | None = None) -> bool:
        return self._route(C.WAF).configure_waf(rules, target)

    def get_waf_rules(self, target: str | None = None) -> list[WAFRule]:
        return self._route(C.WAF).get_waf_rules(target)

    # -------------------------------------------------------------- secrets
    def store_secret(self, key: str, value: str | SecretStr) -> str:
        return self._route(C.SECRETS).store_secret(key, value)

    def get_secret(self, key: str, version: str | None = None) -> SecretStr:
        return self._route(C.SECRETS).get_secret(key, version)

    def list_secrets(self) -> list[str]:
        return self._route(C.SECRETS).list_secrets()

    def list_secret_versions(self, key: str) -> list[SecretVersion]:
        return self._route(C.SECRETS).list_secret_versions(key)

    def delete_secret(self, key: str) -> None:
        self._route(C.SECRETS).delete_secret(key)

    # ------------------------------------------------------------ discovery
    def list_resources(
        self, type: ResourceType | str | None = None, tags: Mapping[str, str] | None = None
    ) -> Iterator[Resource]:
        """Resources of every distinct provider in the composition that offers discovery."""
        self._route(C.DISCOVERY)
        seen: set[str] = set()
        for prov in self._providers():
            if not prov.supports(C.DISCOVERY):
                continue
            for res in prov.list_resources(type, tags):
                if res.id not in seen:
                    seen.add(res.id)
                    yield res

    def get_resource_schema(self, id: str) -> ResourceSchema:
        self._route(C.DISCOVERY)
        if id.startswith("type:"):
            return self._route(C.DISCOVERY).get_resource_schema(id)
        try:
            provider, *_ = parse_resource_id(id)
        except ValueError as exc:
            raise ConfigurationError(f"id: {exc}", field="id") from None
        for prov in self._providers():
            if prov.name == provider and prov.supports(C.DISCOVERY):
                return prov.get_resource_schema(id)
        raise NotFound(f"no provider {provider!r} in this composition", resource=id)
