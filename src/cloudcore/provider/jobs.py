"""The ``jobs`` capability: scheduled tasks (cron with a time zone, or a clock-aligned rate).

Protocol (:class:`JobsProtocol`), implementation on the base provider with the driver hooks
(:class:`JobsMethods`), and composition routing (:class:`JobsRouting`).

Promises every driver keeps (the conformance suite checks them):

- ``schedule_job`` converges: zero writes when the job already matches its config; the config
  read back by ``get_job`` / ``list_jobs`` equals the one given. A job of that name cloudcore
  does not manage is ``AlreadyExists``.
- ``enabled=False`` stops scheduled runs; ``run_job`` still starts one.
- A failed run is retried up to ``retries`` times; runs are listed newest first (feature
  ``runs``). Two runs of one job never overlap on drivers that run them on one host.
- ``delete_job`` of a missing job succeeds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ..capabilities import Capability
from ..models._base import validate_name
from ..models.jobs import JobConfig, JobInfo, JobRun
from ._core import ProviderCore, RouterCore, coerce
from .queues import _int

__all__ = ["JobsMethods", "JobsProtocol", "JobsRouting"]

C = Capability.JOBS


class JobsProtocol(Protocol):
    """Scheduled jobs."""

    def schedule_job(self, name: str, config: JobConfig) -> JobInfo: ...
    def get_job(self, name: str) -> JobInfo: ...
    def list_jobs(self) -> list[JobInfo]: ...
    def delete_job(self, name: str) -> None: ...
    def run_job(self, name: str) -> JobRun: ...
    def list_job_runs(self, name: str, limit: int = 20) -> list[JobRun]: ...


class JobsMethods(ProviderCore):
    """``jobs`` on a driver: public methods, then the ``_`` hooks a driver implements."""

    def schedule_job(self, name: str, config: JobConfig) -> JobInfo:
        """Create the job, or bring the managed job ``name`` to ``config`` (zero writes when
        it already matches).

        Raises:
            AlreadyExists: a job of that name exists and cloudcore does not manage it.
        """
        self.require(C)
        name = validate_name(name)
        config = coerce(JobConfig, config, "config")
        self.require(C, config.target.kind)
        return self._invoke("schedule_job", name, lambda: self._schedule_job(name, config))

    def get_job(self, name: str) -> JobInfo:
        """The managed job ``name``: its config read back, next run and last run."""
        self.require(C)
        name = validate_name(name)
        return self._invoke("get_job", name, lambda: self._get_job(name))

    def list_jobs(self) -> list[JobInfo]:
        """Every job cloudcore manages here, by name."""
        self.require(C)
        return self._invoke("list_jobs", None, lambda: sorted(self._list_jobs(), key=_by_name))

    def delete_job(self, name: str) -> None:
        """Delete a managed job; succeeds when it is already gone. A run in progress finishes."""
        self.require(C)
        name = validate_name(name)
        self._invoke("delete_job", name, lambda: self._delete_job(name))

    def run_job(self, name: str) -> JobRun:
        """Start a run now (also when the job is disabled); returns the run as started."""
        self.require(C, "run_now")
        name = validate_name(name)
        return self._invoke("run_job", name, lambda: self._run_job(name))

    def list_job_runs(self, name: str, limit: int = 20) -> list[JobRun]:
        """The job's latest runs (at most ``limit``, 1-100), newest first."""
        self.require(C, "runs")
        name = validate_name(name)
        limit = _int(limit, "limit", 1, 100)
        return self._invoke("list_job_runs", name, lambda: self._list_job_runs(name, limit))

    # ------------------------------------------------------- driver hooks
    def _schedule_job(self, name: str, config: JobConfig) -> JobInfo:
        """Create or converge; zero writes when the job matches."""
        self._missing("jobs", "_schedule_job")

    def _get_job(self, name: str) -> JobInfo:
        """The managed job (``NotFound`` when absent or not managed)."""
        self._missing("jobs", "_get_job")

    def _list_jobs(self) -> Iterable[JobInfo]:
        """Every managed job (the core sorts them)."""
        self._missing("jobs", "_list_jobs")

    def _delete_job(self, name: str) -> None:
        """Delete; quietly when gone."""
        self._missing("jobs", "_delete_job")

    def _run_job(self, name: str) -> JobRun:
        """Start a run now (``NotFound`` when the job is absent)."""
        self._missing("jobs", "_run_job")

    def _list_job_runs(self, name: str, limit: int) -> list[JobRun]:
        """Newest first, at most ``limit``."""
        self._missing("jobs", "_list_job_runs")


def _by_name(job: JobInfo) -> str:
    return job.name


class JobsRouting(RouterCore):
    """``jobs`` in a composition."""

    def schedule_job(self, name: str, config: JobConfig) -> JobInfo:
        return self._route(C).schedule_job(name, config)

    def get_job(self, name: str) -> JobInfo:
        return self._route(C).get_job(name)

    def list_jobs(self) -> list[JobInfo]:
        return self._route(C).list_jobs()

    def delete_job(self, name: str) -> None:
        self._route(C).delete_job(name)

    def run_job(self, name: str) -> JobRun:
        return self._route(C).run_job(name)

    def list_job_runs(self, name: str, limit: int = 20) -> list[JobRun]:
        return self._route(C).list_job_runs(name, limit)
