"""The driver's plumbing: registration without SDK imports, botocore retries off, call events,
the one error mapping."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

import cloudcore
from cloudcore import (
    AlreadyExists,
    AuthenticationError,
    Conflict,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    TransientError,
)
from cloudcore_aws._errors import map_error
from cloudcore_aws._session import is_read


def _client_error(code: str, status: int = 400, message: str = "m", **headers: str) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers},
    }
    return ClientError(response, "Op")


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("ThrottlingException", 400, RateLimited),
        ("Throttling", 400, RateLimited),
        ("PriorRequestNotComplete", 400, RateLimited),
        ("TooManyRequestsException", 429, RateLimited),
        ("Whatever", 429, RateLimited),
        ("InternalFailure", 500, TransientError),
        ("ServiceUnavailable", 503, TransientError),
        ("500", 500, TransientError),
        ("ResourceNotFoundException", 400, NotFound),
        ("DBInstanceNotFound", 404, NotFound),
        ("NoSuchHostedZone", 404, NotFound),
        ("WAFNonexistentItemException", 400, NotFound),
        ("ResourceExistsException", 400, AlreadyExists),
        ("WafV2DuplicateItem", 400, AlreadyExists),
        ("WAFOptimisticLockException", 400, Conflict),
        ("InvalidChangeBatch", 400, Conflict),
        ("UnrecognizedClientException", 400, AuthenticationError),
        ("ExpiredToken", 400, AuthenticationError),
        ("AccessDeniedException", 400, PermissionDenied),
        ("ValidationException", 400, ProviderError),
        ("ClientException", 400, ProviderError),  # never guessed to be "not found"
    ],
)
def test_error_mapping(code: str, status: int, kind: type) -> None:
    err = map_error(_client_error(code, status))
    assert type(err) is kind
    if isinstance(err, ProviderError):
        assert err.code == code


def test_retry_after_and_connection_errors() -> None:
    err = map_error(_client_error("Throttling", 400, **{"retry-after": "2.5"}))
    assert isinstance(err, RateLimited) and err.retry_after == 2.5
    assert isinstance(map_error(EndpointConnectionError(endpoint_url="http://x")), TransientError)
    assert isinstance(map_error(NoCredentialsError()), AuthenticationError)
    assert map_error(ValueError("not botocore")) is None
    pending = _client_error("InvalidRequestException", message="secret marked for deletion")
    assert isinstance(map_error(pending), NotFound)


def test_reads_and_writes() -> None:
    for op in ("DescribeServices", "ListSecrets", "GetSecretValue", "FilterLogEvents"):
        assert is_read(op)
    for op in ("CreateService", "PutSecretValue", "ChangeResourceRecordSets", "UpdateWebACL"):
        assert not is_read(op)


def test_plugin_and_provider_import_no_sdk() -> None:
    code = (
        "import sys, cloudcore, cloudcore_aws.plugin, cloudcore_aws.provider;"
        "from cloudcore_aws.provider import AWSProvider; AWSProvider(region='us-east-1');"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_registered_with_its_test_target() -> None:
    info = cloudcore.available_drivers()["aws"]
    assert info.test_target == "cloudcore_aws.testing:fake_target"
    assert info.install_command == "pip install 'cloudcore[aws]'"
    assert set(info.capabilities) == {
        "compute",
        "database",
        "cache",
        "dns",
        "waf",
        "secrets",
        "storage",
        "queues",
        "jobs",
        "discovery",
    }


def test_botocore_never_retries_on_its_own(cloud: Any) -> None:
    client = cloud._client("secretsmanager")
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 1}
    from cloudcore.testing.faults import Fault, injector_for

    injector = injector_for(cloud)
    assert injector is not None
    cloud.provision_database(cloudcore.DatabaseConfig(name="main"))
    injector.inject(Fault("transient", api="CreateDBSnapshot"))
    with cloudcore.record() as rec, pytest.raises(TransientError):
        cloud.backup_database("main")  # unsafe: the core does not repeat it, nor does botocore
    assert [c.status for c in rec.calls("CreateDBSnapshot")] == [503]


def test_every_call_is_an_event(cloud: Any) -> None:
    with cloudcore.record() as rec:
        cloud.store_secret("k", "v")
        cloud.get_secret("k")
    assert [(c.service, c.operation, c.mutating) for c in rec.api_calls] == [
        ("secretsmanager", "CreateSecret", True),
        ("secretsmanager", "GetSecretValue", False),
    ]
    assert all(c.provider == "aws" for c in rec.api_calls)
