"""Waiting until a deploy's replicas really run, and saying why when they do not.

A replica counts as running when its manager says so after the settle time (supervisord
``startsecs``; systemd: active that long) and, with a health check, once the check passes. A
replica that keeps exiting (two distinct failed starts seen, or supervisord gave up: ``FATAL``)
fails the deploy at once, with the reason read from the runtime: its state, exit status, the
manager's spawn error and the last lines it logged (podman's pull error for an image that cannot
be pulled, the traceback of a crashing command).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from cloudcore.errors import OperationTimeout, ProviderError
from cloudcore.models import ServiceConfig

from .managers import Manager, Program, ReplicaState, manager_for

if TYPE_CHECKING:
    from .compute import Compute
    from .inventory import Host

__all__ = [
    "START_TIMEOUT",
    "Failure",
    "pull_image",
    "replica_reason",
    "wait_running",
    "wait_settled",
]

# Pulls with the service's own environment (podman reads CONTAINERS_CONF and friends from it, as
# in run.sh), loaded by the same launcher from the JSON environment file (never sourced by a
# shell); the image is a positional argument, never shell code.
_PULL = 'podman image exists -- "$1" 2>/dev/null || podman pull --quiet -- "$1" >/dev/null'

START_TIMEOUT = 20.0  # seconds for replicas without a health check to settle
LOG_LINES = 5


def pull_image(host: Host, workdir: str, image: str) -> None:
    """Have ``image`` on ``host`` before replicas start, or fail with podman's reason.

    Without this, ``podman run`` retries a failing pull for seconds while the replica looks
    up, and the failure surfaces only as a health check that never passes.
    """
    from ._runfiles import launch

    python = host.fact("python") or "python3"
    res = host.transport.run(
        launch(python, workdir, ["sh", "-c", _PULL, "sh", image], optional=True),
        mutating=True,
        name="podman-pull",
        check=False,
    )
    if res.code != 0:
        lines = [ln for ln in res.error_text.splitlines() if ln.strip()]
        lines = [ln for ln in lines if ln.startswith("Error")][-2:] or lines[-3:]
        raise ProviderError(
            f"image {image!r} cannot be pulled on {host.name} (podman exit status {res.code}): "
            + (" | ".join(lines) or "no output")
        )


class Failure:
    """Why a host's replicas are not running: ``crashed`` (fail now) or not yet (timed out)."""

    def __init__(self, reason: str, *, crashed: bool) -> None:
        self.reason = reason
        self.crashed = crashed


def replica_reason(
    host: Host, mgr: Manager, prog: Program, rep: ReplicaState | None, i: int
) -> str:
    """One replica's failure in the runtime's own words (state, exit status, last log lines)."""
    if rep is None:
        return f"replica {i} on {host.name} is not known to {mgr.kind}"
    words = [f"replica {i} on {host.name} is {rep.state}"]
    if rep.exit_status:
        words.append(f"exit status {rep.exit_status}")
    elif not rep.running:
        ended = mgr.last_exit(prog, i)
        if ended:
            words.append(f"last {ended}")
    if rep.detail:
        words.append(rep.detail)
    text = ", ".join(words)
    mine = (f"/{prog.name}-{i}", f"/{prog.name}@{i}")  # supervisord log file, systemd unit
    lines = [
        e.message
        for e in mgr.logs(prog, None, 50)
        if (e.source or "").removesuffix(".service").endswith(mine)
    ][-LOG_LINES:]
    if lines:
        text += "; last log lines: " + " | ".join(line.strip()[:300] for line in lines)
    else:
        text += "; it logged nothing"
    return text


def wait_running(
    compute: Compute,
    host: Host,
    mgr: Manager,
    prog: Program,
    config: ServiceConfig,
    *,
    timeout: float | None = None,
) -> Failure | None:
    """Wait until every replica of ``prog`` on ``host`` runs (and passes the health check).

    ``timeout=0`` looks once (for the reason of a failure already known).
    """
    count = prog.replicas
    if count == 0:
        return None
    hc = config.health_check
    ports = [config.port + i for i in range(count)] if config.port else []
    if hc is not None and hc.port is not None:
        ports = [hc.port]
    if timeout is None:
        if hc is not None and ports:
            timeout = float(config.extras.get("health_timeout", max(30, hc.grace_seconds + 30)))
        else:
            timeout = float(config.extras.get("start_timeout", START_TIMEOUT))
        timeout = max(timeout, prog.settle_seconds + 2)
    deadline = time.monotonic() + timeout
    failed_starts: dict[int, set[float | None]] = {}
    delay = 0.1
    while True:
        states = {s.index: s for s in mgr.status(prog)}
        wanted = [states.get(i) for i in range(count)]
        if all(s is not None and s.running for s in wanted) and (
            hc is None or not ports or compute.healthy_ports(host, hc, ports) >= set(ports)
        ):
            return None
        for i, s in enumerate(wanted):
            if s is None or s.running or not s.failed:
                continue
            failed_starts.setdefault(i, set()).add(s.started)
            if s.state == "FATAL" or len(failed_starts[i]) >= 2:
                return Failure(replica_reason(host, mgr, prog, s, i), crashed=True)
        if time.monotonic() > deadline:
            for i, s in enumerate(wanted):
                if s is None or not s.running:
                    return Failure(replica_reason(host, mgr, prog, s, i), crashed=False)
            return Failure(
                f"replicas on {host.name} run but did not pass the health check "
                f"({hc.path if hc and hc.path else 'TCP connect'} on ports {ports})",
                crashed=False,
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)


def wait_settled(host: Host, prog: Program, what: str) -> None:
    """Wait until ``host``'s manager counts the single-replica ``prog`` running (up past the
    settle time), or fail with the runtime's reason. ``what`` names it in the error."""
    mgr = manager_for(host)
    deadline = time.monotonic() + prog.settle_seconds + 10
    while True:
        states = mgr.status(prog)
        if any(s.running for s in states):
            return
        if time.monotonic() > deadline:
            rep = states[0] if states else None
            raise OperationTimeout(
                f"{what} on {host.name} did not stay up: {replica_reason(host, mgr, prog, rep, 0)}"
            )
        time.sleep(0.1)
