"""Real hosts for tests: sshd on loopback, PostgreSQL, network-namespace hosts, a systemd host.

Everything here needs root and the Debian packages ``openssh-server postgresql redis-server sudo
nftables supervisor podman runc``. Each context manager tears down what it started (and only
that) in ``finally``. Namespace hosts use addresses inside namespaces this module created; firewall
tests run only against those.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "SSHHost",
    "TestUser",
    "missing_programs",
    "netns_hosts",
    "postgres_cluster",
    "ssh_host",
    "systemd_host",
    "test_user",
]

PROGRAMS = ("sshd", "sudo", "supervisord", "redis-server", "nft", "ssh-keygen")


def missing_programs(*extra: str) -> list[str]:
    """Programs the host fixtures need that are not installed."""
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return [p for p in (*PROGRAMS, *extra) if shutil.which(p, path=path) is None]


def _free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=check, timeout=60)


@dataclass
class TestUser:
    """A clean login user with a key and passwordless sudo."""

    name: str
    key_file: str
    pubkey: str


@dataclass
class SSHHost:
    """A running sshd.

    Attributes:
        address: Listen address.
        port: Listen port.
        user: The test user.
        known_hosts: A known_hosts file pinning its host key.
        fingerprint: Its host key's ``SHA256:`` fingerprint.
        netns: The network namespace it runs in, if any.
    """

    address: str
    port: int
    user: TestUser
    known_hosts: str
    fingerprint: str
    netns: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def host_spec(self, **kw: object) -> dict[str, object]:
        """A ``hosts`` entry for ``BaremetalProvider``."""
        return {
            "address": self.address,
            "port": self.port,
            "user": self.user.name,
            "key_filename": self.user.key_file,
            "known_hosts": self.known_hosts,
            **kw,
        }


@contextlib.contextmanager
def test_user(workdir: str) -> Iterator[TestUser]:
    """Create a login user (key auth, NOPASSWD sudo); removes it and its sudoers file after."""
    name = "ccbm" + secrets.token_hex(3)
    key = os.path.join(workdir, "id_ed25519")
    sudoers = f"/etc/sudoers.d/cloudcore-test-{name}"
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
    try:
        _run("useradd", "-m", "-s", "/bin/sh", name)
        _run("usermod", "-p", "*", name)
        fd = os.open(sudoers, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o440)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{name} ALL=(ALL) NOPASSWD:ALL\n")
        yield TestUser(name, key, Path(key + ".pub").read_text().strip())
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(sudoers)
        _run("userdel", "-r", "-f", name, check=False)


def _sshd_config(d: str, address: str, port: int, user: TestUser) -> tuple[str, str]:
    hostkey = os.path.join(d, "ssh_host_ed25519_key")
    if not os.path.exists(hostkey):
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostkey)
    ak = os.path.join(d, "ak")
    os.makedirs(ak, mode=0o755, exist_ok=True)
    os.chmod(d, 0o755)  # noqa: S103
    Path(ak, user.name).write_text(user.pubkey + "\n")
    os.chmod(os.path.join(ak, user.name), 0o644)
    conf = os.path.join(d, f"sshd_config_{port}")
    Path(conf).write_text(
        f"Port {port}\nListenAddress {address}\nHostKey {hostkey}\n"
        f"AuthorizedKeysFile {ak}/%u\nPidFile {d}/sshd_{port}.pid\nUsePAM no\nStrictModes no\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "Subsystem sftp internal-sftp\nLogLevel ERROR\n"
    )
    return conf, hostkey


def _fingerprint(pubfile: str) -> str:
    out = _run("ssh-keygen", "-l", "-E", "sha256", "-f", pubfile).stdout.split()
    return out[1]


def _wait_port(address: str, port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((address, port), 0.2):
            return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {address}:{port}")


def _start_sshd(conf: str, log: str, prefix: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
    os.makedirs("/run/sshd", exist_ok=True)
    with open(log, "ab") as err:
        return subprocess.Popen(
            [*prefix, "/usr/sbin/sshd", "-D", "-e", "-f", conf],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@contextlib.contextmanager
def ssh_host(workdir: str, user: TestUser, address: str = "127.0.0.1") -> Iterator[SSHHost]:
    """A real sshd on ``address`` (a free port), key auth for ``user``."""
    port = _free_port(address)
    conf, hostkey = _sshd_config(workdir, address, port, user)
    proc = _start_sshd(conf, os.path.join(workdir, "sshd.log"))
    try:
        _wait_port(address, port)
        kh = os.path.join(workdir, f"known_hosts_{port}")
        pub = Path(hostkey + ".pub").read_text().split()
        Path(kh).write_text(f"[{address}]:{port} {pub[0]} {pub[1]}\n")
        yield SSHHost(address, port, user, kh, _fingerprint(hostkey + ".pub"))
    finally:
        _stop(proc)


@contextlib.contextmanager
def postgres_cluster(workdir: str | None = None) -> Iterator[dict[str, object]]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (own port and socket folder).

    Yields:
        The ``postgres`` settings for a db host.
    """
    bindir = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")
    base = tempfile.mkdtemp(prefix="ccpg-", dir=workdir or "/tmp")
    os.chmod(base, 0o755)  # noqa: S103
    data, sock = os.path.join(base, "data"), os.path.join(base, "sock")
    os.makedirs(sock)
    pg = pwd.getpwnam("postgres")
    for p in (base, sock):
        os.chown(p, pg.pw_uid, pg.pw_gid)
    port = _free_port()
    as_pg = ("runuser", "-u", "postgres", "--")
    try:
        _run(
            *as_pg,
            f"{bindir}/initdb",
            "--no-sync",
            "-A",
            "peer",
            "--auth-host=scram-sha-256",
            "-U",
            "postgres",
            "-D",
            data,
        )
        _run(
            *as_pg,
            f"{bindir}/pg_ctl",
            "-w",
            "-s",
            "-D",
            data,
            "-l",
            f"{base}/pg.log",
            "start",
            "-o",
            f"-p {port} -c listen_addresses=127.0.0.1 -k {sock} -c fsync=off",
        )
        yield {
            "port": port,
            "socket_dir": sock,
            "os_user": "postgres",
            "bin_dir": str(bindir),
            "address": "127.0.0.1",
        }
    finally:
        _run(*as_pg, f"{bindir}/pg_ctl", "-s", "-D", data, "stop", "-m", "immediate", check=False)
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def netns_hosts(
    workdir: str, user: TestUser, count: int, *, sshd: bool = True
) -> Iterator[list[SSHHost]]:
    """``count`` network namespaces on a fresh bridge, each running its own sshd on port 22
    (unless ``sshd=False``).

    The bridge gets ``10.231.N.1/24`` in the root namespace; host ``i`` is ``10.231.N.(i+2)``.
    """
    tag = secrets.token_hex(2)
    used = _run("ip", "-o", "-4", "addr", "show", check=False).stdout
    free = [n for n in range(100, 250) if f" 10.231.{n}." not in used]
    if not free:
        raise RuntimeError("no free 10.231.N.0/24 subnet for namespace hosts")
    subnet = free[int(tag, 16) % len(free)]
    bridge = f"ccbr{tag}"
    names = [f"ccns{tag}{i}" for i in range(count)]
    procs: list[subprocess.Popen[bytes]] = []
    hosts: list[SSHHost] = []
    try:
        _run("ip", "link", "add", bridge, "type", "bridge")
        _run("ip", "addr", "add", f"10.231.{subnet}.1/24", "dev", bridge)
        _run("ip", "link", "set", bridge, "up")
        for i, ns in enumerate(names):
            addr = f"10.231.{subnet}.{i + 2}"
            _run("ip", "netns", "add", ns)
            _run("ip", "link", "add", f"{ns}h", "type", "veth", "peer", "name", f"{ns}c")
            _run("ip", "link", "set", f"{ns}h", "master", bridge, "up")
            _run("ip", "link", "set", f"{ns}c", "netns", ns)
            ex = ("ip", "netns", "exec", ns)
            _run(*ex, "ip", "addr", "add", f"{addr}/24", "dev", f"{ns}c")
            _run(*ex, "ip", "link", "set", f"{ns}c", "up")
            _run(*ex, "ip", "link", "set", "lo", "up")
            d = os.path.join(workdir, ns)
            os.makedirs(d, exist_ok=True)
            conf, hostkey = _sshd_config(d, addr, 22, user)
            if sshd:
                procs.append(_start_sshd(conf, os.path.join(d, "sshd.log"), ex))
            kh = os.path.join(d, "known_hosts")
            pub = Path(hostkey + ".pub").read_text().split()
            Path(kh).write_text(f"{addr} {pub[0]} {pub[1]}\n")
            hosts.append(
                SSHHost(
                    addr,
                    22,
                    user,
                    kh,
                    _fingerprint(hostkey + ".pub"),
                    ns,
                    {"bridge": bridge, "gateway": f"10.231.{subnet}.1"},
                )
            )
        for h in hosts:
            if sshd:
                _wait_port(h.address, 22)
        yield hosts
    finally:
        for proc in procs:
            _stop(proc)
        for ns in names:
            # processes cloudcore started inside (supervisord, services) die with the namespace
            pids = _run("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            _run("ip", "netns", "del", ns, check=False)
        _run("ip", "link", "del", bridge, check=False)


@contextlib.contextmanager
def systemd_host(workdir: str, user: TestUser) -> Iterator[SSHHost]:
    """A podman container booting systemd on an overlay of this machine's root, reachable over
    SSH in its own network namespace. Nothing it writes reaches the real root.

    ``workdir`` must not be under ``/tmp`` (the container gets an empty ``/tmp`` and ``/run``:
    podman's copy-up of the host's would race with other processes). Podman uses its own
    storage, run root and runc state under ``workdir``.
    """
    if workdir.startswith("/tmp/"):
        raise ValueError("systemd_host needs a workdir outside /tmp (e.g. under /var/tmp)")
    conf = os.path.join(workdir, "containers.conf")
    Path(conf).write_text(
        '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
        '[engine]\nruntime = "runc"\n'
    )
    env = {**os.environ, "CONTAINERS_CONF": conf}
    podman = [
        "podman",
        "--root",
        os.path.join(workdir, "podman-root"),
        "--runroot",
        os.path.join(workdir, "podman-run"),
        "--runtime-flag",
        "root=" + os.path.join(workdir, "runc"),
    ]
    name = "ccsd" + secrets.token_hex(3)
    ctr_tmp, ctr_run = os.path.join(workdir, "ctr-tmp"), os.path.join(workdir, "ctr-run")
    os.makedirs(ctr_tmp, exist_ok=True)
    os.chmod(ctr_tmp, 0o1777)  # noqa: S103 - the container's /tmp
    os.makedirs(os.path.join(ctr_run, "lock"), exist_ok=True)
    os.makedirs(os.path.join(ctr_run, "sshd"), exist_ok=True)

    def pod(*args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*podman, *args], env=env, check=check, capture_output=True, timeout=120
        )

    with netns_hosts(workdir, user, 1, sshd=False) as (ns_host,):
        sshd_conf = os.path.join(workdir, f"{ns_host.netns}", "sshd_config_22")
        try:
            pod(
                "run",
                "-d",
                "--name",
                name,
                "--hostname",
                "localhost",
                "--systemd=always",
                "--network",
                f"ns:/run/netns/{ns_host.netns}",
                "-v",
                f"{ctr_tmp}:/tmp",
                "-v",
                f"{ctr_run}:/run",
                "--stop-signal",
                "SIGRTMIN+3",
                "--rootfs",
                "/:O",
                "/lib/systemd/systemd",
            )
            deadline = time.monotonic() + 30
            while pod("exec", name, "test", "-d", "/run/systemd/system", check=False).returncode:
                if time.monotonic() > deadline:
                    raise TimeoutError("systemd did not boot in the container")
                time.sleep(0.1)
            pod("exec", "-d", name, "/usr/sbin/sshd", "-D", "-e", "-f", sshd_conf)
            _wait_port(ns_host.address, 22, timeout=20)
            ns_host.extra["container"] = name
            yield ns_host
        finally:
            pod("rm", "-f", "-t", "2", name, check=False)
            shutil.rmtree(os.path.join(workdir, "podman-root"), ignore_errors=True)
