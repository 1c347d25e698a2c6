"""The local transport: the same interface as SSH, over a subprocess on this machine."""

from __future__ import annotations

import os
import subprocess
import sys

from . import Result, Transport, TransportError

__all__ = ["LocalTransport", "local_path"]


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
