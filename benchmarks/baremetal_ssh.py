"""Bare-metal driver latencies over real SSH on loopback (needs root: starts sshd + a user).

Measures: connect+auth and exec round trip (``true``) with and without TCP_NODELAY, the same
through ``sudo -n``, a deploy of 3 replicas (cold and unchanged), and ``get_service_status``.

    sudo .venv/bin/python benchmarks/baremetal_ssh.py [--runs 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable

from cloudcore.models import ServiceConfig
from cloudcore_baremetal.provider import BaremetalProvider
from cloudcore_baremetal.testhosts import ssh_host, test_user
from cloudcore_baremetal.testing import random_key, shutdown_supervisor
from cloudcore_baremetal.transport.ssh import SSHTransport


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def row(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"| {name} | {len(ms)} | {statistics.median(ms):.1f} | {p95:.1f} | {ms[0]:.1f} |"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="ccbench-")
    os.chmod(work, 0o755)
    lines = ["| measurement | n | median ms | p95 ms | min ms |", "|---|---|---|---|---|"]
    with test_user(work) as user, ssh_host(work, user) as sshd:

        def transport(nodelay: bool) -> SSHTransport:
            return SSHTransport(
                sshd.address,
                sshd.port,
                user.name,
                key_filename=user.key_file,
                known_hosts=sshd.known_hosts,
                tcp_nodelay=nodelay,
            )

        for nodelay in (True, False):
            label = "TCP_NODELAY" if nodelay else "Nagle (default socket)"

            def connect(nd: bool = nodelay) -> None:
                t = transport(nd)
                t.run(["true"], mutating=False, sudo=False)
                t.close()

            lines.append(row(f"connect + auth + `true` ({label})", timed(connect, 20)))
            t = transport(nodelay)
            t.run(["true"], mutating=False, sudo=False)
            lines.append(
                row(
                    f"exec `true` on open connection ({label})",
                    timed(lambda t=t: t.run(["true"], mutating=False, sudo=False), args.runs),
                )
            )
            lines.append(
                row(
                    f"exec `true` through sudo -n ({label})",
                    timed(lambda t=t: t.run(["true"], mutating=False), args.runs // 4),
                )
            )
            t.close()

        state = f"{work}/state"
        p = BaremetalProvider(
            hosts=[sshd.host_spec(name="bench", state_dir=state, roles=["app"])],
            secret_key=random_key(),
            secret_key_file=None,
        )
        try:
            cfg = ServiceConfig(command=("/bin/sleep", "3600"), replicas=3)
            p.get_logs  # noqa: B018 - warm imports
            cold = timed(lambda: p.deploy_service("bench", cfg), 1)
            lines.append(row("deploy 3 replicas, first time (starts supervisord)", cold))
            p.delete_service("bench")
            fresh: list[float] = []
            for i in range(5):
                fresh += timed(lambda i=i: p.deploy_service(f"bench{i}", cfg), 1)
            lines.append(row("deploy 3 replicas, new service (supervisord up)", fresh))
            lines.append(
                row(
                    "deploy 3 replicas, unchanged (no writes)",
                    timed(lambda: p.deploy_service("bench0", cfg), 20),
                )
            )
            changed = [cfg.model_copy(update={"env": {"V": str(i)}}) for i in range(5)]
            lines.append(
                row(
                    "deploy 3 replicas, changed env (rolling restart)",
                    [timed(lambda c=c: p.deploy_service("bench0", c), 1)[0] for c in changed],
                )
            )
            lines.append(
                row(
                    "get_service_status (3 replicas)",
                    timed(lambda: p.get_service_status("bench0"), 20),
                )
            )
            for i in range(5):
                p.delete_service(f"bench{i}")
        finally:
            p.close()
            shutdown_supervisor(state)
    shutil.rmtree(work, ignore_errors=True)
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
