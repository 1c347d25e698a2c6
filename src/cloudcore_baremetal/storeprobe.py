"""The storage suite's view behind the driver's back: buckets cloudcore does not manage, and
object bytes damaged on disk (what a bad disk does), on a directory store."""

from __future__ import annotations

from collections.abc import Mapping

from ._dirstore import DirStore

__all__ = ["DirStoreProbe"]


class DirStoreProbe:
    """A :class:`~cloudcore.testing.probes.BucketSeeder` and
    :class:`~cloudcore.testing.probes.ObjectCorrupter` for one :class:`DirStore`."""

    def __init__(self, store: DirStore) -> None:
        self.store = store

    def _doc(self, name: str, tags: dict[str, str]) -> dict[str, object]:
        config = {
            "name": name,
            "versioning": False,
            "public_read": False,
            "lifecycle": [],
            "cors_origins": [],
            "tags": {},
            "extras": {},
        }
        return {"config": config, "tags": tags, "created": "2026-01-01T00:00:00+00:00"}

    def create_unmanaged_bucket(self, name: str, objects: Mapping[str, bytes]) -> None:
        """A bucket another tool made: written as managed, filled, then the mark removed."""
        self.store.write_bucket(name, self._doc(name, {"managed-by": "cloudcore"}))
        for key, data in objects.items():
            self.store.put(name, key, [data], content_type=None, metadata={})
        self.store.write_bucket(name, self._doc(name, {"owner": "someone-else"}))

    def read_unmanaged_bucket(self, name: str) -> dict[str, bytes] | None:
        """Current objects of the bucket, managed or not."""
        if self.store.bucket_doc(name) is None:
            return None
        latest: dict[str, dict[str, object]] = {}
        for doc in self.store.fs.docs(f"{self.store.bucket_path(name)}/objects"):
            have = latest.get(str(doc["key"]))
            if have is None or str(doc["vid"]) > str(have["vid"]):
                latest[str(doc["key"])] = doc
        out = {}
        for key, doc in latest.items():
            if not doc["marker"]:
                chunks, close = self.store.fs.open_chunks(self.store.data_path(name, doc))
                out[key] = b"".join(chunks)
                close()
        return out

    def remove_unmanaged_bucket(self, name: str) -> None:
        """Delete the bucket's folder (quietly when gone)."""
        self.store.remove_bucket(name)

    def corrupt_object(self, bucket: str, key: str, *, truncate: bool = False) -> None:
        """Flip the first byte (or drop the last) of the latest version, sidecar unchanged."""
        doc = self.store.find(bucket, key, None)
        path = self.store.data_path(bucket, doc)
        chunks, close = self.store.fs.open_chunks(path)
        data = b"".join(chunks)
        close()
        bad = data[:-1] if truncate else bytes([data[0] ^ 0xFF]) + data[1:]
        self.store.fs.write_atomic(path, [bad])
