"""The shared pieces of the CloudFormation export and its data stacks (network, secrets,
database, cache). See :mod:`cloudcore_aws.cfn`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cloudcore.models import (
    CacheConfig,
    DatabaseConfig,
    DNSRecord,
    ServiceConfig,
    WAFRule,
)

from .cache import CACHE_NODE_TYPES, auth_secret_name
from .database import DB_CLASSES, DEFAULT_POSTGRES

__all__ = ["Architecture", "cache_stack", "database_stack", "network_stack", "secrets_stack"]

_MANAGED = [{"Key": "managed-by", "Value": "cloudcore"}]


@dataclass(frozen=True)
class Architecture:
    """The desired state to export.

    Attributes:
        services: Service name to its config (Fargate sizes are validated as in the driver).
        databases: PostgreSQL databases.
        caches: Redis caches.
        secrets: Names of secrets to create empty (values are never exported).
        waf_rules: The WAF rule set in front of the load balancer (order = priority).
        zone: Route53 hosted zone of ``domain`` and ``dns_records``.
        domain: Name aliased to the load balancer (may be the zone apex).
        dns_records: Other record sets to create in ``zone``.
        default_service: The service the load balancer forwards to by default (else the first
            service with a port); the others answer under ``/<name>/``.
    """

    services: Mapping[str, ServiceConfig] = field(default_factory=dict)
    databases: Sequence[DatabaseConfig] = ()
    caches: Sequence[CacheConfig] = ()
    secrets: Sequence[str] = ()
    waf_rules: Sequence[WAFRule | Mapping[str, Any]] = ()
    zone: str | None = None
    domain: str | None = None
    dns_records: Sequence[DNSRecord] = ()
    default_service: str | None = None


def _id(*parts: str) -> str:
    """A CloudFormation logical id from names (``"api-v2"`` -> ``"ApiV2"``)."""
    words = re.split(r"[^A-Za-z0-9]+", "-".join(parts))
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def _export(name: str) -> dict[str, Any]:
    return {"Name": {"Fn::Sub": f"${{Project}}-{name}"}}


def _import(name: str) -> dict[str, Any]:
    return {"Fn::ImportValue": {"Fn::Sub": f"${{Project}}-{name}"}}


def _split_import(name: str) -> dict[str, Any]:
    return {"Fn::Split": [",", _import(name)]}


def _tags(name: str, user: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    tags = {**(user or {}), "managed-by": "cloudcore", "cloudcore-name": name}
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _template(description: str) -> dict[str, Any]:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"cloudcore export: {description}",
        "Parameters": {
            "Project": {
                "Type": "String",
                "Default": "cloudcore",
                "AllowedPattern": "^[a-zA-Z][a-zA-Z0-9-]{0,30}$",
                "Description": "Prefix of the cross-stack export names",
            }
        },
        "Resources": {},
        "Outputs": {},
    }


def _output(t: dict[str, Any], name: str, value: Any) -> None:
    t["Outputs"][_id(name)] = {"Value": value, "Export": _export(name)}


# ------------------------------------------------------------------ network
def network_stack() -> dict[str, Any]:
    t = _template("network (VPC, subnets in two zones, NAT, security groups)")
    r = t["Resources"]
    r["Vpc"] = {
        "Type": "AWS::EC2::VPC",
        "Properties": {
            "CidrBlock": "10.0.0.0/16",
            "EnableDnsHostnames": True,
            "EnableDnsSupport": True,
            "Tags": _MANAGED,
        },
    }
    r["InternetGateway"] = {"Type": "AWS::EC2::InternetGateway", "Properties": {"Tags": _MANAGED}}
    r["GatewayAttachment"] = {
        "Type": "AWS::EC2::VPCGatewayAttachment",
        "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "InternetGateway"}},
    }
    r["PublicRoutes"] = {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}}
    r["PublicDefaultRoute"] = {
        "Type": "AWS::EC2::Route",
        "DependsOn": "GatewayAttachment",
        "Properties": {
            "RouteTableId": {"Ref": "PublicRoutes"},
            "DestinationCidrBlock": "0.0.0.0/0",
            "GatewayId": {"Ref": "InternetGateway"},
        },
    }
    r["PrivateRoutes"] = {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}}
    subnets = (
        ("Public", "10.0.0.0/20"),
        ("Public", "10.0.16.0/20"),
        ("Private", "10.0.128.0/20"),
        ("Private", "10.0.144.0/20"),
    )
    for i, (kind, cidr) in enumerate(subnets):
        zone = i % 2
        subnet = f"{kind}Subnet{zone + 1}"
        r[subnet] = {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": cidr,
                "AvailabilityZone": {"Fn::Select": [zone, {"Fn::GetAZs": ""}]},
                "MapPublicIpOnLaunch": kind == "Public",
                "Tags": _MANAGED,
            },
        }
        r[f"{subnet}Routes"] = {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"SubnetId": {"Ref": subnet}, "RouteTableId": {"Ref": f"{kind}Routes"}},
        }
    r["NatAddress"] = {
        "Type": "AWS::EC2::EIP",
        "DependsOn": "GatewayAttachment",
        "Properties": {"Domain": "vpc"},
    }
    r["NatGateway"] = {
        "Type": "AWS::EC2::NatGateway",
        "Properties": {
            "AllocationId": {"Fn::GetAtt": ["NatAddress", "AllocationId"]},
            "SubnetId": {"Ref": "PublicSubnet1"},
        },
    }
    r["PrivateDefaultRoute"] = {
        "Type": "AWS::EC2::Route",
        "Properties": {
            "RouteTableId": {"Ref": "PrivateRoutes"},
            "DestinationCidrBlock": "0.0.0.0/0",
            "NatGatewayId": {"Ref": "NatGateway"},
        },
    }

    def group(name: str, description: str, ingress: list[dict[str, Any]]) -> None:
        r[name] = {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": description,
                "VpcId": {"Ref": "Vpc"},
                "SecurityGroupIngress": ingress,
                "Tags": _MANAGED,
            },
        }

    def tcp(port: int, **source: Any) -> dict[str, Any]:
        return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **source}

    group(
        "AlbSecurityGroup",
        "load balancer",
        [tcp(80, CidrIp="0.0.0.0/0"), tcp(443, CidrIp="0.0.0.0/0")],
    )
    group(
        "ServiceSecurityGroup",
        "Fargate tasks",
        [
            {
                "IpProtocol": "tcp",
                "FromPort": 1,
                "ToPort": 65535,
                "SourceSecurityGroupId": {"Ref": "AlbSecurityGroup"},
            }
        ],
    )
    group(
        "DatabaseSecurityGroup",
        "PostgreSQL",
        [tcp(5432, SourceSecurityGroupId={"Ref": "ServiceSecurityGroup"})],
    )
    group(
        "CacheSecurityGroup",
        "Redis",
        [tcp(6379, SourceSecurityGroupId={"Ref": "ServiceSecurityGroup"})],
    )
    _output(t, "VpcId", {"Ref": "Vpc"})
    _output(
        t,
        "PublicSubnets",
        {"Fn::Join": [",", [{"Ref": "PublicSubnet1"}, {"Ref": "PublicSubnet2"}]]},
    )
    _output(
        t,
        "PrivateSubnets",
        {"Fn::Join": [",", [{"Ref": "PrivateSubnet1"}, {"Ref": "PrivateSubnet2"}]]},
    )
    for sg in ("Alb", "Service", "Database", "Cache"):
        _output(t, f"{sg}SecurityGroup", {"Ref": f"{sg}SecurityGroup"})
    return t


# ------------------------------------------------------------------ secrets
def secrets_stack(arch: Architecture) -> dict[str, Any]:
    t = _template("secrets (Secrets Manager; values are set with cloudcore, never exported)")
    for name in arch.secrets:
        logical = _id("Secret", name)
        t["Resources"][logical] = {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": name,
                "Description": "value set with cloudcore",
                "Tags": _tags(name),
            },
        }
        _output(t, f"Secret-{_id(name)}", {"Ref": logical})
    for cache in arch.caches:
        if not cache.auth:
            continue
        logical = _id("CacheAuth", cache.name)
        t["Resources"][logical] = {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": auth_secret_name(cache.name),
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
                "Tags": _tags(auth_secret_name(cache.name)),
            },
        }
        _output(t, f"CacheAuth-{_id(cache.name)}", {"Ref": logical})
    if not t["Resources"]:
        t["Resources"]["Placeholder"] = {"Type": "AWS::CloudFormation::WaitConditionHandle"}
    return t


# ----------------------------------------------------------------- database
def database_stack(arch: Architecture) -> dict[str, Any]:
    t = _template("database (RDS PostgreSQL; the master password is managed by RDS)")
    r = t["Resources"]
    if not arch.databases:
        r["Placeholder"] = {"Type": "AWS::CloudFormation::WaitConditionHandle"}
        return t
    r["SubnetGroup"] = {
        "Type": "AWS::RDS::DBSubnetGroup",
        "Properties": {
            "DBSubnetGroupDescription": "cloudcore databases",
            "SubnetIds": _split_import("PrivateSubnets"),
            "Tags": _MANAGED,
        },
    }
    majors = sorted({(db.version or DEFAULT_POSTGRES).split(".")[0] for db in arch.databases})
    for major in majors:
        r[f"Postgres{major}Parameters"] = {
            "Type": "AWS::RDS::DBParameterGroup",
            "Properties": {
                "Description": f"cloudcore PostgreSQL {major}",
                "Family": f"postgres{major}",
                "Parameters": {"rds.force_ssl": "1"},
                "Tags": _MANAGED,
            },
        }
    for db in arch.databases:
        logical = _id("Db", db.name)
        version = db.version or DEFAULT_POSTGRES
        r[logical] = {
            "Type": "AWS::RDS::DBInstance",
            "DeletionPolicy": "Snapshot",
            "UpdateReplacePolicy": "Snapshot",
            "Properties": {
                "DBInstanceIdentifier": db.name,
                "Engine": "postgres",
                "EngineVersion": version,
                "DBInstanceClass": str(db.extras.get("instance_class", DB_CLASSES[db.size])),
                "AllocatedStorage": str(db.storage_gb),
                "DBName": db.database,
                "MasterUsername": db.username,
                "ManageMasterUserPassword": True,
                "MultiAZ": db.high_availability,
                "BackupRetentionPeriod": db.backup_retention_days,
                "StorageEncrypted": db.encrypted,
                "CopyTagsToSnapshot": True,
                "PubliclyAccessible": False,
                "DBSubnetGroupName": {"Ref": "SubnetGroup"},
                "DBParameterGroupName": {"Ref": f"Postgres{version.split('.')[0]}Parameters"},
                "VPCSecurityGroups": [_import("DatabaseSecurityGroup")],
                "Tags": _tags(db.name, db.tags),
            },
        }
        _output(t, f"Db-{_id(db.name)}-Host", {"Fn::GetAtt": [logical, "Endpoint.Address"]})
        _output(
            t, f"Db-{_id(db.name)}-Secret", {"Fn::GetAtt": [logical, "MasterUserSecret.SecretArn"]}
        )
    return t


# -------------------------------------------------------------------- cache
def cache_stack(arch: Architecture) -> dict[str, Any]:
    t = _template("cache (ElastiCache for Redis replication groups)")
    r = t["Resources"]
    if not arch.caches:
        r["Placeholder"] = {"Type": "AWS::CloudFormation::WaitConditionHandle"}
        return t
    r["SubnetGroup"] = {
        "Type": "AWS::ElastiCache::SubnetGroup",
        "Properties": {
            "Description": "cloudcore caches",
            "SubnetIds": _split_import("PrivateSubnets"),
        },
    }
    for cache in arch.caches:
        logical = _id("Cache", cache.name)
        tls = cache.tls or cache.auth
        props: dict[str, Any] = {
            "ReplicationGroupId": cache.name,
            "ReplicationGroupDescription": f"cloudcore cache {cache.name}",
            "Engine": "redis",
            "CacheNodeType": str(cache.extras.get("node_type", CACHE_NODE_TYPES[cache.size])),
            "NumCacheClusters": 2 if cache.high_availability else 1,
            "AutomaticFailoverEnabled": cache.high_availability,
            "MultiAZEnabled": cache.high_availability,
            "TransitEncryptionEnabled": tls,
            "AtRestEncryptionEnabled": True,
            "CacheSubnetGroupName": {"Ref": "SubnetGroup"},
            "SecurityGroupIds": [_import("CacheSecurityGroup")],
            "Tags": _tags(cache.name, cache.tags),
        }
        if cache.version:
            props["EngineVersion"] = cache.version
        if cache.auth:
            arn = _import(f"CacheAuth-{_id(cache.name)}")
            props["AuthToken"] = {
                "Fn::Join": ["", ["{{resolve:secretsmanager:", arn, ":SecretString}}"]]
            }
        r[logical] = {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": props}
        _output(
            t, f"Cache-{_id(cache.name)}-Host", {"Fn::GetAtt": [logical, "PrimaryEndPoint.Address"]}
        )
    return t
