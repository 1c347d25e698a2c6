"""The systemd backend: template units ``<program>@.service`` with ``Restart=always``.

Units go to ``/etc/systemd/system`` (marked ``managed-by=cloudcore``); replica ``i`` is
``<program>@<i>.service``. CPU and memory are enforced with ``CPUQuota``/``MemoryMax``. Logs
come from journald.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cloudcore.models import LogEntry

from .._shell import AND, script
from . import Manager, Program, ReplicaState

__all__ = ["SystemdManager"]

UNIT_DIR = "/etc/systemd/system"


class SystemdManager(Manager):
    """Runs programs as systemd template units."""

    kind = "systemd"

    def _unit_path(self, prog: Program) -> str:
        return f"{UNIT_DIR}/{prog.name}@.service"

    def _unit(self, prog: Program) -> str:
        limits = ""
        if prog.cpu is not None:
            limits += f"CPUQuota={round(prog.cpu * 100)}%\n"
        if prog.memory is not None:
            limits += f"MemoryMax={prog.memory}M\n"
        user = f"User={prog.user}\n" if prog.user else ""
        return (
            "# managed-by=cloudcore\n"
            f"[Unit]\nDescription=cloudcore {prog.description or prog.name} (replica %i)\n"
            "After=network.target\n\n"
            "[Service]\nType=simple\n"
            f"ExecStart=/bin/sh {prog.run_script} %i\n"
            f"WorkingDirectory={prog.workdir}\n"
            "Restart=always\nRestartSec=1\nKillMode=control-group\nTimeoutStopSec=10\n"
            f"{user}{limits}"
            "\n[Install]\nWantedBy=multi-user.target\n"
        )

    def _systemctl(self, *args: str, mutating: bool, check: bool = True) -> str:
        return self.host.transport.run(
            ["systemctl", *args], mutating=mutating, name="systemctl", check=check
        ).text

    def apply(self, prog: Program) -> bool:
        with self.host.lock:
            return self._apply(prog)

    def _apply(self, prog: Program) -> bool:
        t = self.host.transport
        changed = False
        want = self._unit(prog).encode()
        if t.read_file(self._unit_path(prog)) != want:
            t.run(["mkdir", "-p", "-m", "700", prog.workdir], mutating=True, name="mkdir")
            t.write_file(self._unit_path(prog), want, mode="644", name="put-unit")
            self._systemctl("daemon-reload", mutating=True)
            changed = True
        elif self._needs_reload(prog):
            # the file is as wanted but systemd runs an older one: a run was killed between
            # writing it and daemon-reload
            self._systemctl("daemon-reload", mutating=True)
            changed = True
        states = self.status(prog)
        return self.start_missing(prog, states) or changed

    def _needs_reload(self, prog: Program) -> bool:
        """Whether systemd's loaded unit is older than the file on disk."""
        out = self._systemctl(
            "show",
            "--property",
            "NeedDaemonReload",
            "--value",
            f"{prog.name}@0.service",
            mutating=False,
            check=False,
        )
        return out.strip() == "yes"

    def restart(self, prog: Program, index: int) -> None:
        with self.host.lock:
            return self._restart(prog, index)

    def _restart(self, prog: Program, index: int) -> None:
        self._systemctl("restart", f"{prog.name}@{index}.service", mutating=True)

    def start_missing(self, prog: Program, states: list[ReplicaState]) -> bool:
        with self.host.lock:
            return self._start_missing(prog, states)

    def _start_missing(self, prog: Program, states: list[ReplicaState]) -> bool:
        running = {s.index for s in states if s.up}
        start = [f"{prog.name}@{i}.service" for i in range(prog.replicas) if i not in running]
        extra = [f"{prog.name}@{s.index}.service" for s in states if s.index >= prog.replicas]
        if start:
            self._systemctl("enable", "--now", *start, mutating=True)
        if extra:
            self._systemctl("disable", "--now", *extra, mutating=True)
        return bool(start or extra)

    def status(self, prog: Program) -> list[ReplicaState]:
        text = self._systemctl(
            "list-units",
            "--all",
            "--plain",
            "--no-legend",
            "--no-pager",
            f"{prog.name}@*.service",
            mutating=False,
            check=False,
        )
        out: list[ReplicaState] = []
        prefix = f"{prog.name}@"
        for line in text.splitlines():
            parts = line.split()
            if len(parts) < 4 or not parts[0].startswith(prefix):
                continue
            idx = parts[0][len(prefix) :].removesuffix(".service")
            if not idx.isdigit():
                continue
            active, sub = parts[2], parts[3]
            if active == "inactive" and sub == "dead" and parts[1] != "loaded":
                continue
            alive = active in ("active", "activating", "reloading") or sub == "auto-restart"
            out.append(ReplicaState(int(idx), f"{active}/{sub}", active == "active", alive=alive))
        return self._settled(prog, sorted(out, key=lambda r: r.index))

    def _settled(self, prog: Program, states: list[ReplicaState]) -> list[ReplicaState]:
        """Refine ``active`` into running: up past the settle time; failures with exit status.

        ``Restart=always`` brings a crashing process back within a second, so a crash loop is
        ``active/running`` for a moment now and then: only a process that stayed up counts.
        """
        if not states:
            return states
        props = "Id,ActiveState,SubState,ExecMainStatus,ExecMainStartTimestampMonotonic,NRestarts"
        units = [f"{prog.name}@{s.index}.service" for s in states]
        res = self.host.transport.run(
            script(
                ["cat", "/proc/uptime"], AND, ["systemctl", "show", "--property", props, *units]
            ),
            mutating=False,
            name="systemctl",
            check=False,
        )
        lines = res.text.splitlines()
        if res.code != 0 or not lines:
            return states
        now = float(lines[0].split()[0])
        info: dict[str, dict[str, str]] = {}
        cur: dict[str, str] = {}
        for line in [*lines[1:], ""]:
            if not line.strip():
                if "Id" in cur:
                    info[cur["Id"]] = cur
                cur = {}
                continue
            key, _, value = line.partition("=")
            cur[key] = value
        out = []
        for s, unit in zip(states, units, strict=True):
            p = info.get(unit, {})
            start = int(p.get("ExecMainStartTimestampMonotonic") or 0) / 1e6
            status = int(p.get("ExecMainStatus") or 0)
            active, sub = p.get("ActiveState", ""), p.get("SubState", "")
            running = active == "active" and sub == "running" and now - start >= prog.settle_seconds
            failed = active == "failed" or sub in ("auto-restart", "failed")
            out.append(
                ReplicaState(
                    s.index,
                    f"{active}/{sub}" if active else s.state,
                    running,
                    restarts=int(p.get("NRestarts") or 0),
                    alive=s.alive,
                    failed=failed,
                    exit_status=status if failed else None,
                    started=start or None,
                )
            )
        return out

    def remove(self, prog: Program) -> None:
        with self.host.lock:
            return self._remove(prog)

    def _remove(self, prog: Program) -> None:
        t = self.host.transport
        states = self.status(prog)
        exists = t.run(
            ["test", "-e", self._unit_path(prog)], mutating=False, name="test", check=False
        )
        if not states and exists.code != 0:
            return
        units = [f"{prog.name}@{s.index}.service" for s in states]
        if units:
            self._systemctl("disable", "--now", *units, mutating=True, check=False)
        t.run(["rm", "-f", self._unit_path(prog)], mutating=True, name="rm")
        self._systemctl("daemon-reload", mutating=True)
        if units:
            self._systemctl("reset-failed", *units, mutating=True, check=False)

    def logs(self, prog: Program, since: datetime | None, limit: int) -> list[LogEntry]:
        args = [
            "journalctl",
            "--no-pager",
            "-o",
            "json",
            "-n",
            str(limit),
            "-u",
            f"{prog.name}@*.service",
        ]
        if since is not None:
            args += ["--since", "@" + str(int(since.timestamp()))]
        res = self.host.transport.run(args, mutating=False, name="journalctl", check=False)
        out: list[LogEntry] = []
        for line in res.text.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            msg = rec.get("MESSAGE")
            if isinstance(msg, list):
                msg = bytes(msg).decode("utf-8", "replace")
            if not isinstance(msg, str) or "__REALTIME_TIMESTAMP" not in rec:
                continue
            when = datetime.fromtimestamp(int(rec["__REALTIME_TIMESTAMP"]) / 1e6, UTC)
            if since is not None and when < since:
                continue
            unit = str(rec.get("_SYSTEMD_UNIT", prog.name)).removesuffix(".service")
            out.append(LogEntry(time=when, message=msg, source=f"{self.host.name}/{unit}"))
        return out
