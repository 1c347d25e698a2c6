"""Translations of a portable cron expression (:data:`cloudcore.models.jobs.CRON_RULE`) into
each scheduler's own syntax. Drivers call these; the expression was validated before.

- :func:`to_cloud_scheduler`: Cloud Scheduler reads unix cron as it is
  (https://cloud.google.com/scheduler/docs/configuring/cron-job-schedules).
- :func:`to_eventbridge`: EventBridge Scheduler's six-field ``cron(min hour dom month dow year)``
  (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based): day of
  week is 1-7 with 1 = Sunday, one of day-of-month and day-of-week must be ``?``, and steps are
  written ``start/step``.
- :func:`to_oncalendar`: systemd's ``OnCalendar=`` (systemd.time(7): ``DOW Y-M-D H:M:S TZ``);
  every field is written as the explicit list of its values, so no range or step syntax has to
  agree between the two.

``tests/core/test_cron.py`` checks, for a set of expressions, that the next 20 fire times of each
translation agree with the reference library (``cronsim``) and, for ``OnCalendar``, with
``systemd-analyze calendar`` itself.
"""

from __future__ import annotations

from .models.jobs import check_cron, check_timezone

__all__ = ["expand_field", "to_cloud_scheduler", "to_eventbridge", "to_oncalendar"]

_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def expand_field(text: str, low: int, high: int) -> list[int]:
    """Every value a cron field selects, sorted (``*/15`` in minutes: 0, 15, 30, 45)."""
    values: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if span == "*":
            start, end = low, high
        else:
            a, _, b = span.partition("-")
            start = int(a)
            end = int(b) if b else (high if step_text else start)
        values.update(range(start, end + 1, step))
    return sorted(values)


def to_cloud_scheduler(cron: str) -> str:
    """Cloud Scheduler's schedule: the expression itself (normalised)."""
    return check_cron(cron)


def _eventbridge_field(text: str, low: int, high: int) -> str:
    """A field in EventBridge's syntax: ``*/n`` as ``low/n``; a range with a step as the list
    of its values (EventBridge documents steps only as ``start/step``)."""
    parts = text.split(",")
    if any("/" in p and not p.startswith("*/") for p in parts):
        return ",".join(str(v) for v in expand_field(text, low, high))
    return ",".join(f"{low}/{p[2:]}" if p.startswith("*/") else p for p in parts)


def to_eventbridge(cron: str) -> str:
    """EventBridge Scheduler's ``cron(...)`` expression of ``cron``."""
    minute, hour, dom, month, dow = check_cron(cron).split()
    days = "?"
    if dow != "*":
        days = ",".join(str(d + 1) for d in expand_field(dow, 0, 6))
        dom = "?"
    fields = [
        _eventbridge_field(minute, *_BOUNDS[0]),
        _eventbridge_field(hour, *_BOUNDS[1]),
        dom if dom == "?" else _eventbridge_field(dom, *_BOUNDS[2]),
        _eventbridge_field(month, *_BOUNDS[3]),
        days,
        "*",
    ]
    return f"cron({' '.join(fields)})"


def to_oncalendar(cron: str, timezone: str = "UTC") -> str:
    """systemd's ``OnCalendar=`` value of ``cron`` read in ``timezone``."""
    minute, hour, dom, month, dow = check_cron(cron).split()
    tz = check_timezone(timezone)

    def listed(text: str, bound: tuple[int, int], width: int) -> str:
        if text == "*":
            return "*"
        return ",".join(f"{v:0{width}d}" for v in expand_field(text, *bound))

    date = f"*-{listed(month, _BOUNDS[3], 2)}-{listed(dom, _BOUNDS[2], 2)}"
    time = f"{listed(hour, _BOUNDS[1], 2)}:{listed(minute, _BOUNDS[0], 2)}:00"
    days = "" if dow == "*" else ",".join(_DAYS[d] for d in expand_field(dow, 0, 6)) + " "
    return f"{days}{date} {time} {tz}"
