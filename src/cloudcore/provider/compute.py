"""The ``compute`` capability: container services (deploy, scale, status, list, delete, logs).

One module per capability holds everything the core says about it: the protocol methods
(:class:`ComputeProtocol`), their implementation on :class:`~cloudcore.provider.BaseProvider`
(:class:`ComputeMethods`: validation, feature checks, then the driver's ``_`` hooks, whose
defaults are here too), and their routing in a composition (:class:`ComputeRouting`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ..capabilities import Capability
from ..errors import ConfigurationError
from ..models import (
    DeploymentResult,
    LogEntry,
    ServiceConfig,
    ServiceStatus,
    ServiceSummary,
    validate_name,
)
from ._core import ProviderCore, RouterCore, coerce

__all__ = ["ComputeMethods", "ComputeProtocol", "ComputeRouting"]

C = Capability.COMPUTE


class ComputeProtocol(Protocol):
    """Container services."""

    def deploy_service(self, name: str, config: ServiceConfig) -> DeploymentResult: ...
    def scale_service(self, name: str, replicas: int) -> ServiceStatus: ...
    def get_service_status(self, name: str) -> ServiceStatus: ...
    def list_services(self) -> list[ServiceSummary]: ...
    def delete_service(self, name: str) -> None: ...
    def get_logs(
        self, name: str, since: datetime | None = None, limit: int = 100
    ) -> list[LogEntry]: ...
    def get_service_config(self, name: str) -> ServiceConfig: ...


class ComputeMethods(ProviderCore):
    """``compute`` on a driver: public methods, then the ``_`` hooks a driver implements."""

    def deploy_service(self, name: str, config: ServiceConfig) -> DeploymentResult:
        """Create or update the service ``name`` to match ``config``. Idempotent: an unchanged
        config writes nothing and returns the same revision with ``changed=False``."""
        self.require(C)
        name = validate_name(name)
        config = coerce(ServiceConfig, config, "config")
        self.require(C, *service_features(config, self))
        return self._invoke("deploy_service", name, lambda: self._deploy_service(name, config))

    def scale_service(self, name: str, replicas: int) -> ServiceStatus:
        """Set the desired replica count; returns the new status."""
        self.require(C)
        name = validate_name(name)
        if isinstance(replicas, bool) or not isinstance(replicas, int) or not 0 <= replicas <= 1000:
            raise ConfigurationError(
                f"replicas: must be an integer from 0 to 1000 (got {replicas!r})", field="replicas"
            )
        return self._invoke("scale_service", name, lambda: self._scale_service(name, replicas))

    def get_service_status(self, name: str) -> ServiceStatus:
        """The service's state, replicas, revision and recent events.

        Raises:
            NotFound: no such service.
        """
        self.require(C)
        name = validate_name(name)
        return self._invoke("get_service_status", name, lambda: self._get_service_status(name))

    def list_services(self) -> list[ServiceSummary]:
        """Every service cloudcore manages on this provider."""
        return self._invoke("list_services", None, self._list_services)

    def delete_service(self, name: str) -> None:
        """Delete the service; succeeds when it is already gone."""
        self.require(C)
        name = validate_name(name)
        self._invoke("delete_service", name, lambda: self._delete_service(name))

    def get_logs(
        self, name: str, since: datetime | None = None, limit: int = 100
    ) -> list[LogEntry]:
        """Recent log lines of a service, oldest first, at most ``limit``."""
        self.require(C, "logs")
        name = validate_name(name)
        if since is not None and (not isinstance(since, datetime) or since.tzinfo is None):
            raise ConfigurationError("since: must be a timezone-aware datetime", field="since")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
            raise ConfigurationError(f"limit: 1 to 10000 (got {limit!r})", field="limit")
        return self._invoke("get_logs", name, lambda: self._get_logs(name, since, limit))

    def get_service_config(self, name: str) -> ServiceConfig:
        """The service's config read back: ``deploy_service(name, it)`` is a no-op. Read-only.

        Fields listed in ``readback_gaps`` (``"compute:..."``) come back at their defaults.

        Raises:
            NotFound: no such service.
        """
        self.require(C)
        name = validate_name(name)
        return self._invoke("get_service_config", name, lambda: self._get_service_config(name))

    # ------------------------------------------------------- driver hooks
    def _deploy_service(self, name: str, config: ServiceConfig) -> DeploymentResult:
        """Make the service match ``config``; write nothing when it already does."""
        self._missing("compute", "_deploy_service")

    def _scale_service(self, name: str, replicas: int) -> ServiceStatus:
        """Set the desired replicas of an existing service (``NotFound`` when absent)."""
        self._missing("compute", "_scale_service")

    def _get_service_status(self, name: str) -> ServiceStatus:
        """Read the service's status (``NotFound`` when absent)."""
        self._missing("compute", "_get_service_status")

    def _list_services(self) -> list[ServiceSummary]:
        """Every managed service."""
        self._missing("compute", "_list_services")

    def _delete_service(self, name: str) -> None:
        """Delete the service; return quietly when it is already gone."""
        self._missing("compute", "_delete_service")

    def _get_logs(self, name: str, since: datetime | None, limit: int) -> list[LogEntry]:
        """At most ``limit`` log lines at or after ``since``, oldest first."""
        self._missing("compute", "_get_logs")

    def _get_service_config(self, name: str) -> ServiceConfig:
        """The portable config of ``name`` read back, without provider-side defaults and
        without cloudcore's own tags (``NotFound`` when absent). No writes."""
        self._missing("compute", "_get_service_config")


class ComputeRouting(RouterCore):
    """``compute`` in a composition: each call goes to the provider routed for compute."""

    def deploy_service(self, name: str, config: ServiceConfig) -> DeploymentResult:
        return self._route(C).deploy_service(name, config)

    def scale_service(self, name: str, replicas: int) -> ServiceStatus:
        return self._route(C).scale_service(name, replicas)

    def get_service_status(self, name: str) -> ServiceStatus:
        return self._route(C).get_service_status(name)

    def list_services(self) -> list[ServiceSummary]:
        return self._route(C).list_services()

    def delete_service(self, name: str) -> None:
        self._route(C).delete_service(name)

    def get_logs(
        self, name: str, since: datetime | None = None, limit: int = 100
    ) -> list[LogEntry]:
        return self._route(C).get_logs(name, since, limit)

    def get_service_config(self, name: str) -> ServiceConfig:
        return self._route(C).get_service_config(name)


def service_features(config: ServiceConfig, provider: ProviderCore) -> list[str]:
    """The compute features deploying ``config`` needs on ``provider``."""
    feats: list[str] = []
    have = provider.features.get(C, frozenset())
    if config.image and not config.command:
        feats.append("images")
    elif (config.command and not config.image) or "images" not in have:
        feats.append("commands")
    else:
        feats.append("images")
    if config.autoscaling is not None:
        feats.append("autoscaling")
    if config.health_check is not None:
        feats.append("health_check")
    if config.secrets:
        feats.append("secrets_env")
    return feats
