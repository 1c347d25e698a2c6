"""Compute models: a container service's config, the result of a deploy, its status and logs."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from ._base import Extras, Model, Name, Port, Tags, Text, Token, UrlPath, utcnow

_ENV_RE = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")


# An OCI image reference, the grammar of github.com/distribution/reference (reference.go):
#   reference := name [ ":" tag ] [ "@" digest ]
#   name := [domain "/"] path-component ["/" path-component]*
#   domain := domain-component ["." domain-component]* [":" port] (or a bracketed IPv6 address)
#   path-component := [a-z0-9]+ (separator [a-z0-9]+)*   separator := [_.] | "__" | "-"+
#   tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}   digest := algorithm ":" hex(32+)
# Matched whole (fullmatch): a reference never starts with "-", so it can never be read as an
# option by a container runtime, and no whitespace or control character can reach a command.
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*"
_IMAGE_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_IMAGE_RE = re.compile(
    rf"{_IMAGE_NAME}(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?",
    re.ASCII,
)


IMAGE_SCHEMA_PATTERN = "^" + _IMAGE_RE.pattern + "$"
"""The same grammar as a JSON Schema ``pattern`` (ECMA-262 reads it the same)."""


def check_image(value: str) -> str:
    """An OCI image reference (``name[:tag][@digest]``, see :data:`_IMAGE_RE`), matched whole."""
    if _IMAGE_RE.fullmatch(value) is None:
        raise ValueError(
            "an image reference is [registry/]path[:tag][@digest]: lowercase path components "
            "of letters, digits and '._-', a tag of up to 128 characters of [A-Za-z0-9_.-] "
            "(e.g. 'nginx:1.27', 'ghcr.io/acme/api@sha256:<64 hex>'); it never starts with '-'"
        )
    return value


def _check_env(value: dict[str, str]) -> dict[str, str]:
    for key in value:
        if not _ENV_RE.fullmatch(key):
            raise ValueError(f"environment variable name {key!r} must match [A-Za-z_][A-Za-z0-9_]*")
    return value


class SecretRef(Model):
    """A reference to a cloudcore secret, injected into a service as an environment variable.

    Attributes:
        key: The secret's cloudcore name (as given to ``store_secret``).
        version: A fixed version, or ``None`` for the latest.
    """

    key: Annotated[
        str, Field(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9][A-Za-z0-9_./!-]*$")
    ]
    version: Annotated[Token, Field(min_length=1, max_length=128)] | None = None


def _coerce_refs(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ({"key": v} if isinstance(v, str) else v) for k, v in value.items()}
    return value


def _check_secret_env(value: dict[str, SecretRef]) -> dict[str, SecretRef]:
    _check_env(dict.fromkeys(value, ""))
    return value


class HealthCheck(Model):
    """How to tell a replica is healthy: an HTTP GET on ``path`` (or a TCP connect when ``None``).

    Attributes:
        path: HTTP path to GET; ``None`` means a TCP connect to the port.
        port: Port to probe; defaults to the service's port.
        interval_seconds: Seconds between probes.
        timeout_seconds: Seconds before a probe counts as failed.
        healthy_threshold: Consecutive successes to become healthy.
        unhealthy_threshold: Consecutive failures to become unhealthy.
        grace_seconds: Seconds after start before failures count.
    """

    path: UrlPath | None = "/"
    port: Port | None = None
    interval_seconds: Annotated[int, Field(ge=1, le=300)] = 30
    timeout_seconds: Annotated[int, Field(ge=1, le=120)] = 5
    healthy_threshold: Annotated[int, Field(ge=1, le=10)] = 2
    unhealthy_threshold: Annotated[int, Field(ge=1, le=10)] = 3
    grace_seconds: Annotated[int, Field(ge=0, le=3600)] = 0

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> Self:
        if self.timeout_seconds > self.interval_seconds:
            raise ValueError("timeout_seconds must not exceed interval_seconds")
        return self


class Autoscaling(Model):
    """Target-tracking autoscaling on CPU.

    Attributes:
        min_replicas: Lower bound.
        max_replicas: Upper bound (at least ``min_replicas``).
        cpu_target_percent: Average CPU utilisation to hold, 1-100.
    """

    min_replicas: Annotated[int, Field(ge=0, le=1000)] = 1
    max_replicas: Annotated[int, Field(ge=1, le=1000)] = 4
    cpu_target_percent: Annotated[float, Field(gt=0, le=100)] = 70.0

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"min_replicas ({self.min_replicas}) exceeds max_replicas ({self.max_replicas})"
            )
        return self


class ServiceConfig(Model):
    """What to run and how much of it: the portable description of a container service.

    Units are the same on every driver: ``cpu`` in vCPU, ``memory`` in MiB.

    Attributes:
        image: Container image reference. Required by container platforms (ECS, Cloud Run).
        command: Command and arguments; overrides the image's entry point, or is the process
            itself where no container runtime is used (bare metal).
        port: The port the service listens on, if it serves traffic.
        cpu: vCPU per replica (``0.25``, ``1``, ``2``).
        memory: MiB per replica.
        replicas: Desired replica count (the starting count when autoscaling is set).
        env: Plain environment variables. Never put secrets here: use ``secrets``.
        secrets: Environment variable name to the cloudcore secret injected there.
        health_check: How to probe replicas; ``None`` for no probe.
        autoscaling: CPU target tracking, or ``None`` for a fixed count.
        tags: User tags, copied onto every provider resource the deploy creates.
        extras: Provider-specific options (documented by each driver).
    """

    image: (
        Annotated[
            str,
            Field(
                min_length=1,
                max_length=1024,
                json_schema_extra={"pattern": IMAGE_SCHEMA_PATTERN},
            ),
            AfterValidator(check_image),
        ]
        | None
    ) = None
    command: tuple[Annotated[Text, Field(max_length=4096)], ...] | None = None
    port: Port | None = None
    cpu: Annotated[float, Field(gt=0, le=64)] = 0.25
    memory: Annotated[int, Field(ge=64, le=524_288)] = 512
    replicas: Annotated[int, Field(ge=0, le=1000)] = 1
    env: Annotated[
        dict[str, Annotated[Text, Field(max_length=32_768)]], AfterValidator(_check_env)
    ] = Field(default_factory=dict)
    secrets: Annotated[
        dict[str, SecretRef], BeforeValidator(_coerce_refs), AfterValidator(_check_secret_env)
    ] = Field(default_factory=dict)
    health_check: HealthCheck | None = None
    autoscaling: Autoscaling | None = None
    tags: Tags = Field(default_factory=dict)
    extras: Extras = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.image is None and not self.command:
            raise ValueError("give an image, a command, or both")
        overlap = set(self.env) & set(self.secrets)
        if overlap:
            raise ValueError(f"variables both in env and secrets: {sorted(overlap)}")
        if self.autoscaling is not None:
            low, high = self.autoscaling.min_replicas, self.autoscaling.max_replicas
            if not low <= self.replicas <= high:
                raise ValueError(
                    f"replicas ({self.replicas}) outside autoscaling bounds [{low}, {high}]"
                )
        return self


class ServiceState(StrEnum):
    """Where a service stands, the same on every driver."""

    PENDING = "pending"
    DEPLOYING = "deploying"
    RUNNING = "running"
    DEGRADED = "degraded"
    STOPPED = "stopped"
    FAILED = "failed"
    UNKNOWN = "unknown"


class ServiceEvent(Model):
    """One event in a service's recent history (a deployment step, a replica replaced)."""

    time: datetime
    message: str


class DeploymentResult(Model):
    """What a ``deploy_service`` call did.

    Attributes:
        name: The service's cloudcore name.
        revision: The provider's revision (task definition revision, Cloud Run revision, hash).
        changed: ``False`` when the service already matched the config and nothing was written.
        replicas: Desired replicas after the deploy.
        endpoint: Where it answers, when the provider gives an address.
        provider_id: The provider's identifier (ARN, resource name).
    """

    name: str
    revision: str
    changed: bool
    replicas: int
    endpoint: str | None = None
    provider_id: str | None = None


class ServiceStatus(Model):
    """A service's state as the provider reports it.

    Attributes:
        name: The service's cloudcore name.
        state: Portable state.
        desired: Desired replicas.
        running: Replicas running (and healthy, where the provider checks).
        pending: Replicas starting.
        revision: The revision the service runs (or rolls out).
        deployment_state: The provider's own rollout state, verbatim.
        endpoint: Where it answers, if known.
        events: Recent events, newest last.
        updated_at: When this status was read (UTC).
    """

    name: str
    state: ServiceState
    desired: int
    running: int
    pending: int = 0
    revision: str | None = None
    deployment_state: str | None = None
    endpoint: str | None = None
    events: tuple[ServiceEvent, ...] = ()
    updated_at: datetime = Field(default_factory=utcnow)


class LogEntry(Model):
    """One line of a service's logs."""

    time: datetime
    message: str
    source: str | None = None


class ServiceSummary(Model):
    """One entry of ``list_services()``."""

    name: Name
    revision: str | None = None
    replicas: int = 0
    state: ServiceState = ServiceState.UNKNOWN
