"""Object storage on a real host over SSH/SFTP: root's private files, the endpoint under the
host's process manager, and the endpoint options refused before anything runs."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from cloudcore.errors import ConfigurationError
from cloudcore.models.storage import BucketConfig
from cloudcore_baremetal.provider import BaremetalProvider

pytestmark = pytest.mark.needs_root


def test_objects_are_roots_private_files_written_atomically(bm: Any, loopback: Any) -> None:
    name = "bm-files"
    bm.create_bucket(BucketConfig(name=name))
    try:
        info = bm.put_object(name, "dir/ünï.bin", os.urandom(3 * 1024 * 1024 + 5))
        root = Path(bm.objects.store.root, name)
        files = [p for p in root.rglob("*") if p.is_file()]
        assert len(files) == 3  # bucket.json, one .bin, one .json
        for path in files:
            st = path.stat()
            assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600), path
        assert not any(p.name.startswith(".tmp-") for p in files)
        sidecar = next(p for p in files if p.suffix == ".json" and p.name != "bucket.json")
        assert f"sha256:{json.loads(sidecar.read_text())['sha256']}" == info.checksum
        assert (root.stat().st_mode & 0o777) == 0o700
    finally:
        bm.delete_bucket(name, force=True)


def test_endpoint_runs_under_the_hosts_manager(bm: Any) -> None:
    name = "bm-presign"
    bm.create_bucket(BucketConfig(name=name))
    try:
        bm.put_object(name, "doc", b"served over ssh")
        url = bm.presign(name, "doc", expires_in=120)
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.read() == b"served over ssh"
        endpoint = Path(bm.objects.endpoint_dir)
        pid = json.loads((endpoint / "listening.json").read_text())["pid"]
        status = Path(f"/proc/{pid}/status").read_text()
        assert "\nUid:\t0\t" in status, "the endpoint should run as the manager's user (root)"
        ppid = int(status.split("\nPPid:\t", 1)[1].split("\n", 1)[0])
        parent = Path(f"/proc/{ppid}/cmdline").read_bytes()
        assert b"supervisord" in parent or ppid == 1, parent
        assert oct((endpoint / "hmac.key").stat().st_mode & 0o777) == "0o600"
    finally:
        bm.delete_bucket(name, force=True)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("storage_bind", "0.0.0.0; rm -rf /"),
        ("storage_bind", "localhost"),
        ("storage_port", 70000),
        ("storage_port", True),
        ("storage_public_url", "http://x'$(id)"),
        ("storage_public_url", "ftp://example.com"),
    ],
)
def test_endpoint_options_are_checked(option: str, value: Any) -> None:
    with pytest.raises(ConfigurationError) as err:
        BaremetalProvider(hosts=[{"address": "127.0.0.1"}], secret_key_file=None, **{option: value})
    assert err.value.field == option
