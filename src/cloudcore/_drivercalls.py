"""The driver-side methods ``BaseProvider`` calls, with their signatures in one place.

A driver implements the ``_`` methods of each capability it declares. The core checks
capabilities first, so these defaults run only when a driver declares a capability and forgets a
method: they raise :class:`~cloudcore.errors.Unsupported` saying so (never ``NotImplementedError``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import NoReturn

from pydantic import SecretStr

from .errors import CloudcoreError, Unsupported
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
    ResourceType,
    ServiceConfig,
    ServiceStatus,
    ServiceSummary,
    WAFRule,
)
from .models.secrets import SecretVersion

__all__ = ["DriverMethods"]


class DriverMethods:
    """Defaults for every driver hook (see ``BaseProvider``)."""

    name: str

    def _missing(self, capability: str, method: str) -> NoReturn:
        raise Unsupported(
            capability,
            reason=f"the {self.name} driver declares {capability} but does not implement {method}",
            provider=self.name,
        )

    def _map_error(self, exc: Exception) -> CloudcoreError | None:
        """Translate an SDK exception into the error tree (the driver's one mapping point).
        Return ``None`` for "unknown": the core then raises ``ProviderError`` with the cause."""
        return None

    def _close(self) -> None:
        """Release clients and connections."""

    def _list_resources(
        self, type: ResourceType | None, tags: Mapping[str, str]
    ) -> Iterator[Resource]:
        """Yield the managed resources (the core filters by type and tags again)."""
        return iter(())

    def _deploy_service(self, name: str, config: ServiceConfig) -> DeploymentResult:
        self._missing("compute", "_deploy_service")

    def _scale_service(self, name: str, replicas: int) -> ServiceStatus:
        self._missing("compute", "_scale_service")

    def _get_service_status(self, name: str) -> ServiceStatus:
        self._missing("compute", "_get_service_status")

    def _list_services(self) -> list[ServiceSummary]:
        self._missing("compute", "_list_services")

    def _delete_service(self, name: str) -> None:
        self._missing("compute", "_delete_service")

    def _get_logs(self, name: str, since: datetime | None, limit: int) -> list[LogEntry]:
        self._missing("compute", "_get_logs")

    def _provision_database(self, config: DatabaseConfig) -> DatabaseEndpoint:
        self._missing("database", "_provision_database")

    def _backup_database(self, name: str) -> BackupRef:
        self._missing("database", "_backup_database")

    def _list_backups(self, name: str) -> list[BackupRef]:
        self._missing("database", "_list_backups")

    def _restore_database(self, backup_id: str, new_name: str) -> DatabaseEndpoint:
        self._missing("database", "_restore_database")

    def _delete_database(self, name: str) -> None:
        self._missing("database", "_delete_database")

    def _provision_cache(self, config: CacheConfig) -> CacheEndpoint:
        self._missing("cache", "_provision_cache")

    def _delete_cache(self, name: str) -> None:
        self._missing("cache", "_delete_cache")

    def _upsert_dns_records(self, records: list[DNSRecord]) -> int:
        self._missing("dns", "_upsert_dns_records")

    def _list_dns_records(self, zone: str) -> list[DNSRecord]:
        self._missing("dns", "_list_dns_records")

    def _delete_dns_record(self, record: DNSRecord) -> None:
        self._missing("dns", "_delete_dns_record")

    def _configure_waf(self, rules: tuple[WAFRule, ...], target: str | None) -> bool:
        self._missing("waf", "_configure_waf")

    def _get_waf_rules(self, target: str | None) -> list[WAFRule]:
        self._missing("waf", "_get_waf_rules")

    def _store_secret(self, key: str, value: SecretStr) -> str:
        self._missing("secrets", "_store_secret")

    def _get_secret(self, key: str, version: str | None) -> SecretStr:
        self._missing("secrets", "_get_secret")

    def _list_secrets(self) -> Iterable[str]:
        self._missing("secrets", "_list_secrets")

    def _list_secret_versions(self, key: str) -> list[SecretVersion]:
        self._missing("secrets", "_list_secret_versions")

    def _delete_secret(self, key: str) -> None:
        self._missing("secrets", "_delete_secret")
