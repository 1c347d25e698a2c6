"""A bucket's portable configuration over the S3 API: read it back, and converge it field by field.

Each field has its own S3 sub-resource, read with one ``Get`` and written with one ``Put`` (or a
``Delete`` when the field is emptied), so converging a bucket writes only what differs and an
unchanged config makes no write at all:

=============  ==========================================  =====================================
field          read                                        write
=============  ==========================================  =====================================
versioning     ``GetBucketVersioning``                     ``PutBucketVersioning`` (``Suspended``
                                                           when turned off: S3 cannot un-version)
public_read    ``GetBucketPolicy`` (cloudcore's statement)  ``PutPublicAccessBlock`` +
                                                           ``PutBucketPolicy`` / back
lifecycle      ``GetBucketLifecycleConfiguration``         ``PutBucketLifecycleConfiguration`` /
                                                           ``DeleteBucketLifecycle``
cors_origins   ``GetBucketCors``                           ``PutBucketCors`` / ``DeleteBucketCors``
=============  ==========================================  =====================================

Which fields a store has is the driver's :attr:`S3BucketFields.bucket_fields` (R2 has no
versioning and no bucket policy: https://developers.cloudflare.com/r2/api/s3/api/).
"""

from __future__ import annotations

import json
from typing import Any

from cloudcore.errors import ProviderError
from cloudcore.models.storage import BucketConfig, LifecycleRule

from ._errors import error_code

__all__ = ["PUBLIC_SID", "S3BucketFields", "bucket_resource", "lifecycle_rules", "public_policy"]

PUBLIC_SID = "CloudcorePublicRead"
"""The ``Sid`` of the bucket policy statement cloudcore writes for ``public_read``."""

_ABSENT = frozenset(
    {
        "NoSuchLifecycleConfiguration",
        "NoSuchCORSConfiguration",
        "NoSuchBucketPolicy",
        "NoSuchPublicAccessBlockConfiguration",
        "NoSuchTagSet",
        "NoSuchTagSetError",
    }
)
"""Codes S3 answers when a sub-resource is not set (that is: empty, not an error)."""

CORS_METHODS = ("GET", "PUT", "HEAD")
CORS_MAX_AGE = 3600


def absent(exc: BaseException) -> bool:
    """Whether ``exc`` says "this sub-resource is not set"."""
    return error_code(exc) in _ABSENT


def public_policy(bucket: str, partition: str = "aws") -> str:
    """The bucket policy granting anonymous ``s3:GetObject`` on every object."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": PUBLIC_SID,
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:{partition}:s3:::{bucket}/*",
                }
            ],
        }
    )


def bucket_resource(
    provider: str,
    region: str | None,
    name: str,
    tags: dict[str, str],
    provider_id: str,
    created: Any = None,
) -> Any:
    """The discovery :class:`~cloudcore.models.Resource` of a managed bucket (buckets are
    resources; objects are data and never listed)."""
    from cloudcore.capabilities import OPERATIONS, Capability
    from cloudcore.models import Resource, ResourceType
    from cloudcore.models.discovery import resource_id

    ops = tuple(o.name for o in OPERATIONS.values() if o.capability is Capability.STORAGE)
    return Resource(
        id=resource_id(provider, region, ResourceType.BUCKET, name),
        type=ResourceType.BUCKET,
        provider=provider,
        region=region,
        name=name,
        tags=dict(tags),
        state="active",
        operations=ops,
        provider_id=provider_id,
        created_at=created,
    )


def lifecycle_rules(rules: tuple[LifecycleRule, ...]) -> list[dict[str, Any]]:
    """The portable rules as S3 lifecycle rules (ids ``cloudcore-<n>``, in order)."""
    out = []
    for i, rule in enumerate(rules):
        item: dict[str, Any] = {
            "ID": f"cloudcore-{i}",
            "Status": "Enabled",
            "Filter": {"Prefix": rule.prefix},
            "Expiration": {"Days": rule.expire_days},
        }
        if rule.noncurrent_expire_days is not None:
            item["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule.noncurrent_expire_days}
        out.append(item)
    return out


def _parse_rules(items: list[dict[str, Any]]) -> tuple[LifecycleRule, ...]:
    def order(item: dict[str, Any]) -> tuple[int, str]:
        rid = str(item.get("ID", ""))
        tail = rid.rsplit("-", 1)[-1]
        return (int(tail) if rid.startswith("cloudcore-") and tail.isdigit() else 10**6, rid)

    rules = []
    for item in sorted(items, key=order):
        days = (item.get("Expiration") or {}).get("Days")
        if item.get("Status") != "Enabled" or not days:
            continue
        prefix = (item.get("Filter") or {}).get("Prefix", item.get("Prefix", "")) or ""
        nc = (item.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays")
        rules.append(LifecycleRule(prefix=prefix, expire_days=days, noncurrent_expire_days=nc))
    return tuple(rules)


class S3BucketFields:
    """Reads and converges the fields of :data:`bucket_fields` (mixed into a provider)."""

    bucket_fields: frozenset[str] = frozenset({"versioning", "public_read", "lifecycle", "cors"})

    def _s3(self) -> Any:
        raise NotImplementedError

    def _s3_get(self, fn: Any, **args: Any) -> dict[str, Any] | None:
        """One ``Get`` of a sub-resource; ``None`` when it is not set."""
        call: Any = getattr(self, "call", None)
        try:
            return dict(call(lambda: fn(**args)))
        except Exception as exc:
            cause = exc.__cause__ or exc
            if absent(cause) or absent(exc):
                return None
            raise

    def s3_read_fields(self, name: str) -> dict[str, Any]:
        """The portable fields the bucket has now (only those in :attr:`bucket_fields`)."""
        s3 = self._s3()
        out: dict[str, Any] = {}
        if "versioning" in self.bucket_fields:
            versioning = self._s3_get(s3.get_bucket_versioning, Bucket=name) or {}
            out["versioning"] = versioning.get("Status") == "Enabled"
        if "public_read" in self.bucket_fields:
            policy = self._s3_get(s3.get_bucket_policy, Bucket=name)
            public = False
            if policy and policy.get("Policy"):
                statements = json.loads(policy["Policy"]).get("Statement") or []
                public = any(s.get("Sid") == PUBLIC_SID for s in statements)
            out["public_read"] = public
        if "lifecycle" in self.bucket_fields:
            lifecycle = self._s3_get(s3.get_bucket_lifecycle_configuration, Bucket=name)
            out["lifecycle"] = _parse_rules((lifecycle or {}).get("Rules") or [])
        if "cors" in self.bucket_fields:
            cors = self._s3_get(s3.get_bucket_cors, Bucket=name)
            origins: list[str] = []
            for rule in (cors or {}).get("CORSRules") or []:
                origins += [o for o in rule.get("AllowedOrigins") or [] if o not in origins]
            out["cors_origins"] = tuple(origins)
        return out

    def s3_write_fields(self, name: str, have: dict[str, Any], want: BucketConfig) -> None:
        """Write each field of ``want`` that differs from ``have`` (one call per field)."""
        s3 = self._s3()
        if "versioning" in have and have["versioning"] != want.versioning:
            status = "Enabled" if want.versioning else "Suspended"
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
        if "public_read" in have and have["public_read"] != want.public_read:
            if want.public_read:
                s3.put_public_access_block(
                    Bucket=name,
                    PublicAccessBlockConfiguration={
                        "BlockPublicAcls": True,
                        "IgnorePublicAcls": True,
                        "BlockPublicPolicy": False,
                        "RestrictPublicBuckets": False,
                    },
                )
                s3.put_bucket_policy(Bucket=name, Policy=public_policy(name))
            else:
                s3.delete_bucket_policy(Bucket=name)
                s3.put_public_access_block(
                    Bucket=name,
                    PublicAccessBlockConfiguration=dict.fromkeys(
                        (
                            "BlockPublicAcls",
                            "IgnorePublicAcls",
                            "BlockPublicPolicy",
                            "RestrictPublicBuckets",
                        ),
                        True,
                    ),
                )
        if "lifecycle" in have and have["lifecycle"] != want.lifecycle:
            if want.lifecycle:
                s3.put_bucket_lifecycle_configuration(
                    Bucket=name,
                    LifecycleConfiguration={"Rules": lifecycle_rules(want.lifecycle)},
                )
            else:
                s3.delete_bucket_lifecycle(Bucket=name)
        if "cors_origins" in have and have["cors_origins"] != want.cors_origins:
            if want.cors_origins:
                rule = {
                    "AllowedOrigins": list(want.cors_origins),
                    "AllowedMethods": list(CORS_METHODS),
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAgeSeconds": CORS_MAX_AGE,
                }
                s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [rule]})
            else:
                s3.delete_bucket_cors(Bucket=name)

    def s3_empty(self, name: str, versions: bool, keep: str | None = None) -> int:
        """Delete every object (and, with ``versions``, every version and delete marker) of a
        bucket in batches of 1,000 (``DeleteObjects``' limit); returns how many were deleted.
        ``keep`` is a key left in place."""
        s3 = self._s3()
        call: Any = getattr(self, "call", None)
        deleted = 0
        while True:
            if versions:
                page = call(lambda: s3.list_object_versions(Bucket=name, MaxKeys=1000))
                doomed = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in (page.get("Versions") or []) + (page.get("DeleteMarkers") or [])
                    if v["Key"] != keep
                ]
            else:
                page = call(lambda: s3.list_objects_v2(Bucket=name, MaxKeys=1000))
                doomed = [{"Key": o["Key"]} for o in page.get("Contents") or [] if o["Key"] != keep]
            if not doomed:
                return deleted
            resp = s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
            errors = resp.get("Errors") or []
            if errors:
                first = errors[0]
                raise ProviderError(
                    f"bucket {name!r}: {len(errors)} objects not deleted, the first "
                    f"{first.get('Key')!r}: {first.get('Message')}",
                    code=first.get("Code"),
                )
            deleted += len(doomed)
