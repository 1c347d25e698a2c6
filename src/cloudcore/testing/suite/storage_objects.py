"""Conformance tests for ``storage`` objects: round trips, keys, listing, versions, errors."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ...errors import NotFound
from ..faults import Fault
from ._base import (
    ConformanceOptions,
    Names,
    SuiteBase,
    exhaust,
    fast_retries,
    fault_injector,
    parallel,
    requires,
    retried_read,
)
from ._storage import S, Unseekable, bucket, no_requests, read, refused, sha256

BAD_KEYS = (
    "../escape",
    "a/../b",
    "/leading-slash",
    "a//b",
    "trailing/",
    ".",
    "a/./b",
    "nul\x00byte",
    "line\nfeed",
    "carriage\rreturn",
    "tab\tkey",
    "del\x7fkey",
    "",
    "x" * 1025,
)
BAD_BUCKETS = (
    "UPPER",
    "under_score",
    "ab",
    "x" * 64,
    "192.168.1.1",
    "-leading",
    "trailing-",
    "dot.ted",
    "sp ace",
    "xn--punycode",
    "goog-reserved",
    "my-google-bucket",
    "name-s3alias",
)


Call = tuple[str, str, Callable[[], Any]]


def _key_calls(provider: Any, name: str, key: str) -> list[Call]:
    """Every call taking an object key, with ``key``: ``(what, field named, call)``."""
    calls: list[Call] = [
        ("put_object", "key", lambda: provider.put_object(name, key, b"x")),
        ("get_object", "key", lambda: provider.get_object(name, key)),
        ("head_object", "key", lambda: provider.head_object(name, key)),
        ("delete_object", "key", lambda: provider.delete_object(name, key)),
        ("copy_object", "key", lambda: provider.copy_object(name, key, "ok")),
        ("copy_object", "new_key", lambda: provider.copy_object(name, "ok", key)),
        ("download_object", "key", lambda: provider.download_object(name, key, "x")),
    ]
    if provider.supports(S, "presign"):
        calls.append(("presign", "key", lambda: provider.presign(name, key)))
    return [(f"{op} with key {key!r}", field, call) for op, field, call in calls]


def _bucket_calls(provider: Any, name: str, bad: str) -> list[Call]:
    """Every call taking a bucket name, with the invalid name ``bad``."""
    calls: list[Call] = [
        ("create_bucket", "name", lambda: provider.create_bucket({"name": bad})),
        ("delete_bucket", "name", lambda: provider.delete_bucket(bad)),
        ("get_bucket", "name", lambda: provider.get_bucket(bad)),
        ("put_object", "bucket", lambda: provider.put_object(bad, "k", b"")),
        ("list_objects", "bucket", lambda: provider.list_objects(bad)),
        ("copy_object", "dest_bucket", lambda: provider.copy_object(name, "k", "k", bad)),
    ]
    return [(f"{op} of bucket {bad!r}", field, call) for op, field, call in calls]


def _argument_calls(provider: Any, name: str) -> list[Call]:
    """Calls with one invalid argument besides keys and bucket names."""
    put = provider.put_object
    calls: list[Call] = [
        ("content type 'x'", "content_type", lambda: put(name, "k", b"", content_type="x")),
        ("metadata key 'A B'", "metadata", lambda: put(name, "k", b"", metadata={"A B": "v"})),
        ("metadata value LF", "metadata", lambda: put(name, "k", b"", metadata={"k": "\n"})),
        ("data 12345", "data", lambda: put(name, "k", 12345)),
        ("data as a missing path", "data", lambda: put(name, "k", "/no/such/file/cct")),
        ("data as a text stream", "data", lambda: put(name, "k", io.StringIO("text"))),
        ("prefix with LF", "prefix", lambda: provider.list_objects(name, "bad\nprefix")),
        ("force='yes'", "force", lambda: provider.delete_bucket(name, force="yes")),
    ]
    if provider.supports(S, "presign"):
        calls += [
            ("method DELETE", "method", lambda: provider.presign(name, "k", "DELETE")),
            ("expires_in=0", "expires_in", lambda: provider.presign(name, "k", expires_in=0)),
            (
                "expires_in of 8 days",
                "expires_in",
                lambda: provider.presign(name, "k", expires_in=8 * 86400),
            ),
            (
                "content_type on a GET URL",
                "content_type",
                lambda: provider.presign(name, "k", content_type="a/b"),
            ),
        ]
    return calls


class StorageObjectsSuite(SuiteBase):
    """Objects: byte-exact round trips from every kind of input, keys, refused input, listing
    across pages and sibling prefixes, versions, deletes, copies, concurrency, faults."""

    @requires(S)
    def test_storage_object_round_trip(
        self,
        provider: Any,
        conformance_options: ConformanceOptions,
        conformance_names: Names,
        tmp_path: Path,
    ) -> None:
        """Empty, 1-byte, binary and multipart-sized objects come back byte-exact, whatever
        the input: bytes, a path, a file object (from its position), a stream that cannot seek."""
        threshold = conformance_options.multipart(provider)
        big = os.urandom(2 * threshold + 1)
        binary = bytes(range(256)) * 64 + os.urandom(4093)
        (tmp_path / "binary.bin").write_bytes(binary)
        positioned = io.BytesIO(b"SKIPPED:" + big)
        positioned.read(8)
        inputs: dict[str, tuple[bytes, Any]] = {
            "empty": (b"", b""),
            "one-byte": (b"\x00", b"\x00"),
            "binary-path": (binary, tmp_path / "binary.bin"),
            "binary-str-path": (binary, str(tmp_path / "binary.bin")),
            "multipart-fileobj": (big, positioned),
            "multipart-unseekable": (big, Unseekable(big)),
            "small-unseekable": (binary, Unseekable(binary)),
        }
        with bucket(provider, conformance_names, "rt") as name:
            for key, (content, data) in inputs.items():
                info = provider.put_object(name, key, data)
                assert (info.bucket, info.key, info.size) == (name, key, len(content)), key
                assert info.checksum == sha256(content), f"{key}: put must return its SHA-256"
                head = provider.head_object(name, key)
                assert head.size == len(content) and head.checksum == info.checksum, key
                assert head.content_type == "application/octet-stream", (key, head.content_type)
                got = read(provider, name, key)
                assert got == content, f"{key}: {len(got)} bytes back, {len(content)} written"
            path = tmp_path / "download.bin"
            info = provider.download_object(name, "multipart-fileobj", path)
            assert path.read_bytes() == big and info.size == len(big)
            typed = provider.put_object(
                name,
                "typed.csv",
                b"a,b\n1,2\n",
                content_type="text/csv; charset=utf-8",
                metadata={"owner": "conformance", "run": conformance_names.run},
            )
            head = provider.head_object(name, "typed.csv")
            assert head.content_type == typed.content_type == "text/csv; charset=utf-8"
            assert head.metadata == {"owner": "conformance", "run": conformance_names.run}
            with provider.get_object(name, "typed.csv") as reader:
                assert reader.info.metadata == head.metadata
                chunks = list(reader.iter_chunks())
            assert b"".join(chunks) == b"a,b\n1,2\n"

    @requires(S)
    def test_storage_keys_with_spaces_and_unicode(
        self, provider: Any, conformance_names: Names
    ) -> None:
        keys = [
            "with space/file name.txt",
            "ünïcødé/日本語/🔑.bin",
            "url-special/a+b=c&d?e#f%20g;h,i@j$k!l'm(n)o*p~q",
            "deep/" * 30 + "leaf",
            "dots.in.name/..hidden../x..y",
        ]
        keys.append("long/" + "é" * ((1024 - 5) // 2) + "x" * ((1024 - 5) % 2))
        assert len(keys[-1].encode()) == 1024
        with bucket(provider, conformance_names, "keys") as name:
            for key in keys:
                provider.put_object(name, key, key.encode())
            for key in keys:
                assert read(provider, name, key) == key.encode(), f"{key!r} did not round-trip"
                assert provider.head_object(name, key).key == key
            listed = [o.key for o in provider.list_objects(name)]
            assert listed == sorted(keys), f"listing changed the keys: {listed}"

    @requires(S)
    def test_storage_refused_input_makes_no_call(
        self, provider: Any, conformance_names: Names
    ) -> None:
        """Keys escaping a folder, control characters, bad bucket names and bad arguments are
        ``ConfigurationError`` naming the field, before any API call."""
        name = conformance_names.name("never-created")
        with no_requests(provider, "refused input"):
            for key in BAD_KEYS:
                for what, field, call in _key_calls(provider, name, key):
                    refused(call, field, what)
            for bad in BAD_BUCKETS:
                for what, field, call in _bucket_calls(provider, name, bad):
                    refused(call, field, what)
            for what, field, call in _argument_calls(provider, name):
                refused(call, field, what)

    @requires(S)
    def test_storage_list_pages(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        """Exactly one page, exactly two pages, and two pages plus one: nothing lost, nothing
        repeated, key order."""
        page = conformance_options.object_page(provider) or 25
        groups = {"p1/": page, "p2/": 2 * page, "p3/": 2 * page + 1}
        keys = [f"{prefix}{i:05d}" for prefix, n in groups.items() for i in range(n)]
        with bucket(provider, conformance_names, "pages") as name:
            parallel(
                lambda k: provider.put_object(name, k, k.encode()),
                keys,
                conformance_options.concurrency,
            )
            for prefix, count in groups.items():
                listed = [o.key for o in provider.list_objects(name, prefix)]
                assert len(listed) == count, f"prefix {prefix!r}: {len(listed)} of {count} listed"
                assert listed == sorted(k for k in keys if k.startswith(prefix)), prefix
            everything = list(provider.list_objects(name))
            assert [o.key for o in everything] == sorted(keys), "whole-bucket listing is wrong"
            assert all(o.bucket == name and o.size == len(o.key) for o in everything)

    @requires(S)
    def test_storage_list_sibling_prefixes(self, provider: Any, conformance_names: Names) -> None:
        """A prefix matches keys starting with it, nothing else: ``a/`` is not ``ab/``."""
        keys = ["a", "a/1", "a/2", "a/b/3", "a-b/1", "a0", "ab", "ab/1", "b/1"]
        want = {
            "a/": ["a/1", "a/2", "a/b/3"],
            "ab/": ["ab/1"],
            "a/b": ["a/b/3"],
            "a": sorted(k for k in keys if k.startswith("a")),
            "b/": ["b/1"],
            "zzz": [],
        }
        with bucket(provider, conformance_names, "siblings") as name:
            for key in keys:
                provider.put_object(name, key, b"v")
            for prefix, expected in want.items():
                got = [o.key for o in provider.list_objects(name, prefix)]
                assert got == expected, f"prefix {prefix!r}: listed {got}, want {expected}"
            assert [o.key for o in provider.list_objects(name)] == sorted(keys)
            assert [o.key for o in provider.list_objects(name, "")] == sorted(keys)

    @requires(S)
    def test_storage_missing_is_not_found(
        self, provider: Any, conformance_names: Names, tmp_path: Path
    ) -> None:
        missing = conformance_names.name("no-such-bucket")
        with bucket(provider, conformance_names, "missing") as name:
            assert list(provider.list_objects(name)) == [], "a new bucket must be empty"
            calls: list[Callable[[], Any]] = [
                lambda: provider.get_object(name, "nope"),
                lambda: provider.head_object(name, "nope"),
                lambda: provider.copy_object(name, "nope", "other"),
                lambda: provider.download_object(name, "nope", tmp_path / "out"),
            ]
            for call in calls:
                with pytest.raises(NotFound):
                    call()
            assert not (tmp_path / "out").exists(), "a failed download must not create a file"
        calls = [
            lambda: provider.get_bucket(missing),
            lambda: provider.list_objects(missing),
            lambda: provider.put_object(missing, "k", b"data"),
            lambda: provider.get_object(missing, "k"),
            lambda: provider.head_object(missing, "k"),
        ]
        for call in calls:
            with pytest.raises(NotFound):
                call()

    @requires(S)
    def test_storage_overwrite_reads_latest(self, provider: Any, conformance_names: Names) -> None:
        with bucket(provider, conformance_names, "overwrite") as name:
            provider.put_object(name, "k", b"first version")
            second = provider.put_object(name, "k", b"second")
            assert read(provider, name, "k") == b"second", "stale read after an overwrite"
            head = provider.head_object(name, "k")
            assert head.checksum == second.checksum == sha256(b"second")
            assert head.version is None, "an unversioned bucket has no version ids"
            listed = list(provider.list_objects(name))
            assert [(o.key, o.size) for o in listed] == [("k", 6)], listed

    @requires(S, "versioning")
    def test_storage_versions(self, provider: Any, conformance_names: Names) -> None:
        with bucket(provider, conformance_names, "versions", versioning=True) as name:
            v1 = provider.put_object(name, "doc", b"one")
            v2 = provider.put_object(name, "doc", b"two")
            assert v1.version and v2.version and v1.version != v2.version, (v1, v2)
            assert read(provider, name, "doc") == b"two", "the latest version is the last put"
            assert read(provider, name, "doc", v1.version) == b"one"
            assert read(provider, name, "doc", v2.version) == b"two"
            assert provider.head_object(name, "doc").version == v2.version
            assert provider.head_object(name, "doc", v1.version).checksum == sha256(b"one")
            provider.delete_object(name, "doc")
            with pytest.raises(NotFound):
                provider.get_object(name, "doc")
            assert [o.key for o in provider.list_objects(name)] == []
            assert read(provider, name, "doc", v1.version) == b"one", "a delete lost versions"
            provider.delete_object(name, "doc", v1.version)
            with pytest.raises(NotFound):
                provider.get_object(name, "doc", v1.version)
            assert read(provider, name, "doc", v2.version) == b"two"

    @requires(S)
    def test_storage_delete_missing_object_succeeds(
        self, provider: Any, conformance_names: Names
    ) -> None:
        with bucket(provider, conformance_names, "delete") as name:
            provider.delete_object(name, "never-written")
            provider.put_object(name, "short-lived", b"x")
            provider.delete_object(name, "short-lived")
            provider.delete_object(name, "short-lived")  # already gone: must succeed
            with pytest.raises(NotFound):
                provider.head_object(name, "short-lived")
            assert list(provider.list_objects(name)) == []

    @requires(S)
    def test_storage_copy_object(self, provider: Any, conformance_names: Names) -> None:
        meta = {"owner": "conformance"}
        with (
            bucket(provider, conformance_names, "copy-src") as src,
            bucket(provider, conformance_names, "copy-dst") as dst,
        ):
            info = provider.put_object(src, "orig", b"copy me", "text/plain", meta)
            for dest_bucket, key in ((None, "same-bucket"), (dst, "other-bucket")):
                copied = provider.copy_object(src, "orig", key, dest_bucket)
                where = dest_bucket or src
                assert (copied.bucket, copied.key) == (where, key)
                head = provider.head_object(where, key)
                assert (head.content_type, head.metadata) == ("text/plain", meta), head
                assert head.checksum == copied.checksum == info.checksum
                assert read(provider, where, key) == b"copy me"
            with pytest.raises(NotFound):
                provider.copy_object(src, "orig", "x", conformance_names.name("no-such-dst"))

    @requires(S)
    def test_storage_concurrent_puts(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        n = conformance_options.concurrency * 2
        payloads = [f"payload-{i}-".encode() * (i + 1) for i in range(n)]
        with bucket(provider, conformance_names, "concurrent") as name:
            parallel(lambda i: provider.put_object(name, f"k{i:03d}", payloads[i]), list(range(n)))
            for i in range(n):
                assert read(provider, name, f"k{i:03d}") == payloads[i], f"k{i:03d}: lost write"
            parallel(lambda p: provider.put_object(name, "one", p), payloads, n)
            final = read(provider, name, "one")
            assert final in payloads, "parallel puts to one key mixed their data"
            assert provider.head_object(name, "one").checksum == sha256(final)

    @requires(S)
    def test_storage_error_mapping_and_retries(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        """Throttling and 5xx map to RateLimited/TransientError; a read or a listing page that
        fails once is retried, and a listing resumed after a failed page loses nothing."""
        fault_injector(provider)
        page = conformance_options.object_page(provider)
        keys = [f"obj{i:04d}" for i in range((page or 3) + 2)]
        with bucket(provider, conformance_names, "faults") as name:
            parallel(lambda k: provider.put_object(name, k, k.encode()), keys)
            reads: dict[str, Callable[[], Any]] = {
                "get_object": lambda: read(provider, name, keys[0]),
                "head_object": lambda: provider.head_object(name, keys[0]).key,
                "list_objects": lambda: [o.key for o in provider.list_objects(name)],
            }
            for op, fn in reads.items():
                exhaust(provider, "throttle", fn, mutating=False, op=op)
                exhaust(provider, "transient", fn, mutating=False, op=op)
                expected = fn()
                for kind in ("throttle", "transient"):
                    assert retried_read(provider, kind, op, fn) == expected, f"{op} after {kind}"
            exhaust(
                provider,
                "throttle",
                lambda: provider.put_object(name, "w", b"w"),
                mutating=True,
                op="put_object",
            )
            if page is not None:  # a failed page in the middle of a listing is retried
                inj = fault_injector(provider)
                for kind in ("throttle", "transient"):
                    listing = provider.list_objects(name)
                    first = [next(listing).key for _ in range(page)]
                    fault = Fault(kind, operation="list_objects", mutating=False, retry_after=0.01)  # type: ignore[arg-type]
                    inj.inject(fault)
                    with fast_retries(provider):
                        rest = [o.key for o in listing]
                    inj.clear()
                    assert fault.hits == 1, "the second page never reached the stand-in"
                    assert first + rest == keys, f"a retried page lost keys ({kind})"
