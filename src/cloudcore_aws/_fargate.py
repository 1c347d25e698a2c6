"""Pure functions of the ECS mapping: Fargate sizes, the task definition a config renders to,
and the comparison that decides whether a deploy writes anything. Shared by ``compute`` and the
CloudFormation export; no SDK import, no network."""

from __future__ import annotations

import shlex
from collections.abc import Collection, Mapping
from typing import Any

from cloudcore.errors import ConfigurationError
from cloudcore.models import HealthCheck, ServiceConfig

__all__ = [
    "COMPUTE_EXTRAS",
    "FARGATE_MEMORY",
    "LATEST_LABEL",
    "container_health_check",
    "fargate_size",
    "log_group_name",
    "render_task_definition",
    "same_task_definition",
]

LATEST_LABEL = "cloudcore.secrets-latest"
"""Container label listing the secret variables deployed as "latest" (comma-separated)."""


FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
"""Fargate's allowed task sizes: CPU units to the memory values (MiB) allowed with them."""

COMPUTE_EXTRAS = frozenset(
    {
        "execution_role_arn",
        "task_role_arn",
        "target_group_arn",
        "assign_public_ip",
        "platform_version",
        "cpu_architecture",
        "log_retention_days",
        "health_check_command",
    }
)
"""``ServiceConfig.extras`` the AWS driver understands."""

_MANAGED_CONTAINER_KEYS = (
    "name",
    "image",
    "essential",
    "entryPoint",
    "command",
    "portMappings",
    "environment",
    "secrets",
    "dockerLabels",
    "healthCheck",
    "logConfiguration",
)
_MANAGED_TASK_KEYS = (
    "family",
    "cpu",
    "memory",
    "networkMode",
    "requiresCompatibilities",
    "executionRoleArn",
    "taskRoleArn",
    "runtimePlatform",
)


def _vcpu(units: int) -> str:
    return f"{units / 1024:g}"


def fargate_size(cpu: float, memory: int) -> tuple[int, int]:
    """``(cpu_units, memory_mib)`` for a config, or :class:`ConfigurationError` naming the field.

    ``cpu`` is in vCPU (ECS units = vCPU x 1024), ``memory`` in MiB; the pair must be one Fargate
    allows.
    """
    units = cpu * 1024
    if units != int(units) or int(units) not in FARGATE_MEMORY:
        allowed = ", ".join(_vcpu(u) for u in FARGATE_MEMORY)
        raise ConfigurationError(
            f"config.cpu: Fargate runs {allowed} vCPU per task (got {cpu:g})", field="config.cpu"
        )
    allowed_mem = FARGATE_MEMORY[int(units)]
    if memory not in allowed_mem:
        lo, hi = allowed_mem[0], allowed_mem[-1]
        step = allowed_mem[1] - allowed_mem[0]
        listing = (
            ", ".join(str(m) for m in allowed_mem)
            if len(allowed_mem) <= 4
            else f"{lo} to {hi} in steps of {step}"
        )
        raise ConfigurationError(
            f"config.memory: with {cpu:g} vCPU Fargate allows {listing} MiB (got {memory})",
            field="config.memory",
        )
    return int(units), memory


def log_group_name(cluster: str, name: str) -> str:
    """The CloudWatch Logs group of a service."""
    return f"/cloudcore/{cluster}/{name}"


def container_health_check(config: ServiceConfig, hc: HealthCheck) -> dict[str, Any]:
    """ECS's container health check for a portable one (an HTTP GET with curl, or a TCP connect).

    ECS runs the command inside the container, so the image needs ``curl`` (HTTP) or ``bash``
    (TCP); ``extras["health_check_command"]`` replaces the command.
    """
    port = hc.port or config.port
    checks = (
        ("health_check.interval_seconds", hc.interval_seconds, 5, 300),
        ("health_check.timeout_seconds", hc.timeout_seconds, 2, 60),
        ("health_check.grace_seconds", hc.grace_seconds, 0, 300),
    )
    for field, value, lo, hi in checks:
        if not lo <= value <= hi:
            raise ConfigurationError(
                f"config.{field}: ECS allows {lo} to {hi} (got {value})", field=f"config.{field}"
            )
    custom = config.extras.get("health_check_command")
    if custom is not None:
        command = ["CMD-SHELL", custom] if isinstance(custom, str) else [str(c) for c in custom]
    elif port is None:
        raise ConfigurationError(
            "config.health_check.port: a health check needs a port (config.port or "
            "health_check.port)",
            field="config.health_check.port",
        )
    elif hc.path is not None:
        url = shlex.quote(f"http://localhost:{port}{hc.path}")
        command = ["CMD-SHELL", f"curl -fsS -o /dev/null {url} || exit 1"]
    else:
        command = ["CMD-SHELL", f"bash -c '</dev/tcp/127.0.0.1/{port}' || exit 1"]
    return {
        "command": command,
        "interval": hc.interval_seconds,
        "timeout": hc.timeout_seconds,
        "retries": hc.unhealthy_threshold,
        "startPeriod": hc.grace_seconds,
    }


def render_task_definition(
    name: str,
    config: ServiceConfig,
    *,
    region: str,
    cluster: str,
    secret_arns: Mapping[str, str],
    execution_role_arn: str | None,
    task_role_arn: str | None,
    latest_pinned: Collection[str] = (),
) -> dict[str, Any]:
    """The ``RegisterTaskDefinition`` request (without tags) a config renders to.

    Args:
        secret_arns: Environment variable name to the ``valueFrom`` of each injected secret.
        latest_pinned: Variables whose reference asks for the latest version, pinned in
            ``valueFrom`` to the version current at deploy time; recorded in the container's
            :data:`LATEST_LABEL` so read-back reports them as "latest" again.
    """
    if config.image is None:
        raise ConfigurationError(
            "config.image: ECS Fargate runs container images; give an image", field="config.image"
        )
    units, memory = fargate_size(config.cpu, config.memory)
    container: dict[str, Any] = {"name": name, "image": config.image, "essential": True}
    if config.command:
        container["entryPoint"] = [config.command[0]]
        container["command"] = list(config.command[1:])
    if config.port is not None:
        container["portMappings"] = [
            {"containerPort": config.port, "hostPort": config.port, "protocol": "tcp"}
        ]
    if config.env:
        container["environment"] = [{"name": k, "value": v} for k, v in sorted(config.env.items())]
    if config.secrets:
        container["secrets"] = [
            {"name": k, "valueFrom": secret_arns[k]} for k in sorted(config.secrets)
        ]
        if latest_pinned:
            container["dockerLabels"] = {LATEST_LABEL: ",".join(sorted(latest_pinned))}
    if config.health_check is not None:
        container["healthCheck"] = container_health_check(config, config.health_check)
    container["logConfiguration"] = {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": log_group_name(cluster, name),
            "awslogs-region": region,
            "awslogs-stream-prefix": name,
        },
    }
    task: dict[str, Any] = {
        "family": name,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": str(units),
        "memory": str(memory),
        "containerDefinitions": [container],
    }
    execution = config.extras.get("execution_role_arn", execution_role_arn)
    if execution is None:
        raise ConfigurationError(
            "execution_role_arn: Fargate needs a task execution role to write logs to CloudWatch "
            "and read secrets; pass execution_role_arn= to the provider or in config.extras",
            field="execution_role_arn",
        )
    task["executionRoleArn"] = str(execution)
    role = config.extras.get("task_role_arn", task_role_arn)
    if role:
        task["taskRoleArn"] = str(role)
    arch = config.extras.get("cpu_architecture")
    if arch is not None:
        if arch not in ("X86_64", "ARM64"):
            raise ConfigurationError(
                f"config.extras.cpu_architecture: X86_64 or ARM64 (got {arch!r})",
                field="config.extras.cpu_architecture",
            )
        task["runtimePlatform"] = {"cpuArchitecture": arch, "operatingSystemFamily": "LINUX"}
    return task


def _norm(key: str, value: Any) -> Any:
    if value in (None, [], {}):
        return None
    if key in ("environment", "secrets") and isinstance(value, list):
        return sorted((dict(v) for v in value), key=lambda v: str(v.get("name")))
    if key == "portMappings" and isinstance(value, list):
        return [
            {k: v for k, v in m.items() if k in ("containerPort", "hostPort", "protocol")}
            for m in value
        ]
    return value


def same_task_definition(rendered: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Whether the registered ``current`` task definition already is ``rendered``.

    Only what cloudcore sets is compared (AWS fills in defaults such as ``cpu: 0`` and
    ``mountPoints: []``), and a key cloudcore no longer sets counts as a change.
    """
    for key in _MANAGED_TASK_KEYS:
        if _norm(key, rendered.get(key)) != _norm(key, current.get(key)):
            return False
    want = rendered.get("containerDefinitions", [])
    have = current.get("containerDefinitions", [])
    if len(want) != len(have):
        return False
    for w, h in zip(want, have, strict=True):
        for key in _MANAGED_CONTAINER_KEYS:
            if _norm(key, w.get(key)) != _norm(key, h.get(key)):
                return False
    return True
