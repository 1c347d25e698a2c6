"""Discovery of queues (with their depth) and jobs (with their last run), the same on every
driver: built from the driver's own ``_list_queues`` / ``_queue_stats`` / ``_list_jobs`` hooks,
so a driver's ``_list_resources`` adds them with one call."""

from __future__ import annotations

from typing import Any

from ..capabilities import OPERATIONS, Capability
from ..models import MANAGED_BY_KEY, MANAGED_BY_VALUE, NAME_TAG_KEY
from ..models.discovery import Resource, ResourceType, resource_id

__all__ = ["queue_and_job_resources"]


def _ops(cap: Capability) -> tuple[str, ...]:
    return tuple(op.name for op in OPERATIONS.values() if op.capability is cap)


def queue_and_job_resources(provider: Any, want: ResourceType | None) -> list[Resource]:
    """The managed queues and jobs of ``provider`` as resources (``want`` filters the type)."""
    out: list[Resource] = []
    region = provider.region

    def tags(name: str, user: dict[str, str]) -> dict[str, str]:
        return {**user, MANAGED_BY_KEY: MANAGED_BY_VALUE, NAME_TAG_KEY: name}

    if want in (None, ResourceType.QUEUE) and provider.supports(Capability.QUEUES):
        for q in sorted(provider._list_queues(), key=lambda q: q.name):
            stats = provider.call(lambda n=q.name: provider._queue_stats(n))
            related = q.dead_letter_queue or q.dead_letter_of
            out.append(
                Resource(
                    id=resource_id(provider.name, region, ResourceType.QUEUE, q.name),
                    type=ResourceType.QUEUE,
                    provider=provider.name,
                    region=region,
                    name=q.name,
                    state="available",
                    tags=tags(q.name, q.config.tags),
                    relationships=(
                        (resource_id(provider.name, region, ResourceType.QUEUE, related),)
                        if related
                        else ()
                    ),
                    operations=_ops(Capability.QUEUES),
                    attributes={
                        "visible": stats.visible,
                        "in_flight": stats.in_flight,
                        "delayed": stats.delayed,
                        "oldest_age_seconds": stats.oldest_age_seconds,
                        "dead_letter_queue": q.dead_letter_queue,
                        "dead_letter_of": q.dead_letter_of,
                        "fifo": q.config.fifo,
                    },
                    provider_id=q.provider_name,
                    created_at=q.created_at,
                )
            )
    if want in (None, ResourceType.JOB) and provider.supports(Capability.JOBS):
        for job in sorted(provider._list_jobs(), key=lambda j: j.name):
            last = job.last_run
            out.append(
                Resource(
                    id=resource_id(provider.name, region, ResourceType.JOB, job.name),
                    type=ResourceType.JOB,
                    provider=provider.name,
                    region=region,
                    name=job.name,
                    state="enabled" if job.config.enabled else "disabled",
                    tags=tags(job.name, job.config.tags),
                    operations=_ops(Capability.JOBS),
                    attributes={
                        "schedule": job.config.cron_expression,
                        "timezone": job.config.timezone,
                        "next_run_at": job.next_run_at.isoformat() if job.next_run_at else None,
                        "last_run_outcome": last.outcome if last else None,
                        "last_run_at": last.started_at.isoformat() if last else None,
                    },
                    provider_id=job.provider_id,
                )
            )
    return out
