"""Scheduled job models: when a job runs (cron with a time zone, or a rate), what it runs (a
container command or an HTTP call), how it retries, and its runs.

The schedule is checked before any call against the portable cron subset every driver can
translate (EventBridge Scheduler's six-field ``cron()``, Cloud Scheduler's unix cron, systemd's
``OnCalendar``):

- five fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12), day of week
  (0-6, 0 is Sunday); numbers, ``*``, ranges ``a-b``, lists ``a,b`` and steps ``*/n``/``a-b/n``;
  no month or day names, no ``L``/``W``/``#``/``?`` (unix cron lacks them).
- day of month and day of week are not both restricted: unix cron runs when *either* matches,
  and EventBridge's ``cron()`` needs one of them to be ``?``
  (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based);
  no step in day of week (EventBridge's day-of-week field has no ``/``).
- the time zone is an IANA name (EventBridge ``ScheduleExpressionTimezone``, Cloud Scheduler
  ``timeZone``: https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs).

A rate (``every_minutes``) must divide the day evenly at a clock-aligned period (a divisor of 60
minutes, a divisor of 24 hours, or one day) since Cloud Scheduler has only cron
(https://cloud.google.com/scheduler/docs/configuring/cron-job-schedules); it fires on the
clock (``*/15``), never relative to creation time.

Retries 0-5: Cloud Scheduler's ``retryConfig.retryCount`` is 0-5 (page above); EventBridge
Scheduler allows 0-185 (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from ._base import CONTROL_CHARS, Extras, Model, Name, Tags, Text, field_error
from .compute import SecretRef, _check_env, _check_secret_env, _coerce_refs

__all__ = [
    "CRON_RULE",
    "CommandTarget",
    "HttpTarget",
    "JobConfig",
    "JobInfo",
    "JobRun",
    "check_cron",
    "check_timezone",
    "next_fire_times",
    "rate_to_cron",
]

CRON_RULE = (
    "five fields (minute hour day-of-month month day-of-week) of numbers, '*', ranges, lists "
    "and steps; day of week 0-6 (0 = Sunday) without steps; not both day of month and day of "
    "week restricted; no names, 'L', 'W', '#' or '?'"
)
"""The portable cron rule, in words."""

_FIELD_RE = re.compile(r"\A(?:\*|\d+(?:-\d+)?)(?:/\d+)?(?:,(?:\*|\d+(?:-\d+)?)(?:/\d+)?)*\Z")
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_NAMES = ("minute", "hour", "day of month", "month", "day of week")
_RATES = frozenset(
    [m for m in range(1, 61) if 60 % m == 0] + [60 * h for h in range(1, 25) if 24 % h == 0]
)


def check_cron(value: str) -> str:
    """Check a cron expression against the portable subset; returns it normalised to single
    spaces, or raises ``ValueError`` naming the field."""
    if not isinstance(value, str):
        raise ValueError("a cron expression is a string")
    if CONTROL_CHARS.search(value):
        raise ValueError("a cron expression has no control characters (fields are space-separated)")
    fields = value.split(" ")
    fields = [f for f in fields if f]
    if len(fields) != 5:
        raise ValueError(f"cron needs {CRON_RULE} (got {len(fields)} fields)")
    for text, (low, high), what in zip(fields, _BOUNDS, _NAMES, strict=True):
        if not _FIELD_RE.fullmatch(text):
            raise ValueError(f"cron {what} {text!r}: {CRON_RULE}")
        for part in text.split(","):
            span, _, step = part.partition("/")
            if step and int(step) < 1:
                raise ValueError(f"cron {what} {text!r}: a step is at least 1")
            if span != "*":
                a, _, b = span.partition("-")
                nums = [int(a)] + ([int(b)] if b else [])
                if any(not low <= n <= high for n in nums):
                    raise ValueError(f"cron {what} {text!r}: values are {low}-{high}")
                if b and int(a) > int(b):
                    raise ValueError(f"cron {what} {text!r}: a range goes low-high")
        if what == "day of week" and "/" in text:
            raise ValueError(f"cron day of week {text!r}: no steps (EventBridge has none there)")
    if fields[2] != "*" and fields[4] != "*":
        raise ValueError(
            "cron: day of month and day of week cannot both be restricted (unix cron ORs them; "
            "EventBridge needs one to be '?')"
        )
    return " ".join(fields)


def check_timezone(value: str) -> str:
    """Check an IANA time zone name (``UTC``, ``Europe/Berlin``)."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+/-]{0,63}", value):
        raise ValueError("a time zone is an IANA name such as 'UTC' or 'Europe/Berlin'")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (an IANA name)") from None
    return value


def _check_rate(value: int) -> int:
    if value not in _RATES and value != 1440:
        raise ValueError(
            "every_minutes divides the day on the clock: a divisor of 60 (1, 2, 3, 4, 5, 6, 10, "
            "12, 15, 20, 30), a divisor of 24 hours in minutes (60, 120, 180, 240, 360, 480, 720) "
            "or 1440"
        )
    return value


def _check_url(value: str) -> str:
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[^\s\x00-\x1f\x7f]*)?", value):
        raise ValueError("an HTTP target is an https:// URL without spaces or control characters")
    return value


def _target_kind(value: object) -> object:
    """A mapping without ``kind`` is an HTTP target when it has a ``url``, else a command."""
    if isinstance(value, dict) and "kind" not in value:
        return {"kind": "http" if "url" in value else "command", **value}
    return value


Cron = Annotated[str, AfterValidator(check_cron)]
TimeZone = Annotated[str, AfterValidator(check_timezone)]


class CommandTarget(Model):
    """Run a container (or, on bare metal, a process) to completion.

    The fields mean what they mean in :class:`~cloudcore.models.ServiceConfig`.
    """

    kind: Literal["command"] = "command"
    image: (
        Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[^\s\x00-\x1f\x7f]+$")]
        | None
    ) = None
    command: tuple[Annotated[Text, Field(max_length=4096)], ...] | None = None
    cpu: Annotated[float, Field(gt=0, le=64)] = 0.25
    memory: Annotated[int, Field(ge=64, le=524_288)] = 512
    env: Annotated[
        dict[str, Annotated[Text, Field(max_length=32_768)]], AfterValidator(_check_env)
    ] = Field(default_factory=dict)
    secrets: Annotated[
        dict[str, SecretRef], BeforeValidator(_coerce_refs), AfterValidator(_check_secret_env)
    ] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.image is None and not self.command:
            raise ValueError("give an image, a command, or both")
        overlap = set(self.env) & set(self.secrets)
        if overlap:
            raise ValueError(f"variables both in env and secrets: {sorted(overlap)}")
        return self


class HttpTarget(Model):
    """Call an HTTPS endpoint (feature ``http``).

    Attributes:
        url: ``https://`` URL.
        method: HTTP method.
        body: Request body (text), for POST and PUT.
    """

    kind: Literal["http"] = "http"
    url: Annotated[str, Field(max_length=2048), AfterValidator(_check_url)]
    method: Literal["GET", "POST", "PUT", "DELETE"] = "POST"
    body: Annotated[Text, Field(max_length=65_536)] | None = None


class JobConfig(Model):
    """A scheduled job.

    Attributes:
        cron: When it runs, in the portable subset (:data:`CRON_RULE`); or give ``every_minutes``.
        every_minutes: Runs on the clock every so many minutes (see the module docstring).
        timezone: IANA time zone the cron expression is read in (``UTC`` by default).
        target: What it runs: a :class:`CommandTarget` or an :class:`HttpTarget`.
        retries: Attempts after a failed run, 0-5.
        timeout_seconds: Longest run, 60 s to 24 h (enforced as each driver documents).
        enabled: ``False`` pauses the schedule (``run_job`` still works).
        tags: User tags.
        extras: Provider-specific options.
    """

    cron: Cron | None = None
    every_minutes: Annotated[int, AfterValidator(_check_rate)] | None = None
    timezone: TimeZone = "UTC"
    target: Annotated[
        CommandTarget | HttpTarget, BeforeValidator(_target_kind), Field(discriminator="kind")
    ]
    retries: Annotated[int, Field(ge=0, le=5)] = 0
    timeout_seconds: Annotated[int, Field(ge=60, le=86_400)] = 3600
    enabled: bool = True
    tags: Tags = Field(default_factory=dict)
    extras: Extras = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_schedule(self) -> Self:
        if (self.cron is None) == (self.every_minutes is None):
            raise field_error("cron", "give exactly one of cron and every_minutes")
        return self

    @property
    def cron_expression(self) -> str:
        """The schedule as a portable cron expression (a rate becomes its clock-aligned cron)."""
        if self.cron is not None:
            return self.cron
        return rate_to_cron(self.every_minutes or 0)


def rate_to_cron(minutes: int) -> str:
    """The clock-aligned cron of a rate (``15`` -> ``*/15 * * * *``)."""
    if minutes < 60:
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    hours = minutes // 60
    if hours == 24:
        return "0 0 * * *"
    return "0 * * * *" if hours == 1 else f"0 */{hours} * * *"


def next_fire_times(cron: str, timezone: str, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times (UTC) of ``cron`` read in ``timezone``, after ``after``."""
    from cronsim import CronSim

    start = after.astimezone(ZoneInfo(timezone)).replace(microsecond=0)
    sim = CronSim(check_cron(cron), start)
    out: list[datetime] = []
    for fire in sim:
        if fire > after:
            out.append(fire.astimezone(UTC))
        if len(out) == count:
            break
    return out


class JobRun(Model):
    """One run of a job.

    Attributes:
        id: The run's id.
        job: The job's cloudcore name.
        started_at: When it started (UTC).
        ended_at: When it ended, ``None`` while it runs.
        outcome: ``running``, ``succeeded``, ``failed`` or ``timed_out``.
        exit_code: The process's exit code (HTTP targets: ``None``), when known.
        attempt: 1 for the first attempt, 2 for the first retry...
        trigger: ``schedule`` or ``manual`` (``run_job``).
    """

    id: str
    job: str
    started_at: datetime
    ended_at: datetime | None = None
    outcome: Literal["running", "succeeded", "failed", "timed_out"]
    exit_code: int | None = None
    attempt: Annotated[int, Field(ge=1)] = 1
    trigger: Literal["schedule", "manual"] = "schedule"


class JobInfo(Model):
    """A job as it exists.

    Attributes:
        name: cloudcore name.
        config: The configuration read back (``schedule_job`` of it again is a no-op).
        provider_id: The provider's id (schedule ARN, Cloud Scheduler job name, unit name).
        next_run_at: When the schedule fires next (UTC), when known and enabled.
        last_run: The latest run, when the driver can list runs.
    """

    name: Name
    config: JobConfig
    provider_id: str | None = None
    next_run_at: datetime | None = None
    last_run: JobRun | None = None
