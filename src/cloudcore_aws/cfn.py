"""CloudFormation export: the architecture's stacks for a desired state, to review or hand over.

The driver manages AWS through the service APIs (moto cannot stand in for CloudFormation), and
renders the same desired state as six templates a team can review, diff or deploy with its own
pipeline::

    from cloudcore_aws.cfn import Architecture, render_stacks, write_stacks

    arch = Architecture(
        services={"api": ServiceConfig(image="ghcr.io/acme/api:1", port=8080, cpu=0.25,
                                       memory=512, autoscaling={"max_replicas": 6})},
        databases=[DatabaseConfig(name="main", high_availability=True)],
        caches=[CacheConfig(name="sessions", high_availability=True)],
        secrets=["jwt-secret"],
        waf_rules=[RateLimitRule(requests=2000, period_seconds=300)],
        zone="example.com", domain="api.example.com",
    )
    write_stacks(arch, "cfn/")   # network.json secrets.json database.json cache.json edge.json compute.json

Stacks (deploy in this order; each imports the exports of the earlier ones, named
``<Project>-<what>``): **network** (VPC, two public and two private subnets, NAT, security
groups), **secrets** (Secrets Manager secrets without values, cache AUTH tokens generated),
**database** (RDS PostgreSQL, password managed by RDS), **cache** (ElastiCache replication
groups), **edge** (ALB, target groups, WAFv2 web ACL, Route53 alias), **compute** (ECS cluster,
execution role, task definitions, Fargate services, target tracking). The rules are the driver's
own: the same Fargate sizes, task definitions, WAF statements and instance classes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cloudcore.models import (
    IPRule,
    RecordType,
    WAFRuleSet,
    normalize_fqdn,
)

from ._cfn_base import (
    _MANAGED,
    Architecture,
    _id,
    _import,
    _output,
    _split_import,
    _tags,
    _template,
    cache_stack,
    database_stack,
    network_stack,
    secrets_stack,
)
from ._fargate import log_group_name, render_task_definition
from ._wafrules import ip_set_name, render_rule, split_cidrs, validate_rules
from .dns import encode_txt

__all__ = ["STACKS", "Architecture", "render_stacks", "write_stacks"]

STACKS = ("network", "secrets", "database", "cache", "edge", "compute")
"""Stack names, in deployment order."""


# --------------------------------------------------------------------- edge
def _cfn_waf(value: Any, ip_sets: Mapping[str, str]) -> Any:
    """A WAFv2 API structure in CloudFormation's spelling (``ARN`` is ``Arn``, strings not
    bytes, IP set ARNs as ``Fn::GetAtt``)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == "ARN" and isinstance(v, str) and v in ip_sets:
                out["Arn"] = {"Fn::GetAtt": [ip_sets[v], "Arn"]}
            else:
                out[k] = _cfn_waf(v, ip_sets)
        return out
    if isinstance(value, list):
        return [_cfn_waf(v, ip_sets) for v in value]
    if isinstance(value, bytes):
        return value.decode()
    return value


def _ports(arch: Architecture) -> list[str]:
    return [name for name, config in arch.services.items() if config.port is not None]


def _edge(arch: Architecture) -> dict[str, Any]:
    t = _template("edge (load balancer, WAFv2 web ACL, Route53)")
    r = t["Resources"]
    served = _ports(arch)
    r["LoadBalancer"] = {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Properties": {
            "Type": "application",
            "Scheme": "internet-facing",
            "Subnets": _split_import("PublicSubnets"),
            "SecurityGroups": [_import("AlbSecurityGroup")],
            "Tags": _MANAGED,
        },
    }
    for name in served:
        config = arch.services[name]
        hc = config.health_check
        props: dict[str, Any] = {
            "TargetType": "ip",
            "Protocol": "HTTP",
            "Port": config.port,
            "VpcId": _import("VpcId"),
            "Tags": _tags(name),
        }
        if hc is not None and hc.path is not None:
            props |= {
                "HealthCheckPath": hc.path,
                "HealthCheckIntervalSeconds": max(hc.interval_seconds, 5),
                "HealthCheckTimeoutSeconds": min(max(hc.timeout_seconds, 2), 120),
                "HealthyThresholdCount": max(hc.healthy_threshold, 2),
                "UnhealthyThresholdCount": max(hc.unhealthy_threshold, 2),
            }
        r[_id("Target", name)] = {
            "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "Properties": props,
        }
        _output(t, f"TargetGroup-{_id(name)}", {"Ref": _id("Target", name)})
    default = arch.default_service or (served[0] if served else None)
    if default is not None:
        action: dict[str, Any] = {
            "Type": "forward",
            "TargetGroupArn": {"Ref": _id("Target", default)},
        }
    else:
        action = {
            "Type": "fixed-response",
            "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"},
        }
    r["HttpListener"] = {
        "Type": "AWS::ElasticLoadBalancingV2::Listener",
        "Properties": {
            "LoadBalancerArn": {"Ref": "LoadBalancer"},
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [action],
        },
    }
    for priority, name in enumerate((n for n in served if n != default), start=1):
        r[_id("Route", name)] = {
            "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
            "Properties": {
                "ListenerArn": {"Ref": "HttpListener"},
                "Priority": priority,
                "Conditions": [{"Field": "path-pattern", "Values": [f"/{name}/*"]}],
                "Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": _id("Target", name)}}],
            },
        }
    rules = WAFRuleSet.model_validate(
        {"rules": [x.model_dump() if hasattr(x, "model_dump") else dict(x) for x in arch.waf_rules]}
    ).named()
    if rules:
        validate_rules(rules)
        arns: dict[tuple[str, str], str] = {}
        refs: dict[str, str] = {}
        for rule in rules:
            if not isinstance(rule, IPRule):
                continue
            for fam, cidrs in split_cidrs(rule.cidrs).items():
                logical = _id("IpSet", str(rule.name), fam)
                placeholder = f"cfn-ipset:{logical}"
                arns[(str(rule.name), fam)] = placeholder
                refs[placeholder] = logical
                r[logical] = {
                    "Type": "AWS::WAFv2::IPSet",
                    "Properties": {
                        "Name": ip_set_name("cloudcore-edge", str(rule.name), fam),
                        "Scope": "REGIONAL",
                        "IPAddressVersion": "IPV4" if fam == "v4" else "IPV6",
                        "Addresses": cidrs,
                        "Tags": _MANAGED,
                    },
                }
        r["WebAcl"] = {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Name": "cloudcore-edge",
                "Scope": "REGIONAL",
                "DefaultAction": {"Allow": {}},
                "Rules": [
                    _cfn_waf(render_rule(rule, i, arns), refs) for i, rule in enumerate(rules)
                ],
                "VisibilityConfig": {
                    "SampledRequestsEnabled": True,
                    "CloudWatchMetricsEnabled": True,
                    "MetricName": "cloudcore-edge",
                },
                "Tags": _MANAGED,
            },
        }
        r["WebAclAssociation"] = {
            "Type": "AWS::WAFv2::WebACLAssociation",
            "Properties": {
                "ResourceArn": {"Ref": "LoadBalancer"},
                "WebACLArn": {"Fn::GetAtt": ["WebAcl", "Arn"]},
            },
        }
    if arch.zone and (arch.domain or arch.dns_records):
        zone = normalize_fqdn(arch.zone) + "."
        if arch.domain:
            r["DomainAlias"] = {
                "Type": "AWS::Route53::RecordSet",
                "Properties": {
                    "HostedZoneName": zone,
                    "Name": normalize_fqdn(arch.domain) + ".",
                    "Type": "A",
                    "AliasTarget": {
                        "DNSName": {"Fn::GetAtt": ["LoadBalancer", "DNSName"]},
                        "HostedZoneId": {"Fn::GetAtt": ["LoadBalancer", "CanonicalHostedZoneID"]},
                        "EvaluateTargetHealth": True,
                    },
                },
            }
        for record in arch.dns_records:
            values = [encode_txt(v) if record.type is RecordType.TXT else v for v in record.values]
            r[_id("Record", record.name, record.type.value)] = {
                "Type": "AWS::Route53::RecordSet",
                "Properties": {
                    "HostedZoneName": zone,
                    "Name": record.name + ".",
                    "Type": record.type.value,
                    "TTL": str(record.ttl),
                    "ResourceRecords": values,
                },
            }
    _output(t, "LoadBalancerDns", {"Fn::GetAtt": ["LoadBalancer", "DNSName"]})
    return t


# ------------------------------------------------------------------ compute
def _pascal(value: Any, parent: str = "") -> Any:
    """ECS API keys (camelCase) in CloudFormation's PascalCase; log options stay as they are."""
    if isinstance(value, dict):
        if parent == "options":
            return value
        return {k[:1].upper() + k[1:]: _pascal(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_pascal(v, parent) for v in value]
    return value


def _compute(arch: Architecture, cluster: str) -> dict[str, Any]:
    t = _template("compute (ECS cluster, Fargate services, target tracking)")
    r = t["Resources"]
    r["Cluster"] = {
        "Type": "AWS::ECS::Cluster",
        "Properties": {
            "ClusterName": cluster,
            "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
            "Tags": _tags(cluster),
        },
    }
    secret_exports = sorted({ref.key for c in arch.services.values() for ref in c.secrets.values()})
    execution_policy: dict[str, Any] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "ManagedPolicyArns": [
                {
                    "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
                }
            ],
            "Tags": _MANAGED,
        },
    }
    if secret_exports:
        execution_policy["Properties"]["Policies"] = [
            {
                "PolicyName": "read-injected-secrets",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "secretsmanager:GetSecretValue",
                            "Resource": [_import(f"Secret-{_id(k)}") for k in secret_exports],
                        }
                    ],
                },
            }
        ]
    r["ExecutionRole"] = execution_policy
    served = set(_ports(arch))
    for name, config in arch.services.items():
        arns = {env: f"cfn-secret:{ref.key}" for env, ref in config.secrets.items()}
        task = render_task_definition(
            name,
            config,
            region="cfn-region",
            cluster=cluster,
            secret_arns=arns,
            execution_role_arn="cfn-execution-role",
            task_role_arn=None,
        )
        task = _pascal(task)
        task["ExecutionRoleArn"] = {"Fn::GetAtt": ["ExecutionRole", "Arn"]}
        container = task["ContainerDefinitions"][0]
        container["LogConfiguration"]["Options"]["awslogs-region"] = {"Ref": "AWS::Region"}
        for secret in container.get("Secrets", []):
            key = str(secret["ValueFrom"]).removeprefix("cfn-secret:")
            secret["ValueFrom"] = _import(f"Secret-{_id(key)}")
        task["Tags"] = _tags(name, config.tags)
        logs = _id("Logs", name)
        r[logs] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": log_group_name(cluster, name),
                "RetentionInDays": int(config.extras.get("log_retention_days", 30)),
            },
        }
        r[_id("Task", name)] = {
            "Type": "AWS::ECS::TaskDefinition",
            "DependsOn": logs,
            "Properties": task,
        }
        service: dict[str, Any] = {
            "ServiceName": name,
            "Cluster": {"Ref": "Cluster"},
            "LaunchType": "FARGATE",
            "TaskDefinition": {"Ref": _id("Task", name)},
            "DesiredCount": config.replicas,
            "NetworkConfiguration": {
                "AwsvpcConfiguration": {
                    "Subnets": _split_import("PrivateSubnets"),
                    "SecurityGroups": [_import("ServiceSecurityGroup")],
                    "AssignPublicIp": "DISABLED",
                }
            },
            "DeploymentConfiguration": {
                "MaximumPercent": 200,
                "MinimumHealthyPercent": 100,
                "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
            },
            "PropagateTags": "SERVICE",
            "EnableECSManagedTags": True,
            "Tags": _tags(name, config.tags),
        }
        if name in served:
            service["LoadBalancers"] = [
                {
                    "ContainerName": name,
                    "ContainerPort": config.port,
                    "TargetGroupArn": _import(f"TargetGroup-{_id(name)}"),
                }
            ]
            if config.health_check is not None:
                service["HealthCheckGracePeriodSeconds"] = config.health_check.grace_seconds
        r[_id("Service", name)] = {"Type": "AWS::ECS::Service", "Properties": service}
        if config.autoscaling is not None:
            scaling = _id("Scaling", name)
            r[scaling] = {
                "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
                "DependsOn": _id("Service", name),
                "Properties": {
                    "ServiceNamespace": "ecs",
                    "ScalableDimension": "ecs:service:DesiredCount",
                    "ResourceId": f"service/{cluster}/{name}",
                    "MinCapacity": config.autoscaling.min_replicas,
                    "MaxCapacity": config.autoscaling.max_replicas,
                },
            }
            r[_id("CpuTarget", name)] = {
                "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
                "Properties": {
                    "PolicyName": "cloudcore-cpu-target",
                    "PolicyType": "TargetTrackingScaling",
                    "ScalingTargetId": {"Ref": scaling},
                    "TargetTrackingScalingPolicyConfiguration": {
                        "TargetValue": float(config.autoscaling.cpu_target_percent),
                        "PredefinedMetricSpecification": {
                            "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
                        },
                        "ScaleInCooldown": 60,
                        "ScaleOutCooldown": 60,
                    },
                },
            }
    return t


def render_stacks(arch: Architecture, *, cluster: str = "cloudcore") -> dict[str, dict[str, Any]]:
    """The six templates of ``arch``, by stack name, in deployment order (:data:`STACKS`).

    Raises:
        ConfigurationError: something the driver would refuse too (a Fargate size, a WAF rule).
    """
    stacks = {
        "network": network_stack(),
        "secrets": secrets_stack(arch),
        "database": database_stack(arch),
        "cache": cache_stack(arch),
        "edge": _edge(arch),
        "compute": _compute(arch, cluster),
    }
    for template in stacks.values():
        if not template["Outputs"]:
            del template["Outputs"]
        if "${Project}" not in json.dumps(template):
            del template["Parameters"]
    return stacks


def write_stacks(
    arch: Architecture, directory: str | Path, *, cluster: str = "cloudcore"
) -> list[Path]:
    """Write ``<stack>.json`` for each stack into ``directory``; returns the paths in order."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, template in render_stacks(arch, cluster=cluster).items():
        path = out / f"{name}.json"
        path.write_text(json.dumps(template, indent=2) + "\n")
        paths.append(path)
    return paths
