"""ECS Fargate services, Application Auto Scaling target tracking, CloudWatch Logs.

``deploy_service(name, config)``:

1. validates cpu/memory against Fargate's sizes, the health check against ECS's limits, and the
   extras — before any call;
2. makes sure the cluster and the log group ``/cloudcore/<cluster>/<name>`` exist;
3. renders the task definition and compares it with the one the service runs (and, for a new
   service, with the family's latest revision): a new revision is registered only when they
   differ;
4. creates the service (awsvpc, the provider's subnets and security groups, the ALB target group
   from ``extras["target_group_arn"]``, rolling deployment with the circuit breaker and rollback)
   or updates it — only if the task definition, desired count, network or load balancer changed;
5. reconciles CPU target tracking (register target + policy, or remove them).

An unchanged config makes only reads. ``create_service`` carries the call's idempotency token.
"""

from __future__ import annotations

import collections
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudcore._context import current_call
from cloudcore.errors import ConfigurationError, NotFound
from cloudcore.models import (
    DeploymentResult,
    LogEntry,
    ServiceConfig,
    ServiceEvent,
    ServiceState,
    ServiceStatus,
    ServiceSummary,
)

from ._base import AWSBase, check_extras, kv_tags, tag_dict
from ._errors import error_code
from ._fargate import COMPUTE_EXTRAS, log_group_name, render_task_definition, same_task_definition

__all__ = ["AWSCompute"]

_DIMENSION = "ecs:service:DesiredCount"
_POLICY = "cloudcore-cpu-target"


def _revision(task_definition: str) -> str:
    """``family:revision`` from an ARN or a ``family:revision`` reference."""
    return task_definition.rsplit("/", 1)[-1]


class AWSCompute(AWSBase):
    """The compute capability (ECS Fargate)."""

    def _ecs(self) -> Any:
        return self._client("ecs")

    # ------------------------------------------------------------ lookups
    def _describe_service(self, name: str) -> dict[str, Any] | None:
        try:
            out = self._ecs().describe_services(
                cluster=self.cluster, services=[name], include=["TAGS"]
            )
        except Exception as exc:
            if error_code(exc) == "ClusterNotFoundException":
                return None
            raise
        for svc in out.get("services", []):
            if svc.get("status") == "ACTIVE":
                return dict(svc)
        return None

    def _managed_service(self, name: str) -> dict[str, Any]:
        svc = self._describe_service(name)
        if svc is None:
            raise NotFound(f"no service {name!r} in ECS cluster {self.cluster!r}")
        self._refuse_unmanaged(tag_dict(svc.get("tags"), "key", "value"), f"ECS service {name!r}")
        return svc

    def _ensure_cluster(self) -> None:
        if self._cluster_ready:
            return
        ecs = self._ecs()
        out = ecs.describe_clusters(clusters=[self.cluster])
        if not any(c.get("status") == "ACTIVE" for c in out.get("clusters", [])):
            ecs.create_cluster(
                clusterName=self.cluster,
                tags=kv_tags(self._tags(self.cluster), "key", "value"),
                settings=[{"name": "containerInsights", "value": "enabled"}],
            )
        self._cluster_ready = True

    def _ensure_log_group(self, group: str, name: str, config: ServiceConfig) -> None:
        if group in self._log_groups_ready:
            return
        logs = self._client("logs")
        found = logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
        if not any(g.get("logGroupName") == group for g in found):
            try:
                logs.create_log_group(logGroupName=group, tags=self._tags(name, config.tags))
            except Exception as exc:
                if error_code(exc) != "ResourceAlreadyExistsException":
                    raise
            days = int(config.extras.get("log_retention_days", 30))
            logs.put_retention_policy(logGroupName=group, retentionInDays=days)
        self._log_groups_ready.add(group)

    # ------------------------------------------------------------- deploy
    def _validate_service(self, name: str, config: ServiceConfig) -> None:
        check_extras(config.extras, COMPUTE_EXTRAS, "config")
        placeholder = dict.fromkeys(config.secrets, "arn:aws:secretsmanager:::secret:x")
        render_task_definition(
            name,
            config,
            region=self.region or "us-east-1",
            cluster=self.cluster,
            secret_arns=placeholder,
            execution_role_arn=self.execution_role_arn,
            task_role_arn=self.task_role_arn,
        )
        if not self.subnets:
            raise ConfigurationError(
                "subnets: Fargate services in awsvpc mode need subnets; pass subnets=[...]",
                field="subnets",
            )
        target_group = config.extras.get("target_group_arn")
        if target_group is not None and config.port is None:
            raise ConfigurationError(
                "config.port: a target group needs the container port", field="config.port"
            )

    def _secret_value_from(
        self, config: ServiceConfig, *, pin_latest: bool = False
    ) -> dict[str, str]:
        """``valueFrom`` of each secret variable (``NotFound`` for a missing secret).

        With ``pin_latest`` (services), a reference to the latest version is pinned to the
        version current now (``arn:...:secret:NAME:::VERSION-ID``): a task resolves an unpinned
        ARN when it starts, so after a rotation a redeploy would change nothing and tasks would
        hold old and new values side by side; pinned, the rotation changes the task definition
        and the redeploy rolls every task onto the new value (``changed=True``), as on every
        other driver. Jobs stay unpinned: each run reads the latest value when it starts.
        """
        arns: dict[str, str] = {}
        for env, ref in config.secrets.items():
            arn, current = self._secret_current(ref.key)
            version = ref.version or (current if pin_latest else None)
            arns[env] = f"{arn}:::{version}" if version else arn
        return arns

    def _network(self, config: ServiceConfig) -> dict[str, Any]:
        public = bool(config.extras.get("assign_public_ip", self.assign_public_ip))
        return {
            "awsvpcConfiguration": {
                "subnets": list(self.subnets),
                "securityGroups": list(self.security_groups),
                "assignPublicIp": "ENABLED" if public else "DISABLED",
            }
        }

    def _load_balancers(self, name: str, config: ServiceConfig) -> list[dict[str, Any]]:
        arn = config.extras.get("target_group_arn")
        if not arn:
            return []
        return [{"targetGroupArn": str(arn), "containerName": name, "containerPort": config.port}]

    def _deploy_service(self, name: str, config: ServiceConfig) -> DeploymentResult:
        self._validate_service(name, config)  # before any call
        # referenced secrets must exist (NotFound) before anything is written
        secret_arns = self._secret_value_from(config, pin_latest=True)
        self._ensure_cluster()
        self._ensure_log_group(log_group_name(self.cluster, name), name, config)
        rendered = render_task_definition(
            name,
            config,
            region=self.region or "us-east-1",
            cluster=self.cluster,
            secret_arns=secret_arns,
            execution_role_arn=self.execution_role_arn,
            task_role_arn=self.task_role_arn,
            latest_pinned=[k for k, ref in config.secrets.items() if ref.version is None],
        )
        ecs = self._ecs()
        svc = self._describe_service(name)
        if svc is not None:
            self._refuse_unmanaged(
                tag_dict(svc.get("tags"), "key", "value"), f"ECS service {name!r}"
            )
        changed = False
        task_ref = self._current_task_definition(svc, name, rendered)
        if task_ref is None:
            out = ecs.register_task_definition(
                **rendered, tags=kv_tags(self._tags(name, config.tags), "key", "value")
            )
            task_ref = _revision(out["taskDefinition"]["taskDefinitionArn"])
            changed = True
        desired = config.replicas
        network = self._network(config)
        balancers = self._load_balancers(name, config)
        if svc is None:
            args: dict[str, Any] = {
                "cluster": self.cluster,
                "serviceName": name,
                "taskDefinition": task_ref,
                "desiredCount": desired,
                "launchType": "FARGATE",
                "networkConfiguration": network,
                "deploymentConfiguration": {
                    "maximumPercent": 200,
                    "minimumHealthyPercent": 100,
                    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                },
                "propagateTags": "SERVICE",
                "enableECSManagedTags": True,
                "tags": kv_tags(self._tags(name, config.tags), "key", "value"),
            }
            if "platform_version" in config.extras:
                args["platformVersion"] = str(config.extras["platform_version"])
            if balancers:
                args["loadBalancers"] = balancers
                if config.health_check is not None:
                    args["healthCheckGracePeriodSeconds"] = config.health_check.grace_seconds
            ctx = current_call()
            if ctx is not None:
                args["clientToken"] = ctx.token[:36]
            svc = ecs.create_service(**args)["service"]
            changed = True
        else:
            update: dict[str, Any] = {}
            if _revision(str(svc.get("taskDefinition", ""))) != task_ref:
                update["taskDefinition"] = task_ref
            if config.autoscaling is None and svc.get("desiredCount") != desired:
                update["desiredCount"] = desired
            if not _same_network(svc.get("networkConfiguration"), network):
                update["networkConfiguration"] = network
            if _lb_key(svc.get("loadBalancers")) != _lb_key(balancers):
                update["loadBalancers"] = balancers
            if update:
                svc = ecs.update_service(cluster=self.cluster, service=name, **update)["service"]
                changed = True
            changed = self._reconcile_tags(svc, name, config) or changed
        changed = self._reconcile_autoscaling(name, config) or changed
        return DeploymentResult(
            name=name,
            revision=task_ref,
            changed=changed,
            replicas=int(svc.get("desiredCount", desired)),
            provider_id=svc.get("serviceArn"),
        )

    def _current_task_definition(
        self, svc: dict[str, Any] | None, name: str, rendered: dict[str, Any]
    ) -> str | None:
        """``family:revision`` of a registered task definition equal to ``rendered``, if any."""
        ref = str(svc["taskDefinition"]) if svc else name  # a family name reads its latest
        try:
            current = self._ecs().describe_task_definition(taskDefinition=ref)["taskDefinition"]
        except Exception as exc:
            if error_code(exc) in ("ClientException", "InvalidParameterException"):
                return None  # no revision of this family yet
            raise
        if current.get("status") != "ACTIVE" and svc is None:
            return None
        if same_task_definition(rendered, current):
            return _revision(str(current["taskDefinitionArn"]))
        if svc is not None:  # a revision registered by an interrupted deploy may match
            return self._current_task_definition(None, name, rendered)
        return None

    def _reconcile_tags(self, svc: dict[str, Any], name: str, config: ServiceConfig) -> bool:
        have = tag_dict(svc.get("tags"), "key", "value")
        want = self._tags(name, config.tags)
        if have == want:
            return False
        ecs = self._ecs()
        arn = svc["serviceArn"]
        stale = sorted(set(have) - set(want))
        if stale:
            ecs.untag_resource(resourceArn=arn, tagKeys=stale)
        if any(have.get(k) != v for k, v in want.items()):
            ecs.tag_resource(resourceArn=arn, tags=kv_tags(want, "key", "value"))
        return True

    def _reconcile_autoscaling(self, name: str, config: ServiceConfig) -> bool:
        aas = self._client("application-autoscaling")
        resource = f"service/{self.cluster}/{name}"
        targets = aas.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[resource], ScalableDimension=_DIMENSION
        ).get("ScalableTargets", [])
        policies = []
        if targets:
            policies = aas.describe_scaling_policies(
                ServiceNamespace="ecs", ResourceId=resource, ScalableDimension=_DIMENSION
            ).get("ScalingPolicies", [])
        want = config.autoscaling
        if want is None:
            if not targets:
                return False
            self._remove_autoscaling(resource, policies)
            return True
        changed = False
        target = targets[0] if targets else None
        if target is None or (target["MinCapacity"], target["MaxCapacity"]) != (
            want.min_replicas,
            want.max_replicas,
        ):
            args: dict[str, Any] = {}
            if target is None:
                args["Tags"] = self._tags(name, config.tags)
            aas.register_scalable_target(
                ServiceNamespace="ecs",
                ResourceId=resource,
                ScalableDimension=_DIMENSION,
                MinCapacity=want.min_replicas,
                MaxCapacity=want.max_replicas,
                **args,
            )
            changed = True
        tracking = {
            "TargetValue": float(want.cpu_target_percent),
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
            },
            "ScaleInCooldown": 60,
            "ScaleOutCooldown": 60,
        }
        current = next((p for p in policies if p.get("PolicyName") == _POLICY), None)
        have = (current or {}).get("TargetTrackingScalingPolicyConfiguration")
        if have is None or {k: have.get(k) for k in tracking} != tracking:
            aas.put_scaling_policy(
                PolicyName=_POLICY,
                ServiceNamespace="ecs",
                ResourceId=resource,
                ScalableDimension=_DIMENSION,
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration=tracking,
            )
            changed = True
        return changed

    def _remove_autoscaling(self, resource: str, policies: list[dict[str, Any]]) -> None:
        aas = self._client("application-autoscaling")
        for policy in policies:
            aas.delete_scaling_policy(
                PolicyName=policy["PolicyName"],
                ServiceNamespace="ecs",
                ResourceId=resource,
                ScalableDimension=_DIMENSION,
            )
        aas.deregister_scalable_target(
            ServiceNamespace="ecs", ResourceId=resource, ScalableDimension=_DIMENSION
        )

    # --------------------------------------------------------- day two
    def _scale_service(self, name: str, replicas: int) -> ServiceStatus:
        svc = self._managed_service(name)
        if svc.get("desiredCount") != replicas:
            svc = self._ecs().update_service(
                cluster=self.cluster, service=name, desiredCount=replicas
            )["service"]
        return _status(name, svc)

    def _get_service_status(self, name: str) -> ServiceStatus:
        return _status(name, self._managed_service(name))

    def _list_services(self) -> list[ServiceSummary]:
        ecs = self._ecs()
        arns: list[str] = []
        try:
            for page in ecs.get_paginator("list_services").paginate(cluster=self.cluster):
                arns.extend(page.get("serviceArns", []))
        except Exception as exc:
            if error_code(exc) == "ClusterNotFoundException":
                return []
            raise
        found: list[ServiceSummary] = []
        for i in range(0, len(arns), 10):
            out = ecs.describe_services(
                cluster=self.cluster, services=arns[i : i + 10], include=["TAGS"]
            )
            for svc in out.get("services", []):
                tags = tag_dict(svc.get("tags"), "key", "value")
                if svc.get("status") != "ACTIVE" or not self._is_managed(tags):
                    continue
                status = _status(str(svc["serviceName"]), svc)
                found.append(
                    ServiceSummary(
                        name=str(svc["serviceName"]),
                        revision=status.revision,
                        replicas=status.desired,
                        state=status.state,
                    )
                )
        return sorted(found, key=lambda s: s.name)

    def _delete_service(self, name: str) -> None:
        svc = self._describe_service(name)
        if svc is None:
            return
        self._refuse_unmanaged(tag_dict(svc.get("tags"), "key", "value"), f"ECS service {name!r}")
        aas = self._client("application-autoscaling")
        resource = f"service/{self.cluster}/{name}"
        targets = aas.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[resource], ScalableDimension=_DIMENSION
        ).get("ScalableTargets", [])
        if targets:
            policies = aas.describe_scaling_policies(
                ServiceNamespace="ecs", ResourceId=resource, ScalableDimension=_DIMENSION
            ).get("ScalingPolicies", [])
            self._remove_autoscaling(resource, policies)
        ecs = self._ecs()
        try:
            ecs.delete_service(cluster=self.cluster, service=name, force=True)
        except Exception as exc:
            if error_code(exc) not in ("ServiceNotFoundException", "ServiceNotActiveException"):
                raise
        pages = ecs.get_paginator("list_task_definitions").paginate(
            familyPrefix=name, status="ACTIVE"
        )
        for page in pages:
            for arn in page.get("taskDefinitionArns", []):
                if _revision(arn).rsplit(":", 1)[0] == name:
                    ecs.deregister_task_definition(taskDefinition=arn)

    def _get_logs(self, name: str, since: datetime | None, limit: int) -> list[LogEntry]:
        self._managed_service(name)
        logs = self._client("logs")
        start = since or (datetime.now(UTC) - timedelta(hours=24))
        kept: collections.deque[LogEntry] = collections.deque(maxlen=limit)
        args = {
            "logGroupName": log_group_name(self.cluster, name),
            "startTime": int(start.timestamp() * 1000),
        }
        try:
            for page in logs.get_paginator("filter_log_events").paginate(**args):
                for event in page.get("events", []):
                    kept.append(
                        LogEntry(
                            time=datetime.fromtimestamp(event["timestamp"] / 1000, UTC),
                            message=str(event.get("message", "")).rstrip("\n"),
                            source=event.get("logStreamName"),
                        )
                    )
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return []
            raise
        return sorted(kept, key=lambda e: e.time)


def _same_network(have: Any, want: dict[str, Any]) -> bool:
    h = (have or {}).get("awsvpcConfiguration", {})
    w = want["awsvpcConfiguration"]
    return (
        sorted(h.get("subnets", [])) == sorted(w["subnets"])
        and sorted(h.get("securityGroups", [])) == sorted(w["securityGroups"])
        and h.get("assignPublicIp", "DISABLED") == w["assignPublicIp"]
    )


def _lb_key(items: Any) -> list[tuple[str, str, int]]:
    return sorted(
        (str(i.get("targetGroupArn")), str(i.get("containerName")), int(i.get("containerPort", 0)))
        for i in items or []
    )


def _status(name: str, svc: dict[str, Any]) -> ServiceStatus:
    desired = int(svc.get("desiredCount", 0))
    running = int(svc.get("runningCount", 0))
    pending = int(svc.get("pendingCount", 0))
    deployments = svc.get("deployments", [])
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    rollout = (primary or {}).get("rolloutState")
    task = str(svc.get("taskDefinition") or (primary or {}).get("taskDefinition") or "") or None
    if rollout == "FAILED":
        state = ServiceState.FAILED
    elif desired == 0:
        state = ServiceState.STOPPED
    elif len(deployments) > 1 or (rollout == "IN_PROGRESS" and running < desired):
        state = ServiceState.DEPLOYING if running else ServiceState.PENDING
    elif running >= desired:
        state = ServiceState.RUNNING
    elif running == 0:
        state = ServiceState.PENDING
    else:
        state = ServiceState.DEGRADED
    events = [
        ServiceEvent(time=e["createdAt"], message=str(e.get("message", "")))
        for e in svc.get("events", [])[:10]
        if e.get("createdAt") is not None
    ]
    return ServiceStatus(
        name=name,
        state=state,
        desired=desired,
        running=running,
        pending=pending,
        revision=_revision(task) if task else None,
        deployment_state=rollout,
        events=tuple(reversed(events)),
    )
