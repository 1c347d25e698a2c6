"""Objects over the S3 API, shared by every driver whose store speaks it (AWS S3, Cloudflare R2).

A driver mixes :class:`S3Objects` in and supplies :meth:`S3Objects._s3` (the botocore client)
and :meth:`S3Objects._s3_check_managed` (``NotFound`` for a bucket cloudcore does not manage).

Integrity, end to end:

* **Upload.** Every request carries the SHA-256 of its body (``x-amz-checksum-sha256``), which
  S3 and R2 check before storing (``BadDigest`` otherwise; R2 supports SHA-256 as a composite
  checksum: https://developers.cloudflare.com/r2/api/s3/api/#checksum-types). Multipart uploads
  send one per part. The SHA-256 of the whole object is recorded as user metadata
  ``cloudcore-sha256`` (the provider's multipart checksum is a checksum of checksums, not of the
  object).
* **Download.** ``get_object`` hashes what it hands out and compares it at the end with
  ``cloudcore-sha256``; objects cloudcore did not write (a presigned upload) are checked against
  their single-part ETag, which S3 defines as the MD5 of the content. A mismatch is an
  :class:`~cloudcore.errors.IntegrityError`.
* **Ranged reads.** A download whose connection breaks is resumed where it stopped with a
  ``Range`` request pinned to the same object (``If-Match`` its ETag), so a long transfer does not
  start over and never mixes two versions of an object.

Uploads are streamed: parts of :attr:`S3Objects.part_size` are read one at a time and at most
:attr:`S3Objects.transfer_concurrency` are in flight, so memory use does not grow with the object.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any, Literal

from cloudcore._objectio import CHUNK, ObjectSource, ObjectStream
from cloudcore.errors import CloudcoreError, IntegrityError, NotFound, TransientError
from cloudcore.models.storage import ObjectInfo
from cloudcore.provider.storage import StorageMethods

__all__ = ["DEFAULT_CONTENT_TYPE", "META_SHA256", "MIN_PART", "S3Objects"]

_log = logging.getLogger(__name__)

META_SHA256 = "cloudcore-sha256"
"""User metadata key holding the SHA-256 (hex) of the whole object, written by cloudcore."""

DEFAULT_CONTENT_TYPE = "application/octet-stream"

MIN_PART = 5 * 1024 * 1024
"""Smallest part of a multipart upload but the last (S3:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html; R2 the same:
https://developers.cloudflare.com/r2/platform/limits/)."""

MAX_PARTS = 10_000
"""Parts per multipart upload (S3 and R2, same pages)."""

RESUMES = 3
"""Times a broken download is resumed with a ranged read before the error surfaces."""


def _b64sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _etag_md5(etag: str | None) -> str | None:
    """The MD5 hex of a single-part ETag (``None`` for multipart or encrypted-object ETags)."""
    value = (etag or "").strip('"').lower()
    return value if len(value) == 32 and all(c in "0123456789abcdef" for c in value) else None


class S3Objects(StorageMethods):
    """The object hooks of ``storage`` over the S3 API (see the module docs)."""

    multipart_threshold: int = 8 * 1024 * 1024
    """Objects above this many bytes are uploaded in parts."""
    part_size: int = 8 * 1024 * 1024
    """Bytes per part (raised for huge objects so they fit in 10,000 parts)."""
    transfer_concurrency: int = 4
    """Parts in flight at once during a multipart upload."""
    object_page_size: int = 1000
    """Keys per ``ListObjectsV2`` page (S3's and R2's maximum)."""
    s3_hidden_key: str | None = None
    """A key the driver keeps in every managed bucket for its own use (never listed)."""

    # ------------------------------------------------------------ driver supplies
    def _s3(self) -> Any:
        """The botocore S3 client."""
        raise NotImplementedError

    def _s3_check_managed(self, bucket: str) -> None:
        """Raise ``NotFound`` unless ``bucket`` exists and cloudcore manages it."""
        raise NotImplementedError

    # ------------------------------------------------------------ reading helpers
    def _s3_info(self, bucket: str, key: str, resp: dict[str, Any]) -> ObjectInfo:
        meta = {str(k).lower(): str(v) for k, v in (resp.get("Metadata") or {}).items()}
        sha = meta.pop(META_SHA256, None)
        user = {k: v for k, v in meta.items() if not k.startswith("cloudcore-")}
        etag = resp.get("ETag")
        md5 = _etag_md5(etag)
        checksum: str | None = f"sha256:{sha}" if sha else (f"md5:{md5}" if md5 else None)
        source: Literal["cloudcore", "provider"] = "cloudcore" if sha else "provider"
        version = resp.get("VersionId")
        modified = resp.get("LastModified")
        size = resp.get("ContentLength", resp.get("Size", 0))
        if resp.get("ContentRange"):  # a ranged read: the object's size is after the '/'
            size = int(str(resp["ContentRange"]).rsplit("/", 1)[-1])
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=int(size),
            checksum=checksum,
            etag=etag,
            version=None if version in (None, "null") else str(version),
            content_type=resp.get("ContentType"),
            metadata=user,
            modified_at=modified if isinstance(modified, datetime) else None,
            checksum_source=source,
        )

    # ------------------------------------------------------------ upload
    def _put_object(
        self,
        bucket: str,
        key: str,
        source: ObjectSource,
        content_type: str | None,
        metadata: dict[str, str],
    ) -> ObjectInfo:
        self._s3_check_managed(bucket)
        args: dict[str, Any] = {
            "Bucket": bucket,
            "Key": key,
            "ContentType": content_type or DEFAULT_CONTENT_TYPE,
            "Metadata": {**metadata, META_SHA256: source.sha256},
        }
        if source.size <= self.multipart_threshold:
            with source.open() as fh:
                body = fh.read()  # at most multipart_threshold bytes
            self._s3_check_unchanged(bucket, key, source, body)
            resp = self._s3().put_object(
                Body=body, ChecksumAlgorithm="SHA256", ChecksumSHA256=_b64sha256(body), **args
            )
        else:
            resp = self._s3_multipart(args, source)
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=source.size,
            checksum=source.checksum,
            etag=resp.get("ETag"),
            version=resp.get("VersionId"),
            content_type=args["ContentType"],
            metadata=dict(metadata),
            checksum_source="cloudcore",
        )

    @staticmethod
    def _s3_check_unchanged(bucket: str, key: str, source: ObjectSource, body: bytes) -> None:
        if len(body) != source.size or hashlib.sha256(body).hexdigest() != source.sha256:
            raise IntegrityError(f"{bucket}/{key}: the data changed while it was being uploaded")

    def _s3_part_size(self, size: int) -> int:
        return max(self.part_size, MIN_PART, -(-size // MAX_PARTS))

    def _s3_multipart(self, args: dict[str, Any], source: ObjectSource) -> dict[str, Any]:
        s3 = self._s3()
        upload = s3.create_multipart_upload(ChecksumAlgorithm="SHA256", **args)
        upload_id = upload["UploadId"]
        where = {"Bucket": args["Bucket"], "Key": args["Key"], "UploadId": upload_id}
        part_size = self._s3_part_size(source.size)
        parts: dict[int, dict[str, Any]] = {}
        whole = hashlib.sha256()
        seen = 0

        def send(number: int, chunk: bytes) -> None:
            digest = _b64sha256(chunk)
            resp = self.call(
                lambda: s3.upload_part(
                    PartNumber=number,
                    Body=chunk,
                    ChecksumAlgorithm="SHA256",
                    ChecksumSHA256=digest,
                    **where,
                )
            )
            parts[number] = {"PartNumber": number, "ETag": resp["ETag"], "ChecksumSHA256": digest}

        pool = ThreadPoolExecutor(max(1, self.transfer_concurrency), "cloudcore-s3-part")
        pending: set[Future[None]] = set()
        try:
            with source.open() as fh:
                number = 0
                while chunk := fh.read(part_size):
                    number += 1
                    whole.update(chunk)
                    seen += len(chunk)
                    while len(pending) >= max(1, self.transfer_concurrency):
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        for fut in done:
                            fut.result()
                    pending.add(pool.submit(send, number, chunk))
                    del chunk  # the part is held by its task only
            for fut in pending:
                fut.result()
            if seen != source.size or whole.hexdigest() != source.sha256:
                raise IntegrityError(
                    f"{args['Bucket']}/{args['Key']}: the data changed while it was being uploaded"
                )
            ordered = [parts[n] for n in sorted(parts)]
            return dict(s3.complete_multipart_upload(MultipartUpload={"Parts": ordered}, **where))
        except BaseException:
            for fut in pending:
                fut.cancel()
            pool.shutdown(wait=True)
            self._s3_abort(where)
            raise
        finally:
            pool.shutdown(wait=True)

    def _s3_abort(self, where: dict[str, Any]) -> None:
        """Abort a failed upload so its parts stop costing storage. A failure to abort is logged,
        not raised: the upload's own error is what the caller needs to see."""
        try:
            self._s3().abort_multipart_upload(**where)
        except Exception as exc:
            _log.warning(
                "could not abort multipart upload of %s/%s: %s", where["Bucket"], where["Key"], exc
            )

    # ------------------------------------------------------------ download
    def _open_object(self, bucket: str, key: str, version: str | None) -> ObjectStream:
        self._s3_check_managed(bucket)
        s3 = self._s3()
        extra = {"VersionId": version} if version else {}
        resp = s3.get_object(Bucket=bucket, Key=key, **extra)
        info = self._s3_info(bucket, key, resp)
        state: dict[str, Any] = {"body": resp["Body"]}
        lock = threading.Lock()

        def chunks() -> Iterator[bytes]:
            offset = 0
            resumes = 0
            while True:
                body = state["body"]
                try:
                    for chunk in body.iter_chunks(CHUNK):
                        offset += len(chunk)
                        yield chunk
                    return
                except Exception as exc:
                    mapped = self._map_error(exc)
                    if not isinstance(mapped, TransientError) or resumes >= RESUMES:
                        raise
                    if offset >= info.size:
                        return
                    resumes += 1
                    body.close()
                    state["body"] = self.call(
                        lambda start=offset: s3.get_object(  # type: ignore[misc]
                            Bucket=bucket,
                            Key=key,
                            Range=f"bytes={start}-",
                            IfMatch=info.etag or "*",
                            **extra,
                        )
                    )["Body"]

        def close() -> None:
            with lock:
                state["body"].close()

        return ObjectStream(info, chunks(), close=close)

    def _head_object(self, bucket: str, key: str, version: str | None) -> ObjectInfo:
        self._s3_check_managed(bucket)
        extra = {"VersionId": version} if version else {}
        resp = self._s3().head_object(Bucket=bucket, Key=key, **extra)
        return self._s3_info(bucket, key, resp)

    def _list_objects(
        self, bucket: str, prefix: str | None, page_token: str | None
    ) -> tuple[list[ObjectInfo], str | None]:
        if page_token is None:
            self._s3_check_managed(bucket)
        size = self.object_page_size
        hidden = self.s3_hidden_key
        args: dict[str, Any] = {"Bucket": bucket}
        if prefix:
            args["Prefix"] = prefix
        if hidden is not None and (not prefix or hidden.startswith(prefix)):
            # one key more per page, so a page without the hidden key is still full
            args["MaxKeys"] = size + 1
            if page_token:
                args["StartAfter"] = page_token
            resp = self._s3().list_objects_v2(**args)
            items = [o for o in resp.get("Contents") or [] if o["Key"] != hidden]
            more = bool(resp.get("IsTruncated")) or len(items) > size
            items = items[:size]
            token = items[-1]["Key"] if more and items else None
        else:
            args["MaxKeys"] = size
            if page_token:
                args["ContinuationToken"] = page_token
            resp = self._s3().list_objects_v2(**args)
            items = list(resp.get("Contents") or [])
            token = resp.get("NextContinuationToken") if resp.get("IsTruncated") else None
        infos = [
            ObjectInfo(
                bucket=bucket,
                key=o["Key"],
                size=int(o.get("Size", 0)),
                checksum=(f"md5:{m}" if (m := _etag_md5(o.get("ETag"))) else None),
                etag=o.get("ETag"),
                modified_at=o.get("LastModified"),
                checksum_source="provider",
            )
            for o in items
        ]
        return infos, token

    # ------------------------------------------------------------ delete, copy, presign
    def _delete_object(self, bucket: str, key: str, version: str | None) -> None:
        self._s3_check_managed(bucket)
        extra = {"VersionId": version} if version else {}
        try:
            self._s3().delete_object(Bucket=bucket, Key=key, **extra)
        except Exception as exc:
            if isinstance(self._map_error(exc), NotFound) and version:
                return  # that version is gone already
            raise

    def _copy_object(self, bucket: str, key: str, dest_bucket: str, new_key: str) -> ObjectInfo:
        self._s3_check_managed(bucket)
        if dest_bucket != bucket:
            self._s3_check_managed(dest_bucket)
        head = self._head_object(bucket, key, None)
        if head.size > 5 * 1024**3:
            raise CloudcoreError(
                f"{bucket}/{key}: objects over 5 GiB are copied in parts, which this driver "
                "does not do yet; download and upload it instead"
            )
        resp = self._s3().copy_object(
            Bucket=dest_bucket,
            Key=new_key,
            CopySource={"Bucket": bucket, "Key": key},
            MetadataDirective="COPY",
        )
        result = resp.get("CopyObjectResult") or {}
        return head.model_copy(
            update={
                "bucket": dest_bucket,
                "key": new_key,
                "etag": result.get("ETag", head.etag),
                "version": resp.get("VersionId"),
                "modified_at": result.get("LastModified", head.modified_at),
            }
        )

    def _presign(
        self,
        bucket: str,
        key: str,
        method: Literal["GET", "PUT"],
        expires_in: int,
        content_type: str | None,
    ) -> str:
        self._s3_check_managed(bucket)
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if content_type is not None:
            params["ContentType"] = content_type
        operation = "get_object" if method == "GET" else "put_object"
        return str(
            self._s3().generate_presigned_url(operation, Params=params, ExpiresIn=expires_in)
        )
