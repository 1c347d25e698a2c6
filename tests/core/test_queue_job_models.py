"""Queue and job models: every limit is what every driver can store, and a refusal names the
field (before any call)."""

from __future__ import annotations

from typing import Any

import pytest

from cloudcore import ConfigurationError, JobConfig, OutgoingMessage, QueueConfig
from cloudcore.models.queues import MAX_MESSAGE_BYTES

CMD = {"command": ["true"]}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "q", "visibility_timeout": 9}, "visibility_timeout"),  # Pub/Sub's minimum 10
        ({"name": "q", "visibility_timeout": 601}, "visibility_timeout"),  # and maximum 600
        ({"name": "q", "retention_seconds": 599}, "retention_seconds"),
        ({"name": "q", "retention_seconds": 604_801}, "retention_seconds"),  # 7 days
        ({"name": "q", "max_receives": 4}, "max_receives"),  # Pub/Sub's minimum 5
        ({"name": "q", "max_receives": 101}, "max_receives"),
        ({"name": "q" * 60, "max_receives": 5}, "name"),  # no room for "-dlq"
        ({"name": "Queue"}, "name"),
        ({"name": "q", "fifo": "maybe"}, "fifo"),
    ],
)
def test_queue_config_limits(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        QueueConfig.model_validate(data)
    assert err.value.field == field, err.value


def test_queue_config_edges_are_valid() -> None:
    QueueConfig(name="q" * 59, max_receives=5, visibility_timeout=10, retention_seconds=600)
    QueueConfig(name="q" * 63, visibility_timeout=600, retention_seconds=604_800)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": b"x" * (MAX_MESSAGE_BYTES + 1)}, "body"),
        ({"body": "x", "attributes": {f"a{i}": "v" for i in range(10)}}, "attributes"),
        ({"body": "x", "attributes": {"Upper": "v"}}, "attributes"),
        ({"body": "x", "attributes": {"cloudcore-x": "v"}}, "attributes"),
        ({"body": "x", "attributes": {"k": ""}}, "attributes"),
        ({"body": "x", "attributes": {"k": "é"}}, "attributes"),
        ({"body": "x", "delay_seconds": 601}, "delay_seconds"),
        ({"body": "x", "dedup_id": "has space"}, "dedup_id"),
        ({"body": "x", "group": "x" * 129}, "group"),
    ],
)
def test_outgoing_message_limits(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        OutgoingMessage.model_validate(data)
    assert err.value.field == field, err.value


def test_bodies_are_bytes_and_text_is_utf8() -> None:
    assert OutgoingMessage(body="é").body == "é".encode()
    assert OutgoingMessage(body=bytearray(b"\x00")).body == b"\x00"
    assert OutgoingMessage(body=b"").body == b""


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"target": CMD}, "cron"),  # no schedule
        ({"cron": "0 0 * * *", "every_minutes": 5, "target": CMD}, "cron"),  # two
        ({"cron": "0 0 * * *", "target": CMD, "retries": 6}, "retries"),  # Cloud Scheduler's 5
        ({"cron": "0 0 * * *", "target": CMD, "timeout_seconds": 59}, "timeout_seconds"),
        ({"cron": "0 0 * * *", "target": {"url": "http://plain.example/"}}, "target.http.url"),
        ({"cron": "0 0 * * *", "target": {"image": None, "command": None}}, "target.command"),
        ({"cron": "0 0 * * *", "timezone": "Europe/Nowhere", "target": CMD}, "timezone"),
        ({"every_minutes": 45, "target": CMD}, "every_minutes"),
    ],
)
def test_job_config_limits(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        JobConfig.model_validate(data)
    assert err.value.field == field, err.value


def test_job_config_round_trips_through_json() -> None:
    job = JobConfig(
        cron="*/10 8-18 * * 1-5",
        timezone="America/New_York",
        target={"image": "x:1", "command": ["run", "--fast"], "secrets": {"TOKEN": "app/token"}},
        retries=5,
    )
    assert JobConfig.model_validate_json(job.model_dump_json()) == job
    assert job.cron_expression == "*/10 8-18 * * 1-5"
