"""The one place where botocore errors become cloudcore errors.

Only codes whose meaning is certain map to :class:`~cloudcore.errors.NotFound`; an unknown code
becomes :class:`~cloudcore.errors.ProviderError` (with the code), never "not found". HTTP 5xx and
connection failures are :class:`~cloudcore.errors.TransientError` (retried where the operation
is safe to repeat); AWS's many throttling codes are :class:`~cloudcore.errors.RateLimited` (with
``retry_after`` when the response carried one). Missing or expired credentials are an
:class:`~cloudcore.errors.AuthenticationError` that says how to configure them.
"""

from __future__ import annotations

from typing import Any

from cloudcore.errors import (
    AlreadyExists,
    AuthenticationError,
    CloudcoreError,
    ConfigurationError,
    Conflict,
    IntegrityError,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    TransientError,
)

__all__ = ["CREDENTIALS_HELP", "error_code", "map_error"]

THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "RequestThrottled",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServiceError",
        "InternalServiceErrorException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServerException",
        "WAFInternalErrorException",
        "RequestTimeout",
        "RequestTimeoutException",
        "IDPCommunicationError",
        "WAFUnavailableEntityException",
    }
)
NOT_FOUND = frozenset(
    {
        "ResourceNotFoundException",
        "ResourceNotFound",
        "ClusterNotFoundException",
        "ServiceNotFoundException",
        "ObjectNotFoundException",
        "DBInstanceNotFound",
        "DBInstanceNotFoundFault",
        "DBSnapshotNotFound",
        "DBSnapshotNotFoundFault",
        "DBSubnetGroupNotFoundFault",
        "DBParameterGroupNotFound",
        "ReplicationGroupNotFoundFault",
        "CacheClusterNotFound",
        "CacheSubnetGroupNotFoundFault",
        "NoSuchHostedZone",
        "WAFNonexistentItemException",
        "AWS.SimpleQueueService.NonExistentQueue",  # SQS (JSON protocol)
        "QueueDoesNotExist",  # SQS (query protocol)
        "ScheduleGroupNotFound",
        "NoSuchBucket",
        "NoSuchKey",
        "NoSuchVersion",
        "NoSuchUpload",
    }
)
ALREADY_EXISTS = frozenset(
    {
        "ResourceExistsException",
        "ResourceAlreadyExistsException",
        "DBInstanceAlreadyExists",
        "DBInstanceAlreadyExistsFault",
        "DBSnapshotAlreadyExists",
        "DBSnapshotAlreadyExistsFault",
        "DBSubnetGroupAlreadyExists",
        "DBParameterGroupAlreadyExists",
        "ReplicationGroupAlreadyExists",
        "ReplicationGroupAlreadyExistsFault",
        "CacheSubnetGroupAlreadyExists",
        "HostedZoneAlreadyExists",
        "WAFDuplicateItemException",
        "WafV2DuplicateItem",  # moto's spelling
        "QueueAlreadyExists",  # SQS (JSON protocol)
        "QueueNameExists",  # SQS (query protocol)
        "BucketAlreadyExists",
    }
)
CONFLICT = frozenset(
    {
        "WAFOptimisticLockException",
        "WAFAssociatedItemException",
        "ConcurrentModification",
        "ConcurrentModificationException",
        "ConflictException",
        "InvalidDBInstanceState",
        "InvalidDBInstanceStateFault",
        "InvalidDBSnapshotState",
        "InvalidDBSnapshotStateFault",
        "InvalidReplicationGroupState",
        "InvalidReplicationGroupStateFault",
        "InvalidChangeBatch",
        "PreconditionNotMetException",
        "ResourceInUseException",
        "ResourceInUse",
        "UpdateInProgressException",
        "AWS.SimpleQueueService.QueueDeletedRecently",  # a name is reusable 60 s after
        "QueueDeletedRecently",
        "AWS.SimpleQueueService.PurgeQueueInProgress",  # one purge per queue per 60 s
        "PurgeQueueInProgress",
        "BucketNotEmpty",
        "OperationAborted",
        "PreconditionFailed",
    }
)
INTEGRITY = frozenset({"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"})
"""The store refused a body that does not match the checksum sent with it (S3:
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html)."""
AUTHENTICATION = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "MissingAuthenticationToken",
        "IncompleteSignature",
        "RequestExpired",
    }
)
PERMISSION = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedException",
        "AuthorizationError",
        "NotAuthorized",
        "OptInRequired",
        "WAFForbiddenException",
    }
)

_DELETED_MARKERS = ("marked for deletion", "marked deleted", "scheduled for deletion")

CREDENTIALS_HELP = (
    "cloudcore finds AWS credentials as the AWS CLI does (boto3's standard chain): configure "
    "them with `aws configure` (or `aws configure sso` and `aws sso login`), set "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pick a profile with AWS_PROFILE or the "
    "profile_name option, or run where an instance or container role provides them"
)
"""What to do when no credentials were found (said the way the AWS CLI says it)."""


def _first_sentence(exc: BaseException) -> str:
    return str(exc).strip().rstrip(".")


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError``, else ``None``."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return int(status) if status else None
    return None


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}) or {}
    value = headers.get("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _message(exc: BaseException) -> str:
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        err = response.get("Error", {})
        msg = err.get("Message") or err.get("message")
        if msg:
            return " ".join(str(msg).split())
    return str(exc)


def map_error(exc: Exception) -> CloudcoreError | None:
    """Translate a botocore exception; ``None`` means "not a botocore error I know"."""
    if isinstance(exc, CloudcoreError):
        return exc
    from botocore import exceptions as bex

    if isinstance(exc, bex.ClientError):
        return _map_client_error(exc)
    if isinstance(exc, bex.NoCredentialsError | bex.PartialCredentialsError):
        return AuthenticationError(f"{_first_sentence(exc)}. {CREDENTIALS_HELP}")
    if isinstance(
        exc,
        bex.SSOError
        | bex.TokenRetrievalError
        | bex.CredentialRetrievalError
        | bex.NoAuthTokenError,
    ):
        return AuthenticationError(f"{_first_sentence(exc)}. {CREDENTIALS_HELP}")
    if isinstance(exc, bex.ProfileNotFound):
        return ConfigurationError(
            f"{exc}: name a profile of ~/.aws/config (`aws configure list-profiles`)",
            field="profile_name",
        )
    if isinstance(exc, bex.NoRegionError):
        return ConfigurationError(f"{exc}: pass region= or set AWS_REGION", field="region")
    if isinstance(exc, bex.SSLError):
        # a certificate that does not verify will not verify on the next attempt either
        return ProviderError(f"TLS failure talking to AWS: {exc}", code="SSLError")
    if isinstance(
        exc,
        bex.ConnectionError  # EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError
        | bex.ConnectionClosedError
        | bex.ReadTimeoutError
        | bex.ResponseStreamingError
        # the body ended before its Content-Length: the connection dropped mid-download
        | bex.IncompleteReadError,
    ):
        return TransientError(f"{type(exc).__name__}: {exc}")
    from botocore.parsers import ResponseParserError

    if isinstance(exc, ResponseParserError):
        return TransientError(f"unreadable response from AWS: {exc}")
    if isinstance(exc, bex.ParamValidationError):
        return ProviderError(f"request rejected by botocore: {exc}", code="ParamValidationError")
    return None


def _map_client_error(exc: Exception) -> CloudcoreError:
    code = error_code(exc) or ""
    status = _status(exc)
    message = f"{_message(exc)} ({code or status})"
    if code in THROTTLING or status == 429:
        return RateLimited(message, retry_after=_retry_after(exc))
    if code in TRANSIENT or (status is not None and status >= 500):
        return TransientError(message)
    if code in NOT_FOUND or (code == "404" and status == 404):  # a HEAD's 404 has no body
        return NotFound(message)
    if code in INTEGRITY:
        return IntegrityError(message)
    if code == "InvalidRequestException" and any(
        m in _message(exc).lower() for m in _DELETED_MARKERS
    ):
        return NotFound(message)  # a secret pending deletion reads as gone
    if code in ALREADY_EXISTS:
        return AlreadyExists(message)
    if code in CONFLICT:
        return Conflict(message)
    if code in AUTHENTICATION:
        return AuthenticationError(message)
    if code in PERMISSION:
        return PermissionDenied(message)
    return ProviderError(message, code=code or None)
