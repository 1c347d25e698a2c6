"""Cloud Run v2 mapping: units, secrets, probes, scaling, no new revision when nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

import cloudcore
from cloudcore.errors import AlreadyExists, Conflict, NotFound, Unsupported
from cloudcore.models import Autoscaling, HealthCheck, ServiceConfig, ServiceState

SVC = "projects/fake-project/locations/us-central1/services/"


@pytest.fixture(autouse=True)
def _db_password(gcp: Any) -> None:
    gcp.store_secret("db/password", "s3cret")  # the secret _config() refers to


def _config(**kw: Any) -> ServiceConfig:
    base: dict[str, Any] = {
        "image": "nginx:1.27",
        "port": 8080,
        "cpu": 1,
        "memory": 512,
        "env": {"MODE": "prod"},
        "secrets": {"DB_PASSWORD": "db/password"},
        "health_check": HealthCheck(path="/healthz", interval_seconds=10, timeout_seconds=2),
    }
    return ServiceConfig(**{**base, **kw})


def test_deploy_maps_the_portable_config(gcp: Any, fake: Any) -> None:
    result = gcp.deploy_service("api", _config(extras={"ingress": "internal"}))
    assert result.changed and result.revision.startswith("api-00001-")
    svc = fake.services[SVC + "api"]
    container = svc["template"]["containers"][0]
    assert container["resources"] == {"limits": {"cpu": "1", "memory": "512Mi"}, "cpuIdle": True}
    assert container["ports"] == [{"containerPort": 8080, "name": "http1"}]  # name: Cloud Run's
    env = {e["name"]: e for e in container["env"]}
    assert env["MODE"]["value"] == "prod"
    # "latest" is pinned to the version enabled at deploy time (a rotation then rolls the
    # service), and the template says which variables asked for "latest"
    assert env["DB_PASSWORD"]["valueSource"]["secretKeyRef"] == {
        "secret": "db_spassword",
        "version": "1",
    }
    assert svc["template"]["annotations"] == {"cloudcore-secrets-latest": "DB_PASSWORD"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}
    assert container["startupProbe"]["periodSeconds"] == 10
    assert svc["scaling"] == {"scalingMode": "MANUAL", "manualInstanceCount": 1}
    assert svc["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert svc["labels"]["managed-by"] == "cloudcore"
    assert svc["labels"]["cloudcore-name"] == "api"


def test_fractional_cpu_and_autoscaling(gcp: Any, fake: Any) -> None:
    auto = Autoscaling(min_replicas=1, max_replicas=5)
    gcp.deploy_service("web", _config(cpu=0.25, replicas=2, autoscaling=auto))
    svc = fake.services[SVC + "web"]
    assert svc["template"]["containers"][0]["resources"]["limits"]["cpu"] == "250m"
    assert svc["template"]["scaling"] == {"minInstanceCount": 1, "maxInstanceCount": 5}
    assert svc["scaling"] == {"scalingMode": "AUTOMATIC"}


def test_unchanged_deploy_writes_nothing_and_keeps_the_revision(gcp: Any, fake: Any) -> None:
    first = gcp.deploy_service("api", _config())
    with cloudcore.record() as rec:
        again = gcp.deploy_service("api", _config())
    assert rec.mutating_calls() == []
    assert [c.operation for c in rec.calls()] == [
        "GET /v1/projects/fake-project/secrets/db_spassword/versions/latest",
        f"GET /v2/{SVC}api",
    ]
    assert again.changed is False and again.revision == first.revision
    assert fake.services[SVC + "api"]["_revisions"] == 1

    changed = gcp.deploy_service("api", _config(env={"MODE": "canary"}))
    assert changed.changed and changed.revision != first.revision
    assert fake.services[SVC + "api"]["_revisions"] == 2


def test_scale_changes_no_revision(gcp: Any, fake: Any) -> None:
    first = gcp.deploy_service("api", _config())
    status = gcp.scale_service("api", 4)
    assert status.desired == 4 and status.running == 4 and status.state is ServiceState.RUNNING
    assert status.revision == first.revision
    assert fake.services[SVC + "api"]["_revisions"] == 1
    with cloudcore.record() as rec:
        gcp.scale_service("api", 4)
    assert rec.mutating_calls() == []
    assert gcp.scale_service("api", 0).state is ServiceState.STOPPED
    back = gcp.deploy_service("api", _config())  # deploy restores the config's replicas
    assert back.changed and back.replicas == 1


def test_status_reads_conditions_and_traffic(gcp: Any, fake: Any) -> None:
    gcp.deploy_service("api", _config())
    status = gcp.get_service_status("api")
    assert status.deployment_state.startswith("CONDITION_SUCCEEDED; traffic: 100% api-00001-")
    assert {e.message.split(":")[0] for e in status.events} == {
        "RoutesReady",
        "ConfigurationsReady",
    }
    fake.services[SVC + "api"]["terminalCondition"]["state"] = "CONDITION_FAILED"
    assert gcp.get_service_status("api").state is ServiceState.FAILED
    fake.services[SVC + "api"]["terminalCondition"]["state"] = "CONDITION_RECONCILING"
    assert gcp.get_service_status("api").state is ServiceState.DEPLOYING


def test_services_cloudcore_does_not_manage_are_left_alone(gcp: Any, fake: Any) -> None:
    fake.services[SVC + "theirs"] = {"name": SVC + "theirs", "labels": {"team": "x"}}
    with pytest.raises(AlreadyExists):
        gcp.deploy_service("theirs", _config())
    with pytest.raises(Conflict):
        gcp.delete_service("theirs")
    assert "theirs" not in {s.name for s in gcp.list_services()}
    assert SVC + "theirs" in fake.services


def test_delete_when_gone_and_status_of_missing(gcp: Any, fake: Any) -> None:
    gcp.deploy_service("api", _config())
    gcp.delete_service("api")
    gcp.delete_service("api")
    assert SVC + "api" not in fake.services
    with pytest.raises(NotFound):
        gcp.get_service_status("api")


def test_logs_from_cloud_logging_oldest_first(gcp: Any, fake: Any) -> None:
    gcp.deploy_service("api", _config())
    for i in range(7):
        fake.write_log("api", f"line {i}")
    fake.write_log("other", "not mine")
    with cloudcore.record() as rec:
        logs = gcp.get_logs("api", limit=6)
    assert [e.message for e in logs] == [f"line {i}" for i in range(1, 7)]  # the newest 6
    assert [e.time for e in logs] == sorted(e.time for e in logs)
    assert rec.mutating_calls() == []  # entries:list is a POST that only reads
    later = gcp.get_logs("api", since=logs[-1].time)
    assert [e.message for e in later] == ["line 6"]
    with pytest.raises(NotFound):
        gcp.get_logs("missing")


def test_command_only_services_are_unsupported_with_the_reason(gcp: Any) -> None:
    with pytest.raises(Unsupported, match="container images"):
        gcp.deploy_service("job", ServiceConfig(command=("sleep", "1")))


def test_server_defaults_are_filled_and_not_read_back(gcp: Any, fake: Any) -> None:
    """Cloud Run fills defaults into what it stores (the fake too); read-back must not return
    them as if they had been asked, and deploying what was read back writes nothing."""
    config = ServiceConfig(image="nginx:1.27", port=8080, cpu=1, memory=512)
    gcp.deploy_service("plain", config)
    template = fake.services[SVC + "plain"]["template"]
    assert template["timeout"] == "300s"
    assert template["serviceAccount"].endswith("-compute@developer.gserviceaccount.com")
    assert template["maxInstanceRequestConcurrency"] == 80
    assert template["containers"][0]["startupProbe"]["tcpSocket"] == {"port": 8080}
    got = gcp.get_service_config("plain")
    assert got == config, got
    assert gcp.deploy_service("plain", got).changed is False
