"""Secrets Manager: versions, tokens, deletes with a recovery window, foreign secrets, faults."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import cloudcore
from cloudcore import Conflict, NotFound, RateLimited, TransientError
from cloudcore.testing.faults import Fault
from cloudcore_aws.testing import MotoTarget


def test_round_trip_versions_and_tags(aws: MotoTarget) -> None:
    cloud = aws.provider
    v1 = cloud.store_secret("app/jwt", "first")
    v2 = cloud.store_secret("app/jwt", "second ✓")
    assert cloud.get_secret("app/jwt").get_secret_value() == "second ✓"
    assert cloud.get_secret("app/jwt", v1).get_secret_value() == "first"
    assert [v.version for v in cloud.list_secret_versions("app/jwt")] == [v1, v2]
    desc = aws.client("secretsmanager").describe_secret(SecretId="app/jwt")
    tags = {t["Key"]: t["Value"] for t in desc["Tags"]}
    assert tags == {"managed-by": "cloudcore", "cloudcore-name": "app/jwt"}
    assert cloud.list_secrets() == ["app/jwt"]
    with pytest.raises(NotFound):
        cloud.get_secret("app/jwt", "0" * 36)
    with pytest.raises(NotFound):
        cloud.get_secret("app/jwt", "short")


def test_second_store_is_one_call(cloud: Any) -> None:
    cloud.store_secret("k", "v1")
    with cloudcore.record() as rec:
        cloud.store_secret("k", "v2")
    assert [c.operation for c in rec.api_calls] == ["PutSecretValue"]


def test_delete_keeps_a_recovery_window_and_store_restores(aws: MotoTarget) -> None:
    cloud = aws.provider
    cloud.store_secret("k", "v1")
    cloud.delete_secret("k")
    cloud.delete_secret("k")  # already gone
    with pytest.raises(NotFound):
        cloud.get_secret("k")
    with pytest.raises(NotFound):
        cloud.list_secret_versions("k")
    assert cloud.list_secrets() == []
    deleted = aws.client("secretsmanager").describe_secret(SecretId="k")
    assert "DeletedDate" in deleted  # recoverable for secret_recovery_days
    cloud.store_secret("k", "v2")
    assert cloud.get_secret("k").get_secret_value() == "v2"
    assert cloud.list_secrets() == ["k"]


def test_foreign_secrets_are_read_but_never_written(aws: MotoTarget) -> None:
    aws.client("secretsmanager").create_secret(Name="legacy", SecretString="theirs")
    cloud = aws.provider
    assert cloud.get_secret("legacy").get_secret_value() == "theirs"
    with pytest.raises(Conflict, match="not managed"):
        cloud.store_secret("legacy", "mine")
    with pytest.raises(Conflict):
        cloud.delete_secret("legacy")
    assert cloud.list_secrets() == []
    assert (
        aws.client("secretsmanager").get_secret_value(SecretId="legacy")["SecretString"] == "theirs"
    )


def test_throttled_read_is_retried_after_retry_after(aws: MotoTarget) -> None:
    cloud = aws.provider
    cloud.store_secret("k", "v")
    aws.injector.inject(Fault("throttle", api="GetSecretValue", retry_after=0.02, times=2))
    with cloudcore.record() as rec:
        assert cloud.get_secret("k").get_secret_value() == "v"
    statuses = [c.status for c in rec.calls("GetSecretValue")]
    assert statuses == [429, 429, 200]
    assert rec.operations[-1].attempts == 3


def test_errors_are_mapped_from_real_responses(aws: MotoTarget) -> None:
    from cloudcore_aws.provider import AWSProvider

    no_retry = AWSProvider(
        region="us-east-1",
        endpoint_url=aws.url,
        retry=False,
        session=aws.provider._aws.boto_session(),
    )
    no_retry._aws.client_hooks.append(aws.injector.instrument)
    no_retry.store_secret("k", "v")
    aws.injector.inject(Fault("throttle", api="GetSecretValue", retry_after=3))
    with pytest.raises(RateLimited) as err:
        no_retry.get_secret("k")
    assert err.value.retry_after == 3.0
    aws.injector.inject(Fault("transient", api="GetSecretValue"))
    with pytest.raises(TransientError):
        no_retry.get_secret("k")
    with pytest.raises(NotFound):
        no_retry.get_secret("never-stored")


def test_a_failed_store_is_retried_with_the_same_token(aws: MotoTarget) -> None:
    cloud = aws.provider
    aws.injector.inject(Fault("transient", api="CreateSecret"))
    with cloudcore.record() as rec:
        version = cloud.store_secret("k", "v")
    assert len(rec.calls("CreateSecret")) == 2  # token-safe: the core may repeat it
    assert [v.version for v in cloud.list_secret_versions("k")] == [version]


def test_values_never_reach_botocore_debug_logs(
    cloud: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cloud.store_secret("k", "hush-hush-value")
    cloud.get_secret("k")
    assert "hush-hush-value" not in caplog.text
    assert "withheld" in caplog.text
