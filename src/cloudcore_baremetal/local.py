"""``LocalProvider``: the bare-metal engine on this machine, over a local transport (no SSH).

The embedded default (``cloudcore.connect()`` with no argument). State lives under a project
folder (default ``./.cloudcore/local``), the secrets key next to it (``./.cloudcore/secret.key``).
Compute and secrets work without root; databases and caches need PostgreSQL and Redis installed
(the reason says how to install them when they are missing). The local driver never changes this
machine's firewall.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cloudcore.capabilities import Capability

from .inventory import ROLES, Inventory
from .local_queues import LocalQueues
from .provider import BaremetalProvider, check_endpoint, check_state_dir
from .transport.local import LocalTransport, local_path

__all__ = ["LocalProvider"]

C = Capability


def _missing(*programs: str) -> str | None:
    for prog in programs:
        if shutil.which(prog, path=local_path()) is None and not any(
            Path(d, prog).exists() for d in ("/usr/sbin", "/sbin", "/usr/local/sbin")
        ):
            return prog
    return None


class LocalProvider(LocalQueues, BaremetalProvider):
    """This machine as a cloudcore provider.

    Args:
        project_dir: Where state lives (default ``./.cloudcore/local``, made absolute).
        secret_key: The 32-byte secrets key, urlsafe-base64 (else ``CLOUDCORE_SECRET_KEY``,
            else ``secret_key_file``).
        secret_key_file: Key file (default ``<project_dir>/../secret.key``, created 0600).
        sudo: Use ``sudo -n`` for commands when not running as root.
        run_as: User services run as (default: the current user).
        postgres: PostgreSQL settings (``port``, ``socket_dir``, ``os_user``, ``bin_dir``).
        timeout: Command timeout in seconds.
        storage_port: Port of the object endpoint serving presigned URLs on 127.0.0.1 (``0``: a
            free port, kept across restarts).
        storage_public_url: Base URL of presigned URLs (default ``http://127.0.0.1:<port>``).
        region: A label for resource ids.
        retry: Retry policy options.
    """

    name = "local"
    capabilities = frozenset(
        {C.COMPUTE, C.DATABASE, C.CACHE, C.SECRETS, C.QUEUES, C.DISCOVERY, C.STORAGE}
    )
    features: Mapping[Capability, frozenset[str]] = {
        **BaremetalProvider.features,
        C.QUEUES: frozenset({"dead_letter", "fifo", "delay", "redrive"}),
    }
    unsupported_reasons: Mapping[str, str] = {
        **BaremetalProvider.unsupported_reasons,
        "dns": "the local driver has no DNS; compose with cloudflare: "
        "connect({'compute': 'local', 'dns': 'cloudflare'})",
        "waf": "the local driver never changes this machine's firewall; use the baremetal "
        "driver on dedicated hosts (nftables) or compose with cloudflare",
    }

    def __init__(
        self,
        *,
        project_dir: str = ".cloudcore/local",
        secret_key: str | bytes | None = None,
        secret_key_file: str | None = None,
        sudo: bool = False,
        run_as: str | None = None,
        postgres: Mapping[str, Any] | None = None,
        timeout: float = 120.0,
        storage_port: int = 0,
        storage_public_url: str | None = None,
        region: str | None = None,
        retry: Any = None,
    ) -> None:
        super(BaremetalProvider, self).__init__(region=region, retry=retry)
        self._storage_endpoint = check_endpoint("127.0.0.1", storage_port, storage_public_url)
        state = check_state_dir(os.path.abspath(project_dir), "project_dir")
        self.queue_db = os.path.join(state, "queues.sqlite3")
        transport = LocalTransport(provider=self.name, sudo=sudo, timeout=timeout)
        host = self._host("localhost", "127.0.0.1", ROLES, transport, state, postgres or {}, "")
        key_file = secret_key_file or os.path.join(os.path.dirname(state), "secret.key")
        host.set_fact("python", sys.executable or "python3")  # health checks
        host.set_fact("redis_user", "")  # caches run as the current user, in the project folder
        if os.geteuid() != 0 and not transport.sudo:
            host.set_fact("manager", "supervisord")  # systemd units need root
        self._init_engine(Inventory([host]), secret_key, key_file, run_as)
        self._detect_programs()

    def _detect_programs(self) -> None:
        caps = set(self.capabilities)
        reasons = dict(self.unsupported_reasons)
        need = {
            C.COMPUTE: (("supervisord", "supervisorctl"), "apt-get install supervisor"),
            C.DATABASE: (
                (
                    self.inventory.hosts[0].postgres.tool("psql"),
                    self.inventory.hosts[0].postgres.tool("pg_isready"),
                    "pg_dump",
                    "pg_restore",
                ),
                "apt-get install postgresql",
            ),
            C.CACHE: (("redis-server",), "apt-get install redis-server"),
        }
        for cap, (programs, how) in need.items():
            if cap == C.COMPUTE and os.path.isdir("/run/systemd/system"):
                continue
            missing = _missing(*programs)
            if missing:
                caps.discard(cap)
                reasons[cap.value] = (
                    f"{missing} is not installed on this machine; install it with: {how}"
                )
        if _missing("supervisord", "supervisorctl") and not os.path.isdir("/run/systemd/system"):
            # presigned URLs and public reads are served by an endpoint under supervisord
            feats = dict(self.features)
            feats[C.STORAGE] = feats[C.STORAGE] - {"presign", "public"}
            self.features = feats
            for feat in ("presign", "public"):
                reasons[f"storage:{feat}"] = (
                    "the object endpoint runs under supervisord, which is not installed on "
                    "this machine; install it with: apt-get install supervisor"
                )
        if C.DATABASE in caps:
            pg = self.inventory.hosts[0].postgres
            ready = subprocess.run(
                [pg.tool("pg_isready"), "-q", "-h", pg.socket_dir, "-p", str(pg.port)],
                capture_output=True,
                check=False,
                timeout=10,
            )
            if ready.returncode != 0:
                caps.discard(C.DATABASE)
                reasons[C.DATABASE.value] = (
                    f"PostgreSQL is installed but no server answers on {pg.socket_dir} port "
                    f"{pg.port}; start one (pg_ctlcluster 15 main start, or service postgresql "
                    "start) or pass postgres={'port': ..., 'socket_dir': ...}"
                )
        self.capabilities = frozenset(caps)
        self.unsupported_reasons = reasons
