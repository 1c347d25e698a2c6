"""What R2 allows through its S3-compatible API, checked before any request, with where it is
documented; and the R2 endpoint and credentials.

R2 speaks the S3 API at ``https://<ACCOUNT_ID>.r2.cloudflarestorage.com`` (EU jurisdiction:
``https://<ACCOUNT_ID>.eu.r2.cloudflarestorage.com``) with an R2 API token's access key pair
(https://developers.cloudflare.com/r2/api/s3/api/, https://developers.cloudflare.com/r2/api/tokens/).
Differences from S3 that cloudcore enforces (each a ``ConfigurationError`` or ``Unsupported``
before any call):

* no object versioning, bucket policies or ACLs through the S3 API (``PutBucketVersioning``,
  ``PutBucketPolicy``, ``PutBucketAcl`` and ``PutObjectAcl`` are unimplemented:
  https://developers.cloudflare.com/r2/api/s3/api/) — so ``versioning`` and ``public`` are not
  features of this driver, and no request carries an ACL;
* no bucket tagging (``PutBucketTagging`` is unimplemented, same page) — cloudcore marks its
  buckets with an object instead (:data:`MARKER_KEY`);
* multipart parts of 5 MiB to 5 GiB, **all the same size but the last**, at most 10,000
  (https://developers.cloudflare.com/r2/objects/multipart-objects/);
* one request uploads at most 5 GiB less 5 MiB (https://developers.cloudflare.com/r2/platform/limits/);
* presigned URLs last 1 second to 7 days and cover GET, PUT, HEAD and DELETE
  (https://developers.cloudflare.com/r2/api/s3/presigned-urls/);
* checksums: SHA-256 is supported as a composite (per-part) checksum, not a full-object one
  (https://developers.cloudflare.com/r2/api/s3/api/#checksum-types) — which is how cloudcore
  sends it (one per request or part; the whole object's SHA-256 goes in metadata).
"""

from __future__ import annotations

import os
import re
from typing import Any

from cloudcore.errors import ConfigurationError

__all__ = [
    "MARKER_KEY",
    "MAX_PRESIGN_SECONDS",
    "MAX_SINGLE_UPLOAD",
    "R2_FIELDS",
    "check_part_size",
    "r2_endpoint",
    "r2_session",
]

MARKER_KEY = ".cloudcore/managed-by-cloudcore/"
"""The object cloudcore keeps in each R2 bucket it manages (R2 has no bucket tags). Its key ends
with ``/``, which no portable object key does, so it never collides with user data; listings
skip it. Its body is JSON: ``{"managed-by": "cloudcore", "cloudcore-name": ..., "tags": {...}}``."""

MAX_SINGLE_UPLOAD = 5 * 1024**3 - 5 * 1024**2
"""Largest single request body: 5 GiB less 5 MiB (R2 limits page)."""

MIN_PART = 5 * 1024**2
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
R2_FIELDS = frozenset({"lifecycle", "cors"})
"""The bucket fields R2 has through the S3 API (``PutBucketLifecycleConfiguration``,
``PutBucketCors``; https://developers.cloudflare.com/r2/api/s3/api/)."""

_ACCOUNT_RE = re.compile(r"\A[0-9a-f]{32}\Z")
_JURISDICTIONS = ("default", "eu", "fedramp")


def check_part_size(value: object, field: str) -> int:
    """A part size or multipart threshold R2 accepts (5 MiB to 5 GiB less 5 MiB)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (MIN_PART <= value <= MAX_SINGLE_UPLOAD)
    ):
        raise ConfigurationError(
            f"{field}: R2 takes parts of 5 MiB to 5 GiB less 5 MiB "
            f"(https://developers.cloudflare.com/r2/objects/multipart-objects/); got {value!r}",
            field=field,
        )
    return value


def r2_endpoint(account_id: str | None, endpoint: str | None, jurisdiction: str) -> str:
    """The S3 endpoint: ``endpoint`` when given, else the account's R2 endpoint."""
    if endpoint is not None:
        if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
            raise ConfigurationError("r2_endpoint: an http(s) URL", field="r2_endpoint")
        return endpoint.rstrip("/")
    if jurisdiction not in _JURISDICTIONS:
        raise ConfigurationError(
            f"r2_jurisdiction: one of {list(_JURISDICTIONS)} (got {jurisdiction!r})",
            field="r2_jurisdiction",
        )
    if not account_id or not _ACCOUNT_RE.fullmatch(account_id):
        raise ConfigurationError(
            "account_id: R2 storage needs the 32-hex-digit account id (its S3 endpoint is "
            "https://<ACCOUNT_ID>.r2.cloudflarestorage.com)",
            field="account_id",
        )
    infix = "" if jurisdiction == "default" else f".{jurisdiction}"
    return f"https://{account_id}{infix}.r2.cloudflarestorage.com"


def r2_session(profile: str | None, session: Any) -> Any:
    """The boto3 session holding the R2 access key pair.

    In order: an injected ``session``; the named ``profile`` of the AWS shared config files (a
    profile holding R2 keys); the environment variables ``R2_ACCESS_KEY_ID`` and
    ``R2_SECRET_ACCESS_KEY``. Never boto3's default chain: it would sign R2 requests with AWS
    credentials.
    """
    if session is not None:
        return session
    try:
        import boto3
    except ImportError:
        raise ConfigurationError(
            "r2_session: R2 storage speaks the S3 API through boto3, which is not installed: "
            "pip install 'cloudcore[cloudflare,aws]'",
            field="r2_session",
        ) from None

    if profile:
        return boto3.Session(profile_name=profile)
    key, secret = os.environ.get("R2_ACCESS_KEY_ID"), os.environ.get("R2_SECRET_ACCESS_KEY")
    if not key or not secret:
        raise ConfigurationError(
            "r2_profile: R2 storage needs an R2 API token's access key pair: set "
            "R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY, or name a profile of ~/.aws/credentials "
            "holding them (https://developers.cloudflare.com/r2/api/tokens/)",
            field="r2_profile",
        )
    return boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret)
