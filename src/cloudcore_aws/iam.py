"""The least-privilege IAM policy of the AWS driver, per capability.

``cloudcore iam-policy aws [-c compute -c secrets]`` prints :func:`policy_for`. The tests record
every API operation the driver calls during its whole test run (the ``cloudcore_api_call``
events botocore's hooks emit) and check that each one is granted here, and that nothing is granted
that the driver never calls — except the permissions AWS checks *implicitly* (listed in
:data:`IMPLIED` with the reason), which no SDK call names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cloudcore.capabilities import Capability

__all__ = [
    "ACTIONS",
    "IAM_PREFIX",
    "IMPLIED",
    "S3_ACTIONS",
    "actions_for",
    "iam_action",
    "policy_for",
]

C = Capability

IAM_PREFIX: dict[str, str] = {
    "ecs": "ecs",
    "logs": "logs",
    "application-autoscaling": "application-autoscaling",
    "secretsmanager": "secretsmanager",
    "rds": "rds",
    "elasticache": "elasticache",
    "route53": "route53",
    "wafv2": "wafv2",
    "resourcegroupstaggingapi": "tag",
    "sqs": "sqs",
    "scheduler": "scheduler",
    "s3": "s3",
}
"""botocore service name to IAM action prefix."""

S3_ACTIONS: dict[str, str] = {
    "ListBuckets": "s3:ListAllMyBuckets",
    "HeadBucket": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "HeadObject": "s3:GetObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "CopyObject": "s3:PutObject",
    "DeleteObjects": "s3:DeleteObject",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "GetBucketCors": "s3:GetBucketCORS",
    "PutBucketCors": "s3:PutBucketCORS",
    "DeleteBucketCors": "s3:PutBucketCORS",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
}
"""S3 operations whose IAM action has another name (the rest are ``s3:<Operation>``):
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html and
https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations.html (each operation's
"Permissions" section)."""

ACTIONS: dict[Capability, tuple[str, ...]] = {
    C.COMPUTE: (
        "ecs:DescribeClusters",
        "ecs:CreateCluster",
        "ecs:DescribeServices",
        "ecs:ListServices",
        "ecs:CreateService",
        "ecs:UpdateService",
        "ecs:DeleteService",
        "ecs:DescribeTaskDefinition",
        "ecs:ListTaskDefinitions",
        "ecs:RegisterTaskDefinition",
        "ecs:DeregisterTaskDefinition",
        "ecs:TagResource",
        "ecs:UntagResource",
        "logs:DescribeLogGroups",
        "logs:CreateLogGroup",
        "logs:PutRetentionPolicy",
        "logs:FilterLogEvents",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DeregisterScalableTarget",
        "secretsmanager:DescribeSecret",
    ),
    C.DATABASE: (
        "rds:DescribeDBInstances",
        "rds:CreateDBInstance",
        "rds:DeleteDBInstance",
        "rds:DescribeDBSubnetGroups",
        "rds:CreateDBSubnetGroup",
        "rds:DescribeDBParameterGroups",
        "rds:CreateDBParameterGroup",
        "rds:ModifyDBParameterGroup",
        "rds:CreateDBSnapshot",
        "rds:DescribeDBSnapshots",
        "rds:RestoreDBInstanceFromDBSnapshot",
    ),
    C.CACHE: (
        "elasticache:DescribeReplicationGroups",
        "elasticache:CreateReplicationGroup",
        "elasticache:DeleteReplicationGroup",
        "elasticache:ListTagsForResource",
        "elasticache:DescribeCacheSubnetGroups",
        "elasticache:CreateCacheSubnetGroup",
    ),
    C.DNS: (
        "route53:ListHostedZonesByName",
        "route53:ListResourceRecordSets",
        "route53:ChangeResourceRecordSets",
    ),
    C.WAF: (
        "wafv2:ListWebACLs",
        "wafv2:GetWebACL",
        "wafv2:CreateWebACL",
        "wafv2:UpdateWebACL",
        "wafv2:DeleteWebACL",
        "wafv2:ListIPSets",
        "wafv2:GetIPSet",
        "wafv2:CreateIPSet",
        "wafv2:UpdateIPSet",
        "wafv2:DeleteIPSet",
        "wafv2:ListTagsForResource",
        "wafv2:GetWebACLForResource",
        "wafv2:AssociateWebACL",
        "wafv2:DisassociateWebACL",
    ),
    C.SECRETS: (
        "secretsmanager:CreateSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:DescribeSecret",
        "secretsmanager:RestoreSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:ListSecrets",
        "secretsmanager:ListSecretVersionIds",
        "secretsmanager:DeleteSecret",
    ),
    C.QUEUES: (
        "sqs:GetQueueUrl",
        "sqs:GetQueueAttributes",
        "sqs:ListQueueTags",
        "sqs:ListQueues",
        "sqs:CreateQueue",
        "sqs:SetQueueAttributes",
        "sqs:TagQueue",
        "sqs:UntagQueue",
        "sqs:DeleteQueue",
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:PurgeQueue",
    ),
    C.JOBS: (
        "scheduler:GetScheduleGroup",
        "scheduler:CreateScheduleGroup",
        "scheduler:ListTagsForResource",
        "scheduler:GetSchedule",
        "scheduler:ListSchedules",
        "scheduler:CreateSchedule",
        "scheduler:UpdateSchedule",
        "scheduler:DeleteSchedule",
        "ecs:DescribeClusters",
        "ecs:CreateCluster",
        "ecs:DescribeTaskDefinition",
        "ecs:RegisterTaskDefinition",
        "ecs:ListTagsForResource",
        "ecs:RunTask",
        "ecs:ListTasks",
        "ecs:DescribeTasks",
        "logs:DescribeLogGroups",
        "logs:CreateLogGroup",
        "logs:PutRetentionPolicy",
        "secretsmanager:DescribeSecret",
    ),
    C.STORAGE: (
        "s3:ListAllMyBuckets",
        "s3:CreateBucket",
        "s3:DeleteBucket",
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:GetBucketTagging",
        "s3:PutBucketTagging",
        "s3:GetBucketVersioning",
        "s3:PutBucketVersioning",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:PutBucketPublicAccessBlock",
        "s3:GetLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
        "s3:GetBucketCORS",
        "s3:PutBucketCORS",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
    ),
    C.DISCOVERY: (
        "tag:GetResources",
        "ecs:DescribeServices",
        "rds:DescribeDBInstances",
        "elasticache:DescribeReplicationGroups",
        "secretsmanager:ListSecrets",
        "route53:ListHostedZones",
        "route53:ListTagsForResources",
        "route53:ListResourceRecordSets",
        "wafv2:ListWebACLs",
        "wafv2:ListTagsForResource",
        "s3:ListAllMyBuckets",
        "s3:GetBucketTagging",
    ),
}
"""The API operations each capability calls, as IAM actions."""

_CACHE_SECRETS = "arn:aws:secretsmanager:*:*:secret:cloudcore/cache/*"
_CACHE_SECRET_ACTIONS = (
    "secretsmanager:CreateSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:DescribeSecret",
    "secretsmanager:RestoreSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:DeleteSecret",
)
"""The cache's AUTH-token secrets (``cloudcore/cache/<name>/auth``): scoped to that prefix."""

IMPLIED: dict[Capability, dict[str, str]] = {
    C.COMPUTE: {
        "iam:PassRole": "RegisterTaskDefinition hands the execution/task roles to ECS tasks",
        "logs:TagResource": "CreateLogGroup with tags",
        "application-autoscaling:TagResource": "RegisterScalableTarget with tags",
        "cloudwatch:PutMetricAlarm": "target tracking creates its alarms as the caller",
        "cloudwatch:DescribeAlarms": "target tracking reads its alarms as the caller",
        "cloudwatch:DeleteAlarms": "removing a target tracking policy deletes its alarms",
        "iam:CreateServiceLinkedRole": "first ECS / Application Auto Scaling use in an account",
    },
    C.DATABASE: {
        "rds:AddTagsToResource": "CreateDBInstance, CreateDBSnapshot and groups with tags",
        "secretsmanager:CreateSecret": "ManageMasterUserPassword: RDS creates the secret",
        "secretsmanager:TagResource": "ManageMasterUserPassword: RDS tags the secret",
        "kms:DescribeKey": "ManageMasterUserPassword with the default KMS key",
        "iam:CreateServiceLinkedRole": "first RDS use in an account",
    },
    C.CACHE: {
        "elasticache:AddTagsToResource": "CreateReplicationGroup / CreateCacheSubnetGroup with tags",
        "secretsmanager:TagResource": "the AUTH-token secret is created with tags",
        "iam:CreateServiceLinkedRole": "first ElastiCache use in an account",
    },
    C.WAF: {
        "wafv2:TagResource": "CreateWebACL / CreateIPSet with tags",
        "elasticloadbalancing:SetWebACL": "AssociateWebACL / DisassociateWebACL on an ALB",
    },
    C.SECRETS: {
        "secretsmanager:TagResource": "CreateSecret with tags",
    },
    C.JOBS: {
        "scheduler:TagResource": "CreateScheduleGroup with tags",
        "ecs:TagResource": "RegisterTaskDefinition and RunTask with tags",
        "iam:PassRole": "a schedule passes scheduler_role_arn; RunTask passes the task roles",
    },
    C.STORAGE: {
        "s3:GetObjectVersion": "GetObject / HeadObject of a given version",
        "s3:DeleteObjectVersion": "DeleteObject / DeleteObjects of a given version (force delete)",
    },
}
"""Permissions AWS checks without an API call of that name, per capability, with the reason."""

_SERVICE_LINKED = {
    C.COMPUTE: ("ecs.amazonaws.com", "ecs.application-autoscaling.amazonaws.com"),
    C.DATABASE: ("rds.amazonaws.com",),
    C.CACHE: ("elasticache.amazonaws.com",),
}


def iam_action(service: str, operation: str) -> str:
    """The IAM action of a botocore call (``("resourcegroupstaggingapi", "GetResources")`` ->
    ``"tag:GetResources"``)."""
    if service == "s3" and operation in S3_ACTIONS:
        return S3_ACTIONS[operation]
    action = f"{IAM_PREFIX.get(service, service)}:{operation}"
    return _BATCH_ACTIONS.get(action, action)


_BATCH_ACTIONS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
"""SQS's batch calls are authorised by the action of the single call
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html)."""


def _capabilities(capabilities: Iterable[Capability | str] | None) -> list[Capability]:
    if capabilities is None:
        return [c for c in C if c in ACTIONS]  # every capability the driver has a policy for
    caps: list[Capability] = []
    for cap in capabilities:
        try:
            value = Capability(cap)
        except ValueError:
            known = ", ".join(c.value for c in C)
            raise ValueError(f"unknown capability {cap!r}; known: {known}") from None
        if value not in ACTIONS:
            raise ValueError(f"the aws driver does not offer {value.value!r}")
        if value not in caps:
            caps.append(value)
    return caps


def actions_for(
    capabilities: Iterable[Capability | str] | None = None, *, implied: bool = True
) -> set[str]:
    """Every IAM action the policy of ``capabilities`` grants (optionally without the implied)."""
    out: set[str] = set()
    for cap in _capabilities(capabilities):
        out.update(ACTIONS[cap])
        if cap is C.CACHE:
            out.update(_CACHE_SECRET_ACTIONS)
        if implied:
            out.update(IMPLIED.get(cap, {}))
    return out


def policy_for(capabilities: Iterable[Capability | str] | None = None) -> dict[str, Any]:
    """The minimal IAM policy document for the driver's ``capabilities`` (all when ``None``).

    Raises:
        ValueError: an unknown capability name.
    """
    caps = _capabilities(capabilities)
    statements: list[dict[str, Any]] = []
    for cap in caps:
        actions = set(ACTIONS[cap]) | {
            a
            for a in IMPLIED.get(cap, {})
            if a not in ("iam:PassRole", "iam:CreateServiceLinkedRole")
            and not (cap is C.CACHE and a.startswith("secretsmanager:"))  # scoped below
        }
        statements.append(
            {
                "Sid": f"Cloudcore{cap.value.capitalize()}",
                "Effect": "Allow",
                "Action": sorted(actions),
                "Resource": "*",
            }
        )
        if cap is C.CACHE:
            statements.append(
                {
                    "Sid": "CloudcoreCacheAuthSecrets",
                    "Effect": "Allow",
                    "Action": sorted(set(_CACHE_SECRET_ACTIONS) | {"secretsmanager:TagResource"}),
                    "Resource": _CACHE_SECRETS,
                }
            )
    if C.COMPUTE in caps:
        statements.append(
            {
                "Sid": "CloudcorePassRoleToEcsTasks",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            }
        )
    linked = sorted({s for cap in caps for s in _SERVICE_LINKED.get(cap, ())})
    if linked:
        statements.append(
            {
                "Sid": "CloudcoreServiceLinkedRoles",
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:AWSServiceName": linked}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
