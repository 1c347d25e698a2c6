"""The one place SSH, subprocess and host-command failures become cloudcore errors."""

from __future__ import annotations

import socket

from cloudcore.errors import (
    AuthenticationError,
    CloudcoreError,
    PermissionDenied,
    RateLimited,
    TransientError,
)

from ._dirstore import StoreError
from .transport import CommandError, InjectedFault, TransportError
from .transport.ssh import HostKeyRejected

__all__ = ["map_error"]

_SUDO_DENIED = ("a password is required", "is not in the sudoers file", "not allowed to execute")


def map_error(exc: Exception) -> CloudcoreError | None:
    """Translate ``exc``; ``None`` means unknown (the core raises ``ProviderError``)."""
    if isinstance(exc, StoreError):
        from .storage import store_error

        return store_error(exc)
    if isinstance(exc, InjectedFault):
        if exc.kind == "throttle":
            return RateLimited("host throttled the command (injected)", retry_after=exc.retry_after)
        return TransientError("host command failed transiently (injected)")
    if isinstance(exc, HostKeyRejected):
        return PermissionDenied(str(exc))
    if isinstance(exc, TransportError):
        return TransientError(str(exc))
    if isinstance(exc, CommandError):
        if exc.name in ("sudo",) or any(s in exc.stderr for s in _SUDO_DENIED):
            return PermissionDenied(f"sudo refused on {exc.host}: {exc.stderr}")
        return None
    try:
        import paramiko
    except ImportError:  # the local driver runs without paramiko
        paramiko = None  # type: ignore[assignment]
    if paramiko is not None:
        if isinstance(exc, paramiko.BadHostKeyException):
            from .transport.ssh import fingerprint

            return PermissionDenied(
                f"host key mismatch for {exc.hostname}: known_hosts pins "
                f"{fingerprint(exc.expected_key)}, the server offered {fingerprint(exc.key)}; "
                "refusing to connect (if the host was really reinstalled, remove its old line "
                "from the known_hosts file)"
            )
        if isinstance(exc, paramiko.AuthenticationException):
            return AuthenticationError(f"SSH authentication failed: {exc}")
        if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
            return TransientError(f"cannot connect: {exc}")
        if isinstance(exc, paramiko.SSHException):
            text = str(exc)
            if "Error reading SSH protocol banner" in text or "closed" in text.lower():
                return TransientError(f"SSH connection failed: {text}")
            return None
    if isinstance(exc, socket.timeout | TimeoutError | ConnectionError | EOFError):
        return TransientError(f"connection failed: {exc}")
    return None
