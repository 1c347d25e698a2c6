"""Conformance tests for the ``jobs`` capability: convergence, schedules that fire, retries
of a failed run, disabled jobs, and validation before any call.

Tests that wait for a schedule to fire need the target's :class:`~..queue_probes.Clock`
(waiting minutes for real is not a unit test): without one they are *not testable*.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ...capabilities import Capability
from ...errors import ConfigurationError, NotFound
from ...events import record
from ...models.jobs import JobConfig
from ..queue_probes import clock_for, job_scripter_for, wait
from ._base import ConformanceOptions, Names, not_testable, requires
from ._storage import no_writes_anywhere

__all__ = ["JobsSuite"]

J = Capability.JOBS


def _target(provider: Any, opts: ConformanceOptions) -> dict[str, Any]:
    """The suite's job target: a command (image or process, as the driver runs), else HTTP."""
    if provider.supports(J, "command"):
        have = provider.features.get(Capability.COMPUTE, frozenset())
        if "images" in have or not provider.supports(Capability.COMPUTE):
            return {"kind": "command", "image": opts.service_image, "command": ["true"]}
        return {"kind": "command", "command": ["true"]}
    return {"kind": "http", "url": "https://example.com/cloudcore-conformance", "method": "POST"}


@contextlib.contextmanager
def _job(
    provider: Any, names: Names, opts: ConformanceOptions, what: str, **config: Any
) -> Iterator[tuple[str, JobConfig]]:
    name = names.name(names.unique(what))
    cfg = JobConfig.model_validate({"target": _target(provider, opts), **config})
    provider.schedule_job(name, cfg)
    try:
        yield name, cfg
    finally:
        provider.delete_job(name)


def _needs_clock(provider: Any) -> None:
    if clock_for(provider) is None:
        not_testable("waiting for a schedule needs a controllable Clock (queue_probes)")


class JobsSuite:
    """Jobs: schedule_job converges idempotently and reads back; enabled schedules fire,
    disabled ones do not; a failed run is retried and then succeeds; runs are listed newest
    first; bad schedules are refused before any call; nothing is left behind."""

    @requires(J)
    def test_jobs_schedule_is_idempotent(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        cfg = {"cron": "30 2 * * 1-5", "timezone": "Europe/Berlin", "retries": 2}
        with _job(provider, conformance_names, conformance_options, "idem", **cfg) as (name, c):
            with no_writes_anywhere(provider, "schedule_job with an unchanged config"):
                again = provider.schedule_job(name, c)
                also = provider.schedule_job(name, c.model_dump())
            assert again.config == also.config == c
            got = provider.get_job(name)
            assert got.config == c, f"read back {got.config}"
            assert got.next_run_at is not None, "an enabled job has a next run"
            listed = {j.name: j.config for j in provider.list_jobs()}
            assert listed.get(name) == c, f"list_jobs shows {listed.get(name)}"
        assert name not in [j.name for j in provider.list_jobs()]
        provider.delete_job(name)  # already gone: succeeds
        with pytest.raises(NotFound):
            provider.get_job(name)

    @requires(J)
    def test_jobs_converge_field_by_field(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        with _job(
            provider, conformance_names, conformance_options, "converge", cron="0 3 * * *"
        ) as (name, cfg):
            steps: list[dict[str, Any]] = [
                {"cron": "*/10 * * * *"},
                {"timezone": "America/New_York"},
                {"retries": 3},
                {"timeout_seconds": 600},
                {"enabled": False},
                {"cron": None, "every_minutes": 15},
                {"enabled": True, "tags": {"team": "data"}},
            ]
            for change in steps:
                cfg = JobConfig.model_validate({**cfg.model_dump(), **change})
                made = provider.schedule_job(name, cfg)
                assert made.config == cfg, f"{change}: schedule_job returned {made.config}"
                got = provider.get_job(name)
                assert got.config == cfg, f"{change}: read back {got.config}"
                assert (got.next_run_at is None) == (not cfg.enabled), f"{change}: next run"

    @requires(J, "runs")
    def test_jobs_schedule_fires(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        _needs_clock(provider)
        with _job(provider, conformance_names, conformance_options, "fires", every_minutes=5) as (
            name,
            _,
        ):
            assert provider.list_job_runs(name) == []
            wait(provider, 10 * 60)
            runs = provider.list_job_runs(name)
            assert len(runs) >= 2, f"every 5 minutes for 10 minutes fires twice, got {runs}"
            for r in runs:
                assert r.started_at.timestamp() % 300 == 0, f"{r.started_at}: not on the clock"
            assert all(r.trigger == "schedule" and r.outcome == "succeeded" for r in runs), runs
            assert runs[0].started_at > runs[1].started_at, "runs are listed newest first"
            assert (runs[0].started_at - runs[1].started_at).total_seconds() == 300
            assert provider.get_job(name).last_run == runs[0]

    @requires(J, "runs")
    def test_jobs_disabled_does_not_fire(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        _needs_clock(provider)
        with _job(
            provider, conformance_names, conformance_options, "off", every_minutes=1, enabled=False
        ) as (name, _):
            wait(provider, 5 * 60)
            assert provider.list_job_runs(name) == [], "a disabled job fired"
            assert provider.get_job(name).next_run_at is None
            if provider.supports(J, "run_now"):
                run = provider.run_job(name)
                assert run.trigger == "manual", run
                assert [r.id for r in provider.list_job_runs(name)][:1] == [run.id]

    @requires(J, "runs", "run_now")
    def test_jobs_failed_run_is_retried(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        """A run that fails is retried up to ``retries`` times: fail, fail, succeed."""
        scripter = job_scripter_for(provider)
        if scripter is None:
            not_testable("the target attaches no JobScripter (cloudcore.testing.queue_probes)")
        assert scripter is not None
        with _job(
            provider, conformance_names, conformance_options, "retry", cron="0 0 1 1 *", retries=2
        ) as (name, _):
            scripter.script_exits(name, [3, 4])
            provider.run_job(name)
            runs = list(reversed(provider.list_job_runs(name)))
            outcomes = [(r.attempt, r.outcome) for r in runs]
            assert outcomes == [(1, "failed"), (2, "failed"), (3, "succeeded")], outcomes
            if runs[0].exit_code is not None:
                assert [r.exit_code for r in runs] == [3, 4, 0]
            scripter.script_exits(name, [1, 1, 1])
            provider.run_job(name)
            last = provider.list_job_runs(name, limit=3)
            assert [r.outcome for r in last] == ["failed"] * 3, "retries stop after 2"
            assert len(provider.list_job_runs(name, limit=100)) == 6

    @requires(J)
    def test_jobs_validation_before_any_call(
        self, provider: Any, conformance_options: ConformanceOptions
    ) -> None:
        target = _target(provider, conformance_options)
        bad: list[Callable[[], Any]] = [
            lambda: provider.schedule_job("j", {"cron": "0 0 * * * *", "target": target}),
            lambda: provider.schedule_job("j", {"cron": "0 0 1 * 1", "target": target}),
            lambda: provider.schedule_job("j", {"cron": "0 25 * * *", "target": target}),
            lambda: provider.schedule_job("j", {"cron": "0 0 * * MON", "target": target}),
            lambda: provider.schedule_job("j", {"every_minutes": 7, "target": target}),
            lambda: provider.schedule_job(
                "j", {"cron": "0 0 * * *", "timezone": "Mars/Olympus", "target": target}
            ),
            lambda: provider.schedule_job(
                "j", {"cron": "0 0 * * *", "target": target, "retries": 6}
            ),
            lambda: provider.schedule_job("Bad", {"cron": "0 0 * * *", "target": target}),
        ]
        with record() as rec:
            for call in bad:
                with pytest.raises(ConfigurationError):
                    call()
        assert not rec.api_calls, f"invalid input reached the provider: {rec.api_calls[:3]}"

    @requires(J)
    def test_jobs_zz_nothing_left_behind(self, provider: Any, conformance_names: Names) -> None:
        left = [j.name for j in provider.list_jobs() if j.name.startswith(conformance_names.run)]
        assert not left, f"the suite left jobs behind: {left[:5]}"
