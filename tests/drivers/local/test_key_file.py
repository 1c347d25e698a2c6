"""The secrets key file: created atomically, never left empty, and read with a clear error.

Issue 11 item 10: on a full disk the key file was left empty and every later run failed with a
misleading message.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudcore.errors import ConfigurationError
from cloudcore_baremetal.secrets import load_key


def test_missing_key_file_is_created_0600_with_a_32_byte_key(tmp_path):
    path = tmp_path / "sub" / "secret.key"
    key = load_key(None, str(path))
    assert len(key) == 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert base64.urlsafe_b64decode(path.read_text().strip()) == key
    assert load_key(None, str(path)) == key  # read back, not replaced
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret.key"]


def test_empty_key_file_is_an_error_that_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("CLOUDCORE_SECRET_KEY", raising=False)
    path = tmp_path / "secret.key"
    path.write_text("")
    with pytest.raises(ConfigurationError, match=r"secret\.key is empty") as info:
        load_key(None, str(path))
    assert info.value.field == "secret_key_file"
    assert path.read_text() == ""  # never silently replaced: old secrets need the old key


def test_short_key_file_is_an_error_that_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("CLOUDCORE_SECRET_KEY", raising=False)
    path = tmp_path / "secret.key"
    path.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode()[:20] + "\n")
    with pytest.raises(ConfigurationError, match=r"not a 32-byte.*truncated"):
        load_key(None, str(path))


def test_stale_temporary_files_of_a_killed_run_are_removed(tmp_path):
    stale = tmp_path / ".secret.key.0123456789ab.tmp"
    stale.write_text("partial")
    os.utime(stale, (1, 1))
    fresh = tmp_path / ".secret.key.ba9876543210.tmp"  # another process may be writing it
    fresh.write_text("x")
    load_key(None, str(tmp_path / "secret.key"))
    assert not stale.exists() and fresh.exists()


@pytest.fixture
def full_tmpfs() -> Iterator[Path]:
    """A 16 KiB tmpfs, filled to the last byte (needs root to mount)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (the RLIMIT_FSIZE test covers this case)")
    d = Path(tempfile.mkdtemp(prefix="cckeyfull-"))
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k,mode=0700", "tmpfs", str(d)], check=True
    )
    try:
        fd = os.open(d / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b"\0" * 512):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        yield d
    finally:
        subprocess.run(["umount", str(d)], check=False)
        d.rmdir()


@pytest.mark.needs_root
def test_full_disk_leaves_no_key_and_no_tmp_file(full_tmpfs):
    path = full_tmpfs / "secret.key"
    with pytest.raises(ConfigurationError, match="No space left on device") as info:
        load_key(None, str(path))
    assert info.value.field == "secret_key_file"
    assert sorted(p.name for p in full_tmpfs.iterdir()) == ["filler"]
    (full_tmpfs / "filler").unlink()  # space again: the next run creates a good key
    assert len(load_key(None, str(path))) == 32
    assert sorted(p.name for p in full_tmpfs.iterdir()) == ["secret.key"]


FSIZE_PROBE = textwrap.dedent(
    """
    import json, os, resource, signal, sys
    from cloudcore_baremetal.secrets import load_key
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (10, 10))
    try:
        load_key(None, sys.argv[1])
        print(json.dumps({"error": None}))
    except Exception as exc:
        print(json.dumps({"error": type(exc).__name__ + ": " + str(exc)}))
    """
)


def test_a_failed_write_leaves_no_key_and_no_tmp_file(tmp_path):
    path = tmp_path / "keys" / "secret.key"
    out = subprocess.run(
        [sys.executable, "-c", FSIZE_PROBE, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        timeout=60,
        check=True,
    )
    import json

    err = json.loads(out.stdout.strip().splitlines()[-1])["error"]
    assert err is not None and err.startswith("ConfigurationError: secret_key_file: cannot create")
    assert "File too large" in err
    assert list(path.parent.iterdir()) == []
    assert len(load_key(None, str(path))) == 32


@pytest.mark.needs_root
def test_host_files_on_a_full_disk_leave_no_tmp_files(full_tmpfs):
    from cloudcore.errors import CloudcoreError
    from cloudcore_baremetal.local import LocalProvider
    from cloudcore_baremetal.testing import random_key

    filler = full_tmpfs / "filler"
    size = filler.stat().st_size
    os.truncate(filler, size - 4096)  # 4 KiB free: room for folders, not for 20 kB
    p = LocalProvider(project_dir=str(full_tmpfs / "local"), secret_key=random_key())
    host = p.inventory.hosts[0]
    host.transport.run(["mkdir", "-p", "-m", "700", host.path("secrets")], mutating=True)
    with pytest.raises(CloudcoreError, match="No space left on device"):
        p.store_secret("app/token", "x" * 20000)
    with pytest.raises(Exception, match="No space left on device"):
        host.transport.write_file(host.path("state.json"), b"y" * 20000)
    leftovers = [str(f) for f in full_tmpfs.rglob("*") if "tmp" in f.name]
    assert leftovers == []
    assert p.list_secrets() == []
