"""The IAM policy is exactly what the driver calls: a tour through every code path records the
API operations (botocore events) and the policy must grant each and nothing more (apart from the
permissions AWS checks implicitly, each listed with its reason). The conftest also checks every
call of the whole test run against the policy."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from typing import Any

import pytest

import cloudcore
from cloudcore import (
    CacheConfig,
    DatabaseConfig,
    DNSRecord,
    JobConfig,
    QueueConfig,
    ServiceConfig,
    TransientError,
)
from cloudcore.models.storage import BucketConfig, LifecycleRule
from cloudcore.testing.faults import Fault
from cloudcore_aws.iam import ACTIONS, IMPLIED, actions_for, iam_action, policy_for
from cloudcore_aws.testing import MotoTarget

ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef"


def _tour(cloud: Any) -> None:
    """Every protocol operation, along every branch that calls a different API."""
    cfg = ServiceConfig(
        image="x:1",
        port=80,
        secrets={"TOKEN": "tour/token"},
        autoscaling={"min_replicas": 1, "max_replicas": 3},
    )
    cloud.store_secret("tour/token", "v1")  # CreateSecret
    cloud.store_secret("tour/token", "v2")  # PutSecretValue
    cloud.deploy_service("tour", cfg)
    cloud.deploy_service("tour", cfg.model_copy(update={"tags": {"team": "a"}, "replicas": 2}))
    cloud.deploy_service("tour", cfg.model_copy(update={"autoscaling": None}))  # untag, remove AS
    cloud.scale_service("tour", 3)
    cloud.get_service_status("tour")
    cloud.list_services()
    cloud.get_logs("tour")
    db = cloud.provision_database(DatabaseConfig(name="tour-db"))
    backup = cloud.backup_database(db.name)
    cloud.list_backups(db.name)
    cloud.restore_database(backup, "tour-db2")
    cloud.provision_cache(CacheConfig(name="tour-cache"))
    cloud.create_dns_record("tour.example.com", "192.0.2.1")
    cloud.upsert_dns_records(
        [DNSRecord(name=f"t{i}.example.com", type="A", values="192.0.2.2") for i in range(12)]
    )
    cloud.list_dns_records("example.com")
    rules: list[dict[str, Any]] = [
        {"kind": "ip", "cidrs": ["192.0.2.0/24"]},
        {"kind": "geo", "countries": ["KP"]},
    ]
    cloud.configure_waf(rules, ALB)
    cloud.configure_waf([{"kind": "ip", "cidrs": ["198.51.100.0/24"]}], ALB)  # UpdateIPSet
    cloud.get_waf_rules(ALB)
    list(cloud.list_resources())
    cloud.get_secret("tour/token")
    cloud.list_secrets()
    cloud.list_secret_versions("tour/token")
    cloud.configure_waf([], ALB)  # disassociate, delete ACL and IP sets
    cloud.delete_service("tour")
    cloud.delete_cache("tour-cache")
    cloud.delete_database("tour-db2")
    cloud.delete_database(db.name)
    cloud.delete_dns_record(DNSRecord(name="tour.example.com", type="A", values="192.0.2.1"))
    cloud.delete_secret("tour/token")
    cloud.store_secret("tour/token", "v3")  # RestoreSecret of a secret pending deletion
    _tour_queues_and_jobs(cloud)


UNREACHABLE_ON_MOTO = {
    "ecs:DescribeTasks": "moto 5.2.5 crashes on an awsvpc RunTask (its NetworkInterface has no "
    "private_dns_name), so no job run exists to describe",
}
"""Granted actions the tour cannot reach on the stand-in, each with the reason."""


def _tour_queues_and_jobs(cloud: Any) -> None:
    q = QueueConfig(name="tour-q", max_receives=5, tags={"team": "a"})
    cloud.create_queue(q)  # CreateQueue (twice: the DLQ first)
    cloud.create_queue(q.model_copy(update={"visibility_timeout": 60, "tags": {}}))  # Set, Untag
    cloud.create_queue(q.model_copy(update={"tags": {"team": "b"}}))  # TagQueue
    cloud.send_messages("tour-q", [b"one", b"two"])
    got = cloud.receive_messages("tour-q", max_messages=10, wait_seconds=1)
    cloud.release("tour-q", got[0].receipt, 0)  # ChangeMessageVisibility
    cloud.ack("tour-q", [m.receipt for m in got[1:]])  # DeleteMessageBatch
    cloud.queue_stats("tour-q")
    cloud.list_queues()
    cloud.purge_queue("tour-q")
    cloud.delete_queue("tour-q")
    job = JobConfig(cron="0 3 * * *", target={"image": "x:1", "command": ["run"]})
    cloud.schedule_job("tour-job", job)  # CreateScheduleGroup, RegisterTaskDefinition, ...
    cloud.schedule_job("tour-job", job.model_copy(update={"retries": 1}))  # UpdateSchedule
    cloud.list_jobs()
    cloud.list_job_runs("tour-job")
    with contextlib.suppress(TransientError):
        cloud.run_job("tour-job")  # RunTask (moto answers 500, see UNREACHABLE_ON_MOTO)
    cloud.delete_job("tour-job")


def _storage_tour(aws: MotoTarget) -> None:
    """Every storage branch: each bucket field on and off, objects, versions, a failed
    multipart upload (aborted), force delete."""
    cloud = aws.provider
    name = "tour-bucket"
    full = BucketConfig(
        name=name,
        versioning=True,
        public_read=True,
        lifecycle=(LifecycleRule(prefix="tmp/", expire_days=1),),
        cors_origins=("https://app.example.com",),
        tags={"team": "a"},
    )
    cloud.create_bucket(full)
    cloud.create_bucket(BucketConfig(name=name, versioning=False))  # each field back off
    cloud.get_bucket(name)
    cloud.list_buckets()
    big = b"p" * (cloud.multipart_threshold + 1)
    put = cloud.put_object(name, "big", big)
    cloud.put_object(name, "small", b"s")
    with cloud.get_object(name, "big") as reader:
        reader.read()
    cloud.head_object(name, "small")
    list(cloud.list_objects(name))
    cloud.copy_object(name, "small", "copy")
    cloud.presign(name, "small", "PUT")
    cloud.delete_object(name, "small")
    cloud.delete_object(name, "big", put.version)
    aws.injector.inject(Fault("transient", api="UploadPart", times=100))
    with pytest.raises(cloudcore.TransientError):
        cloud.put_object(name, "broken", big)  # CreateMultipartUpload, then abort
    aws.injector.clear()
    cloud.delete_bucket(name, force=True)


def test_policy_grants_exactly_what_the_driver_calls(aws: MotoTarget) -> None:
    with cloudcore.record() as rec:
        _tour(aws.provider)
        _storage_tour(aws)
    called = {iam_action(c.service, c.operation) for c in rec.api_calls if c.provider == "aws"}
    granted = actions_for(implied=False)
    assert called - granted == set(), "called but not granted"
    assert granted - called - set(UNREACHABLE_ON_MOTO) == set(), "granted but never called"


def test_policy_document_shape() -> None:
    policy = policy_for()
    assert policy["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids))
    everything: set[str] = set()
    for statement in policy["Statement"]:
        actions = statement["Action"]
        everything.update([actions] if isinstance(actions, str) else actions)
        assert statement["Effect"] == "Allow" and "NotAction" not in statement
        assert not any(
            a.endswith("*") for a in ([actions] if isinstance(actions, str) else actions)
        )
    assert everything == actions_for()
    cache_secrets = next(s for s in policy["Statement"] if s["Sid"] == "CloudcoreCacheAuthSecrets")
    assert cache_secrets["Resource"] == "arn:aws:secretsmanager:*:*:secret:cloudcore/cache/*"
    pass_role = next(s for s in policy["Statement"] if s["Action"] == "iam:PassRole")
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }


def test_policy_per_capability() -> None:
    dns_only = policy_for(["dns"])
    actions = {a for s in dns_only["Statement"] for a in s["Action"]}
    assert actions == set(ACTIONS[cloudcore.Capability.DNS])
    assert all(reason for reasons in IMPLIED.values() for reason in reasons.values())
    with pytest.raises(ValueError, match="unknown capability"):
        policy_for(["dns", "teleport"])


def test_cli_prints_the_policy() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cloudcore.cli", "iam-policy", "aws", "-c", "secrets"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == policy_for(["secrets"])
