"""Transports: how the engine runs commands on a host (SSH or a local subprocess).

Both have one interface, :class:`Transport`. A command is an argument list or a
:class:`~cloudcore_baremetal._shell.Script`; it is quoted, wrapped in ``sudo -n`` when asked,
and every execution emits one ``cloudcore_api_call`` event (service ``"ssh"`` or ``"local"``,
operation = the command's name). Secret values travel only over ``stdin``.
"""

from __future__ import annotations

import os
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from cloudcore._context import current_call
from cloudcore.events import emit_api_call
from cloudcore.testing.faults import FaultQueue

from .._shell import AND, OR, SEQ, Script, command, exit_with, group, script, to_file
from .wire import HostWire

_MISSING = 3

__all__ = [
    "CommandError",
    "InjectedFault",
    "Result",
    "Transport",
    "TransportError",
]


@dataclass(frozen=True, slots=True)
class Result:
    """What a command returned."""

    code: int
    stdout: bytes = field(repr=False)
    stderr: bytes = field(repr=False)

    @property
    def text(self) -> str:
        """Standard output decoded as UTF-8 (invalid bytes replaced)."""
        return self.stdout.decode("utf-8", "replace")

    @property
    def error_text(self) -> str:
        """Standard error decoded, stripped."""
        return self.stderr.decode("utf-8", "replace").strip()


class TransportError(Exception):
    """A host could not be reached or a channel failed (mapped to TransientError)."""


class CommandError(Exception):
    """A command exited non-zero.

    Args:
        name: The command's short name.
        code: Exit status.
        stderr: Its standard error (never contains a secret: secrets travel on stdin only).
        host: The host label.
    """

    def __init__(self, name: str, code: int, stderr: str, host: str) -> None:
        self.name = name
        self.code = code
        self.stderr = stderr[-2000:]
        self.host = host
        super().__init__(f"{name} on {host} exited {code}: {self.stderr or '(no output)'}")


class InjectedFault(Exception):
    """A fault a test injected through the transport's fault queue."""

    def __init__(self, kind: str, retry_after: float | None = None) -> None:
        self.kind = kind
        self.retry_after = retry_after
        super().__init__(f"injected {kind} fault")


class Transport(ABC):
    """Runs commands on one host.

    Attributes:
        service: ``"ssh"`` or ``"local"`` (the event's service name).
        label: A short name for the host in errors.
        provider: The driver name events are reported under.
        sudo: Whether commands marked ``sudo`` really use ``sudo -n``.
        faults: A fault queue tests use to inject failures, or ``None``.
        wire: A test target's :class:`~.wire.HostWire` counting what the host runs, or ``None``.
    """

    service = "local"

    def __init__(self, *, label: str, provider: str, sudo: bool, timeout: float) -> None:
        self.label = label
        self.provider = provider
        self.sudo = sudo
        self.timeout = timeout
        self.faults: FaultQueue | None = None
        self.wire: HostWire | None = None

    def run(
        self,
        cmd: Sequence[str] | Script,
        *,
        mutating: bool,
        name: str | None = None,
        stdin: bytes | None = None,
        check: bool = True,
        timeout: float | None = None,
        sudo: bool = True,
    ) -> Result:
        """Run one command on the host.

        Args:
            cmd: An argument list (quoted here) or a :class:`Script`.
            mutating: Whether it writes (reported in the event).
            name: Operation name for the event (defaults to the first word).
            stdin: Bytes fed to its standard input (the only way secret values travel).
            check: Raise :class:`CommandError` on a non-zero exit.
            timeout: Seconds before :class:`TransportError`.
            sudo: Run it through ``sudo -n`` when the transport uses sudo.

        Returns:
            The :class:`Result`.
        """
        if isinstance(cmd, Script):
            text = str(cmd)
            label = name or "sh"
            wrapped = command(["sh", "-c", text])
        else:
            text = command(cmd)
            label = name or os.path.basename(str(cmd[0]))
            wrapped = text
        if sudo and self.sudo:
            wrapped = command(["sudo", "-n", "--", "sh", "-c", text])
        self._inject(label, mutating, self.service)
        if self.wire is not None:  # what the host is about to run, classified host-side
            self.wire.saw(self.label, label, text, stdin)
        try:
            result = self._exec(wrapped, stdin, timeout or self.timeout)
        except Exception:
            emit_api_call(self.provider, self.service, label, mutating=mutating, status=None)
            raise
        emit_api_call(self.provider, self.service, label, mutating=mutating, status=result.code)
        self._completed(mutating)
        if check and result.code != 0:
            detail = result.error_text or result.text.strip()[-500:]
            raise CommandError(label, result.code, detail, self.label)
        return result

    def _inject(self, label: str, mutating: bool, service: str) -> None:
        call = current_call()
        if self.faults is not None:
            fault = self.faults.take(call.operation if call else None, label, mutating)
            if fault is not None:
                if fault.kind == "latency":
                    time.sleep(fault.seconds)
                else:
                    status = 429 if fault.kind == "throttle" else 503
                    emit_api_call(self.provider, service, label, mutating=mutating, status=status)
                    raise InjectedFault(fault.kind, fault.retry_after)

    def account(self, name: str, *, mutating: bool, service: str) -> None:
        """Count one operation done without a command (files on this machine, or over SFTP):
        injected faults apply to it, the wire counter sees it where the file operation happens,
        and it emits one ``cloudcore_api_call`` event."""
        self._inject(name, mutating, service)
        if self.wire is not None:
            self.wire.count(f"{self.label}: {name}", mutating=mutating)
        emit_api_call(self.provider, service, name, mutating=mutating, status=200)

    def write_file(self, path: str, data: bytes, *, mode: str = "600", name: str = "put") -> None:
        """Write ``data`` to ``path`` atomically (mode ``mode``), sent over stdin.

        A failed write (a full disk) removes its temporary file and leaves ``path`` as it was.
        """
        tmp = f"{path}.tmp{secrets.token_hex(6)}"
        self.run(
            script(
                ["umask", "077"],
                SEQ,
                group(
                    ["cat"], to_file(tmp), AND, ["chmod", mode, tmp], AND, ["mv", "-f", tmp, path]
                ),
                OR,
                group(["rm", "-f", tmp], SEQ, exit_with(1)),
            ),
            mutating=True,
            name=name,
            stdin=data,
        )

    def read_file(self, path: str, *, name: str = "cat") -> bytes | None:
        """The file's bytes, or ``None`` when it does not exist."""
        res = self.run(
            script(["test", "-e", path], OR, exit_with(_MISSING), SEQ, ["cat", path]),
            mutating=False,
            name=name,
            check=False,
        )
        if res.code == 0:
            return res.stdout
        if res.code == _MISSING:
            return None
        raise CommandError(name, res.code, res.error_text, self.label)

    @abstractmethod
    def _exec(self, command_line: str, stdin: bytes | None, timeout: float) -> Result:
        """Run a fully quoted command line; returns its result."""

    def _completed(self, mutating: bool) -> None:  # noqa: B027 - optional hook
        """Called after every command that ran (the local transport's crash-point hook)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the connection (no-op for local)."""
