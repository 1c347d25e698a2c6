"""Service managers: how supervised processes run on a host.

A :class:`Program` is N replicas of ``/bin/sh <workdir>/run.sh <index>``. The systemd backend
runs them as template units ``<program>@<index>.service`` (``Restart=always``) where systemd is
PID 1 (``[ -d /run/systemd/system ]``); the supervisord backend runs them under cloudcore's own
supervisord (``numprocs`` = replicas) everywhere else. Detection happens once per host.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from cloudcore.errors import ConfigurationError
from cloudcore.models import LogEntry

from ..inventory import Host

__all__ = ["Manager", "Program", "ReplicaState", "manager_for"]


@dataclass(frozen=True)
class Program:
    """What a manager supervises on one host.

    Attributes:
        name: Unit/program name (``cc-svc-api``), derived from a validated cloudcore name.
        workdir: Folder holding ``run.sh`` and the env file.
        replicas: Replicas on this host (indices ``0..replicas-1``).
        user: Run as this user (``None``: the manager's default).
        cpu: vCPU per replica (systemd ``CPUQuota``; recorded only under supervisord).
        memory: MiB per replica (systemd ``MemoryMax``; recorded only under supervisord).
        description: One line.
        settle_seconds: A replica counts as running only once it stayed up this long
            (supervisord ``startsecs``; systemd: time since it became active).
    """

    name: str
    workdir: str
    replicas: int
    user: str | None = None
    cpu: float | None = None
    memory: int | None = None
    description: str = ""
    settle_seconds: int = 1

    def __post_init__(self) -> None:
        # every field is written into a unit/config file: check it there, whatever its source
        from .._checks import check_path, check_unit_text, check_user

        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,80}", self.name):
            raise ConfigurationError(f"program name {self.name!r}: [a-z0-9_.-], at most 81")
        check_path(self.workdir, "workdir")
        if self.user is not None:
            check_user(self.user, "run_as")
        check_unit_text(self.description, "description")
        if not isinstance(self.replicas, int) or self.replicas < 0:
            raise ConfigurationError(f"replicas: a count (got {self.replicas!r})")

    @property
    def run_script(self) -> str:
        """Path of the program's ``run.sh``."""
        return f"{self.workdir}/run.sh"


@dataclass(frozen=True)
class ReplicaState:
    """One replica as the manager reports it.

    Attributes:
        index: Replica index on the host.
        state: Manager state, verbatim (``RUNNING``, ``active/running``).
        running: Whether the manager considers it running.
        restarts: How often it was restarted, when the manager counts.
        alive: Running or on its way (starting, or being restarted by the manager itself):
            starting it again would change nothing.
        failed: It exited (or could not be started) and is not running now.
        exit_status: Its last exit status, when the manager knows it.
        started: When its current (or last) process started (epoch seconds), if known.
        detail: The manager's own words about a failure (a spawn error), if any.
    """

    index: int
    state: str
    running: bool
    restarts: int | None = None
    alive: bool | None = None
    failed: bool = False
    exit_status: int | None = None
    started: float | None = None
    detail: str = ""

    @property
    def up(self) -> bool:
        """Running or on its way (see ``alive``)."""
        return self.running if self.alive is None else self.alive


class Manager(ABC):
    """A service manager backend on one host."""

    kind: str = "manager"

    def __init__(self, host: Host) -> None:
        self.host = host

    @abstractmethod
    def apply(self, prog: Program) -> bool:
        """Make the manager run ``prog`` (its replica count); returns whether anything changed.

        The config is compared with what the manager *runs*, not only with the file on disk:
        a run killed between writing the file and loading it is finished by the next one.
        Replicas whose config text did not change are not restarted here.
        """

    @abstractmethod
    def restart(self, prog: Program, index: int) -> None:
        """Restart one replica (rolling restarts call it replica by replica)."""

    @abstractmethod
    def start_missing(self, prog: Program, states: list[ReplicaState]) -> bool:
        """Start replicas that should run but do not; returns whether it did anything."""

    @abstractmethod
    def status(self, prog: Program) -> list[ReplicaState]:
        """The replicas the manager knows of (read-only)."""

    @abstractmethod
    def remove(self, prog: Program) -> None:
        """Stop every replica and forget the program (succeeds when already gone)."""

    @abstractmethod
    def logs(self, prog: Program, since: datetime | None, limit: int) -> list[LogEntry]:
        """Recent log lines of every replica (read-only)."""

    def last_exit(self, prog: Program, index: int) -> str | None:
        """How replica ``index`` last ended (``"exit status 3"``, ``"terminated by SIGSEGV"``),
        for managers whose status does not carry it in every state; ``None`` when unknown."""
        return None


def manager_for(host: Host) -> Manager:
    """The manager backend of ``host`` (systemd when it runs as PID 1, else supervisord)."""
    from .supervisord import SupervisordManager
    from .systemd import SystemdManager

    kind = host.fact("manager")
    if kind is None:
        res = host.transport.run(
            ["test", "-d", "/run/systemd/system"], mutating=False, name="detect", check=False
        )
        kind = "systemd" if res.code == 0 else "supervisord"
        host.set_fact("manager", kind)
    return SystemdManager(host) if kind == "systemd" else SupervisordManager(host)
