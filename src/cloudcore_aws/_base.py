"""What every AWS capability mixin shares: options, the session, tags, waiting."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from cloudcore.errors import (
    CloudcoreError,
    ConfigurationError,
    Conflict,
    NotFound,
    OperationTimeout,
)
from cloudcore.models import MANAGED_BY_KEY, MANAGED_BY_VALUE, NAME_TAG_KEY
from cloudcore.provider import BaseProvider

from ._errors import map_error
from ._session import AWSSession

__all__ = ["AWSBase", "check_extras", "kv_tags", "tag_dict"]

T = TypeVar("T")


def _str_list(value: Any, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise ConfigurationError(f"{field}: expected a list of ids (got {value!r})", field=field)
    return tuple(value)


def kv_tags(
    tags: Mapping[str, str], key: str = "Key", value: str = "Value"
) -> list[dict[str, str]]:
    """``{"a": "b"}`` as AWS's ``[{"Key": "a", "Value": "b"}]`` (key names vary by service)."""
    return [{key: k, value: v} for k, v in sorted(tags.items())]


def tag_dict(
    items: Iterable[Mapping[str, Any]] | None, key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    """AWS's tag list as a dict."""
    return {str(t[key]): str(t.get(value, "")) for t in items or ()}


def check_extras(extras: Mapping[str, Any], allowed: Iterable[str], model: str) -> None:
    """Refuse extras this driver does not know (before any call), naming the field."""
    unknown = sorted(set(extras) - set(allowed))
    if unknown:
        raise ConfigurationError(
            f"{model}.extras: unknown AWS options {unknown}; known: {sorted(allowed)}",
            field=f"extras.{unknown[0]}",
        )


class AWSBase(BaseProvider):
    """Options and shared plumbing of :class:`~cloudcore_aws.provider.AWSProvider`.

    Args:
        region: AWS region; defaults to boto3's chain (``AWS_REGION``, the profile's region).
        endpoint_url: One endpoint URL for every service (a moto server in tests).
        profile_name: Named profile from ``~/.aws/config`` (credentials stay in boto3's chain).
        cluster: ECS cluster services run in (created when missing).
        subnets: Subnet ids for Fargate tasks and the RDS/ElastiCache subnet groups.
        security_groups: Security group ids for tasks, databases and caches.
        execution_role_arn: ECS task execution role (pulls images, reads secrets, writes logs).
        task_role_arn: Default ECS task role for the application itself.
        scheduler_role_arn: Role EventBridge Scheduler starts job tasks with (``ecs:RunTask``,
            ``iam:PassRole``); needed by ``schedule_job``.
        assign_public_ip: Give Fargate tasks a public IP (public subnets without NAT).
        final_snapshot: ``delete_database`` keeps a final snapshot (default ``True``).
        secret_recovery_days: Recovery window of ``delete_secret`` (7-30; 0 deletes at once).
        wait_timeout: Seconds to wait for a database or cache to become available.
        retry: The core retry policy (see :class:`cloudcore.RetryPolicy`).
        session: A ``boto3.Session`` to use (dependency injection; credentials stay its own).
    """

    name = "aws"

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        profile_name: str | None = None,
        cluster: str = "cloudcore",
        subnets: Iterable[str] | str | None = None,
        security_groups: Iterable[str] | str | None = None,
        execution_role_arn: str | None = None,
        task_role_arn: str | None = None,
        scheduler_role_arn: str | None = None,
        assign_public_ip: bool = False,
        final_snapshot: bool = True,
        secret_recovery_days: int = 7,
        wait_timeout: float = 1800.0,
        retry: Any = None,
        session: Any = None,
    ) -> None:
        region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        super().__init__(region=region, retry=retry)
        if not isinstance(cluster, str) or not cluster:
            raise ConfigurationError("cluster: expected a cluster name", field="cluster")
        if not isinstance(secret_recovery_days, int) or not (
            secret_recovery_days == 0 or 7 <= secret_recovery_days <= 30
        ):
            raise ConfigurationError(
                "secret_recovery_days: 0 (delete at once) or 7 to 30", field="secret_recovery_days"
            )
        self.cluster = cluster
        self.subnets = _str_list(subnets, "subnets")
        self.security_groups = _str_list(security_groups, "security_groups")
        self.execution_role_arn = execution_role_arn
        self.task_role_arn = task_role_arn
        self.scheduler_role_arn = scheduler_role_arn
        self.assign_public_ip = bool(assign_public_ip)
        self.final_snapshot = bool(final_snapshot)
        self.secret_recovery_days = secret_recovery_days
        self.wait_timeout = float(wait_timeout)
        self.endpoint_url = endpoint_url
        self._aws = AWSSession(
            self.name,
            region=region,
            endpoint_url=endpoint_url,
            profile_name=profile_name,
            session=session,
        )
        self._sleep: Callable[[float], None] = time.sleep
        self._poll_interval = 5.0
        # Caches of facts that only cloudcore changes (all safe to lose).
        self._known_lock = threading.Lock()
        self._known_managed: set[str] = set()  # secrets known to exist and be managed
        self._cluster_ready = False
        self._log_groups_ready: set[str] = set()

    # ----------------------------------------------------------------- meta
    @property
    def region(self) -> str | None:
        if self._region is None:
            self._region = self._aws.region
        return self._region

    def _client(self, service: str) -> Any:
        return self._aws.client(service)

    def _map_error(self, exc: Exception) -> CloudcoreError | None:
        return map_error(exc)

    def _close(self) -> None:
        self._aws.close()

    # ----------------------------------------------------------------- tags
    def _tags(self, name: str, user: Mapping[str, str] | None = None) -> dict[str, str]:
        """User tags plus ``managed-by=cloudcore`` and ``cloudcore-name=<name>``."""
        return {**(user or {}), MANAGED_BY_KEY: MANAGED_BY_VALUE, NAME_TAG_KEY: name}

    @staticmethod
    def _is_managed(tags: Mapping[str, str]) -> bool:
        return tags.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE

    def _refuse_unmanaged(self, tags: Mapping[str, str], what: str) -> None:
        if not self._is_managed(tags):
            raise Conflict(
                f"{what} exists but is not managed by cloudcore (no {MANAGED_BY_KEY}="
                f"{MANAGED_BY_VALUE} tag); cloudcore never changes what it does not manage"
            )

    def _secret_arn(self, key: str) -> str:
        """The ARN of a secret (for ECS ``valueFrom``); ``NotFound`` when it does not exist."""
        return self._secret_current(key)[0]

    def _secret_current(self, key: str) -> tuple[str, str | None]:
        """The ARN of a secret and its ``AWSCURRENT`` version id; ``NotFound`` when it does not
        exist."""
        desc = self._client("secretsmanager").describe_secret(SecretId=key)
        if desc.get("DeletedDate"):
            raise NotFound(f"secret {key!r} is pending deletion")
        stages = desc.get("VersionIdsToStages") or {}
        current = next((v for v, s in stages.items() if "AWSCURRENT" in s), None)
        return str(desc["ARN"]), current

    # ---------------------------------------------------------------- waits
    def _wait(self, what: str, poll: Callable[[], T | None], timeout: float | None = None) -> T:
        """Call ``poll`` (a read, retried on its own) until it returns non-``None``."""
        limit = self.wait_timeout if timeout is None else timeout
        start = time.monotonic()
        while True:
            result = self.call(poll)
            if result is not None:
                return result
            waited = time.monotonic() - start
            if waited >= limit:
                raise OperationTimeout(f"gave up waiting for {what}", waited=waited)
            self._sleep(min(self._poll_interval, max(limit - waited, 0.0)))
