"""``cloudcore://bucket/key`` through fsspec, on the memory driver."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest

from cloudcore.errors import IntegrityError
from cloudcore.fsspec import CloudcoreFileSystem
from cloudcore.testing.memory.target import memory_target


@pytest.fixture
def fs() -> Iterator[Any]:
    with memory_target() as cloud:
        filesystem = fsspec.filesystem("cloudcore", cloud=cloud)
        filesystem.mkdir("data")
        yield filesystem


def test_the_protocol_is_registered() -> None:
    assert fsspec.get_filesystem_class("cloudcore") is CloudcoreFileSystem


def test_open_write_read_cat_and_ranges(fs: Any) -> None:
    with fs.open("cloudcore://data/text/notes.txt", "w", encoding="utf-8") as f:
        f.write("héllo\nwörld\n")
    with fs.open("data/text/notes.txt", "r", encoding="utf-8") as f:
        assert f.readlines() == ["héllo\n", "wörld\n"]
    fs.pipe("data/bin/all.bin", bytes(range(256)))
    assert fs.cat("data/bin/all.bin") == bytes(range(256))
    assert fs.cat_file("data/bin/all.bin", 10, 13) == bytes([10, 11, 12])
    assert fs.cat_file("data/bin/all.bin", -3) == bytes([253, 254, 255])
    with fs.open("data/bin/all.bin", "rb") as f:
        assert f.size == 256
        f.seek(100)
        assert f.read(2) == bytes([100, 101])
    assert fs.info("data/bin/all.bin")["checksum"].startswith("sha256:")
    assert fs.size("data/bin/all.bin") == 256 and fs.modified("data/bin/all.bin") is not None


def test_listing_directories_and_missing_paths(fs: Any) -> None:
    for key in ("a/1.csv", "a/2.csv", "a/deep/3.csv", "ab/4.csv", "top.txt"):
        fs.pipe(f"data/{key}", key.encode())
    assert fs.ls("", detail=False) == ["data"]
    assert fs.ls("data", detail=False) == ["data/a", "data/ab", "data/top.txt"]
    assert fs.ls("data/a", detail=False) == ["data/a/1.csv", "data/a/2.csv", "data/a/deep"]
    assert fs.ls("data/top.txt", detail=False) == ["data/top.txt"]
    assert fs.isdir("data/a") and fs.isdir("data") and not fs.isdir("data/a/1.csv")
    assert fs.isfile("data/a/1.csv") and not fs.isfile("data/a")
    assert fs.find("data/a") == ["data/a/1.csv", "data/a/2.csv", "data/a/deep/3.csv"]
    assert fs.glob("data/a/*.csv") == ["data/a/1.csv", "data/a/2.csv"]
    assert not fs.exists("data/nope") and not fs.exists("no-bucket/x")
    for call in (
        lambda: fs.ls("data/nope"),
        lambda: fs.info("data/a/9.csv"),
        lambda: fs.open("data/missing.txt"),
        lambda: fs.ls("no-bucket"),
    ):
        with pytest.raises(FileNotFoundError):
            call()


def test_put_get_copy_and_remove(fs: Any, tmp_path: Path) -> None:
    local = tmp_path / "up"
    (local / "sub").mkdir(parents=True)
    (local / "one.txt").write_bytes(b"1")
    (local / "sub" / "two.txt").write_bytes(b"22")
    fs.put(str(local), "data/up", recursive=True)
    assert fs.find("data/up") == ["data/up/one.txt", "data/up/sub/two.txt"]
    fs.get("data/up", str(tmp_path / "down"), recursive=True)
    assert (tmp_path / "down" / "sub" / "two.txt").read_bytes() == b"22"
    fs.get_file("data/up/one.txt", str(tmp_path / "one.copy"))
    assert (tmp_path / "one.copy").read_bytes() == b"1"
    fs.cp("data/up/one.txt", "data/copied/one.txt")
    assert fs.cat("data/copied/one.txt") == b"1"
    fs.rm("data/up", recursive=True)
    assert not fs.exists("data/up/one.txt") and fs.ls("data", detail=False) == ["data/copied"]
    with pytest.raises(OSError, match="not empty"):
        fs.rmdir("data")
    fs.rm("data/copied/one.txt")
    fs.rmdir("data")
    assert fs.ls("") == []


def test_a_failed_write_uploads_nothing_and_transactions_commit(fs: Any) -> None:
    def failing_writer() -> None:
        with fs.open("data/partial.bin", "wb") as f:
            f.write(b"half")
            raise RuntimeError("the writer failed")

    with pytest.raises(RuntimeError):
        failing_writer()
    assert not fs.exists("data/partial.bin")
    with fs.transaction:
        with fs.open("data/t1.txt", "wb") as f:
            f.write(b"one")
        assert not fs.exists("data/t1.txt"), "visible before the transaction committed"
    assert fs.cat("data/t1.txt") == b"one"
    with pytest.raises(FileExistsError):
        fs.open("data/t1.txt", "xb")
    with pytest.raises(ValueError, match="written whole"):
        fs.open("data/t1.txt", "ab")


def test_corrupted_objects_are_errors_not_data(fs: Any) -> None:
    fs.pipe("data/precious.bin", b"precious data" * 100)
    fs.cloud.corrupt_object("data", "precious.bin")
    with pytest.raises(IntegrityError):
        fs.open("data/precious.bin", "rb")
    with pytest.raises(IntegrityError):
        fs.cat("data/precious.bin")


def test_separate_providers_get_separate_filesystems() -> None:
    with memory_target() as one, memory_target() as two:
        one.create_bucket({"name": "only-in-one"})
        assert fsspec.filesystem("cloudcore", cloud=one).ls("", detail=False) == ["only-in-one"]
        assert fsspec.filesystem("cloudcore", cloud=two).ls("", detail=False) == []


def test_options_select_the_provider_like_connect(tmp_path: Path) -> None:
    """URLs with storage options, across processes (the memory driver's shared state file)."""
    opts = {"provider": "memory", "state_file": str(tmp_path / "state.json")}
    fs = fsspec.filesystem("cloudcore", **opts)
    fs.mkdir("shared")
    with fsspec.open("cloudcore://shared/from-parent.txt", "wb", **opts) as f:
        f.write(b"written by the parent")
    code = (
        "import sys, fsspec; o = {'provider': 'memory', 'state_file': sys.argv[1]};"
        "print(fsspec.open('cloudcore://shared/from-parent.txt', 'rb', **o).open().read());"
        "fsspec.filesystem('cloudcore', **o).pipe('shared/from-child.txt', b'child')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, opts["state_file"]], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "b'written by the parent'"
    assert fs.cat("shared/from-child.txt") == b"child"


def test_pandas_round_trip(fs: Any) -> None:
    import pandas as pd  # a dev dependency: the test must run, never skip

    frame = pd.DataFrame({"city": ["Zürich", "Lyon"], "n": [1, 2]})
    with fs.open("data/frame.csv", "w") as f:
        frame.to_csv(f, index=False)
    with fs.open("data/frame.csv", "r") as f:
        assert pd.read_csv(f).equals(frame)
