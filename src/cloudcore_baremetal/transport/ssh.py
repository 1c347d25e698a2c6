"""The SSH transport (paramiko): TCP_NODELAY, one reused connection per host, pinned host keys.

Host keys are checked against a ``known_hosts`` file or a list of SHA256 fingerprints with a
reject policy: an unknown or changed key refuses the connection (``PermissionDenied``). Accepting
unknown keys is an explicit opt-in (``accept_unknown_host_keys=True``) and is never the default.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._shell import command
from . import Result, Transport, TransportError

if TYPE_CHECKING:
    import paramiko

__all__ = ["HostKeyRejected", "SSHTransport", "fingerprint"]


class HostKeyRejected(Exception):
    """The server's host key is unknown or does not match the pinned one."""


def fingerprint(key: paramiko.PKey) -> str:
    """The OpenSSH ``SHA256:...`` fingerprint of a public key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


_PIN_LOCK = threading.Lock()


def _pinned_lines(path: str, hostname: str) -> list[str]:
    """The keys pinned for ``hostname`` in a known_hosts file (``"type base64"``)."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 3 and hostname in parts[0].split(","):
            out.append(f"{parts[1]} {parts[2]}")
    return out


def _pin(path: str, hostname: str, key: Any) -> None:
    """Append ``hostname``'s key to cloudcore's own known_hosts file (0600 in a 0700 folder)."""
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    line = f"{hostname} {key.get_name()} {key.get_base64()}\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _policy(fingerprints: Sequence[str], accept_unknown: bool, pin_file: str | None) -> Any:
    import paramiko

    pinned = {f.strip() for f in fingerprints}

    class PinnedPolicy(paramiko.MissingHostKeyPolicy):
        def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: Any) -> None:
            got = fingerprint(key)
            if got in pinned:
                return
            if accept_unknown and not pinned and pin_file:
                # trust on first use: the first key seen is pinned; any other is refused
                with _PIN_LOCK:
                    known = _pinned_lines(pin_file, hostname)
                    if known or client.get_host_keys().lookup(hostname):
                        raise HostKeyRejected(
                            f"host key of {hostname} changed: got {got} ({key.get_name()}), "
                            f"but {pin_file} or known_hosts pins another key for it; refusing "
                            "to connect. If "
                            "the host was really reinstalled, remove its line from that file"
                        )
                    _pin(pin_file, hostname, key)
                client.get_host_keys().add(hostname, key.get_name(), key)
                return
            raise HostKeyRejected(
                f"host key {got} of {hostname} is not pinned (known_hosts or "
                "host_key_fingerprints); refusing to connect"
            )

    return PinnedPolicy()


def _load_into(keys: Any, path: str) -> None:
    """Add a known_hosts file's keys to ``keys`` (paramiko's ``HostKeys``), keeping those there."""
    keys.load(path)


class SSHTransport(Transport):
    """Runs commands on one host over SSH, reusing one connection.

    Args:
        host: Address or name.
        port: SSH port.
        user: Login user.
        key_filename: Private key file.
        pkey: A loaded paramiko private key (instead of ``key_filename``).
        known_hosts: A ``known_hosts`` file pinning the host key.
        host_key_fingerprints: ``SHA256:...`` fingerprints accepted for this host.
        accept_unknown_host_keys: Explicit opt-in to trust on first use (off by default): the
            first key seen is pinned into ``pinned_host_keys`` and a changed key is refused.
        pinned_host_keys: The known_hosts file cloudcore owns for trust on first use.
        connect_timeout: Seconds for TCP connect, banner and authentication.
        timeout: Default command timeout in seconds.
        tcp_nodelay: Disable Nagle's algorithm (14x faster round trips on loopback).
        sudo: Run privileged commands through ``sudo -n`` (no pty, no password).
        provider: Driver name for events.
        max_sessions: Concurrent channels on the connection (sshd's MaxSessions is 10).
    """

    service = "ssh"

    def __init__(
        self,
        host: str,
        port: int = 22,
        user: str | None = None,
        *,
        key_filename: str | None = None,
        pkey: paramiko.PKey | None = None,
        known_hosts: str | None = None,
        host_key_fingerprints: Sequence[str] = (),
        accept_unknown_host_keys: bool = False,
        pinned_host_keys: str | None = None,
        connect_timeout: float = 10.0,
        timeout: float = 300.0,
        tcp_nodelay: bool = True,
        sudo: bool = True,
        provider: str = "baremetal",
        max_sessions: int = 4,
    ) -> None:
        super().__init__(
            label=f"{user + '@' if user else ''}{host}:{port}",
            provider=provider,
            sudo=sudo,
            timeout=timeout,
        )
        self.host = host
        self.port = port
        self.user = user
        self.key_filename = key_filename
        self.pkey = pkey
        self.known_hosts = known_hosts
        self.fingerprints = tuple(host_key_fingerprints)
        self.accept_unknown = accept_unknown_host_keys
        self.pinned_host_keys = (
            os.path.expanduser(pinned_host_keys) if pinned_host_keys is not None else None
        )
        self.connect_timeout = connect_timeout
        self.tcp_nodelay = tcp_nodelay
        self._client: paramiko.SSHClient | None = None
        self._lock = threading.Lock()
        # sshd allows 10 sessions per connection (MaxSessions); stay below it
        self._slots = threading.BoundedSemaphore(max_sessions)

    def _connect(self) -> paramiko.SSHClient:
        import paramiko

        with self._lock:
            client = self._client
            if client is not None:
                tr = client.get_transport()
                if tr is not None and tr.is_active():
                    return client
                client.close()
                self._client = None
            try:
                sock = socket.create_connection((self.host, self.port), self.connect_timeout)
            except OSError as exc:
                raise TransportError(
                    f"cannot connect to {self.host}:{self.port}: {exc.strerror or exc}"
                ) from exc
            if self.tcp_nodelay:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client = paramiko.SSHClient()
            # a known_hosts file that does not exist pins nothing (fingerprints may do it)
            for path in (self.known_hosts, self.pinned_host_keys if self.accept_unknown else None):
                if path and os.path.exists(os.path.expanduser(path)):
                    _load_into(client.get_host_keys(), os.path.expanduser(path))
            client.set_missing_host_key_policy(
                _policy(self.fingerprints, self.accept_unknown, self.pinned_host_keys)
            )
            try:
                client.connect(
                    self.host,
                    self.port,
                    username=self.user,
                    pkey=self.pkey,
                    key_filename=self.key_filename,
                    sock=sock,
                    timeout=self.connect_timeout,
                    banner_timeout=self.connect_timeout,
                    auth_timeout=self.connect_timeout,
                    allow_agent=False,
                    look_for_keys=self.pkey is None and self.key_filename is None,
                )
            except BaseException:
                client.close()
                sock.close()
                raise
            self._client = client
            return client

    def _exec(self, command_line: str, stdin: bytes | None, timeout: float) -> Result:
        with self._slots:
            return self._exec_one(command_line, stdin, timeout)

    def _exec_one(self, command_line: str, stdin: bytes | None, timeout: float) -> Result:
        client = self._connect()
        transport = client.get_transport()
        if transport is None:  # pragma: no cover - _connect guarantees it
            raise TransportError(f"no SSH transport to {self.label}")
        try:
            chan = transport.open_session(timeout=self.connect_timeout)
        except Exception as exc:
            self._drop()
            raise TransportError(f"cannot open a channel to {self.label}: {exc}") from exc
        try:
            chan.settimeout(timeout)
            chan.exec_command(command_line)
            if stdin:
                chan.sendall(stdin)
            chan.shutdown_write()
            out = bytearray()
            while True:
                chunk = chan.recv(65536)
                if not chunk:
                    break
                out += chunk
            err = bytearray()
            while True:
                chunk = chan.recv_stderr(65536)
                if not chunk:
                    break
                err += chunk
            code = chan.recv_exit_status()
            if code == -1:  # the server closed the channel without an exit status
                raise TransportError(f"channel to {self.label} closed without an exit status")
        except TimeoutError as exc:
            raise TransportError(f"command timed out after {timeout:g} s on {self.label}") from exc
        except OSError as exc:
            self._drop()
            raise TransportError(f"connection to {self.label} failed: {exc}") from exc
        finally:
            chan.close()
        return Result(code, bytes(out), bytes(err))

    def open_sftp(self, server: str = "/usr/lib/openssh/sftp-server") -> paramiko.SFTPClient:
        """An SFTP session on the connection: the ``sftp`` subsystem, or with ``sudo`` the
        host's ``sftp-server`` run through ``sudo -n`` (so files are written as root, like the
        commands)."""
        import paramiko

        transport = self._connect().get_transport()
        if transport is None:  # pragma: no cover - _connect guarantees it
            raise TransportError(f"no SSH transport to {self.label}")
        chan = transport.open_session(timeout=self.connect_timeout)
        if self.sudo:
            chan.exec_command(command(["sudo", "-n", "--", server]))
        else:
            chan.invoke_subsystem("sftp")
        return paramiko.SFTPClient(chan)

    def _drop(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def close(self) -> None:
        """Close the connection (a later command reconnects)."""
        self._drop()
