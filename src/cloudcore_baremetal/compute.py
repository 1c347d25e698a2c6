"""Compute: services as supervised processes, replicas spread over the ``app`` hosts.

Each app host holds ``<state>/services/<name>/`` (0700): ``run.sh``, ``env`` (0600, the plain
and secret variables), ``state.json`` (config hash, revision, replicas there) and, under
supervisord, ``logs/``. A deploy compares the config hash (config + secret versions) with the
recorded one per host: equal means nothing is written and nothing restarted; different means the
files are rewritten and the replicas restarted one by one, each waiting for its health check.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cloudcore.errors import NotFound, OperationTimeout, ProviderError, Unsupported
from cloudcore.models import (
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    NAME_TAG_KEY,
    DeploymentResult,
    HealthCheck,
    LogEntry,
    ServiceConfig,
    ServiceEvent,
    ServiceState,
    ServiceStatus,
    ServiceSummary,
    utcnow,
)

from ._rollout import pull_image, wait_running
from ._runfiles import ENV_FILE, env_file, launch, run_script
from ._shell import script, to_file
from ._state import config_hash, read_all, read_one, write_one
from .managers import Manager, Program, ReplicaState, manager_for
from .transport import CommandError

if TYPE_CHECKING:
    from .inventory import Host
    from .provider import BaremetalProvider

__all__ = ["Compute", "spread"]

_HEALTH = """
import sys, socket, http.client
path, timeout, addr = sys.argv[1], float(sys.argv[2]), sys.argv[3]
for port in sys.argv[4:]:
    try:
        if path == "-":
            socket.create_connection((addr, int(port)), timeout).close()
        else:
            conn = http.client.HTTPConnection(addr, int(port), timeout=timeout)
            conn.request("GET", path)
            if conn.getresponse().status >= 500:
                continue
        print(port)
    except Exception:
        pass
"""


def spread(replicas: int, hosts: int) -> list[int]:
    """Replicas per host: as even as possible, the first hosts taking the remainder."""
    base, extra = divmod(replicas, hosts)
    return [base + (1 if i < extra else 0) for i in range(hosts)]


class Compute:
    """The compute engine of a bare-metal or local provider."""

    def __init__(self, provider: BaremetalProvider) -> None:
        self.p = provider

    # ------------------------------------------------------------ helpers
    def _hosts(self) -> list[Host]:
        return self.p.inventory.with_role("app")

    @staticmethod
    def prog_name(name: str) -> str:
        """The manager's name for a service."""
        return f"cc-svc-{name}"

    def _program(self, host: Host, name: str, config: ServiceConfig, count: int) -> Program:
        return Program(
            name=self.prog_name(name),
            workdir=host.path("services", name),
            replicas=count,
            user=self.p.run_as,
            cpu=config.cpu,
            memory=config.memory,
            description=f"service {name}",
        )

    def _prog_from_state(self, host: Host, st: dict[str, Any]) -> Program:
        cfg = ServiceConfig.model_validate(st["config"])
        return self._program(host, st["name"], cfg, int(st["replicas"]))

    def _secret_versions(self, config: ServiceConfig) -> dict[str, str]:
        versions: dict[str, str] = {}
        for var, ref in sorted(config.secrets.items()):
            if ref.version is not None:
                versions[var] = ref.version
                continue
            found = self.p.secret_store.versions(ref.key)
            if not found:
                raise NotFound(f"secret {ref.key!r} (for {var}) does not exist")
            versions[var] = found[-1][0]
        return versions

    def _check_image(self, host: Host, config: ServiceConfig) -> None:
        if config.image is None:
            return
        if host.fact("podman") is None:
            res = host.transport.run(
                ["podman", "--version"], mutating=False, name="detect", check=False
            )
            host.set_fact("podman", res.code == 0)
        if not host.fact("podman"):
            raise Unsupported(
                "compute",
                "images",
                reason=f"host {host.name} has no podman (apt-get install podman), so it "
                "cannot run container images; give a command instead",
            )

    def _write_files(
        self, host: Host, name: str, config: ServiceConfig, versions: dict[str, str], mgr: Manager
    ) -> None:
        env = dict(config.env)
        for var, ref in config.secrets.items():
            env[var] = self.p.secret_store.get(ref.key, versions[var]).get_secret_value()
        workdir = host.path("services", name)
        t = host.transport
        t.run(["mkdir", "-p", "-m", "700", workdir, f"{workdir}/logs"], mutating=True, name="mkdir")
        t.write_file(f"{workdir}/{ENV_FILE}", env_file(env), name="put-env")
        run = run_script(
            workdir=workdir,
            argv=config.command,
            image=config.image,
            env_names=sorted(env),
            port=config.port,
            stamp=mgr.kind == "supervisord",
            container_name=self.prog_name(name),
            cpu=config.cpu,
            memory=config.memory,
            python=host.fact("python") or "python3",
        )
        t.write_file(f"{workdir}/run.sh", run, mode="700", name="put-run")

    def healthy_ports(
        self, host: Host, hc: HealthCheck, ports: list[int], address: str = "127.0.0.1"
    ) -> set[int]:
        """The ports among ``ports`` that pass the health check on ``host`` (probed there)."""
        if not ports:
            return set()
        res = host.transport.run(
            [
                host.fact("python") or "python3",
                "-c",
                _HEALTH,
                hc.path or "-",
                str(hc.timeout_seconds),
                address,
                *map(str, ports),
            ],
            mutating=False,
            name="health-check",
            check=False,
        )
        return {int(x) for x in res.text.split() if x.isdigit()}

    def _wait_healthy(self, host: Host, config: ServiceConfig, ports: list[int]) -> bool:
        hc = config.health_check
        if hc is None or not ports:
            return True
        if hc.port is not None:
            ports = [hc.port]
        timeout = float(config.extras.get("health_timeout", max(30, hc.grace_seconds + 30)))
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            if self.healthy_ports(host, hc, ports) >= set(ports):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    # ------------------------------------------------------------ protocol
    def deploy(self, name: str, config: ServiceConfig) -> DeploymentResult:
        """Create or update a service (see the module docstring)."""
        hosts = self._hosts()
        counts = spread(config.replicas, len(hosts))
        versions = self._secret_versions(config)
        digest = config_hash(
            {"config": config.model_dump(mode="json"), "secrets": versions, "v": 1}
        )
        revision = digest[:12]
        # what the processes run (everything but the replica count): restart only when it changes
        run_digest = config_hash(
            {
                "config": config.model_dump(mode="json", exclude={"replicas", "autoscaling"}),
                "secrets": versions,
            }
        )
        changed = False
        unhealthy: list[str] = []
        waits: list[tuple[Host, Manager, Program]] = []
        for host, count in zip(hosts, counts, strict=True):
            st = read_one(host, f"services/{name}/state.json")
            if st is not None and st.get("hash") == digest and st.get("replicas") == count:
                if not count:
                    continue
                mgr = manager_for(host)
                prog = self._program(host, name, config, count)
                states = mgr.status(prog)
                # the manager does not know the program at all (a delete killed half-way, a
                # rebooted host without supervisord): load it again below, files are in place
                if states:
                    live = [s for s in states if s.up and s.index < count]
                    if len(live) < count or len(states) > count:
                        changed = mgr.start_missing(prog, states) or changed
                    waits.append((host, mgr, prog))
                    continue
            changed = True
            self._check_image(host, config)
            mgr = manager_for(host)
            prog = self._program(host, name, config, count)
            rerun = st is None or st.get("run_hash") != run_digest
            # replicas a killed earlier run may have started (from files it wrote): they run
            # whatever that run wrote, so they are restarted like the replicas of a recorded state
            before = int(st["replicas"]) if st else len(mgr.status(prog)) if count else 0
            if rerun:
                self._write_files(host, name, config, versions, mgr)
            if config.image is not None and count:
                pull_image(host, host.path("services", name), config.image)
            if count == 0:
                mgr.remove(prog)
            else:
                mgr.apply(prog)
                ports = [config.port + i for i in range(count)] if config.port else []
                if before and rerun:
                    for i in range(min(before, count)):
                        try:
                            mgr.restart(prog, i)
                        except CommandError:  # did not start: the wait below says why
                            unhealthy.append(f"{host.name}/{i}")
                            break
                        if ports and not self._wait_healthy(host, config, [ports[i]]):
                            unhealthy.append(f"{host.name}/{i}")
                            break
                waits.append((host, mgr, prog))
            if unhealthy:
                # the rollout stopped half-way: leave the old state so a retry redoes it
                break
            now = utcnow().isoformat()
            write_one(
                host,
                f"services/{name}/state.json",
                {
                    "kind": "service",
                    "name": name,
                    "hash": digest,
                    "run_hash": run_digest,
                    "revision": revision,
                    "replicas": count,
                    "total": config.replicas,
                    "config": config.model_dump(mode="json"),
                    "secret_versions": versions,
                    "host": host.name,
                    "manager": mgr.kind,
                    "created_at": (st or {}).get("created_at", now),
                    "updated_at": now,
                },
            )
        if unhealthy:  # a rolling restart stopped: report the runtime's reason at once
            waits = waits[-1:]
        # return only once the replicas really run (settled, healthy); else say why
        for host, mgr, prog in waits:
            failure = wait_running(self, host, mgr, prog, config, timeout=0 if unhealthy else None)
            if failure is None:
                continue
            if failure.crashed or config.health_check is None:
                raise ProviderError(f"service {name!r} revision {revision}: {failure.reason}")
            raise OperationTimeout(
                f"revision {revision} deployed but replicas on {host.name} did not pass the "
                f"health check in time: {failure.reason}"
            )
        if unhealthy:
            raise OperationTimeout(
                f"revision {revision} deployed but replicas on {', '.join(unhealthy)} did not "
                "pass the health check in time"
            )
        first = hosts[0]
        return DeploymentResult(
            name=name,
            revision=revision,
            changed=changed,
            replicas=config.replicas,
            endpoint=f"http://{first.address}:{config.port}" if config.port else None,
            provider_id=self.prog_name(name),
        )

    def _states(self, name: str) -> list[tuple[Host, dict[str, Any]]]:
        out = []
        for host in self._hosts():
            st = read_one(host, f"services/{name}/state.json")
            if st is not None:
                out.append((host, st))
        return out

    def replica_states(self, host: Host, st: dict[str, Any]) -> list[ReplicaState]:
        """What the manager reports for one host's replicas of a service."""
        if not int(st["replicas"]):
            return []
        return manager_for(host).status(self._prog_from_state(host, st))

    def status(self, name: str) -> ServiceStatus:
        """Status from the service managers (``NotFound`` when no host has the service)."""
        found = self._states(name)
        if not found:
            raise NotFound(f"no service named {name!r}")
        return self._status_from(name, found)

    def _status_from(self, name: str, found: list[tuple[Host, dict[str, Any]]]) -> ServiceStatus:
        desired = running = 0
        revision: str | None = None
        events: list[ServiceEvent] = []
        detail: list[str] = []
        port = None
        for host, st in found:
            want = int(st["replicas"])
            desired += want
            revision = st["revision"]
            port = st["config"].get("port")
            reps = self.replica_states(host, st)
            up = sum(1 for r in reps if r.running and r.index < want)
            running += up
            detail.append(f"{host.name}:{up}/{want}")
            events.append(
                ServiceEvent(
                    time=datetime.fromisoformat(st["updated_at"]),
                    message=f"revision {st['revision']} on {host.name} ({want} replicas)",
                )
            )
        if desired == 0:
            state = ServiceState.STOPPED
        elif running == desired:
            state = ServiceState.RUNNING
        elif running == 0:
            state = ServiceState.FAILED
        else:
            state = ServiceState.DEGRADED
        first = found[0][0]
        return ServiceStatus(
            name=name,
            state=state,
            desired=desired,
            running=running,
            pending=max(0, desired - running),
            revision=revision,
            deployment_state=" ".join(detail),
            endpoint=f"http://{first.address}:{port}" if port else None,
            events=tuple(sorted(events, key=lambda e: e.time)),
        )

    def summaries(self) -> list[ServiceSummary]:
        """Every managed service with its state."""
        by_name: dict[str, list[tuple[Host, dict[str, Any]]]] = {}
        for host in self._hosts():
            for st in read_all(host, "services", "state.json"):
                if st.get("kind") == "service":
                    by_name.setdefault(st["name"], []).append((host, st))
        out = []
        for name in sorted(by_name):
            s = self._status_from(name, by_name[name])
            out.append(
                ServiceSummary(name=name, revision=s.revision, replicas=s.desired, state=s.state)
            )
        return out

    def all_states(self) -> list[tuple[Host, dict[str, Any]]]:
        """``(host, state)`` of every service on every app host."""
        out = []
        for host in self._hosts():
            out += [(host, st) for st in read_all(host, "services", "state.json")]
        return out

    def scale(self, name: str, replicas: int) -> ServiceStatus:
        """Redeploy with another replica count."""
        found = self._states(name)
        if not found:
            raise NotFound(f"no service named {name!r}")
        data = dict(found[0][1]["config"])
        data["replicas"] = replicas
        self.deploy(name, ServiceConfig.model_validate(data))
        return self.status(name)

    def delete(self, name: str) -> None:
        """Stop and remove a service everywhere (succeeds when it is gone)."""
        for host, st in self._states(name):
            mgr = manager_for(host)
            cfg = ServiceConfig.model_validate(st["config"])
            mgr.remove(self._program(host, name, cfg, 0))
            if cfg.image is not None:
                self._remove_containers(host, name, int(st["replicas"]))
            host.transport.run(
                ["rm", "-rf", "--", host.path("services", name)], mutating=True, name="rm"
            )

    def _remove_containers(self, host: Host, name: str, replicas: int) -> None:
        """Remove the service's containers (a stopped ``podman run`` may leave one behind),
        with the service's own environment (it may point podman at its own storage)."""
        names = [f"{self.prog_name(name)}-{i}" for i in range(max(replicas, 1))]
        rm = ["podman", "rm", "-f", "-t", "2", "--ignore", "--", *names]
        host.transport.run(
            script(
                launch(
                    host.fact("python") or "python3",
                    host.path("services", name),
                    rm,
                    optional=True,
                ),
                to_file("/dev/null"),
            ),
            mutating=True,
            name="podman",
            check=False,
        )

    def logs(self, name: str, since: datetime | None, limit: int) -> list[LogEntry]:
        """Recent lines from every replica, oldest first."""
        found = self._states(name)
        if not found:
            raise NotFound(f"no service named {name!r}")
        lines: list[LogEntry] = []
        for host, st in found:
            lines += manager_for(host).logs(self._prog_from_state(host, st), since, limit)
        lines.sort(key=lambda e: e.time)
        return lines[-limit:]

    @staticmethod
    def tags(name: str, config: dict[str, Any]) -> dict[str, str]:
        """The tags of a service resource."""
        return {**config.get("tags", {}), MANAGED_BY_KEY: MANAGED_BY_VALUE, NAME_TAG_KEY: name}
