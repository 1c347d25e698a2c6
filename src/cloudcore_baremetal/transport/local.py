"""The local transport: the same interface as SSH, over a subprocess on this machine.

Crash-point testing: with ``CLOUDCORE_LOCAL_KILL_AFTER=N`` in the environment, the process kills
itself with ``SIGKILL`` right after its ``N``-th host command completed (``wN``: its ``N``-th
*writing* command; a kill after a read leaves the host as a kill after the write before it).
Tests use it to stop a run at every point and check that a rerun converges.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from . import Result, Transport, TransportError

__all__ = ["KILL_AFTER_ENV", "LocalTransport", "local_path"]

KILL_AFTER_ENV = "CLOUDCORE_LOCAL_KILL_AFTER"
_done = {"all": 0, "writes": 0}  # host commands this process ran (for the crash-point hook)


def _failpoint(mutating: bool) -> None:
    """SIGKILL this process after the N-th command when ``CLOUDCORE_LOCAL_KILL_AFTER`` says so."""
    spec = os.environ.get(KILL_AFTER_ENV)
    if not spec:
        return
    writes_only = spec.startswith("w")
    n = int(spec.removeprefix("w"))
    if writes_only and not mutating:
        return
    key = "writes" if writes_only else "all"
    _done[key] += 1
    if _done[key] >= n:
        os.kill(os.getpid(), signal.SIGKILL)


def local_path() -> str:
    """``PATH`` with this interpreter's folder first, so programs installed with cloudcore
    (``supervisord`` from the ``supervisor`` package) are found even outside an activated venv."""
    here = os.path.dirname(sys.executable or "")
    rest = os.environ.get("PATH", os.defpath)
    return f"{here}{os.pathsep}{rest}" if here else rest


class LocalTransport(Transport):
    """Runs commands with ``/bin/sh -c`` on this machine.

    Args:
        provider: Driver name for events.
        sudo: Use ``sudo -n`` for privileged commands (never needed when running as root).
        timeout: Default command timeout in seconds.
    """

    service = "local"

    def __init__(
        self, *, provider: str = "local", sudo: bool = False, timeout: float = 120.0
    ) -> None:
        super().__init__(
            label="localhost",
            provider=provider,
            sudo=sudo and os.geteuid() != 0,
            timeout=timeout,
        )

    def _completed(self, mutating: bool) -> None:
        _failpoint(mutating)

    def _exec(self, command_line: str, stdin: bytes | None, timeout: float) -> Result:
        try:
            proc = subprocess.run(
                ["/bin/sh", "-c", command_line],
                input=stdin if stdin is not None else b"",
                capture_output=True,
                timeout=timeout,
                check=False,
                env={**os.environ, "PATH": local_path()},
            )
        except subprocess.TimeoutExpired as exc:
            raise TransportError(f"command timed out after {timeout:g} s on localhost") from exc
        except OSError as exc:
            raise TransportError(f"cannot run /bin/sh: {exc}") from exc
        return Result(proc.returncode, proc.stdout, proc.stderr)
