"""Conformance tests for the ``storage`` capability: buckets, presigned URLs, integrity, and
the buckets cloudcore does not manage (objects: :mod:`.storage_objects`)."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ...errors import AlreadyExists, Conflict, IntegrityError, NotFound
from ...models.storage import BucketConfig, LifecycleRule
from ..probes import bucket_seeder_for, corrupter_for
from ._base import ConformanceOptions, Names, not_testable, requires
from ._storage import S, bucket, config_with_features, http, no_writes_anywhere, read
from .storage_objects import StorageObjectsSuite

__all__ = ["StorageSuite"]


def _steps(provider: Any, name: str) -> list[tuple[str, BucketConfig]]:
    """Configs changing one field at a time, there and back, for the declared features."""
    have = provider.features.get(S, frozenset())
    cfg = BucketConfig(name=name)
    steps: list[tuple[str, BucketConfig]] = []

    def step(what: str, **change: Any) -> None:
        nonlocal cfg
        cfg = cfg.model_copy(update=change)
        steps.append((what, BucketConfig.model_validate(cfg.model_dump())))

    step("tags added", tags={"stage": "one"})
    step("tags changed", tags={"stage": "two", "owner": "suite"})
    if "versioning" in have:
        step("versioning on", versioning=True)
    if "lifecycle" in have:
        step("lifecycle added", lifecycle=(LifecycleRule(prefix="tmp/", expire_days=1),))
        step(
            "lifecycle changed",
            lifecycle=(
                LifecycleRule(prefix="tmp/", expire_days=2),
                LifecycleRule(prefix="", expire_days=365),
            ),
        )
    if "cors" in have:
        step("cors added", cors_origins=("https://app.example.com",))
        step("cors changed", cors_origins=("https://app.example.com", "https://*.example.org"))
    if "public" in have:
        step("public on", public_read=True)
        step("public off", public_read=False)
    if "cors" in have:
        step("cors removed", cors_origins=())
    if "lifecycle" in have:
        step("lifecycle removed", lifecycle=())
    if "versioning" in have:
        step("versioning off (suspended)", versioning=False)
    step("tags removed", tags={})
    return steps


class StorageSuite(StorageObjectsSuite):
    """Storage: buckets converge one field at a time and idempotently, read back what was
    created, refuse to delete a non-empty bucket without ``force``, never touch buckets cloudcore
    does not manage; presigned URLs work with plain HTTP and expire; corrupted data is an
    ``IntegrityError``; nothing is left behind."""

    @requires(S)
    def test_storage_create_bucket_is_idempotent(
        self, provider: Any, conformance_names: Names
    ) -> None:
        name = conformance_names.name(conformance_names.unique("idem"))
        config = config_with_features(provider, name)
        try:
            made = provider.create_bucket(config)
            assert made.name == name and made.config == config, made
            with no_writes_anywhere(provider, "create_bucket with an unchanged config"):
                again = provider.create_bucket(config)
                also = provider.create_bucket(config.model_dump())
            assert again.config == also.config == config
            assert [b.name for b in provider.list_buckets()].count(name) == 1
        finally:
            provider.delete_bucket(name, force=True)

    @requires(S)
    def test_storage_bucket_converges_field_by_field(
        self, provider: Any, conformance_names: Names
    ) -> None:
        name = conformance_names.name(conformance_names.unique("converge"))
        provider.create_bucket(BucketConfig(name=name))
        try:
            for what, config in _steps(provider, name):
                made = provider.create_bucket(config)
                assert made.config == config, f"{what}: create_bucket returned {made.config}"
                got = provider.get_bucket(name).config
                assert got == config, f"{what}: read back {got}, want {config}"
                listed = [b.config for b in provider.list_buckets() if b.name == name]
                assert listed == [config], f"{what}: list_buckets shows {listed}"
        finally:
            provider.delete_bucket(name, force=True)

    @requires(S)
    def test_storage_get_bucket_round_trip(self, provider: Any, conformance_names: Names) -> None:
        """What ``get_bucket`` reads back is the config created, and creating it again is a
        no-op."""
        name = conformance_names.name(conformance_names.unique("read-back"))
        config = config_with_features(provider, name)
        try:
            provider.create_bucket(config)
            got = provider.get_bucket(name)
            assert got.name == name and got.config == config, f"read back {got.config}"
            with no_writes_anywhere(provider, "create_bucket(get_bucket(name).config)"):
                provider.create_bucket(got.config)
        finally:
            provider.delete_bucket(name, force=True)

    @requires(S)
    def test_storage_delete_bucket_refuses_non_empty(
        self, provider: Any, conformance_names: Names
    ) -> None:
        name = conformance_names.name(conformance_names.unique("non-empty"))
        provider.create_bucket(BucketConfig(name=name))
        try:
            provider.put_object(name, "keep/me.txt", b"precious")
            with pytest.raises(Conflict):
                provider.delete_bucket(name)
            assert read(provider, name, "keep/me.txt") == b"precious", "data lost on refusal"
            assert name in [b.name for b in provider.list_buckets()]
            provider.delete_bucket(name, force=True)
            with pytest.raises(NotFound):
                provider.get_bucket(name)
            assert name not in [b.name for b in provider.list_buckets()]
            provider.delete_bucket(name)  # already gone: must succeed
            provider.delete_bucket(name, force=True)
        finally:
            provider.delete_bucket(name, force=True)
        if provider.supports(S, "versioning"):  # force also removes old versions and markers
            with bucket(provider, conformance_names, "force-versions", versioning=True) as vb:
                provider.put_object(vb, "k", b"1")
                provider.put_object(vb, "k", b"2")
                provider.delete_object(vb, "k")
            with pytest.raises(NotFound):
                provider.get_bucket(vb)

    @requires(S)
    def test_storage_unmanaged_buckets_untouched(
        self, provider: Any, conformance_names: Names
    ) -> None:
        seeder = bucket_seeder_for(provider)
        if seeder is None:
            not_testable("the target attaches no BucketSeeder (cloudcore.testing.probes)")
        assert seeder is not None
        name = conformance_names.name(conformance_names.unique("not-ours"))
        objects = {"keep.txt": b"not cloudcore's", "dir/data.bin": bytes(range(256))}
        seeder.create_unmanaged_bucket(name, objects)
        try:
            assert name not in [b.name for b in provider.list_buckets()], "listed as managed"
            with pytest.raises(NotFound):
                provider.get_bucket(name)
            with pytest.raises(AlreadyExists):
                provider.create_bucket(BucketConfig(name=name, tags={"taken": "over"}))
            for force in (False, True):
                with pytest.raises((Conflict, NotFound)):
                    provider.delete_bucket(name, force=force)
            calls: list[Callable[[], Any]] = [
                lambda: provider.put_object(name, "keep.txt", b"overwritten"),
                lambda: provider.put_object(name, "new.txt", b"added"),
                lambda: provider.get_object(name, "keep.txt"),
                lambda: provider.head_object(name, "keep.txt"),
                lambda: provider.list_objects(name),
                lambda: provider.delete_object(name, "keep.txt"),
                lambda: provider.copy_object(name, "keep.txt", "copy.txt"),
            ]
            for call in calls:
                with pytest.raises(NotFound):
                    call()
            if provider.supports(S, "presign"):
                self._presign_refused_for_unmanaged(provider, name)
            if provider.supports("discovery"):
                found = [r.name for r in provider.list_resources("bucket")]
                assert name not in found, "discovery lists a bucket cloudcore does not manage"
            assert seeder.read_unmanaged_bucket(name) == objects, "an unmanaged bucket changed"
        finally:
            seeder.remove_unmanaged_bucket(name)

    @staticmethod
    def _presign_refused_for_unmanaged(provider: Any, name: str) -> None:
        try:
            url = provider.presign(name, "keep.txt", "PUT", expires_in=60)
        except NotFound:
            return
        status, _ = http(url, "PUT", b"overwritten through a URL")
        assert status >= 400, "a presigned URL wrote into a bucket cloudcore does not manage"

    @requires(S, "presign")
    def test_storage_presign_put_then_get(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        """What a browser upload does: the app presigns a PUT, a plain HTTP client with no
        credentials uploads, the app reads it back with a matching checksum; then a presigned
        GET serves it."""
        size = conformance_options.presign_upload_bytes
        data = os.urandom(size)
        digest = hashlib.sha256(data).hexdigest()
        with bucket(provider, conformance_names, "presign") as name:
            url = provider.presign(name, "uploads/photo.jpg", "PUT", expires_in=600)
            status, body = http(url, "PUT", data)
            assert status == 200, f"presigned PUT answered {status}: {body[:300]!r}"
            back = read(provider, name, "uploads/photo.jpg")
            assert len(back) == size and hashlib.sha256(back).hexdigest() == digest
            head = provider.head_object(name, "uploads/photo.jpg")
            assert head.size == size
            if head.checksum and head.checksum.startswith("sha256:"):
                assert head.checksum == f"sha256:{digest}", "the recorded checksum is wrong"
            status, body = http(provider.presign(name, "uploads/photo.jpg", expires_in=600))
            assert status == 200 and hashlib.sha256(body).hexdigest() == digest
            typed = provider.presign(name, "t.csv", "PUT", 600, content_type="text/csv")
            status, body = http(typed, "PUT", b"a,b\n", content_type="text/csv")
            assert status == 200, f"PUT with the signed content type answered {status}: {body!r}"
            assert provider.head_object(name, "t.csv").content_type == "text/csv"

    @requires(S, "presign")
    def test_storage_presign_expired_refused(self, provider: Any, conformance_names: Names) -> None:
        with bucket(provider, conformance_names, "expiry") as name:
            provider.put_object(name, "doc", b"original")
            start = time.time()
            get_url = provider.presign(name, "doc", "GET", expires_in=1)
            put_url = provider.presign(name, "doc", "PUT", expires_in=1)
            fresh = provider.presign(name, "doc", "GET", expires_in=600)
            time.sleep(max(0.0, start + 2.5 - time.time()))
            status, _ = http(get_url)
            assert status in (400, 401, 403), f"an expired GET URL answered {status}"
            status, _ = http(put_url, "PUT", b"replaced after expiry")
            assert status in (400, 401, 403), f"an expired PUT URL answered {status}"
            assert read(provider, name, "doc") == b"original", "an expired URL wrote data"
            status, body = http(fresh)
            assert (status, body) == (200, b"original"), "a valid URL stopped working"

    @requires(S)
    def test_storage_integrity_corruption_is_an_error(
        self, provider: Any, conformance_names: Names, tmp_path: Path
    ) -> None:
        corrupter = corrupter_for(provider)
        if corrupter is None:
            not_testable("the target attaches no ObjectCorrupter (cloudcore.testing.probes)")
        assert corrupter is not None
        content = b"integrity matters " * 1000
        with bucket(provider, conformance_names, "integrity") as name:
            for key, truncate in (("flipped", False), ("truncated", True)):
                provider.put_object(name, key, content)
                corrupter.corrupt_object(name, key, truncate=truncate)
                with pytest.raises(IntegrityError), provider.get_object(name, key) as reader:
                    reader.read()
                with pytest.raises(IntegrityError), provider.get_object(name, key) as reader:
                    for _chunk in reader.iter_chunks():
                        pass
                target = tmp_path / f"{key}.out"
                with pytest.raises(IntegrityError):
                    provider.download_object(name, key, target)
                assert not target.exists(), f"{key}: corrupted data reached the download path"
                assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]

    @requires(S)
    def test_storage_zz_nothing_left_behind(self, provider: Any, conformance_names: Names) -> None:
        left = [b.name for b in provider.list_buckets() if b.name.startswith(conformance_names.run)]
        assert not left, f"the suite left buckets behind: {left[:5]}"
