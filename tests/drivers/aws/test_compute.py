"""ECS Fargate: sizes validated before any call, zero writes when nothing changed, rolling
updates, autoscaling, scale, status, logs, delete."""

from __future__ import annotations

import time
from typing import Any

import pytest

import cloudcore
from cloudcore import ConfigurationError, Conflict, NotFound, ServiceConfig, ServiceState
from cloudcore_aws._fargate import FARGATE_MEMORY, fargate_size, log_group_name
from cloudcore_aws.testing import MotoTarget


def _config(**kw: Any) -> ServiceConfig:
    base: dict[str, Any] = {
        "image": "ghcr.io/acme/api:1.0",
        "port": 8080,
        "cpu": 0.25,
        "memory": 512,
        "replicas": 2,
        "env": {"MODE": "prod"},
        "health_check": {"path": "/health"},
    }
    return ServiceConfig.model_validate({**base, **kw})


def _task(aws: MotoTarget, name: str) -> dict[str, Any]:
    ecs = aws.client("ecs")
    svc = ecs.describe_services(cluster="cloudcore", services=[name])["services"][0]
    return dict(
        ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    )


@pytest.mark.parametrize(
    ("cpu", "memory", "field"),
    [(0.125, 256, "config.cpu"), (0.25, 4096, "config.memory"), (1, 1024, "config.memory")],
)
def test_fargate_sizes_refused_before_any_call(
    cloud: Any, cpu: float, memory: int, field: str
) -> None:
    with cloudcore.record() as rec, pytest.raises(ConfigurationError) as err:
        cloud.deploy_service("cron", ServiceConfig(image="x:1", cpu=cpu, memory=memory))
    assert err.value.field == field
    assert rec.api_calls == [], "validation must happen before any API call"


def test_fargate_table_matches_the_architecture() -> None:
    assert fargate_size(0.25, 512) == (256, 512)  # api
    assert fargate_size(0.5, 1024) == (512, 1024)  # worker
    assert all(
        fargate_size(units / 1024, mem) for units, mems in FARGATE_MEMORY.items() for mem in mems
    )
    with pytest.raises(ConfigurationError, match="0.25, 0.5, 1, 2, 4, 8, 16"):
        fargate_size(0.125, 256)  # cron in the architecture document: not a Fargate size


def test_unknown_extras_and_missing_role_refused(aws: MotoTarget) -> None:
    with pytest.raises(ConfigurationError) as err:
        aws.provider.deploy_service("api", _config(extras={"bogus": 1}))
    assert err.value.field == "extras.bogus"
    from cloudcore_aws.provider import AWSProvider

    bare = AWSProvider(region="us-east-1", endpoint_url=aws.url, subnets=["subnet-1"])
    with cloudcore.record() as rec, pytest.raises(ConfigurationError, match="execution_role_arn"):
        bare.deploy_service("api", _config())
    assert rec.api_calls == []


def test_deploy_renders_the_task_definition(aws: MotoTarget) -> None:
    cloud = aws.provider
    made = aws.client("secretsmanager").create_secret(Name="jwt", SecretString="x")
    arn, version = made["ARN"], made["VersionId"]
    result = cloud.deploy_service("api", _config(secrets={"JWT_SECRET": "jwt"}))
    assert result.changed and result.revision == "api:1" and result.replicas == 2
    task = _task(aws, "api")
    assert (task["cpu"], task["memory"]) == ("256", "512")
    assert task["networkMode"] == "awsvpc" and task["requiresCompatibilities"] == ["FARGATE"]
    container = task["containerDefinitions"][0]
    assert container["image"] == "ghcr.io/acme/api:1.0"
    assert container["portMappings"][0]["containerPort"] == 8080
    assert container["environment"] == [{"name": "MODE", "value": "prod"}]
    # "latest" is pinned to the version current at deploy time (see the rotation test)
    assert container["secrets"] == [{"name": "JWT_SECRET", "valueFrom": f"{arn}:::{version}"}]
    assert container["dockerLabels"] == {"cloudcore.secrets-latest": "JWT_SECRET"}
    assert "http://localhost:8080/health" in container["healthCheck"]["command"][1]
    options = container["logConfiguration"]["options"]
    assert options["awslogs-group"] == log_group_name("cloudcore", "api")
    svc = aws.client("ecs").describe_services(cluster="cloudcore", services=["api"])["services"][0]
    vpc = svc["networkConfiguration"]["awsvpcConfiguration"]
    assert sorted(vpc["subnets"]) == sorted(aws.subnets)
    assert vpc["securityGroups"] == list(aws.security_groups)
    groups = aws.client("logs").describe_log_groups(logGroupNamePrefix="/cloudcore/")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/cloudcore/cloudcore/api"]


def test_unchanged_deploy_makes_zero_writes_and_no_revision(aws: MotoTarget) -> None:
    cloud = aws.provider
    config = _config(autoscaling={"min_replicas": 1, "max_replicas": 4})
    first = cloud.deploy_service("api", config)
    with cloudcore.record() as rec:
        second = cloud.deploy_service("api", config)
    assert rec.mutating_calls() == [], [c.operation for c in rec.mutating_calls()]
    assert second.changed is False and second.revision == first.revision
    families = aws.client("ecs").list_task_definitions(familyPrefix="api")["taskDefinitionArns"]
    assert len(families) == 1
    # a fresh provider (no caches) still writes nothing
    from cloudcore_aws.provider import AWSProvider

    fresh = AWSProvider(
        region="us-east-1",
        endpoint_url=aws.url,
        subnets=aws.subnets,
        security_groups=aws.security_groups,
        execution_role_arn=cloud.execution_role_arn,
        session=cloud._aws.boto_session(),
    )
    with cloudcore.record() as rec:
        assert fresh.deploy_service("api", config).changed is False
    assert rec.mutating_calls() == []


def test_changed_config_rolls_a_new_revision(aws: MotoTarget) -> None:
    cloud = aws.provider
    cloud.deploy_service("api", _config())
    with cloudcore.record() as rec:
        result = cloud.deploy_service("api", _config(env={"MODE": "canary"}))
    writes = [c.operation for c in rec.mutating_calls()]
    assert writes == ["RegisterTaskDefinition", "UpdateService"]
    assert result.changed and result.revision == "api:2"
    assert cloud.get_service_status("api").revision == "api:2"
    with cloudcore.record() as rec:
        cloud.deploy_service("api", _config(env={"MODE": "canary"}, replicas=3))
    assert [c.operation for c in rec.mutating_calls()] == ["UpdateService"]


def test_autoscaling_target_tracking(aws: MotoTarget) -> None:
    cloud = aws.provider
    cloud.deploy_service("api", _config(autoscaling={"min_replicas": 2, "max_replicas": 6}))
    aas = aws.client("application-autoscaling")
    resource = "service/cloudcore/api"
    target = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in target["ScalableTargets"]] == [(2, 6)]
    policy = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)
    tracking = policy["ScalingPolicies"][0]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == 70.0
    assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == (
        "ECSServiceAverageCPUUtilization"
    )
    cloud.deploy_service(
        "api", _config(autoscaling={"min_replicas": 2, "max_replicas": 8, "cpu_target_percent": 60})
    )
    target = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])
    assert target["ScalableTargets"][0]["MaxCapacity"] == 8
    cloud.deploy_service("api", _config())  # autoscaling off again
    assert (
        aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)[
            "ScalingPolicies"
        ]
        == []
    )


def test_scale_status_list_and_logs(aws: MotoTarget) -> None:
    cloud = aws.provider
    cloud.deploy_service("api", _config())
    with cloudcore.record() as rec:
        status = cloud.scale_service("api", 2)  # unchanged: no write
    assert rec.mutating_calls() == [] and status.desired == 2
    status = cloud.scale_service("api", 5)
    assert status.desired == 5 and status.state in set(ServiceState)
    assert cloud.scale_service("api", 0).state is ServiceState.STOPPED
    assert [s.name for s in cloud.list_services()] == ["api"]
    logs = aws.client("logs")
    stream = "api/api/0123"
    logs.create_log_stream(logGroupName="/cloudcore/cloudcore/api", logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/cloudcore/cloudcore/api",
        logStreamName=stream,
        logEvents=[{"timestamp": now - 100 + i, "message": f"line {i}"} for i in range(5)],
    )
    got = cloud.get_logs("api", limit=3)
    assert [e.message for e in got] == ["line 2", "line 3", "line 4"]
    assert got[0].source == stream


def test_delete_and_foreign_services(aws: MotoTarget) -> None:
    cloud = aws.provider
    cloud.deploy_service("api", _config(autoscaling={"min_replicas": 1, "max_replicas": 3}))
    cloud.delete_service("api")
    cloud.delete_service("api")  # already gone
    with pytest.raises(NotFound):
        cloud.get_service_status("api")
    active = aws.client("ecs").list_task_definitions(familyPrefix="api", status="ACTIVE")
    assert active["taskDefinitionArns"] == []
    # a service cloudcore did not create is never touched
    ecs = aws.client("ecs")
    td = ecs.register_task_definition(
        family="legacy", containerDefinitions=[{"name": "legacy", "image": "x", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="cloudcore", serviceName="legacy", taskDefinition=td, desiredCount=1)
    with pytest.raises(Conflict, match="not managed by cloudcore"):
        cloud.delete_service("legacy")
    with pytest.raises(Conflict):
        cloud.deploy_service("legacy", _config())
    assert cloud.list_services() == []


def test_rotating_a_referenced_secret_then_redeploying_rolls_the_service(aws: MotoTarget) -> None:
    # an unpinned valueFrom is resolved when a task starts: pinned to the current version at
    # deploy time, a rotation changes the task definition and the redeploy rolls the service
    cloud = aws.provider
    cloud.store_secret("api/token", "first")
    config = _config(secrets={"TOKEN": "api/token"})
    cloud.deploy_service("api", config)
    first = _task(aws, "api")
    [secret] = first["containerDefinitions"][0]["secrets"]
    current = cloud.list_secret_versions("api/token")[-1].version
    assert secret["valueFrom"].endswith(f":::{current}")
    assert cloud.deploy_service("api", config).changed is False
    cloud.store_secret("api/token", "second")  # rotation
    assert cloud.deploy_service("api", config).changed is True
    rotated = _task(aws, "api")
    assert rotated["revision"] == first["revision"] + 1
    assert (
        rotated["containerDefinitions"][0]["secrets"] != first["containerDefinitions"][0]["secrets"]
    )
    assert cloud.deploy_service("api", config).changed is False
    # read back as "latest", as deployed; a version pinned by the user reads back pinned
    assert cloud.get_service_config("api").secrets["TOKEN"].version is None
    pinned = _config(secrets={"TOKEN": {"key": "api/token", "version": current}})
    assert cloud.deploy_service("api", pinned).changed is True
    assert cloud.get_service_config("api").secrets["TOKEN"].version == current
