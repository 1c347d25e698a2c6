"""``cloudcore storage ls | cp | rm | presign | mb | rb``: buckets and objects.

Objects are named ``BUCKET/KEY`` (``cloudcore://BUCKET/KEY`` also works everywhere, and is how
``cp`` tells an object from a local file). ``cp`` copies a local file (or ``-``, stdin) to a
bucket, an object to a local file (or ``-``, stdout), or an object to another bucket
(server-side); it shows a progress bar with bytes and rate on a terminal, and plain timestamped
lines on stderr otherwise. Downloads are verified and land atomically: a corrupted object never
reaches the destination file.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigurationError
from ._common import connected, emit, parse_pairs, structured
from ._transfer import ProgressReader, human_bytes, progress_for

__all__ = ["SCHEME", "add_parsers", "split_object"]

SCHEME = "cloudcore://"
"""Prefix naming an object in ``cp`` (and accepted everywhere): ``cloudcore://bucket/key``."""


def split_object(value: str, *, key_required: bool = True) -> tuple[str, str]:
    """``"bucket/key"`` or ``"cloudcore://bucket/key"`` to ``(bucket, key)``."""
    rest = value[len(SCHEME) :] if value.startswith(SCHEME) else value
    bucket, _, key = rest.partition("/")
    if not bucket or (key_required and not key):
        raise ConfigurationError(
            f"expected BUCKET/KEY, got {value!r}", field="key" if bucket else "bucket"
        )
    return bucket, key


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("storage", help="buckets and objects (ls, cp, rm, presign, mb, rb)")
    group.set_defaults(func=lambda a: (group.print_help(), 2)[1])
    s = group.add_subparsers(title="storage commands", metavar="COMMAND")

    p = s.add_parser("ls", parents=[common], help="list buckets, or the objects of one")
    p.add_argument("path", nargs="?", metavar="BUCKET[/PREFIX]")
    p.set_defaults(func=ls)

    p = s.add_parser("cp", parents=[common], help="copy a file or object (with progress)")
    p.add_argument("src", metavar="SRC", help=f"a local path, '-' (stdin) or {SCHEME}BUCKET/KEY")
    p.add_argument("dst", metavar="DST", help=f"a local path, '-' (stdout) or {SCHEME}BUCKET/KEY")
    p.add_argument("--content-type", help="MIME type of an upload")
    p.add_argument("--metadata", action="append", metavar="KEY=VALUE", help="upload metadata")
    p.add_argument("--version", help="copy this version of the source object")
    p.add_argument("--quiet", "-q", action="store_true", help="plain lines, no progress bar")
    p.set_defaults(func=cp)

    p = s.add_parser("rm", parents=[common], help="delete an object (succeeds if gone)")
    p.add_argument("path", metavar="BUCKET/KEY")
    p.add_argument("--version", help="delete this version for good")
    p.set_defaults(func=rm)

    p = s.add_parser("presign", parents=[common], help="a URL to read (or --put: write) one object")
    p.add_argument("path", metavar="BUCKET/KEY")
    p.add_argument("--put", action="store_true", help="a URL that uploads (PUT)")
    p.add_argument("--expires", type=int, default=3600, metavar="SECONDS", help="default 3600")
    p.add_argument("--content-type", help="PUT only: the Content-Type the upload must send")
    p.set_defaults(func=presign)

    p = s.add_parser("mb", parents=[common], help="make (or converge) a bucket")
    p.add_argument("name")
    p.add_argument("--versioning", action="store_true", help="keep every version")
    p.add_argument("--public", action="store_true", help="objects readable without credentials")
    p.add_argument(
        "--expire",
        action="append",
        metavar="PREFIX=DAYS",
        help="delete objects under PREFIX after DAYS ('=30': every object)",
    )
    p.add_argument("--cors", action="append", metavar="ORIGIN", help="browser origin allowed")
    p.add_argument("--tag", action="append", metavar="KEY=VALUE")
    p.set_defaults(func=mb)

    p = s.add_parser("rb", parents=[common], help="remove a bucket (--force: with its objects)")
    p.add_argument("name")
    p.add_argument("--force", action="store_true", help="delete every object and version first")
    p.set_defaults(func=rb)


# ------------------------------------------------------------------ commands
def ls(args: argparse.Namespace) -> int:
    with connected(args) as cloud:
        if not args.path:
            buckets = cloud.list_buckets()
            if structured(args):
                emit(args, buckets)
                return 0
            rows = [
                {
                    "name": b.name,
                    "versioning": b.config.versioning,
                    "public": b.config.public_read,
                    "created": b.created_at.isoformat(timespec="seconds") if b.created_at else "",
                }
                for b in buckets
            ]
            emit(args, rows, columns=["name", "versioning", "public", "created"], title="buckets")
            return 0
        bucket, prefix = split_object(args.path, key_required=False)
        objects = list(cloud.list_objects(bucket, prefix or None))
    if structured(args):
        emit(args, objects)
        return 0
    rows = [
        {
            "key": o.key,
            "size": human_bytes(o.size),
            "modified": o.modified_at.isoformat(timespec="seconds") if o.modified_at else "",
            "checksum": o.checksum or "",
        }
        for o in objects
    ]
    emit(args, rows, columns=["key", "size", "modified", "checksum"], title=f"{bucket}/{prefix}")
    return 0


def _target_key(dst_key: str, src_name: str) -> str:
    """The key to write: ``dst_key``, or the source's name under it when it ends with ``/``."""
    if not dst_key or dst_key.endswith("/"):
        if not src_name:
            raise ConfigurationError("cp: name the destination key", field="dst")
        return dst_key + src_name
    return dst_key


def cp(args: argparse.Namespace) -> int:
    src_remote, dst_remote = args.src.startswith(SCHEME), args.dst.startswith(SCHEME)
    meta = parse_pairs(args.metadata, "metadata")
    if not src_remote and not dst_remote:
        raise ConfigurationError(
            f"cp: name an object as {SCHEME}BUCKET/KEY on at least one side", field="src"
        )
    if not src_remote and args.version:
        raise ConfigurationError("--version: only for an object source", field="version")
    with connected(args) as cloud:
        if src_remote and dst_remote:
            bucket, key = split_object(args.src)
            dest, dest_key = split_object(args.dst, key_required=False)
            if args.version:
                raise ConfigurationError(
                    "--version: a bucket-to-bucket copy reads the latest version", field="version"
                )
            info = cloud.copy_object(bucket, key, _target_key(dest_key, key.rsplit("/")[-1]), dest)
            _report(args, f"copied {args.src} to {SCHEME}{info.bucket}/{info.key}", info)
        elif dst_remote:
            info = _upload(cloud, args, meta)
            _report(args, f"uploaded to {SCHEME}{info.bucket}/{info.key}", info)
        else:
            info = _download(cloud, args)
            _report(args, f"downloaded {args.src}", info)
    return 0


def _report(args: argparse.Namespace, text: str, info: Any) -> None:
    if structured(args):
        emit(args, info)
    else:
        print(
            f"{text} ({human_bytes(info.size)}, {info.checksum or 'no checksum'})", file=sys.stderr
        )


def _upload(cloud: Any, args: argparse.Namespace, meta: dict[str, str]) -> Any:
    bucket, key = split_object(args.dst, key_required=False)
    if args.src == "-":
        key = _target_key(key, "")
        label = f"stdin -> {SCHEME}{bucket}/{key}"
        progress = progress_for(label, None, quiet=args.quiet)
        progress.phase("upload")
        info = cloud.put_object(bucket, key, sys.stdin.buffer, args.content_type, meta or None)
        progress.advance(info.size)
        progress.finish()
        return info
    path = Path(args.src)
    if not path.is_file():
        raise ConfigurationError(f"cp: {args.src!r} is not a file", field="src")
    key = _target_key(key, path.name)
    progress = progress_for(
        f"{path} -> {SCHEME}{bucket}/{key}", path.stat().st_size, quiet=args.quiet
    )
    with path.open("rb") as fh:
        info = cloud.put_object(
            bucket, key, ProgressReader(fh, progress), args.content_type, meta or None
        )
    progress.finish()
    return info


def _download(cloud: Any, args: argparse.Namespace) -> Any:
    bucket, key = split_object(args.src)
    if args.content_type or args.metadata:
        raise ConfigurationError("--content-type/--metadata: for uploads only", field="dst")
    reader = cloud.get_object(bucket, key, args.version)
    with reader:
        info = reader.info
        if args.dst == "-":
            progress = progress_for(f"{args.src} -> stdout", info.size, quiet=args.quiet)
            progress.phase("download")
            out = sys.stdout.buffer
            for chunk in reader.iter_chunks():  # verified at the end; stdout cannot roll back
                out.write(chunk)
                progress.advance(len(chunk))
            out.flush()
            progress.finish()
            return info
        target = Path(args.dst)
        if target.is_dir():
            target = target / key.rsplit("/")[-1]
        if not target.parent.is_dir():
            raise ConfigurationError(f"cp: the folder {str(target.parent)!r} does not exist")
        progress = progress_for(f"{args.src} -> {target}", info.size, quiet=args.quiet)
        progress.phase("download")
        tmp = target.with_name(f".{target.name}.cloudcore-{uuid.uuid4().hex[:8]}.part")
        try:
            with tmp.open("wb") as fh:
                for chunk in reader.iter_chunks():
                    fh.write(chunk)
                    progress.advance(len(chunk))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)  # only verified data reaches the destination
        finally:
            tmp.unlink(missing_ok=True)
        progress.finish()
    return info


def rm(args: argparse.Namespace) -> int:
    bucket, key = split_object(args.path)
    with connected(args) as cloud:
        cloud.delete_object(bucket, key, args.version)
    emit(args, {"deleted": f"{bucket}/{key}", "version": args.version})
    return 0


def presign(args: argparse.Namespace) -> int:
    bucket, key = split_object(args.path)
    method: Literal["GET", "PUT"] = "PUT" if args.put else "GET"
    with connected(args) as cloud:
        url = cloud.presign(bucket, key, method, args.expires, args.content_type)
    if structured(args):
        emit(args, {"url": url, "method": method, "expires_in": args.expires})
    else:
        print(url)
    return 0


def mb(args: argparse.Namespace) -> int:
    from ..models.storage import BucketConfig, LifecycleRule

    rules = []
    for item in args.expire or ():
        prefix, sep, days = item.rpartition("=")
        if not sep or not days.isdigit():
            raise ConfigurationError(
                f"--expire: expected PREFIX=DAYS, got {item!r}", field="expire"
            )
        rules.append(LifecycleRule(prefix=prefix, expire_days=int(days)))
    config = BucketConfig(
        name=args.name,
        versioning=args.versioning,
        public_read=args.public,
        lifecycle=tuple(rules),
        cors_origins=tuple(args.cors or ()),
        tags=parse_pairs(args.tag, "tag"),
    )
    with connected(args) as cloud:
        bucket = cloud.create_bucket(config)
    emit(args, bucket.model_dump(mode="json") if structured(args) else bucket.config)
    return 0


def rb(args: argparse.Namespace) -> int:
    with connected(args) as cloud:
        cloud.delete_bucket(args.name, force=args.force)
    emit(args, {"deleted": args.name})
    return 0
