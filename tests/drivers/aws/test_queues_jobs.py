"""SQS and EventBridge Scheduler as moto stores them, read behind the driver's back."""

from __future__ import annotations

import json

import boto3
import pytest

from cloudcore import (
    AlreadyExists,
    ConfigurationError,
    JobConfig,
    NotFound,
    QueueConfig,
    Unsupported,
)
from cloudcore_aws.testing import SCHEDULER_ROLE_ARN, MotoTarget


def test_queue_with_dead_letter_as_sqs_has_it(aws: MotoTarget) -> None:
    cloud = aws.provider
    cloud.create_queue(QueueConfig(name="work", visibility_timeout=45, max_receives=7))
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName="work")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    dlq_url = sqs.get_queue_url(QueueName="work-dlq")["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "45"
    assert json.loads(attrs["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq["QueueArn"],
        "maxReceiveCount": 7,
    }
    tags = sqs.list_queue_tags(QueueUrl=dlq_url)["Tags"]
    assert tags["managed-by"] == "cloudcore" and tags["cloudcore-dead-letter-of"] == "work"


def test_bodies_other_consumers_can_read(aws: MotoTarget) -> None:
    """Text goes as it is; bytes SQS cannot carry are base64 with a marker, and come back."""
    cloud = aws.provider
    cloud.create_queue(QueueConfig(name="mixed"))
    cloud.send_messages("mixed", ["plain text ✓", b"\x00\xff", b""])
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName="mixed")["QueueUrl"]
    raw = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"]
    )["Messages"]
    plain = {m["Body"] for m in raw if not m.get("MessageAttributes")}
    assert plain == {"plain text ✓"}
    marked = [m for m in raw if m.get("MessageAttributes")]
    assert len(marked) == 2
    assert all(
        m["MessageAttributes"]["cloudcore-encoding"]["StringValue"] == "base64" for m in marked
    )
    got = sorted(m.body for m in cloud.receive_messages("mixed", max_messages=10, wait_seconds=1))
    assert got == sorted([b"\x00\xff", b"", "plain text ✓".encode()])


def test_queue_of_another_tool_is_refused(aws: MotoTarget) -> None:
    aws.client("sqs").create_queue(QueueName="theirs")
    with pytest.raises(AlreadyExists):
        aws.provider.create_queue(QueueConfig(name="theirs", visibility_timeout=60))
    url = aws.client("sqs").get_queue_url(QueueName="theirs")["QueueUrl"]
    attrs = aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert attrs["Attributes"]["VisibilityTimeout"] == "30"


JOB = {
    "cron": "30 3 * * 1-5",
    "timezone": "Europe/Berlin",
    "target": {"image": "ghcr.io/acme/report:1", "command": ["report", "--daily"]},
    "retries": 2,
}


def test_job_is_a_schedule_running_an_ecs_task(aws: MotoTarget) -> None:
    cloud = aws.provider
    info = cloud.schedule_job("report", JobConfig.model_validate(JOB))
    assert info.config == JobConfig.model_validate(JOB)
    sch = aws.client("scheduler").get_schedule(GroupName="cloudcore", Name="report")
    assert sch["ScheduleExpression"] == "cron(30 3 ? * 2,3,4,5,6 *)"
    assert sch["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert sch["State"] == "ENABLED"
    assert sch["Target"]["RoleArn"] == SCHEDULER_ROLE_ARN
    assert sch["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 2
    params = sch["Target"]["EcsParameters"]
    assert (
        params["LaunchType"] == "FARGATE"
        and ":task-definition/job-report:" in (params["TaskDefinitionArn"])
    )
    paused = info.config.model_copy(update={"enabled": False})
    cloud.schedule_job("report", paused)
    assert aws.client("scheduler").get_schedule(GroupName="cloudcore", Name="report")["State"] == (
        "DISABLED"
    )
    assert cloud.get_job("report").next_run_at is None
    # run_job is ECS RunTask with the schedule's parameters; moto 5.2.5 crashes on RunTask with
    # an awsvpc network (its NetworkInterface has no private_dns_name), so no run here.
    assert cloud.list_job_runs("report") == []
    cloud.delete_job("report")
    assert cloud.list_jobs() == []


def test_job_needs_its_role_and_runs_commands_only(aws: MotoTarget) -> None:
    from cloudcore_aws.provider import AWSProvider

    bare = AWSProvider(
        region="us-east-1",
        endpoint_url=aws.url,
        subnets=aws.subnets,
        security_groups=aws.security_groups,
        execution_role_arn="arn:aws:iam::123456789012:role/x",
        session=boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        ),
    )
    with pytest.raises(ConfigurationError) as err:
        bare.schedule_job("report", JobConfig.model_validate(JOB))
    assert err.value.field == "scheduler_role_arn"
    with pytest.raises(Unsupported) as unsupported:
        aws.provider.schedule_job("ping", {"every_minutes": 5, "target": {"url": "https://a.b/"}})
    assert "API destination" in (unsupported.value.reason or "")


def test_known_urls_are_forgotten_when_sqs_says_gone(aws: MotoTarget) -> None:
    """The driver remembers managed queue URLs (one request per message call, not three); a
    queue deleted behind its back is NotFound, and a same-named queue of another tool made
    afterwards is never written to."""
    cloud = aws.provider
    cloud.create_queue(QueueConfig(name="cached"))
    cloud.send_messages("cached", [b"one"])
    sqs = aws.client("sqs")
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="cached")["QueueUrl"])
    with pytest.raises(NotFound):
        cloud.send_messages("cached", [b"two"])
    url = sqs.create_queue(QueueName="cached")["QueueUrl"]
    with pytest.raises(NotFound):
        cloud.send_messages("cached", [b"three"])
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "0"
