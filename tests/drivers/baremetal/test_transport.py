"""The SSH transport against a real sshd: round trips, sudo, host keys, auth and faults."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

import cloudcore
from cloudcore.errors import AuthenticationError, PermissionDenied, RateLimited, TransientError
from cloudcore.testing.faults import Fault

pytestmark = pytest.mark.needs_root


def test_exec_round_trip_stdin_and_events(bm):
    t = bm.inventory.hosts[0].transport
    with cloudcore.record() as rec:
        res = t.run(["printf", "%s|", "a b", "it's", "$HOME"], mutating=False, sudo=False)
        fed = t.run(["cat"], mutating=False, stdin=b"over stdin\n", sudo=False)
    assert res.text == "a b|it's|$HOME|"
    assert fed.text == "over stdin\n"
    calls = rec.calls()
    assert [(c.provider, c.service, c.operation, c.mutating, c.status) for c in calls] == [
        ("baremetal", "ssh", "printf", False, 0),
        ("baremetal", "ssh", "cat", False, 0),
    ]


def test_sudo_without_pty_and_plain_user(bm, loopback):
    t = bm.inventory.hosts[0].transport
    assert t.run(["id", "-u"], mutating=False).text.strip() == "0"
    assert t.run(["id", "-un"], mutating=False, sudo=False).text.strip() == loopback.sshd.user.name
    assert t.run(["tty"], mutating=False, check=False).text.strip() == "not a tty"


def test_tcp_nodelay_and_connection_reuse(bm):
    t = bm.inventory.hosts[0].transport
    t.run(["true"], mutating=False)
    client = t._connect()
    sock = client.get_transport().sock
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    t.run(["true"], mutating=False)
    assert t._connect() is client


def _other_key_line(tmp_path: Path, address: str, port: int) -> str:
    key = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    kind, data = (tmp_path / "other.pub").read_text().split()[:2]
    return f"[{address}]:{port} {kind} {data}\n"


def test_host_key_mismatch_is_refused(loopback, tmp_path):
    kh = tmp_path / "known_hosts"
    kh.write_text(_other_key_line(tmp_path, "127.0.0.1", loopback.sshd.port))
    with (
        loopback.provider(spec={"known_hosts": str(kh)}) as p,
        pytest.raises(PermissionDenied, match="host key mismatch"),
    ):
        p.list_secrets()


def test_unknown_host_key_is_refused_unless_opted_in(loopback, tmp_path):
    kh = tmp_path / "empty_known_hosts"
    kh.write_text("")
    with (
        loopback.provider(spec={"known_hosts": str(kh)}) as p,
        pytest.raises(PermissionDenied, match="not pinned"),
    ):
        p.list_secrets()
    with loopback.provider(spec={"known_hosts": str(kh), "accept_unknown_host_keys": True}) as p:
        assert isinstance(p.list_secrets(), list)


def test_pinned_fingerprints(loopback, tmp_path):
    kh = tmp_path / "none"
    kh.write_text("")
    good = loopback.sshd.fingerprint
    with loopback.provider(spec={"known_hosts": str(kh), "host_key_fingerprints": [good]}) as p:
        assert isinstance(p.list_secrets(), list)
    bad = "SHA256:" + "A" * 43
    with (
        loopback.provider(spec={"known_hosts": str(kh), "host_key_fingerprints": [bad]}) as p,
        pytest.raises(PermissionDenied),
    ):
        p.list_secrets()


def test_wrong_key_is_an_authentication_error(loopback, tmp_path):
    key = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    with (
        loopback.provider(spec={"key_filename": str(key)}) as p,
        pytest.raises(AuthenticationError),
    ):
        p.list_secrets()


def test_closed_port_is_transient(loopback):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        loopback.provider(spec={"port": port}) as p,
        pytest.raises(TransientError, match="cannot connect"),
    ):
        p.list_secrets()


def test_injected_faults_retry_reads_and_never_repeat_writes(bm):
    faults = bm.inventory.hosts[0].transport.faults
    bm.store_secret("fault/k", "v")
    faults.inject(Fault("throttle", mutating=False, retry_after=0.01))
    with cloudcore.record() as rec:
        assert bm.get_secret("fault/k").get_secret_value() == "v"
    assert rec.operations[-1].attempts >= 2
    faults.inject(Fault("transient", mutating=True))
    with cloudcore.record() as rec, pytest.raises(TransientError):
        bm.store_secret("fault/k", "v2")
    assert len(rec.mutating_calls()) == 1
    faults.inject(Fault("throttle", mutating=False, times=50, retry_after=0.001))
    with pytest.raises(RateLimited):
        bm.get_secret("fault/k")
    faults.clear()
    assert [v.version for v in bm.list_secret_versions("fault/k")] == ["1"]
    bm.delete_secret("fault/k")
