"""The files a supervised program runs from: ``run.sh`` and its env file.

Both are generated from argument lists and ``shlex.quote``: the command becomes one quoted
``exec`` line, each variable one ``NAME='value'`` line. The env file (mode 0600) is read by
``run.sh`` with ``set -a; . env`` so values never appear on a command line. Each replica gets
``PORT`` (the service port plus its index on the host) and ``CLOUDCORE_REPLICA``.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

from ._shell import command

__all__ = ["env_file", "run_script"]

_STAMP = (
    " 2>&1 | while IFS= read -r line; do "
    'printf \'%s %s\\n\' "$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)" "$line"; done'
)


def env_file(env: Mapping[str, str]) -> bytes:
    """The env file: one ``NAME='value'`` line per variable (names already validated)."""
    lines = ["# managed-by=cloudcore"]
    for key in sorted(env):
        if not key.replace("_", "a").isalnum() or key[0].isdigit():
            raise ValueError(f"invalid variable name {key!r}")
        lines.append(f"{key}={shlex.quote(env[key])}")
    return ("\n".join(lines) + "\n").encode()


def run_script(
    *,
    workdir: str,
    argv: Sequence[str] | None,
    image: str | None = None,
    env_names: Sequence[str] = (),
    port: int | None = None,
    stamp: bool = False,
    container_name: str | None = None,
    cpu: float | None = None,
    memory: int | None = None,
) -> bytes:
    """``run.sh``: checks the replica index, loads the env file, then ``exec``s the command.

    Args:
        workdir: The program's folder (holds ``env``).
        argv: The command (or the container's command when ``image`` is set).
        image: Run this image with podman (``--network host``) instead of a plain process.
        env_names: Variables passed into the container by name (``-e NAME``, no values).
        port: Base port; replica ``i`` gets ``PORT = port + i``.
        stamp: Prefix every output line with a UTC timestamp (for supervisord log files).
        container_name: Container name prefix (the replica index is appended).
        cpu: Container CPU limit (podman ``--cpus``).
        memory: Container memory limit in MiB (podman ``--memory``).
    """
    q = shlex.quote
    lines = [
        "#!/bin/sh",
        "# managed-by=cloudcore; generated, do not edit",
        'i="${1:-0}"',
        'case "$i" in *[!0-9]*|"") echo "bad replica index" >&2; exit 2;; esac',
        f"cd {q(workdir)} || exit 1",
        "set -a",
        f". {q(workdir + '/env')}",
        "set +a",
        'CLOUDCORE_REPLICA="$i"',
        "export CLOUDCORE_REPLICA",
    ]
    if port is not None:
        lines += [f"PORT=$(({int(port)} + i))", "export PORT"]
    if image is not None:
        names = ["CLOUDCORE_REPLICA", *(["PORT"] if port is not None else []), *env_names]
        argv_full = ["podman", "run", "--rm", "--replace", "--network", "host"]
        for n in sorted(set(names)):
            argv_full += ["-e", n]
        if cpu is not None:
            argv_full += ["--cpus", f"{cpu:g}"]
        if memory is not None:
            argv_full += ["--memory", f"{memory}m"]
        run = command([*argv_full, "--name", container_name or "cc"])
        # the replica index is validated above to be digits only
        run = run + '-"$i" ' + command([image, *(argv or ())])
    else:
        if not argv:
            raise ValueError("a command is required without an image")
        run = command(argv)
    lines.append(run + _STAMP if stamp else "exec " + run)
    return ("\n".join(lines) + "\n").encode()
