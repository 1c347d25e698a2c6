"""cloudcore: manage infrastructure the same way on AWS, Cloudflare, Google Cloud and bare metal.

>>> import cloudcore
>>> cloud = cloudcore.connect("memory")
>>> cloud.store_secret("api-key", "s3cr3t")
'1'

``import cloudcore`` loads nothing else: names are imported on first access, no cloud SDK, pluggy
or tenacity until a driver needs them. Drivers
and plugins are found through the ``cloudcore.drivers`` entry points on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._context import CallContext, current_call
    from ._objectio import ObjectReader
    from .capabilities import KNOWN_FEATURES, OPERATIONS, Capability, OperationInfo
    from .composite import CompositeProvider
    from .config import connect, load_profile
    from .errors import (
        AlreadyExists,
        AuthenticationError,
        CloudcoreError,
        ConfigurationError,
        Conflict,
        DriverNotFound,
        DriverNotInstalled,
        IntegrityError,
        NotFound,
        OperationTimeout,
        PermissionDenied,
        ProviderError,
        RateLimited,
        TransientError,
        Unsupported,
    )
    from .events import ApiCallEvent, OperationEvent, Recorder, emit_api_call, record
    from .models import (
        Autoscaling,
        BackupRef,
        Bucket,
        BucketConfig,
        Cache,
        CacheConfig,
        CacheEndpoint,
        CommandTarget,
        Database,
        DatabaseConfig,
        DatabaseEndpoint,
        DeploymentResult,
        DNSRecord,
        DNSZone,
        GeoRule,
        HealthCheck,
        HttpTarget,
        IPRule,
        JobConfig,
        JobInfo,
        JobRun,
        LifecycleRule,
        LogEntry,
        ManagedRule,
        ManagedSet,
        Message,
        ObjectInfo,
        OperationSchema,
        OutgoingMessage,
        PathRule,
        QueueConfig,
        QueueInfo,
        QueueStats,
        RateLimitRule,
        RecordType,
        Resource,
        ResourceSchema,
        ResourceType,
        SecretRef,
        SecretVersion,
        ServiceConfig,
        ServiceState,
        ServiceStatus,
        ServiceSummary,
        SizeClass,
        WAFRule,
        WAFRuleSet,
    )
    from .protocol import CloudProvider
    from .provider import BaseProvider
    from .registry import DriverInfo, available_drivers
    from .retry import RetryPolicy

__version__ = "0.1.0"

# Public name -> the private module that defines it; loaded on first attribute access so
# that `import cloudcore` stays cheap (see benchmarks/import_time.py).
_EXPORTS: dict[str, str] = {
    "AlreadyExists": ".errors",
    "ApiCallEvent": ".events",
    "AuthenticationError": ".errors",
    "Autoscaling": ".models",
    "BackupRef": ".models",
    "BaseProvider": ".provider",
    "Bucket": ".models",
    "BucketConfig": ".models",
    "Cache": ".models",
    "CacheConfig": ".models",
    "CacheEndpoint": ".models",
    "CallContext": "._context",
    "Capability": ".capabilities",
    "CloudProvider": ".protocol",
    "CloudcoreError": ".errors",
    "CompositeProvider": ".composite",
    "ConfigurationError": ".errors",
    "Conflict": ".errors",
    "DNSRecord": ".models",
    "DNSZone": ".models",
    "Database": ".models",
    "DatabaseConfig": ".models",
    "DatabaseEndpoint": ".models",
    "DeploymentResult": ".models",
    "DriverInfo": ".registry",
    "DriverNotFound": ".errors",
    "DriverNotInstalled": ".errors",
    "GeoRule": ".models",
    "HealthCheck": ".models",
    "IPRule": ".models",
    "IntegrityError": ".errors",
    "LifecycleRule": ".models",
    "CommandTarget": ".models",
    "HttpTarget": ".models",
    "JobConfig": ".models",
    "JobInfo": ".models",
    "JobRun": ".models",
    "Message": ".models",
    "OutgoingMessage": ".models",
    "QueueConfig": ".models",
    "QueueInfo": ".models",
    "QueueStats": ".models",
    "KNOWN_FEATURES": ".capabilities",
    "LogEntry": ".models",
    "ManagedRule": ".models",
    "ManagedSet": ".models",
    "NotFound": ".errors",
    "ObjectInfo": ".models",
    "ObjectReader": "._objectio",
    "OPERATIONS": ".capabilities",
    "OperationEvent": ".events",
    "OperationInfo": ".capabilities",
    "OperationSchema": ".models",
    "OperationTimeout": ".errors",
    "PathRule": ".models",
    "PermissionDenied": ".errors",
    "ProviderError": ".errors",
    "RateLimitRule": ".models",
    "RateLimited": ".errors",
    "RecordType": ".models",
    "Recorder": ".events",
    "Resource": ".models",
    "ResourceSchema": ".models",
    "ResourceType": ".models",
    "RetryPolicy": ".retry",
    "SecretRef": ".models",
    "SecretVersion": ".models",
    "ServiceConfig": ".models",
    "ServiceState": ".models",
    "ServiceStatus": ".models",
    "ServiceSummary": ".models",
    "SizeClass": ".models",
    "TransientError": ".errors",
    "Unsupported": ".errors",
    "WAFRule": ".models",
    "WAFRuleSet": ".models",
    "available_drivers": ".registry",
    "connect": ".config",
    "current_call": "._context",
    "emit_api_call": ".events",
    "load_profile": ".config",
    "record": ".events",
}


__all__ = [
    "KNOWN_FEATURES",
    "OPERATIONS",
    "AlreadyExists",
    "ApiCallEvent",
    "AuthenticationError",
    "Autoscaling",
    "BackupRef",
    "BaseProvider",
    "Bucket",
    "BucketConfig",
    "Cache",
    "CacheConfig",
    "CacheEndpoint",
    "CallContext",
    "Capability",
    "CloudProvider",
    "CloudcoreError",
    "CommandTarget",
    "CompositeProvider",
    "ConfigurationError",
    "Conflict",
    "DNSRecord",
    "DNSZone",
    "Database",
    "DatabaseConfig",
    "DatabaseEndpoint",
    "DeploymentResult",
    "DriverInfo",
    "DriverNotFound",
    "DriverNotInstalled",
    "GeoRule",
    "HealthCheck",
    "HttpTarget",
    "IPRule",
    "IntegrityError",
    "JobConfig",
    "JobInfo",
    "JobRun",
    "LifecycleRule",
    "LogEntry",
    "ManagedRule",
    "ManagedSet",
    "Message",
    "NotFound",
    "ObjectInfo",
    "ObjectReader",
    "OperationEvent",
    "OperationInfo",
    "OperationSchema",
    "OperationTimeout",
    "OutgoingMessage",
    "PathRule",
    "PermissionDenied",
    "ProviderError",
    "QueueConfig",
    "QueueInfo",
    "QueueStats",
    "RateLimitRule",
    "RateLimited",
    "RecordType",
    "Recorder",
    "Resource",
    "ResourceSchema",
    "ResourceType",
    "RetryPolicy",
    "SecretRef",
    "SecretVersion",
    "ServiceConfig",
    "ServiceState",
    "ServiceStatus",
    "ServiceSummary",
    "SizeClass",
    "TransientError",
    "Unsupported",
    "WAFRule",
    "WAFRuleSet",
    "__version__",
    "available_drivers",
    "connect",
    "current_call",
    "emit_api_call",
    "load_profile",
    "record",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cloudcore' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
