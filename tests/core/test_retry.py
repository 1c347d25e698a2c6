"""The core retry policy: what is retried, after how long, and what never is."""

from __future__ import annotations

import pytest

import cloudcore as cc
from cloudcore.testing.faults import Fault
from cloudcore.testing.memory import MemoryProvider


def provider(sleeps: list[float], **retry: object) -> MemoryProvider:
    policy = cc.RetryPolicy(
        **{"initial_delay": 0.01, "jitter": 0.0, **retry},
        sleep=sleeps.append,  # type: ignore[arg-type]
    )
    return MemoryProvider(retry=policy)


def test_throttled_read_is_retried_after_retry_after() -> None:
    sleeps: list[float] = []
    cloud = provider(sleeps)
    cloud.store_secret("k", "v")
    cloud.faults.inject(Fault("throttle", operation="get_secret", retry_after=1.5, times=2))
    with cc.record() as rec:
        assert cloud.get_secret("k").get_secret_value() == "v"
    assert sleeps == [1.5, 1.5]
    [event] = rec.operations
    assert (event.operation, event.outcome, event.attempts) == ("get_secret", "ok", 3)


def test_transient_read_backs_off_exponentially() -> None:
    sleeps: list[float] = []
    cloud = provider(sleeps)
    cloud.faults.inject(Fault("transient", operation="list_secrets", times=3))
    assert cloud.list_secrets() == []
    assert sleeps == [0.01, 0.02, 0.04]


def test_unsafe_create_is_not_repeated_on_5xx() -> None:
    sleeps: list[float] = []
    cloud = provider(sleeps)
    cloud.faults.inject(Fault("transient", operation="store_secret"))
    with cc.record() as rec, pytest.raises(cc.TransientError):
        cloud.store_secret("k", "v")
    assert sleeps == []
    assert [c.operation for c in rec.mutating_calls()] == ["PutSecretValue"]
    assert rec.operations[0].attempts == 1
    cloud.faults.inject(Fault("transient", operation="backup_database"))
    cloud.provision_database(cc.DatabaseConfig(name="db"))
    with pytest.raises(cc.TransientError):
        cloud.backup_database("db")
    assert cloud.list_backups("db") == []


def test_idempotent_write_is_retried() -> None:
    sleeps: list[float] = []
    cloud = provider(sleeps)
    cloud.faults.inject(Fault("transient", operation="deploy_service", mutating=True))
    result = cloud.deploy_service("api", cc.ServiceConfig(image="nginx"))
    assert result.changed and result.revision == "1"
    assert len(sleeps) == 1


def test_attempts_are_bounded() -> None:
    sleeps: list[float] = []
    cloud = provider(sleeps, max_attempts=3)
    cloud.faults.inject(Fault("transient", operation="list_secrets", times=10))
    with pytest.raises(cc.TransientError) as info:
        cloud.list_secrets()
    assert len(sleeps) == 2
    assert info.value.operation == "list_secrets" and info.value.provider == "memory"


def test_total_time_is_bounded() -> None:
    sleeps: list[float] = []
    cloud = provider(sleeps, total_timeout=5.0)
    cloud.faults.inject(Fault("throttle", operation="list_secrets", retry_after=30.0))
    with pytest.raises(cc.RateLimited) as info:
        cloud.list_secrets()
    assert sleeps == []  # waiting 30 s would exceed the 5 s budget: raised at once
    assert info.value.retry_after == 30.0


def test_non_retryable_errors_are_not_retried() -> None:
    sleeps: list[float] = []
    cloud = provider(sleeps)
    with pytest.raises(cc.NotFound):
        cloud.get_secret("missing")
    assert sleeps == []


def test_retry_can_be_turned_off_per_connection() -> None:
    cloud = cc.connect("memory", retry=False)
    cloud.faults.inject(Fault("throttle", operation="list_secrets"))  # type: ignore[attr-defined]
    with pytest.raises(cc.RateLimited):
        cloud.list_secrets()
    with pytest.raises(cc.ConfigurationError, match="unknown settings"):
        cc.connect("memory", retry={"attempts": 3})
