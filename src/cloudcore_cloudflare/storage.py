"""``storage`` on Cloudflare: R2 through its S3-compatible API (boto3), with the AWS driver's
shared S3 code (:mod:`cloudcore_aws._s3objects`, :mod:`cloudcore_aws._s3buckets`).

R2 has no bucket tags, so a bucket is managed when it holds cloudcore's marker object
(:data:`~cloudcore_cloudflare._r2.MARKER_KEY`, with the user tags in its body); every operation
checks it first (cached per provider), so cloudcore never touches a bucket someone else made.
R2's limits are checked before any request (:mod:`cloudcore_cloudflare._r2`). Needs ``boto3``
(the ``aws`` extra) besides the Cloudflare SDK.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from typing import Any

from cloudcore.errors import (
    AlreadyExists,
    CloudcoreError,
    ConfigurationError,
    Conflict,
    NotFound,
)
from cloudcore.models import (
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    NAME_TAG_KEY,
    Resource,
    ResourceType,
)
from cloudcore.models.storage import Bucket, BucketConfig
from cloudcore_aws._errors import error_code
from cloudcore_aws._errors import map_error as map_boto_error
from cloudcore_aws._s3buckets import S3BucketFields, bucket_resource
from cloudcore_aws._s3objects import S3Objects
from cloudcore_aws._session import AWSSession

from ._core import CloudflareCore
from ._r2 import MARKER_KEY, R2_FIELDS, check_part_size, r2_endpoint, r2_session

__all__ = ["CloudflareStorage"]

_MISSING = ("NoSuchBucket",)
_NO_MARKER = ("NoSuchKey", "404")


class CloudflareStorage(S3BucketFields, S3Objects, CloudflareCore):
    """R2 (see the module docs); options ``r2_*`` of
    :class:`~cloudcore_cloudflare._core.CloudflareCore`."""

    bucket_fields = frozenset(R2_FIELDS)
    s3_hidden_key = MARKER_KEY

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("multipart_threshold", "part_size"):
            check_part_size(value, name)  # R2's part rules, checked when set
        super().__setattr__(name, value)

    # ------------------------------------------------------------ plumbing
    @property
    def r2(self) -> AWSSession:
        """The boto3 session on R2's S3 endpoint (built on first use)."""
        with self._r2_lock:
            found: AWSSession | None = self._r2
            if found is None:
                endpoint, jurisdiction, profile, region, session = self._r2_options
                url = r2_endpoint(self.account_id, endpoint, jurisdiction)
                found = self._r2 = AWSSession(
                    self.name,
                    region=region,
                    endpoint_url=url,
                    profile_name=None,
                    session=r2_session(profile, session),
                )
            return found

    def _s3(self) -> Any:
        return self.r2.client("s3")

    def _map_error(self, exc: Exception) -> CloudcoreError | None:
        if type(exc).__module__.startswith("botocore"):
            return map_boto_error(exc)
        return super()._map_error(exc)

    def _close(self) -> None:
        with self._r2_lock:
            session, self._r2 = self._r2, None
        if session is not None:
            session.close()
        super()._close()

    # ------------------------------------------------------------ the marker
    def _marker(self, name: str) -> dict[str, Any] | None:
        """The bucket's marker (``{}`` when the bucket exists without one); ``None`` when there
        is no such bucket."""
        try:
            resp = self.call(lambda: self._s3().get_object(Bucket=name, Key=MARKER_KEY))
        except Exception as exc:
            code = error_code(exc.__cause__ or exc)
            if code in _MISSING:
                return None
            if code in _NO_MARKER:
                return {}
            raise
        with resp["Body"] as body:
            try:
                data = json.loads(body.read(64 * 1024))
            except ValueError:
                return {}
        return (
            data if isinstance(data, dict) and data.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE else {}
        )

    def _write_marker(self, name: str, tags: dict[str, str]) -> None:
        body = json.dumps(
            {MANAGED_BY_KEY: MANAGED_BY_VALUE, NAME_TAG_KEY: name, "tags": tags}, sort_keys=True
        ).encode()
        self._s3().put_object(
            Bucket=name, Key=MARKER_KEY, Body=body, ContentType="application/json"
        )

    def _s3_check_managed(self, bucket: str) -> None:
        if bucket in self._r2_known:
            return
        if not self._marker(bucket):
            raise NotFound(f"no R2 bucket {bucket!r} managed by cloudcore")
        with self._r2_lock:
            self._r2_known.add(bucket)

    def _forget_buckets(self) -> None:
        """Drop what is known about managed buckets (a test target resetting its stand-in)."""
        with self._r2_lock:
            self._r2_known.clear()

    # ------------------------------------------------------------ buckets
    def _create_bucket(self, config: BucketConfig) -> Bucket:
        if config.extras:
            first = sorted(config.extras)[0]
            raise ConfigurationError(
                f"BucketConfig.extras: R2 takes no provider options (got {first!r})",
                field=f"extras.{first}",
            )
        name = config.name
        marker = self._marker(name)
        if marker is None:
            self._s3().create_bucket(Bucket=name)
            self._write_marker(name, dict(config.tags))
            have: dict[str, Any] = {"lifecycle": (), "cors_origins": ()}
        elif not marker:
            raise AlreadyExists(
                f"R2 bucket {name!r} exists and is not managed by cloudcore; it is left alone"
            )
        else:
            have = self.s3_read_fields(name)
            if (marker.get("tags") or {}) != config.tags:
                self._write_marker(name, dict(config.tags))
        with self._r2_lock:
            self._r2_known.add(name)
        self.s3_write_fields(name, have, config)
        return self._bucket(name, config)

    def _bucket(self, name: str, config: BucketConfig) -> Bucket:
        return Bucket(name=name, config=config, url=f"{self.r2.endpoint_url}/{name}", region="auto")

    def _read_bucket(self, name: str, marker: dict[str, Any]) -> Bucket:
        fields = self.s3_read_fields(name)
        tags = {str(k): str(v) for k, v in (marker.get("tags") or {}).items()}
        return self._bucket(name, BucketConfig(name=name, tags=tags, **fields))

    def _get_bucket(self, name: str) -> Bucket:
        marker = self._marker(name)
        if not marker:
            raise NotFound(f"no R2 bucket {name!r} managed by cloudcore")
        return self._read_bucket(name, marker)

    def _delete_bucket(self, name: str, force: bool) -> None:
        marker = self._marker(name)
        with self._r2_lock:
            self._r2_known.discard(name)
        if marker is None:
            return
        if not marker:
            raise Conflict(
                f"R2 bucket {name!r} exists but is not managed by cloudcore; cloudcore never "
                "deletes what it does not manage"
            )
        s3 = self._s3()
        if force:
            self.s3_empty(name, versions=False, keep=MARKER_KEY)
        else:
            page = self.call(lambda: s3.list_objects_v2(Bucket=name, MaxKeys=2))
            if [o for o in page.get("Contents") or [] if o["Key"] != MARKER_KEY]:
                raise Conflict(
                    f"R2 bucket {name!r} is not empty; delete_bucket(..., force=True) deletes "
                    "every object in it"
                )
        s3.delete_object(Bucket=name, Key=MARKER_KEY)
        try:
            s3.delete_bucket(Bucket=name)
        except Exception as exc:
            if error_code(exc) != "NoSuchBucket":
                raise

    def _list_resources(
        self, type: ResourceType | None, tags: Mapping[str, str]
    ) -> Iterator[Resource]:
        """Discovery: managed R2 buckets (``ListBuckets`` and the marker of each), then what
        the other capabilities list."""
        found: list[Resource] = []
        if type in (None, ResourceType.BUCKET) and self.account_id:
            listing = self.call(lambda: self._s3().list_buckets())
            for item in listing.get("Buckets") or []:
                name = str(item["Name"])
                marker = self._marker(name)
                if marker:
                    user = {str(k): str(v) for k, v in (marker.get("tags") or {}).items()}
                    labels = {**user, MANAGED_BY_KEY: MANAGED_BY_VALUE, NAME_TAG_KEY: name}
                    res = bucket_resource(
                        self.name, None, name, labels, name, item.get("CreationDate")
                    )
                    if res.carries(tags):
                        found.append(res)
        if type is ResourceType.BUCKET:
            return iter(found)
        return itertools.chain(found, super()._list_resources(type, tags))

    def _list_buckets(self) -> list[Bucket]:
        listing = self.call(lambda: self._s3().list_buckets())
        found = []
        for item in listing.get("Buckets") or []:
            marker = self._marker(item["Name"])
            if marker:
                found.append(self._read_bucket(item["Name"], marker))
        return found
