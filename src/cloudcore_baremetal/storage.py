"""Object storage on a host: the directory store (:mod:`._dirstore`) plus its presign endpoint.

Buckets live under ``<state_dir>/storage/buckets`` on the storage host (the first host of the
inventory; this machine for ``local``). The ``local`` driver reads and writes the files
directly; the ``baremetal`` driver streams them over SFTP on its SSH connection (same layout,
same code, another :class:`~._dirstore.StoreFS`). Every operation is one counted call through the
host's transport, so injected faults and the wire events work as for commands.

Presigned URLs are served by :mod:`._objectd`, run under the host's process manager (cloudcore's
supervisord, or systemd) as program ``cc-objects``; it starts with the first ``presign`` and
keeps running (a restart keeps its port, so issued URLs stay valid until they expire).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cloudcore._objectio import CHUNK, ObjectSource, ObjectStream
from cloudcore.errors import AlreadyExists, CloudcoreError, Conflict, NotFound
from cloudcore.models import MANAGED_BY_KEY, MANAGED_BY_VALUE, NAME_TAG_KEY, utcnow
from cloudcore.models.storage import Bucket, BucketConfig, ObjectInfo

from . import _objectd
from ._dirstore import DirStore, LocalFS, StoreError, StoreFS, managed
from ._rollout import wait_settled
from ._runfiles import ENV_FILE, env_file, run_script
from .managers import Program, manager_for

if TYPE_CHECKING:
    from .inventory import Host

__all__ = ["ObjectStore", "StorageHooks"]

PROGRAM = "cc-objects"
_SOURCES = ("_dirstore.py", "_objectd.py")


def _token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _untoken(token: str) -> str:
    return base64.urlsafe_b64decode(token.encode()).decode()


class ObjectStore:
    """The buckets on one host and its presign endpoint.

    Args:
        host: The storage host.
        fs: How its files are reached.
        provider: The driver name (events).
        bind: Address the endpoint listens on.
        port: Its port (``0``: any free port, kept across restarts).
        public_url: Base URL clients use (default ``http://<host address>:<port>``).
        page_size: Objects per ``list_objects`` page.
    """

    def __init__(
        self,
        host: Host,
        fs: StoreFS,
        *,
        bind: str,
        port: int,
        public_url: str | None,
        page_size: int,
    ) -> None:
        self.host = host
        self.fs = fs
        self.bind = bind
        self.port = port
        self.public_url = public_url.rstrip("/") if public_url else None
        self.page_size = page_size
        self.endpoint_dir = host.path("storage", "endpoint")
        self.store = DirStore(fs, host.path("storage", "buckets"), self._account)
        self._secret: bytes | None = None

    def close(self) -> None:
        """Close the file connection (SFTP)."""
        closer = getattr(self.fs, "close", None)
        if closer is not None:
            closer()

    def _account(self, api: str, mutating: bool) -> None:
        service = "fs" if isinstance(self.fs, LocalFS) else "sftp"
        self.host.transport.account(api, mutating=mutating, service=service)

    # ------------------------------------------------------------ models
    def _bucket(self, name: str, doc: dict[str, Any]) -> Bucket:
        config = BucketConfig.model_validate(doc["config"])
        base = self._known_endpoint() if config.public_read else None
        return Bucket(
            name=name,
            config=config,
            url=f"{base}/{name}" if base else None,
            region=self.host.name,
            created_at=datetime.fromisoformat(doc["created"]),
        )

    @staticmethod
    def info(bucket: str, doc: dict[str, Any]) -> ObjectInfo:
        """The :class:`ObjectInfo` of a version's sidecar."""
        return ObjectInfo(
            bucket=bucket,
            key=doc["key"],
            size=doc["size"],
            checksum=f"sha256:{doc['sha256']}",
            etag=f'"{doc["sha256"][:32]}"',
            version=doc["version"],
            content_type=doc["content_type"],
            metadata=doc["metadata"],
            modified_at=datetime.fromisoformat(doc["modified"]),
        )

    # ------------------------------------------------------------ buckets
    def create_bucket(self, config: BucketConfig) -> Bucket:
        """Create or converge; zero writes when ``bucket.json`` already says ``config``."""
        self._account("HeadBucket", False)
        doc = self.store.bucket_doc(config.name)
        if doc is not None and not managed(doc):
            raise AlreadyExists(
                f"bucket {config.name!r} exists and is not managed by cloudcore; it is left alone"
            )
        tags = {**config.tags, MANAGED_BY_KEY: MANAGED_BY_VALUE, NAME_TAG_KEY: config.name}
        want = {
            "config": config.model_dump(mode="json"),
            "tags": tags,
            "created": doc["created"] if doc else utcnow().isoformat(),
        }
        if doc != want:
            self.store.write_bucket(config.name, want)
        if config.lifecycle:
            self.ensure_endpoint()  # it runs the expiry rules
        return self._bucket(config.name, want)

    def get_bucket(self, name: str) -> Bucket:
        """A managed bucket read back."""
        self._account("HeadBucket", False)
        return self._bucket(name, self.store.managed_bucket(name))

    def delete_bucket(self, name: str, force: bool) -> None:
        """Delete a managed bucket (see the capability's promises)."""
        self._account("HeadBucket", False)
        doc = self.store.bucket_doc(name)
        if doc is None:
            return
        if not managed(doc):
            raise Conflict(
                f"bucket {name!r} exists but is not managed by cloudcore; "
                "cloudcore never deletes what it does not manage"
            )
        if not force and not self.store.is_empty(name):
            raise Conflict(
                f"bucket {name!r} is not empty; delete_bucket(..., force=True) deletes its objects"
            )
        self.store.remove_bucket(name)

    def list_buckets(self) -> list[Bucket]:
        """Every managed bucket."""
        self._account("ListBuckets", False)
        out = []
        for name in self.store.bucket_names():
            doc = self.store.bucket_doc(name)
            if managed(doc):
                assert doc is not None
                out.append(self._bucket(name, doc))
        return out

    # ------------------------------------------------------------ objects
    def put(
        self,
        bucket: str,
        key: str,
        source: ObjectSource,
        content_type: str | None,
        metadata: dict[str, str],
    ) -> ObjectInfo:
        """Stream ``source`` into a new version, checked against its SHA-256 and size."""

        def chunks() -> Iterator[bytes]:
            with source.open() as fh:
                while block := fh.read(CHUNK):
                    yield block

        doc = self.store.put(
            bucket,
            key,
            chunks(),
            content_type=content_type,
            metadata=metadata,
            expect_sha256=source.sha256,
            expect_size=source.size,
        )
        return self.info(bucket, doc)

    def open(self, bucket: str, key: str, version: str | None) -> ObjectStream:
        """A version's info and bytes (verified by the reader against the sidecar)."""
        doc, chunks, close = self.store.open(bucket, key, version)
        return ObjectStream(self.info(bucket, doc), chunks, close=close)

    def head(self, bucket: str, key: str, version: str | None) -> ObjectInfo:
        """A version's info."""
        return self.info(bucket, self.store.head(bucket, key, version))

    def list_page(
        self, bucket: str, prefix: str | None, token: str | None
    ) -> tuple[list[ObjectInfo], str | None]:
        """One page in key order and the next page's token."""
        docs, more = self.store.list_page(
            bucket, prefix, _untoken(token) if token else None, self.page_size
        )
        items = [self.info(bucket, d) for d in docs]
        return items, (_token(docs[-1]["key"]) if more and docs else None)

    def delete(self, bucket: str, key: str, version: str | None) -> None:
        """Delete (quietly when gone)."""
        self.store.delete(bucket, key, version)

    def copy(self, bucket: str, key: str, dest: str, new_key: str) -> ObjectInfo:
        """Copy on the host (bytes checked against the source's SHA-256)."""
        self.store.managed_bucket(dest)
        return self.info(dest, self.store.copy(bucket, key, dest, new_key))

    # ------------------------------------------------------------ presign
    def presign(
        self, bucket: str, key: str, method: str, expires_in: int, content_type: str | None
    ) -> str:
        """A signed URL on the running endpoint (started first when needed)."""
        self._account("HeadBucket", False)
        self.store.managed_bucket(bucket)
        base = self.ensure_endpoint()
        assert self._secret is not None
        return _objectd.sign_url(base, self._secret, method, bucket, key, expires_in, content_type)

    def _known_endpoint(self) -> str | None:
        base = self.host.fact("objects_endpoint")
        return str(base) if base else None

    def ensure_endpoint(self) -> str:
        """Install and start the endpoint unless it answers; returns its base URL."""
        known = self._known_endpoint()
        if known and self._secret is not None:
            return known
        with self.host.lock:
            return self._ensure_endpoint()

    def _ensure_endpoint(self) -> str:
        d = self.endpoint_dir
        raw = self.fs.read(f"{d}/hmac.key")
        if raw is None:
            self._account("PutEndpointKey", True)
            raw = secrets.token_hex(32).encode()
            self.fs.write_atomic(f"{d}/hmac.key", [raw])
        self._secret = bytes.fromhex(raw.decode().strip())
        here = Path(__file__).parent
        python = str(self.host.fact("python") or "python3")
        files = {name: (here / name).read_bytes() for name in _SOURCES}
        files["endpoint.json"] = json.dumps({"bind": self.bind, "port": self.port}).encode()
        files[ENV_FILE] = env_file({})
        files["run.sh"] = run_script(
            workdir=d, argv=[python, f"{d}/_objectd.py", d, self.store.root]
        )
        changed = False
        for name, content in files.items():
            if self.fs.read(f"{d}/{name}") != content:
                self._account("PutEndpointFile", True)
                self.fs.write_atomic(f"{d}/{name}", [content])
                changed = True
        prog = Program(name=PROGRAM, workdir=d, replicas=1, description="cloudcore objects")
        mgr = manager_for(self.host)
        applied = mgr.apply(prog)
        states = mgr.status(prog)
        if changed and not applied and states:
            mgr.restart(prog, 0)
        elif not states or not states[0].up:
            mgr.start_missing(prog, states)
        base = self._wait_listening(d)
        # answering is not yet running: supervisord counts it only past its start time, and a
        # process that dies within it is restarted (or given up on) behind our back
        wait_settled(self.host, prog, "the object endpoint")
        self.host.set_fact("objects_endpoint", base)
        return base

    def _wait_listening(self, d: str) -> str:
        deadline = time.monotonic() + 20
        last = ""
        while time.monotonic() < deadline:
            raw = self.fs.read(f"{d}/listening.json")
            if raw:
                port = int(json.loads(raw)["port"])
                base = self.public_url or f"http://{self.host.address}:{port}"
                try:
                    with urllib.request.urlopen(f"{base}/-/health", timeout=2) as resp:  # noqa: S310
                        if resp.status == 200:
                            return base
                except (OSError, urllib.error.URLError) as exc:
                    last = str(exc)
            time.sleep(0.1)
        raise TimeoutError(f"the object endpoint on {self.host.name} did not answer: {last}")


class StorageHooks:
    """The ``storage`` hooks of the bare-metal providers (mixed into the provider class)."""

    _objects: ObjectStore | None = None
    _objects_lock = threading.Lock()

    @property
    def objects(self) -> ObjectStore:
        """The object store (made on first use, once even when threads race to it)."""
        if self._objects is None:
            with self._objects_lock:
                if self._objects is None:
                    self._objects = self._object_store()
        return self._objects

    def _object_store(self) -> ObjectStore:
        raise NotImplementedError  # pragma: no cover - both providers define it

    def _create_bucket(self, config: BucketConfig) -> Bucket:
        return self.objects.create_bucket(config)

    def _get_bucket(self, name: str) -> Bucket:
        return self.objects.get_bucket(name)

    def _delete_bucket(self, name: str, force: bool) -> None:
        self.objects.delete_bucket(name, force)

    def _list_buckets(self) -> list[Bucket]:
        return self.objects.list_buckets()

    def _put_object(
        self,
        bucket: str,
        key: str,
        source: ObjectSource,
        content_type: str | None,
        metadata: dict[str, str],
    ) -> ObjectInfo:
        return self.objects.put(bucket, key, source, content_type, metadata)

    def _open_object(self, bucket: str, key: str, version: str | None) -> ObjectStream:
        return self.objects.open(bucket, key, version)

    def _head_object(self, bucket: str, key: str, version: str | None) -> ObjectInfo:
        return self.objects.head(bucket, key, version)

    def _list_objects(
        self, bucket: str, prefix: str | None, page_token: str | None
    ) -> tuple[list[ObjectInfo], str | None]:
        return self.objects.list_page(bucket, prefix, page_token)

    def _delete_object(self, bucket: str, key: str, version: str | None) -> None:
        self.objects.delete(bucket, key, version)

    def _copy_object(self, bucket: str, key: str, dest_bucket: str, new_key: str) -> ObjectInfo:
        return self.objects.copy(bucket, key, dest_bucket, new_key)

    def _presign(
        self,
        bucket: str,
        key: str,
        method: Literal["GET", "PUT"],
        expires_in: int,
        content_type: str | None,
    ) -> str:
        return self.objects.presign(bucket, key, method, expires_in, content_type)


def store_error(exc: StoreError) -> CloudcoreError:
    """The cloudcore error of a refused store operation."""
    from cloudcore.errors import IntegrityError, TransientError

    if exc.code.startswith("NoSuch"):
        return NotFound(str(exc))
    if exc.code == "BadDigest":
        return IntegrityError(str(exc))
    if exc.code == "SlowDown":
        return TransientError(str(exc))
    return Conflict(str(exc))
