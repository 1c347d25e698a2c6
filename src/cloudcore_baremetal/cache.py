"""Caches: one Redis instance per cache on the ``cache`` host, supervised like a service.

Each cache has its own port (from ``extras['port']`` or the first free one from 6380), its own
``redis.conf`` (0600, holding ``requirepass``: the password is never on a command line) and a
generated password kept as the cloudcore secret ``cache/<name>/password``. It runs as the
``redis`` user when the host has one and cloudcore is root there.
"""

from __future__ import annotations

import secrets as pysecrets
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from cloudcore.errors import AlreadyExists, OperationTimeout
from cloudcore.models import CacheConfig, CacheEndpoint, HealthCheck

from ._checks import check_address, check_port
from ._hostutil import is_root
from ._rollout import wait_settled
from ._runfiles import ENV_FILE, env_file, run_script
from ._state import config_hash, read_all, read_one, write_one
from .managers import Program, manager_for

if TYPE_CHECKING:
    from .inventory import Host
    from .provider import BaremetalProvider

__all__ = ["MAXMEMORY", "Caches"]

MAXMEMORY = {"micro": "64mb", "small": "256mb", "medium": "1gb", "large": "4gb", "xlarge": "16gb"}
"""Portable size class to Redis ``maxmemory``."""

FIRST_PORT = 6380


class Caches:
    """The cache engine of a bare-metal provider."""

    def __init__(self, provider: BaremetalProvider) -> None:
        self.p = provider

    @property
    def host(self) -> Host:
        """The ``cache`` host."""
        return self.p.inventory.one("cache")

    @staticmethod
    def prog_name(name: str) -> str:
        """The manager's name for a cache."""
        return f"cc-cache-{name}"

    def _user(self, host: Host) -> str | None:
        if host.fact("redis_user") is None:
            ok = False
            if is_root(host):
                res = host.transport.run(
                    ["id", "-u", "redis"], mutating=False, name="id", check=False
                )
                ok = res.code == 0
            host.set_fact("redis_user", "redis" if ok else "")
        return host.fact("redis_user") or None

    def _program(self, host: Host, name: str) -> Program:
        return Program(
            name=self.prog_name(name),
            workdir=host.path("caches", name),
            replicas=1,
            user=self._user(host),
            description=f"cache {name}",
        )

    def all_states(self) -> list[dict[str, Any]]:
        """Every recorded cache."""
        return [s for s in read_all(self.host, "caches", "state.json") if s.get("kind") == "cache"]

    def _free_port(self, host: Host) -> int:
        used = {int(s["port"]) for s in self.all_states()}
        res = host.transport.run(["ss", "-Htln"], mutating=False, name="ss", check=False)
        for line in res.text.splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[3].rsplit(":", 1)[-1].isdigit():
                used.add(int(parts[3].rsplit(":", 1)[-1]))
        port = FIRST_PORT
        while port in used:
            port += 1
        return port

    def _endpoint(self, st: dict[str, Any], status: str = "available") -> CacheEndpoint:
        return CacheEndpoint(
            name=st["name"],
            host=st["bind"],
            port=int(st["port"]),
            tls=False,
            auth_secret=st.get("auth_secret"),
            status=status,
            provider_id=f"{self.host.name}/{self.prog_name(st['name'])}",
        )

    def provision(self, config: CacheConfig) -> CacheEndpoint:
        """Start (or return) the cache's Redis instance."""
        with self.host.lock:  # one port allocation at a time
            return self._provision(config)

    def _provision(self, config: CacheConfig) -> CacheEndpoint:
        host = self.host
        digest = config_hash(config.model_dump(mode="json"))
        st = read_one(host, f"caches/{config.name}/state.json")
        if st is not None and st.get("deleting"):  # a killed delete: finish it, then create
            self.delete(config.name)
            st = None
        mgr = manager_for(host)
        prog = self._program(host, config.name)
        if st is not None:
            if st["hash"] != digest:
                raise AlreadyExists(f"cache {config.name!r} exists with a different config")
            states = mgr.status(prog)
            if not any(s.running for s in states):
                # down, or started by a run killed before it saw Redis settle: the endpoint is
                # returned only once Redis answers and the manager counts it running
                if not any(s.up for s in states):
                    mgr.start_missing(prog, states)
                self._wait(host, int(st["port"]), st["bind"])
                wait_settled(host, prog, f"redis {prog.name}")
            return self._endpoint(st)
        # a run killed after writing redis.conf may have started Redis: keep its port (the
        # rerun's free-port scan would see it taken) and restart it if the config changes
        prior = host.transport.read_file(f"{prog.workdir}/redis.conf")
        prior_port = next(
            (
                int(ln.split()[1])
                for ln in (prior or b"").decode().splitlines()
                if ln.startswith("port ") and ln.split()[1].isdigit()
            ),
            None,
        )
        # both are written into redis.conf: checked whatever their source
        port = check_port(
            config.extras.get("port") or prior_port or self._free_port(host), "extras.port"
        )
        bind = check_address(config.extras.get("bind") or host.address, "extras.bind")
        auth_secret = None
        lines = [
            "# managed-by=cloudcore",
            f"bind {bind}",
            f"port {port}",
            'save ""',
            "appendonly no",
            "daemonize no",
            f"dir {prog.workdir}",
            f"maxmemory {MAXMEMORY[config.size.value]}",
            "maxmemory-policy allkeys-lru",
        ]
        if config.auth:
            auth_secret = f"cache/{config.name}/password"
            # the first run's password, also for a rerun after a crash or a concurrent caller
            password = self.p.secret_store.store_first(
                auth_secret, SecretStr(pysecrets.token_urlsafe(24))
            ).get_secret_value()
            lines.append(f"requirepass {password}")
        t = host.transport
        t.run(
            ["mkdir", "-p", "-m", "700", prog.workdir, f"{prog.workdir}/logs"],
            mutating=True,
            name="mkdir",
        )
        conf = ("\n".join(lines) + "\n").encode()
        t.write_file(f"{prog.workdir}/redis.conf", conf, name="put-redis-conf")
        t.write_file(f"{prog.workdir}/{ENV_FILE}", env_file({}), name="put-env")
        t.write_file(
            f"{prog.workdir}/run.sh",
            run_script(
                workdir=prog.workdir,
                argv=["redis-server", f"{prog.workdir}/redis.conf"],
                stamp=mgr.kind == "supervisord",
                python=host.fact("python") or "python3",
            ),
            mode="700",
            name="put-run",
        )
        if prog.user:
            t.run(["chown", "-R", "--", f"{prog.user}:", prog.workdir], mutating=True, name="chown")
        mgr.apply(prog)
        if prior is not None and prior != conf and any(s.up for s in mgr.status(prog)):
            mgr.restart(prog, 0)
        st = {
            "kind": "cache",
            "name": config.name,
            "hash": digest,
            "port": port,
            "bind": bind,
            "auth_secret": auth_secret,
            "config": config.model_dump(mode="json"),
            "created_at": datetime.now(UTC).isoformat(),
        }
        write_one(host, f"caches/{config.name}/state.json", st)
        self._wait(host, port, bind)
        wait_settled(host, prog, f"redis {prog.name}")
        return self._endpoint(st)

    def _wait(self, host: Host, port: int, bind: str, *, up: bool = True) -> None:
        """Wait until Redis answers on ``port`` (or, with ``up=False``, until it no longer does)."""
        deadline = time.monotonic() + 20
        hc = HealthCheck(path=None, timeout_seconds=1, interval_seconds=1)
        addr = "127.0.0.1" if bind in ("0.0.0.0", "*") else bind.split()[0]
        while time.monotonic() < deadline:
            if bool(self.p.compute.healthy_ports(host, hc, [port], addr)) == up:
                return
            time.sleep(0.05)
        state = "did not start" if up else "still answers after it was stopped"
        raise OperationTimeout(f"redis on {host.name}:{port} {state}")

    def running(self, name: str) -> bool:
        """Whether the manager reports the cache's Redis running."""
        host = self.host
        return any(s.running for s in manager_for(host).status(self._program(host, name)))

    def delete(self, name: str) -> None:
        """Stop and remove the instance, forget its password (succeeds when gone)."""
        host = self.host
        st = read_one(host, f"caches/{name}/state.json")
        if st is None:
            return
        if not st.get("deleting"):  # recorded first: a run killed half-way is finished later
            write_one(host, f"caches/{name}/state.json", {**st, "deleting": True})
        manager_for(host).remove(self._program(host, name))
        # the manager reports the program stopped once its wrapper exits; Redis itself may
        # still be closing its port for a moment: "deleted" means nothing answers there
        self._wait(host, int(st["port"]), str(st.get("bind", "127.0.0.1")), up=False)
        if st.get("auth_secret"):
            self.p.secret_store.delete(st["auth_secret"])
        host.transport.run(["rm", "-rf", "--", host.path("caches", name)], mutating=True, name="rm")
