"""The supervisord backend: cloudcore's own supervisord on hosts without systemd.

cloudcore runs one supervisord per host under ``<state_dir>/supervisor`` (own config, own
socket), so it never touches a system supervisord. ``numprocs`` gives the replicas; supervisord
restarts killed processes (``autorestart=true``). Log lines are time-stamped by ``run.sh``.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime

from cloudcore.models import LogEntry

from .._shell import SEQ, quiet, script, to_file
from ..transport import CommandError
from . import Manager, Program, ReplicaState
from .logparse import parse_stamped

__all__ = ["SupervisordManager"]

# states supervisord itself moves on from (autorestart): starting them again changes nothing
_ALIVE = frozenset({"RUNNING", "STARTING", "BACKOFF", "EXITED"})
# the process exited (before its settle time, or at all) or could not be spawned
_FAILED = frozenset({"BACKOFF", "EXITED", "FATAL"})

_STATUS = """
import http.client, json, socket, sys, xmlrpc.client
class Conn(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(sys.argv[1])
class Unix(xmlrpc.client.Transport):
    def make_connection(self, host):
        return Conn("localhost")
try:
    info = xmlrpc.client.ServerProxy("http://localhost", transport=Unix()).supervisor.getAllProcessInfo()
except (FileNotFoundError, ConnectionRefusedError):
    sys.exit(3)
print(json.dumps([[p["name"], p["statename"], p["exitstatus"], p["start"], p["spawnerr"]]
                  for p in info if p["group"] == sys.argv[2]]))
"""


class SupervisordManager(Manager):
    """Runs programs under cloudcore's supervisord on the host."""

    kind = "supervisord"

    @property
    def _dir(self) -> str:
        return self.host.path("supervisor")

    @property
    def _conf(self) -> str:
        return f"{self._dir}/supervisord.conf"

    def _ctl(self, *args: str, mutating: bool, check: bool = True) -> str:
        res = self.host.transport.run(
            ["supervisorctl", "-c", self._conf, *args],
            mutating=mutating,
            name="supervisorctl",
            check=check,
        )
        return res.text

    def _main_conf(self) -> str:
        d = self._dir
        return (
            "; managed-by=cloudcore\n"
            f"[unix_http_server]\nfile={d}/sock\nchmod=0700\n\n"
            f"[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n"
            f"childlogdir={d}/logs\nlogfile_maxbytes=5MB\nlogfile_backups=1\n\n"
            "[rpcinterface:supervisor]\n"
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
            f"[supervisorctl]\nserverurl=unix://{d}/sock\n\n"
            f"[include]\nfiles = {d}/conf.d/*.conf\n"
        )

    def ensure_running(self) -> bool:
        """Start cloudcore's supervisord on the host unless it runs; returns whether it started."""
        if self.host.fact("supervisord_up"):
            return False
        with self.host.lock:
            return self._ensure_running()

    def _ensure_running(self) -> bool:
        if self.host.fact("supervisord_up"):
            return False
        res = self.host.transport.run(
            ["supervisorctl", "-c", self._conf, "pid"],
            mutating=False,
            name="supervisorctl",
            check=False,
        )
        if res.code == 0 and res.text.strip().isdigit():
            self.host.set_fact("supervisord_up", True)
            return False
        t = self.host.transport
        t.run(
            ["mkdir", "-p", "-m", "700", self._dir, f"{self._dir}/conf.d", f"{self._dir}/logs"],
            mutating=True,
            name="mkdir",
        )
        t.write_file(self._conf, self._main_conf().encode(), name="put-supervisord-conf")
        t.run(
            script(
                ["supervisord", "-c", self._conf],
                to_file("/dev/null"),
                quiet(),
            ),
            mutating=True,
            name="supervisord",
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            res = t.run(
                ["supervisorctl", "-c", self._conf, "pid"],
                mutating=False,
                name="supervisorctl",
                check=False,
            )
            if res.code == 0 and res.text.strip().isdigit():
                self.host.set_fact("supervisord_up", True)
                return True
            time.sleep(0.05)
        raise TimeoutError(f"supervisord did not start on {t.label}")

    def shutdown(self) -> None:
        """Stop cloudcore's supervisord on the host (and every program it runs)."""
        with self.host.lock:
            self._ctl("shutdown", mutating=True, check=False)
            self.host.set_fact("supervisord_up", None)

    def _program_conf(self, prog: Program) -> str:
        user = f"user={prog.user}\n" if prog.user else ""
        return (
            f"; managed-by=cloudcore cloudcore-program={prog.name}\n"
            f"; cpu={prog.cpu} memory={prog.memory} (recorded, not enforced by supervisord)\n"
            f"[program:{prog.name}]\n"
            f"command=/bin/sh {prog.run_script} %(process_num)d\n"
            "process_name=%(program_name)s-%(process_num)d\n"
            f"numprocs={prog.replicas}\nnumprocs_start=0\n"
            f"directory={prog.workdir}\n"
            "autostart=true\nautorestart=true\n"
            # RUNNING only once a process stayed up this long: a crash loop never looks running
            f"startsecs={prog.settle_seconds}\nstartretries=100\n"
            "stopasgroup=true\nkillasgroup=true\nstopwaitsecs=5\n"
            "redirect_stderr=true\n"
            f"stdout_logfile={prog.workdir}/logs/%(program_name)s-%(process_num)d.log\n"
            "stdout_logfile_maxbytes=10MB\nstdout_logfile_backups=2\n"
            f"{user}"
        )

    def _conf_path(self, prog: Program) -> str:
        return f"{self._dir}/conf.d/{prog.name}.conf"

    def apply(self, prog: Program) -> bool:
        with self.host.lock:
            return self._apply(prog)

    def _apply(self, prog: Program) -> bool:
        started = self.ensure_running()
        want = self._program_conf(prog).encode()
        have = self.host.transport.read_file(self._conf_path(prog))
        if have != want:
            self.host.transport.run(
                ["mkdir", "-p", "-m", "700", f"{prog.workdir}/logs"], mutating=True, name="mkdir"
            )
            self.host.transport.write_file(self._conf_path(prog), want, name="put-program-conf")
        # even when the file is as wanted: supervisord compares it with the group it runs and
        # changes nothing when they agree (a run killed before this line left them apart)
        out = self._ctl("update", prog.name, mutating=True)
        return started or have != want or prog.name in out

    def restart(self, prog: Program, index: int) -> None:
        with self.host.lock:
            return self._restart(prog, index)

    def _restart(self, prog: Program, index: int) -> None:
        self._ctl("restart", f"{prog.name}:{prog.name}-{index}", mutating=True)

    def start_missing(self, prog: Program, states: list[ReplicaState]) -> bool:
        with self.host.lock:
            return self._start_missing(prog, states)

    def _start_missing(self, prog: Program, states: list[ReplicaState]) -> bool:
        started = self.ensure_running()
        known = {s.index for s in states}
        if known != set(range(prog.replicas)):
            self._ctl("update", prog.name, mutating=True)
            started = True
        for s in states:
            if not s.up and s.index < prog.replicas:
                # a replica that fails to start is reported by the caller's wait, with its reason
                self._ctl("start", f"{prog.name}:{prog.name}-{s.index}", mutating=True, check=False)
                started = True
        return started

    def status(self, prog: Program) -> list[ReplicaState]:
        # XML-RPC on supervisord's socket: a third of supervisorctl's start-up time
        res = self.host.transport.run(
            [self.host.fact("python") or "python3", "-c", _STATUS, f"{self._dir}/sock", prog.name],
            mutating=False,
            name="supervisor-status",
            check=False,
        )
        if res.code == 3:  # supervisord is not running: nothing runs
            return []
        if res.code == 127:  # no python3 on the host: ask supervisorctl (slower)
            return self._status_ctl(prog)
        if res.code != 0:
            raise CommandError("supervisor-status", res.code, res.error_text, self.host.name)
        out: list[ReplicaState] = []
        for name, state, exit_status, start, spawnerr in json.loads(res.text or "[]"):
            idx = name[len(prog.name) + 1 :]
            if name.startswith(prog.name + "-") and idx.isdigit():
                out.append(
                    ReplicaState(
                        int(idx),
                        state,
                        state == "RUNNING",
                        alive=state in _ALIVE,
                        failed=state in _FAILED,
                        exit_status=int(exit_status) if state in _FAILED else None,
                        started=float(start) or None,
                        detail=str(spawnerr or ""),
                    )
                )
        return sorted(out, key=lambda r: r.index)

    def last_exit(self, prog: Program, index: int) -> str | None:
        # A process that exits within startsecs goes to BACKOFF with no exit status in its
        # process info (supervisor's process.py sets exitstatus = None there): supervisord's own
        # log keeps it, "exited: NAME (exit status 3; not expected)" or "(terminated by SIGKILL".
        res = self.host.transport.run(
            ["tail", "-c", "65536", "--", f"{self._dir}/supervisord.log"],
            mutating=False,
            name="tail-supervisord-log",
            check=False,
        )
        if res.code != 0:
            return None
        name = re.escape(f"{prog.name}-{index}")
        found = re.findall(rf"exited: {name} \((exit status \d+|terminated by \w+)", res.text)
        return found[-1] if found else None

    def _status_ctl(self, prog: Program) -> list[ReplicaState]:
        text = self._ctl("status", f"{prog.name}:*", mutating=False, check=False)
        out: list[ReplicaState] = []
        for line in text.splitlines():
            parts = line.split()
            if len(parts) < 2 or not parts[0].startswith(f"{prog.name}:{prog.name}-"):
                continue
            idx = parts[0].rsplit("-", 1)[-1]
            if idx.isdigit():
                state = parts[1]
                alive = state in _ALIVE
                out.append(
                    ReplicaState(
                        int(idx), state, state == "RUNNING", alive=alive, failed=state in _FAILED
                    )
                )
        return sorted(out, key=lambda r: r.index)

    def remove(self, prog: Program) -> None:
        with self.host.lock:
            return self._remove(prog)

    def _remove(self, prog: Program) -> None:
        t = self.host.transport
        res = t.run(["test", "-e", self._conf_path(prog)], mutating=False, name="test", check=False)
        if res.code != 0:
            return
        t.run(["rm", "-f", self._conf_path(prog)], mutating=True, name="rm")
        self._ctl("update", mutating=True)

    def logs(self, prog: Program, since: datetime | None, limit: int) -> list[LogEntry]:
        res = self.host.transport.run(
            script(
                [
                    "find",
                    f"{prog.workdir}/logs",
                    "-name",
                    "*.log",
                    "-exec",
                    "tail",
                    "-v",
                    "-n",
                    str(limit),
                    "{}",
                    "+",
                ],
                quiet(),
                SEQ,
                ["true"],
            ),
            mutating=False,
            name="tail",
        )
        return parse_stamped(res.text, since, self.host.name)
