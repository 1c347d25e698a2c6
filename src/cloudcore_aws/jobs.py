"""Scheduled jobs: an EventBridge Scheduler schedule that runs an ECS Fargate task.

Mapping:

- Every job is a schedule named like the job in the schedule group ``cloudcore`` (tagged
  ``managed-by=cloudcore``; schedules themselves carry no tags, so the group marks them
  managed). ``ScheduleExpression`` is :func:`cloudcore.cron.to_eventbridge` of the cron (a rate is
  its clock-aligned cron), ``ScheduleExpressionTimezone`` the time zone, ``State`` follows
  ``enabled``, ``RetryPolicy.MaximumRetryAttempts`` is ``retries``
  (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html).
- The target is ECS ``RunTask`` of task definition family ``job-<name>`` (rendered like a
  service's, container memory set as Fargate needs) on the provider's cluster, subnets and
  security groups, started by the role ``scheduler_role_arn``
  (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html).
- What neither API keeps (the cron as written, a rate, the timeout, cpu and memory as given) is
  in the schedule's ``Description`` as compact JSON; tags are the task definition's.
- Retries: EventBridge retries a *failed start* (RunTask refused), not a task that exits
  non-zero; ECS has no task timeout, so ``timeout_seconds`` is recorded, not enforced.
- Runs are the family's ECS tasks (running, and stopped ones, which ECS keeps about an hour).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from cloudcore.cron import to_eventbridge
from cloudcore.errors import ConfigurationError, NotFound
from cloudcore.models import MANAGED_BY_KEY, NAME_TAG_KEY, ServiceConfig
from cloudcore.models.jobs import CommandTarget, JobConfig, JobInfo, JobRun, next_fire_times

from ._base import kv_tags, tag_dict
from ._errors import error_code
from ._fargate import log_group_name, render_task_definition
from .compute import AWSCompute

__all__ = ["AWSJobs"]

GROUP = "cloudcore"
RUN_JOB = "cloudcore-run-job"
_MISSING = frozenset({"ResourceNotFoundException", "ScheduleGroupNotFound"})


def _family(name: str) -> str:
    return f"job-{name}"


def _service_config(target: CommandTarget) -> ServiceConfig:
    return ServiceConfig(
        image=target.image,
        command=target.command,
        cpu=target.cpu,
        memory=target.memory,
        env=target.env,
        secrets=target.secrets,
    )


def _secret_key(value_from: str) -> tuple[str, str | None]:
    """``(secret name, version)`` of a Secrets Manager ``valueFrom`` (``arn...:secret:NAME-xxxxxx``
    optionally followed by ``:::version``)."""
    arn, _, version = value_from.partition(":::")
    name = arn.split(":secret:", 1)[-1]
    if len(name) > 7 and name[-7] == "-":
        name = name[:-7]  # the 6 random characters Secrets Manager appends
    return name, version or None


class AWSJobs(AWSCompute):
    """The jobs capability (EventBridge Scheduler -> ECS RunTask)."""

    def _scheduler(self) -> Any:
        return self._client("scheduler")

    def _ensure_group(self) -> None:
        sch = self._scheduler()
        try:
            group = sch.get_schedule_group(Name=GROUP)
        except Exception as exc:
            if error_code(exc) not in _MISSING:
                raise
            sch.create_schedule_group(Name=GROUP, Tags=kv_tags(self._tags(GROUP)))
            return
        tags = tag_dict(sch.list_tags_for_resource(ResourceArn=group["Arn"]).get("Tags"))
        self._refuse_unmanaged(tags, f"schedule group {GROUP!r}")

    def _schedule(self, name: str) -> dict[str, Any] | None:
        try:
            out: dict[str, Any] = self._scheduler().get_schedule(GroupName=GROUP, Name=name)
            return out
        except Exception as exc:
            if error_code(exc) in _MISSING:
                return None
            raise

    def _job_task(self, name: str, target: CommandTarget) -> tuple[dict[str, Any], str]:
        """The rendered task definition of a job, and ``family:revision`` (registered now when
        no revision matches)."""
        family = _family(name)
        config = _service_config(target)
        rendered = render_task_definition(
            family,
            config,
            region=self.region or "us-east-1",
            cluster=self.cluster,
            secret_arns=self._secret_value_from(config),
            execution_role_arn=self.execution_role_arn,
            task_role_arn=self.task_role_arn,
        )
        rendered["containerDefinitions"][0]["memory"] = int(rendered["memory"])
        ref = self._current_task_definition(None, family, rendered)
        return rendered, ref or ""

    def _run_target(self, name: str, task_ref: str) -> dict[str, Any]:
        cluster_arn = self._ecs().describe_clusters(clusters=[self.cluster])["clusters"][0][
            "clusterArn"
        ]
        network = self._network(ServiceConfig(command=("true",)))["awsvpcConfiguration"]
        return {
            "Arn": str(cluster_arn),
            "RoleArn": str(self.scheduler_role_arn),
            "EcsParameters": {
                "TaskDefinitionArn": self._task_arn(task_ref),
                "TaskCount": 1,
                "LaunchType": "FARGATE",
                "Group": f"job:{name}",
                "NetworkConfiguration": {
                    "awsvpcConfiguration": {
                        "Subnets": network["subnets"],
                        "SecurityGroups": network["securityGroups"],
                        "AssignPublicIp": network["assignPublicIp"],
                    }
                },
            },
        }

    def _task_arn(self, task_ref: str) -> str:
        out = self._ecs().describe_task_definition(taskDefinition=task_ref)["taskDefinition"]
        return str(out["taskDefinitionArn"])

    @staticmethod
    def _description(config: JobConfig) -> str:
        assert isinstance(config.target, CommandTarget)
        return json.dumps(
            {
                "cron": config.cron,
                "every": config.every_minutes,
                "timeout": config.timeout_seconds,
                "cpu": config.target.cpu,
                "memory": config.target.memory,
            },
            separators=(",", ":"),
        )

    # ---------------------------------------------------------------- jobs
    def _schedule_job(self, name: str, config: JobConfig) -> JobInfo:
        if not isinstance(config.target, CommandTarget):
            raise ConfigurationError("target: the aws driver runs commands", field="target")
        if not self.scheduler_role_arn:
            raise ConfigurationError(
                "scheduler_role_arn: EventBridge Scheduler starts ECS tasks with a role "
                "(ecs:RunTask and iam:PassRole); pass scheduler_role_arn= to the provider",
                field="scheduler_role_arn",
            )
        if not self.subnets:
            raise ConfigurationError("subnets: Fargate tasks need subnets", field="subnets")
        self._ensure_cluster()
        self._ensure_group()
        family = _family(name)
        self._ensure_log_group(
            log_group_name(self.cluster, family), family, _service_config(config.target)
        )
        rendered, ref = self._job_task(name, config.target)
        tags = self._tags(name, config.tags)
        if ref:
            arn = self._task_arn(ref)
            have = tag_dict(
                self._ecs().list_tags_for_resource(resourceArn=arn).get("tags"), "key", "value"
            )
            if have != tags:
                ref = ""  # tags changed: a new revision carries them
        if not ref:
            out = self._ecs().register_task_definition(
                **rendered, tags=kv_tags(tags, "key", "value")
            )
            td = out["taskDefinition"]
            ref = f"{td['family']}:{td['revision']}"
        want = {
            "Name": name,
            "GroupName": GROUP,
            "Description": self._description(config),
            "ScheduleExpression": to_eventbridge(config.cron_expression),
            "ScheduleExpressionTimezone": config.timezone,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED" if config.enabled else "DISABLED",
            "Target": {
                **self._run_target(name, ref),
                "RetryPolicy": {
                    "MaximumRetryAttempts": config.retries,
                    "MaximumEventAgeInSeconds": 3600,
                },
            },
        }
        have_schedule = self._schedule(name)
        if have_schedule is None:
            self._scheduler().create_schedule(**want)
        elif not all(_covers(have_schedule.get(k), v) for k, v in want.items()):
            self._scheduler().update_schedule(**want)
        return self._get_job(name)

    def _read_job(self, schedule: dict[str, Any]) -> JobInfo:
        name = str(schedule["Name"])
        meta = json.loads(schedule.get("Description") or "{}")
        params = schedule["Target"].get("EcsParameters") or {}
        td = self._ecs().describe_task_definition(
            taskDefinition=params["TaskDefinitionArn"], include=["TAGS"]
        )
        container = td["taskDefinition"]["containerDefinitions"][0]
        command = list(container.get("entryPoint") or []) + list(container.get("command") or [])
        secrets = {}
        for s in container.get("secrets") or []:
            key, version = _secret_key(str(s["valueFrom"]))
            secrets[str(s["name"])] = {"key": key, "version": version}
        tags = tag_dict(td.get("tags"), "key", "value")
        config = JobConfig(
            cron=meta.get("cron"),
            every_minutes=meta.get("every"),
            timezone=schedule.get("ScheduleExpressionTimezone") or "UTC",
            target=CommandTarget(
                image=container.get("image"),
                command=tuple(command) or None,
                cpu=meta.get("cpu", 0.25),
                memory=meta.get("memory", 512),
                env={str(e["name"]): str(e["value"]) for e in container.get("environment") or []},
                secrets=secrets,
            ),
            retries=int(schedule["Target"].get("RetryPolicy", {}).get("MaximumRetryAttempts", 0)),
            timeout_seconds=meta.get("timeout", 3600),
            enabled=schedule.get("State") == "ENABLED",
            tags={k: v for k, v in tags.items() if k not in (MANAGED_BY_KEY, NAME_TAG_KEY)},
        )
        nxt = None
        if config.enabled:
            nxt = next_fire_times(config.cron_expression, config.timezone, datetime.now(UTC), 1)[0]
        runs = self._runs(name, 1)
        return JobInfo(
            name=name,
            config=config,
            provider_id=str(schedule.get("Arn")),
            next_run_at=nxt,
            last_run=runs[0] if runs else None,
        )

    def _get_job(self, name: str) -> JobInfo:
        schedule = self._schedule(name)
        if schedule is None:
            raise NotFound(f"no job named {name!r} is managed here")
        return self._read_job(schedule)

    def _list_jobs(self) -> Iterable[JobInfo]:
        out = []
        try:
            pages = self._scheduler().get_paginator("list_schedules").paginate(GroupName=GROUP)
            names = [str(s["Name"]) for page in pages for s in page.get("Schedules", [])]
        except Exception as exc:
            if error_code(exc) in _MISSING:
                return []
            raise
        for name in names:
            schedule = self._schedule(name)
            if schedule is not None:
                out.append(self._read_job(schedule))
        return out

    def _delete_job(self, name: str) -> None:
        if self._schedule(name) is None:
            return
        self._scheduler().delete_schedule(GroupName=GROUP, Name=name)

    def _run_job(self, name: str) -> JobRun:
        schedule = self._schedule(name)
        if schedule is None:
            raise NotFound(f"no job named {name!r} is managed here")
        params = schedule["Target"]["EcsParameters"]
        network = params["NetworkConfiguration"]["awsvpcConfiguration"]
        out = self._ecs().run_task(
            cluster=self.cluster,
            taskDefinition=params["TaskDefinitionArn"],
            launchType="FARGATE",
            count=1,
            startedBy=RUN_JOB,
            group=f"job:{name}",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": network["Subnets"],
                    "securityGroups": network["SecurityGroups"],
                    "assignPublicIp": network["AssignPublicIp"],
                }
            },
        )
        tasks = out.get("tasks") or []
        if not tasks:
            failure = (out.get("failures") or [{}])[0]
            raise ConfigurationError(f"ECS did not start the task: {failure}", field="target")
        return _run(name, tasks[0])

    def _list_job_runs(self, name: str, limit: int) -> list[JobRun]:
        if self._schedule(name) is None:
            raise NotFound(f"no job named {name!r} is managed here")
        return self._runs(name, limit)

    def _runs(self, name: str, limit: int) -> list[JobRun]:
        ecs = self._ecs()
        arns: list[str] = []
        for status in ("RUNNING", "STOPPED"):
            out = ecs.list_tasks(cluster=self.cluster, family=_family(name), desiredStatus=status)
            arns += [str(a) for a in out.get("taskArns", [])]
        if not arns:
            return []
        tasks = []
        for at in range(0, len(arns), 100):
            tasks += ecs.describe_tasks(cluster=self.cluster, tasks=arns[at : at + 100])["tasks"]
        runs = [_run(name, t) for t in tasks]
        runs.sort(key=lambda r: r.started_at, reverse=True)
        return runs[:limit]


def _run(name: str, task: dict[str, Any]) -> JobRun:
    started = task.get("startedAt") or task.get("createdAt") or datetime.now(UTC)
    stopped = task.get("stoppedAt")
    exit_code = None
    containers = task.get("containers") or []
    if containers and containers[0].get("exitCode") is not None:
        exit_code = int(containers[0]["exitCode"])
    if task.get("lastStatus") != "STOPPED":
        outcome = "running"
    else:
        outcome = "succeeded" if exit_code == 0 else "failed"
    return JobRun(
        id=str(task["taskArn"]).rsplit("/", 1)[-1],
        job=name,
        started_at=started if isinstance(started, datetime) else datetime.now(UTC),
        ended_at=stopped if isinstance(stopped, datetime) else None,
        outcome=outcome,
        exit_code=exit_code,
        trigger="manual" if task.get("startedBy") == RUN_JOB else "schedule",
    )


def _covers(have: Any, want: Any) -> bool:
    """Whether ``have`` (as the API returns it, with defaults added) already is ``want``:
    every key cloudcore sets has the value it sets."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(_covers(have.get(k), v) for k, v in want.items())
    if isinstance(want, list):
        return (
            isinstance(have, list)
            and len(have) == len(want)
            and all(_covers(h, w) for h, w in zip(have, want, strict=True))
        )
    return bool(have == want)
