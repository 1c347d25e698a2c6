"""Memory jobs: schedules evaluated on the driver's controllable clock, runs recorded with their
attempts, and exit codes a test scripts in advance.

Nothing is executed: a run "exits" with the next scripted exit code (``script_job``; 0 when none
is left). Whenever a jobs operation runs, every enabled job's fire times since the last look are
turned into runs (at most :data:`MAX_CATCH_UP` per look, like a scheduler that was down), each
retried up to ``retries`` times while it fails. Time zones and daylight saving time follow the
cron reference library (:func:`cloudcore.models.jobs.next_fire_times`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from ...errors import AlreadyExists, Conflict, NotFound
from ...models.jobs import JobConfig, JobInfo, JobRun, next_fire_times
from .queues import MemoryQueues

__all__ = ["MemoryJobs"]

MAX_CATCH_UP = 100
"""Most scheduled runs one look at the clock creates per job."""
MAX_RUNS_KEPT = 200
"""Runs remembered per job (oldest dropped first)."""


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class MemoryJobs(MemoryQueues):
    """Jobs in the shared state, under ``data["jobs"]``."""

    # ------------------------------------------------------------- helpers
    def _managed_job(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        entry: dict[str, Any] | None = data["jobs"].get(name)
        if entry is None or not entry.get("managed"):
            raise NotFound(f"no job named {name!r} is managed here")
        return entry

    def _job_tick(self, data: dict[str, Any]) -> None:
        """Turn every enabled job's fire times since the last look into runs (the scheduler's
        own work on its clock: not counted on the wire as the request's write)."""
        self._job_fire(data)
        self._state.rebase()

    def _job_fire(self, data: dict[str, Any]) -> None:
        """Every enabled job's fire times since the last look, as runs."""
        now = self.clock.now()
        for entry in data["jobs"].values():
            if not entry.get("managed"):
                continue
            config = JobConfig.model_validate(entry["config"])
            since = entry["checked"]
            if now <= since:
                continue
            self._state.mark_dirty()
            entry["checked"] = now
            if not config.enabled:
                continue
            fires = next_fire_times(
                config.cron_expression, config.timezone, _at(since), MAX_CATCH_UP
            )
            for fire in fires:
                if fire.timestamp() > now:
                    break
                self._job_execute(entry, config, fire, "schedule")

    def _job_execute(
        self, entry: dict[str, Any], config: JobConfig, start: datetime, trigger: str
    ) -> dict[str, Any]:
        """Run the job at ``start`` with its retries; returns the last attempt's record."""
        record: dict[str, Any] = {}
        for attempt in range(1, config.retries + 2):
            code = entry["script"].pop(0) if entry["script"] else 0
            began = start + timedelta(seconds=attempt - 1)
            record = {
                "id": uuid.uuid4().hex,
                "started": began.isoformat(),
                "ended": (began + timedelta(milliseconds=500)).isoformat(),
                "outcome": "succeeded" if code == 0 else "failed",
                "exit_code": code if config.target.kind == "command" else None,
                "attempt": attempt,
                "trigger": trigger,
            }
            entry["runs"].append(record)
            if code == 0:
                break
        del entry["runs"][:-MAX_RUNS_KEPT]
        return record

    @staticmethod
    def _job_run(name: str, rec: dict[str, Any]) -> JobRun:
        return JobRun(
            id=rec["id"],
            job=name,
            started_at=datetime.fromisoformat(rec["started"]),
            ended_at=datetime.fromisoformat(rec["ended"]) if rec["ended"] else None,
            outcome=rec["outcome"],
            exit_code=rec["exit_code"],
            attempt=rec["attempt"],
            trigger=rec["trigger"],
        )

    def _job_info(self, name: str, entry: dict[str, Any]) -> JobInfo:
        config = JobConfig.model_validate(entry["config"])
        nxt = None
        if config.enabled:
            fires = next_fire_times(
                config.cron_expression, config.timezone, _at(self.clock.now()), 1
            )
            nxt = fires[0] if fires else None
        runs = entry["runs"]
        return JobInfo(
            name=name,
            config=config,
            provider_id=f"memory:job/{name}",
            next_run_at=nxt,
            last_run=self._job_run(name, runs[-1]) if runs else None,
        )

    # ---------------------------------------------------------------- jobs
    def _schedule_job(self, name: str, config: JobConfig) -> JobInfo:
        wanted = config.model_dump(mode="json")
        with self._state.open() as data:
            self._job_tick(data)
            self._api("GetSchedule", mutating=False)
            entry = data["jobs"].get(name)
            if entry is not None and not entry.get("managed"):
                raise AlreadyExists(f"a job named {name!r} exists (not managed)")
            if entry is None:
                self._api("CreateSchedule", mutating=True)
                entry = data["jobs"][name] = {
                    "config": wanted,
                    "tags": self._tags(name, config.tags),
                    "managed": True,
                    "checked": self.clock.now(),
                    "runs": [],
                    "script": [],
                }
            elif entry["config"] != wanted:
                self._api("UpdateSchedule", mutating=True)
                entry["config"] = wanted
                entry["tags"] = self._tags(name, config.tags)
            return self._job_info(name, entry)

    def _get_job(self, name: str) -> JobInfo:
        with self._state.open() as data:
            self._job_tick(data)
            self._api("GetSchedule", mutating=False)
            return self._job_info(name, self._managed_job(data, name))

    def _list_jobs(self) -> list[JobInfo]:
        with self._state.open() as data:
            self._job_tick(data)
            self._api("ListSchedules", mutating=False)
            return [
                self._job_info(name, entry)
                for name, entry in sorted(data["jobs"].items())
                if entry.get("managed")
            ]

    def _delete_job(self, name: str) -> None:
        with self._state.open() as data:
            self._api("GetSchedule", mutating=False)
            entry = data["jobs"].get(name)
            if entry is None:
                return
            if not entry.get("managed"):
                raise Conflict(f"job {name!r} is not managed by cloudcore")
            self._api("DeleteSchedule", mutating=True)
            del data["jobs"][name]

    def _run_job(self, name: str) -> JobRun:
        with self._state.open() as data:
            self._job_tick(data)
            entry = self._managed_job(data, name)
            self._api("RunTask", mutating=True)
            config = JobConfig.model_validate(entry["config"])
            rec = self._job_execute(entry, config, _at(self.clock.now()), "manual")
            return self._job_run(name, rec)

    def _list_job_runs(self, name: str, limit: int) -> list[JobRun]:
        with self._state.open() as data:
            self._job_tick(data)
            self._api("ListTasks", mutating=False)
            entry = self._managed_job(data, name)
            return [self._job_run(name, r) for r in reversed(entry["runs"][-limit:])]

    # ------------------------------------------------- test-target helpers
    def script_job(self, name: str, exit_codes: list[int]) -> None:
        """The next attempts of job ``name`` exit with ``exit_codes`` in order (then 0)."""
        with self._state.open() as data:
            entry = self._managed_job(data, name)
            self._state.mark_dirty()
            entry["script"] = [int(c) for c in exit_codes]
