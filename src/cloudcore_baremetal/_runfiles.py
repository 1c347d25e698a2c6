"""The files a supervised program runs from: ``run.sh`` and its environment file.

The environment travels by file, never as shell code: ``env.json`` (mode 0600) maps names to
values, and a small launcher (:data:`LAUNCHER`, run by the host's Python in isolated mode) reads
it, adds ``CLOUDCORE_REPLICA`` and ``PORT`` and ``exec``s the command with that environment.
``run.sh`` itself only checks the replica index (its first argument, digits only) and starts the
launcher; it never assigns, sources or expands a variable the service defines, so no name a
user picks (``i``, ``PATH``, ``IFS``, ``UID``) can shadow a variable of the script, and no value
(``a[$(cmd)]``) is ever evaluated by a shell.

Container images run as ``podman run [options] -- IMAGE [ARGS]``: the image is validated as an
OCI reference by the model and separated from podman's options by ``--``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from ._shell import command

__all__ = ["ENV_FILE", "LAUNCHER", "env_file", "launch", "run_script"]

ENV_FILE = "env.json"
"""The environment file's name in a program's folder."""

_NAME = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")

_STAMP = (
    " 2>&1 | while IFS= read -r line; do "
    'printf \'%s %s\\n\' "$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)" "$line"; done'
)

LAUNCHER = """\
import json, os, sys
path, index, port, sep, argv = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
if sep != "--" or not argv or not (index == "-" or index.isdigit()):
    sys.exit("cloudcore launcher: bad arguments")
env = dict(os.environ)
try:
    with open(path.lstrip("?"), encoding="utf-8") as fh:
        env.update(json.load(fh))
except FileNotFoundError:
    if not path.startswith("?"):
        sys.exit("cloudcore launcher: no environment file " + path)
if index != "-":
    env["CLOUDCORE_REPLICA"] = index
    if port != "-":
        env["PORT"] = str(int(port) + int(index))
os.execvpe(argv[0], argv, env)
"""
"""Reads the JSON environment file, sets the replica variables and execs the command."""


def env_file(env: Mapping[str, str]) -> bytes:
    """The environment file: a JSON object of name to value (names checked again here)."""
    for key, value in env.items():
        if not _NAME.fullmatch(key):
            raise ValueError(f"invalid variable name {key!r}")
        if "\0" in value:
            raise ValueError(f"variable {key}: a NUL cannot be passed in an environment")
    return (json.dumps(dict(sorted(env.items())), ensure_ascii=True) + "\n").encode()


def launch(
    python: str,
    workdir: str,
    argv: Sequence[str],
    *,
    port: int | None = None,
    optional: bool = False,
) -> list[str]:
    """The launcher's argument list for ``argv`` with the program's environment (no replica
    index: see :func:`run_script`). ``optional``: a missing environment file is no error."""
    path = ("?" if optional else "") + f"{workdir}/{ENV_FILE}"
    return [python, "-I", "-c", LAUNCHER, path, "-", _port(port), "--", *argv]


def _port(port: int | None) -> str:
    return "-" if port is None else str(int(port))


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
    python: str = "python3",
) -> bytes:
    """``run.sh``: checks the replica index, then runs the command through the launcher.

    Args:
        workdir: The program's folder (holds ``env.json``).
        argv: The command (or the container's command when ``image`` is set).
        image: Run this image with podman (``--network host``) instead of a plain process.
        env_names: Variables passed into the container by name (``-e NAME``, no values).
        port: Base port; replica ``i`` gets ``PORT = port + i``.
        stamp: Prefix every output line with a UTC timestamp (for supervisord log files).
        container_name: Container name prefix (the replica index is appended).
        cpu: Container CPU limit (podman ``--cpus``).
        memory: Container memory limit in MiB (podman ``--memory``).
        python: The host's Python, which runs the launcher.
    """
    if image is not None:
        if image.startswith("-"):
            raise ValueError(f"an image reference never starts with '-' (got {image!r})")
        names = ["CLOUDCORE_REPLICA", *(["PORT"] if port is not None else []), *env_names]
        argv_full = ["podman", "run", "--rm", "--replace", "--network", "host"]
        for n in sorted(set(names)):
            if not _NAME.fullmatch(n):
                raise ValueError(f"invalid variable name {n!r}")
            argv_full += ["-e", n]
        if cpu is not None:
            argv_full += ["--cpus", f"{cpu:g}"]
        if memory is not None:
            argv_full += ["--memory", f"{int(memory)}m"]
        # the replica index ("$1") is checked above to be digits only
        head = command([*argv_full, "--name"]) + " " + command([container_name or "cc"]) + '-"$1"'
        tail = command(["--", image, *(argv or ())])
    else:
        if not argv:
            raise ValueError("a command is required without an image")
        head, tail = "", command(list(argv))
    launcher = (
        command([python, "-I", "-c", LAUNCHER, f"{workdir}/{ENV_FILE}"])
        + ' "$1" '
        + command([_port(port), "--"])
    )
    run = " ".join(part for part in (launcher, head, tail) if part)
    lines = [
        "#!/bin/sh",
        "# managed-by=cloudcore; generated, do not edit",
        "# The environment is read from env.json by the launcher: this script has no",
        "# variables of its own and never evaluates one of the service's.",
        'set -- "${1:-0}"',
        'case "$1" in *[!0-9]*|"") echo "bad replica index" >&2; exit 2;; esac',
        f"cd {command([workdir])} || exit 1",
        *(
            # The command's own exit status, not the time-stamping loop's, is run.sh's: it
            # travels out of the pipeline on descriptor 3 (no shell variable involved).
            [
                "exec 4>&1",
                "exit $( { { " + run + " 2>&1; echo $? >&3; }" + _STAMP + " >&4; } 3>&1 )",
            ]
            if stamp
            else ["exec " + run]
        ),
    ]
    return ("\n".join(lines) + "\n").encode()
