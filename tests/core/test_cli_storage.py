"""``cloudcore storage`` end to end on the memory driver (state shared between invocations)."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from cloudcore.testing.memory import MemoryProvider

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def run(tmp: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "CLOUDCORE_PROVIDER": "memory"}
    env.pop("CLOUDCORE_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "cloudcore", "storage", *args],
        cwd=tmp,
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[bytes]) -> subprocess.CompletedProcess[bytes]:
    assert result.returncode == 0, result.stderr.decode()
    return result


def test_buckets_and_copies_in_every_direction(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 7)
    (tmp_path / "photo.jpg").write_bytes(data)
    made = json.loads(
        ok(run(tmp_path, "mb", "media", "--versioning", "--tag", "team=web", "--json")).stdout
    )
    assert made["config"]["versioning"] is True and made["config"]["tags"] == {"team": "web"}
    ok(run(tmp_path, "mb", "backup"))
    assert [b["name"] for b in json.loads(ok(run(tmp_path, "ls", "--json")).stdout)] == [
        "backup",
        "media",
    ]
    up = json.loads(ok(run(tmp_path, "cp", "photo.jpg", "cloudcore://media/in/", "--json")).stdout)
    assert up["key"] == "in/photo.jpg"
    assert up["checksum"] == "sha256:" + hashlib.sha256(data).hexdigest()
    ok(run(tmp_path, "cp", "cloudcore://media/in/photo.jpg", "cloudcore://backup/photo.jpg"))
    ok(run(tmp_path, "cp", "cloudcore://backup/photo.jpg", "back.jpg"))
    assert (tmp_path / "back.jpg").read_bytes() == data
    (tmp_path / "out").mkdir()
    ok(run(tmp_path, "cp", "cloudcore://media/in/photo.jpg", "out"))
    assert (tmp_path / "out" / "photo.jpg").read_bytes() == data
    ok(run(tmp_path, "cp", "-", "cloudcore://media/notes.txt", stdin=b"from stdin\n"))
    assert ok(run(tmp_path, "cp", "cloudcore://media/notes.txt", "-")).stdout == b"from stdin\n"
    listed = json.loads(ok(run(tmp_path, "ls", "media/in", "--json")).stdout)
    assert [(o["key"], o["size"]) for o in listed] == [("in/photo.jpg", len(data))]
    table = ok(run(tmp_path, "ls", "cloudcore://media")).stdout.decode()
    assert "in/photo.jpg" in table and "notes.txt" in table and "3.0 MiB" in table
    assert json.loads(ok(run(tmp_path, "rm", "media/notes.txt", "--json")).stdout)["deleted"]
    ok(run(tmp_path, "rm", "media/notes.txt"))  # already gone: fine
    refused = run(tmp_path, "rb", "media")
    assert refused.returncode == 1 and b"not empty" in refused.stderr
    ok(run(tmp_path, "rb", "media", "--force"))
    assert [b["name"] for b in json.loads(ok(run(tmp_path, "ls", "--json")).stdout)] == ["backup"]


def test_progress_is_plain_timestamped_lines_when_piped(tmp_path: Path) -> None:
    (tmp_path / "f.bin").write_bytes(b"x" * 200_000)
    ok(run(tmp_path, "mb", "logs"))
    err = ok(run(tmp_path, "cp", "f.bin", "cloudcore://logs/f.bin")).stderr.decode()
    lines = err.strip().splitlines()
    assert re.match(rf"^{STAMP} checksum f\.bin -> cloudcore://logs/f\.bin: started", lines[0])
    assert re.match(rf"^{STAMP} upload .*: started \(195\.3 KiB\)$", lines[1])
    assert re.match(rf"^{STAMP} upload .*: done, 195\.3 KiB of 195\.3 KiB \(100%\), .*/s", lines[2])
    assert "\x1b[" not in err, "no terminal codes when stderr is not a terminal"
    err = ok(run(tmp_path, "cp", "cloudcore://logs/f.bin", "g.bin")).stderr.decode()
    assert re.search(rf"^{STAMP} download .*: done, 195\.3 KiB", err, re.MULTILINE)


def test_progress_bar_with_bytes_and_rate_on_a_terminal(tmp_path: Path) -> None:
    (tmp_path / "f.bin").write_bytes(b"y" * 2_000_000)
    ok(run(tmp_path, "mb", "tty"))
    main, tty = pty.openpty()
    env = {**os.environ, "CLOUDCORE_PROVIDER": "memory", "COLUMNS": "120"}
    proc = subprocess.run(
        [sys.executable, "-m", "cloudcore", "storage", "cp", "f.bin", "cloudcore://tty/f.bin"],
        cwd=tmp_path,
        stderr=tty,
        stdout=subprocess.PIPE,
        env=env,
        timeout=120,
    )
    os.close(tty)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    screen = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, screen
    assert "upload f.bin" in screen and "1.9/1.9 MiB" in screen, screen
    assert re.search(r"\d+(\.\d+)? [kKMG]i?B/s", screen), screen
    assert not re.search(STAMP, screen), "a terminal gets the bar, not plain lines"


def test_presign_prints_a_signed_url(tmp_path: Path) -> None:
    ok(run(tmp_path, "mb", "uploads"))
    url = ok(run(tmp_path, "presign", "uploads/a.png", "--put", "--expires", "60")).stdout
    assert re.match(rb"^http://127\.0\.0\.1:\d+/uploads/a\.png\?.*Signature=[0-9a-f]{64}\n$", url)
    doc = json.loads(ok(run(tmp_path, "presign", "uploads/a.png", "--json")).stdout)
    assert doc["method"] == "GET" and doc["expires_in"] == 3600
    bad = run(tmp_path, "presign", "uploads/a.png", "--content-type", "image/png")
    assert bad.returncode == 2 and b"content_type" in bad.stderr


def test_a_corrupted_object_never_reaches_the_destination(tmp_path: Path) -> None:
    ok(run(tmp_path, "mb", "safe"))
    ok(run(tmp_path, "cp", "-", "cloudcore://safe/doc.txt", stdin=b"important data" * 100))
    with MemoryProvider(state_file=tmp_path / ".cloudcore" / "memory.json") as cloud:
        cloud.corrupt_object("safe", "doc.txt")
    failed = run(tmp_path, "cp", "cloudcore://safe/doc.txt", "doc.txt")
    assert failed.returncode == 1 and b"IntegrityError" not in failed.stderr
    assert b"does not match" in failed.stderr
    assert not (tmp_path / "doc.txt").exists()
    assert not list(tmp_path.glob(".doc.txt.*"))


def test_bad_input_has_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    cases = [
        (("cp", "a.txt", "b.txt"), 2, b"cloudcore://"),
        (("mb", "Bad_Name"), 2, b"name"),
        (("ls", "no-such-bucket"), 4, b"no-such-bucket"),
        (("cp", "a.txt", "cloudcore://no-such-bucket/a.txt"), 4, b"no-such-bucket"),
        (("rm", "just-a-bucket"), 2, b"BUCKET/KEY"),
        (("cp", "missing.txt", "cloudcore://x-bucket/k"), 2, b"not a file"),
        (("mb", "ok-name", "--expire", "tmp/"), 2, b"PREFIX=DAYS"),
        (("cp", "a.txt", "cloudcore://ok-name/../x"), 2, b"key"),
    ]
    for args, code, text in cases:
        result = run(tmp_path, *args)
        assert result.returncode == code, (args, result.stderr)
        assert text in result.stderr, (args, result.stderr)
        assert b"Traceback" not in result.stderr
