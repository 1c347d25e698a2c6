"""Registers the ``aws`` driver. Imports no SDK: boto3 is loaded only when a provider is built."""

from __future__ import annotations

from typing import Any

from cloudcore.hookspecs import RegisterDriver, hookimpl

CAPABILITIES = (
    "compute",
    "database",
    "cache",
    "dns",
    "waf",
    "secrets",
    "storage",
    "queues",
    "jobs",
    "discovery",
)


@hookimpl
def cloudcore_register_drivers(register: RegisterDriver) -> None:
    register(
        name="aws",
        factory="cloudcore_aws.provider:AWSProvider",
        extra="aws",
        requires=("boto3", "botocore"),
        capabilities=CAPABILITIES,
        test_target="cloudcore_aws.testing:fake_target",
        # What `cloudcore conformance aws --fake` needs besides boto3 (the [testing] extra).
        test_requires=("moto", "flask", "flask_cors"),
        description="AWS: ECS Fargate, RDS Postgres, ElastiCache Redis, Secrets Manager, "
        "Route53, WAFv2, S3, SQS, EventBridge Scheduler, Resource Groups Tagging",
    )


@hookimpl
def cloudcore_cli_commands(subparsers: Any, common: Any) -> None:
    """Add this package's subcommands to ``cloudcore``."""
    from cloudcore_aws import cli

    cli.add_parser(subparsers, common)
