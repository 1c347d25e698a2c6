"""``AWSProvider``: the AWS driver, one mixin per capability over one lazy boto3 session."""

from __future__ import annotations

from collections.abc import Mapping

from cloudcore.capabilities import KNOWN_FEATURES, Capability

from .cache import AWSCache
from .compute import AWSCompute
from .database import AWSDatabase
from .discovery import AWSDiscovery
from .jobs import AWSJobs
from .queues import AWSQueues
from .readback import AWSReadback
from .secrets import AWSSecrets
from .storage import AWSStorage
from .waf import AWSWAF

__all__ = ["AWSProvider"]

C = Capability


class AWSProvider(
    AWSReadback,
    AWSJobs,
    AWSCompute,
    AWSDatabase,
    AWSCache,
    AWSSecrets,
    AWSWAF,
    AWSStorage,
    AWSQueues,
    AWSDiscovery,
):
    """AWS: ECS Fargate, RDS PostgreSQL, ElastiCache Redis, Route53, WAFv2, Secrets Manager, S3,
    SQS, EventBridge Scheduler.

    >>> import cloudcore
    >>> cloud = cloudcore.connect("aws", region="us-east-1", subnets=["subnet-1"],
    ...                           security_groups=["sg-1"], execution_role_arn="arn:...")
    ... # doctest: +SKIP

    Options are those of :class:`~cloudcore_aws._base.AWSBase` (region, endpoint_url,
    profile_name, cluster, subnets, security_groups, execution_role_arn, task_role_arn,
    scheduler_role_arn, assign_public_ip, final_snapshot, secret_recovery_days, wait_timeout, retry, session).
    Credentials come from boto3's standard chain only.
    """

    name = "aws"
    capabilities = frozenset(
        {
            C.COMPUTE,
            C.DATABASE,
            C.CACHE,
            C.DNS,
            C.WAF,
            C.SECRETS,
            C.STORAGE,
            C.QUEUES,
            C.JOBS,
            C.DISCOVERY,
        }
    )
    features: Mapping[Capability, frozenset[str]] = {
        C.COMPUTE: frozenset({"images", "autoscaling", "health_check", "logs", "secrets_env"}),
        C.DATABASE: frozenset(
            {"postgres", "high_availability", "backups", "restore", "encryption"}
        ),
        C.CACHE: frozenset({"redis", "high_availability", "tls", "auth"}),
        C.DNS: frozenset({"A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "CAA", "batch"}),
        C.WAF: KNOWN_FEATURES[C.WAF],  # every portable rule kind and managed set
        C.SECRETS: frozenset({"versions", "read"}),
        C.QUEUES: frozenset({"dead_letter", "fifo", "delay", "redrive"}),
        C.JOBS: frozenset({"command", "runs", "run_now"}),
        C.STORAGE: frozenset({"versioning", "presign", "lifecycle", "cors", "public"}),
        C.DISCOVERY: frozenset({"tags", "schemas"}),
    }
    unsupported_reasons: Mapping[str, str] = {
        "compute:commands": "ECS Fargate runs container images: give config.image (a command "
        "alone needs a host; compose with the baremetal driver)",
        "compute:endpoint": "an ECS service has no address of its own; it answers behind the "
        'ALB whose target group is given in config.extras["target_group_arn"]',
        "dns:proxied": "Route53 has no proxy; compose with cloudflare for proxied records",
        "jobs:http": "EventBridge Scheduler targets AWS APIs, not HTTPS endpoints (that takes an "
        "EventBridge rule with an API destination); run a command that calls the URL",
    }
    token_safe_operations = frozenset({"store_secret"})
