"""The CloudFormation export: six templates for the architecture, each clean under cfn-lint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudcore import CacheConfig, ConfigurationError, DatabaseConfig, DNSRecord, ServiceConfig
from cloudcore_aws.cfn import STACKS, Architecture, render_stacks, write_stacks

cfnlint_api = pytest.importorskip("cfnlint.api", reason="cfn-lint is part of the [dev] extra")

ARCH = Architecture(
    services={
        "api": ServiceConfig(
            image="ghcr.io/acme/api:1.4",
            port=8080,
            cpu=0.25,
            memory=512,
            replicas=2,
            env={"MODE": "prod"},
            secrets={"JWT_SECRET": "jwt-secret", "API_KEYS": "api-keys"},
            health_check={"path": "/health"},
            autoscaling={"min_replicas": 2, "max_replicas": 6, "cpu_target_percent": 70},
        ),
        "worker": ServiceConfig(image="ghcr.io/acme/worker:1.4", cpu=0.5, memory=1024),
        "admin": ServiceConfig(image="ghcr.io/acme/admin:1.4", port=9000, cpu=0.25, memory=1024),
    },
    databases=[DatabaseConfig(name="main", high_availability=True, size="medium")],
    caches=[CacheConfig(name="sessions", high_availability=True)],
    secrets=["jwt-secret", "api-keys"],
    waf_rules=[
        {"kind": "rate_limit", "requests": 2000, "period_seconds": 300},
        {"kind": "ip", "cidrs": ["198.51.100.0/24", "2001:db8::/32"]},
        {"kind": "geo", "countries": ["KP"]},
        {"kind": "path", "path": "/admin", "methods": ["POST"]},
        {"kind": "managed", "set": "core"},
        {"kind": "managed", "set": "xss"},
    ],
    zone="example.com",
    domain="example.com",
    dns_records=[DNSRecord(name="example.com", type="TXT", values=("v=spf1 -all",))],
)


REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"]


def _lint(template: dict[str, Any]) -> list[str]:
    matches = cfnlint_api.lint(json.dumps(template), regions=REGIONS)
    # Errors and warnings count; informational hints (I...) are suggestions. W3691 is left out:
    # the RDS API takes a bare major version ("16": its default minor), which cfn-lint's data
    # lists as deprecated; a config naming a minor ("16.9") is checked like any other.
    return [
        f"{m.rule.id} {m.message} ({m.path})"
        for m in matches
        if m.rule.id[0] in "EW" and not (m.rule.id == "W3691" and _bare_major(template))
    ]


def _bare_major(template: dict[str, Any]) -> bool:
    return all(
        "." not in str(r["Properties"].get("EngineVersion", "."))
        for r in template["Resources"].values()
        if r["Type"] == "AWS::RDS::DBInstance"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_passes_cfn_lint(stack: str) -> None:
    template = render_stacks(ARCH)[stack]
    assert _lint(template) == []


def test_a_minor_version_is_checked_too() -> None:
    arch = Architecture(databases=[DatabaseConfig(name="main", version="16.9")])
    assert _lint(render_stacks(arch)["database"]) == []


def test_empty_architecture_lints_too() -> None:
    for name, template in render_stacks(Architecture()).items():
        assert _lint(template) == [], name


def test_stacks_use_the_drivers_rules(tmp_path: Path) -> None:
    stacks = render_stacks(ARCH)
    task = stacks["compute"]["Resources"]["TaskApi"]["Properties"]
    assert (task["Cpu"], task["Memory"]) == ("256", "512")
    container = task["ContainerDefinitions"][0]
    assert container["Secrets"][0]["ValueFrom"] == {
        "Fn::ImportValue": {"Fn::Sub": "${Project}-Secret-ApiKeys"}
    }
    db = stacks["database"]["Resources"]["DbMain"]
    assert db["Properties"]["ManageMasterUserPassword"] is True
    assert db["DeletionPolicy"] == "Snapshot"
    assert db["Properties"]["DBInstanceClass"] == "db.t4g.medium"
    acl = stacks["edge"]["Resources"]["WebAcl"]["Properties"]
    assert [r["Name"] for r in acl["Rules"]] == [
        "rate-limit-1",
        "ip-2",
        "geo-3",
        "path-4",
        "managed-5",
        "managed-6",
    ]
    exported = {
        o["Export"]["Name"]["Fn::Sub"]
        for t in stacks.values()
        for o in t.get("Outputs", {}).values()
    }
    imported = set(re_imports(json.dumps(stacks)))
    assert imported <= exported, imported - exported
    paths = write_stacks(ARCH, tmp_path)
    assert [p.name for p in paths] == [f"{s}.json" for s in STACKS]
    assert json.loads(paths[0].read_text())["Resources"]["Vpc"]["Type"] == "AWS::EC2::VPC"


def re_imports(text: str) -> list[str]:
    import re

    return re.findall(r'"Fn::ImportValue": \{"Fn::Sub": "([^"]+)"\}', text)


def test_export_refuses_what_the_driver_refuses() -> None:
    with pytest.raises(ConfigurationError, match="config.cpu"):
        render_stacks(
            Architecture(services={"cron": ServiceConfig(image="x", cpu=0.125, memory=256)})
        )
    with pytest.raises(ConfigurationError, match="period_seconds"):
        render_stacks(
            Architecture(waf_rules=[{"kind": "rate_limit", "requests": 10, "period_seconds": 10}])
        )
