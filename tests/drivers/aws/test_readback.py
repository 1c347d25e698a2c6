"""The aws driver's read-back gaps are the ones its documentation lists."""

from __future__ import annotations

from pathlib import Path

from cloudcore import ServiceConfig
from cloudcore_aws.provider import AWSProvider
from cloudcore_aws.readback import AWS_READBACK_GAPS
from cloudcore_aws.testing import MotoTarget

DOC = Path(__file__).resolve().parents[3] / "docs" / "drivers" / "aws.md"


def test_provider_declares_the_gaps_and_the_docs_list_each() -> None:
    assert AWSProvider.readback_gaps is AWS_READBACK_GAPS
    text = DOC.read_text()
    section = text[text.index("## Read-back") :]
    for key in AWS_READBACK_GAPS:
        assert f"`{key}`" in section, f"docs/drivers/aws.md does not list the gap {key}"


def test_a_desired_count_outside_the_scaling_bounds_reads_back_as_the_bound(
    aws: MotoTarget,
) -> None:
    # someone set the desired count by hand below the scalable target's minimum: Application
    # Auto Scaling scales it back to the minimum, and read-back says so instead of failing
    config = ServiceConfig.model_validate(
        {
            "image": "ghcr.io/acme/worker:1.0",
            "cpu": 0.25,
            "memory": 512,
            "replicas": 2,
            "autoscaling": {"min_replicas": 2, "max_replicas": 8},
        }
    )
    aws.provider.deploy_service("worker", config)
    aws.client("ecs").update_service(cluster="cloudcore", service="worker", desiredCount=1)
    got = aws.provider.get_service_config("worker")
    assert got.replicas == 2
    assert got.autoscaling is not None and got.autoscaling.min_replicas == 2
    aws.client("ecs").update_service(cluster="cloudcore", service="worker", desiredCount=12)
    assert aws.provider.get_service_config("worker").replicas == 8
