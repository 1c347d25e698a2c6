"""The inventory: the hosts a provider manages, each with roles (``app``, ``db``, ``cache``)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cloudcore.errors import ConfigurationError

from .transport import Transport

__all__ = ["ROLES", "Host", "Inventory", "PostgresSettings"]

ROLES = frozenset({"app", "db", "cache"})


@dataclass(frozen=True)
class PostgresSettings:
    """How to reach the PostgreSQL server on a ``db`` host.

    Attributes:
        port: TCP port the server listens on.
        socket_dir: Unix socket folder (``psql -h``).
        os_user: The operating-system user that owns the cluster (peer authentication).
        bin_dir: Folder of ``psql``/``pg_dump``/``pg_restore``, or ``None`` for ``PATH``.
        address: Address clients use to connect (defaults to the host's address).
    """

    port: int = 5432
    socket_dir: str = "/var/run/postgresql"
    os_user: str = "postgres"
    bin_dir: str | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        # these reach command lines (psql -h/-p/-U, runuser -u) and generated files
        from ._checks import check_address, check_path, check_port, check_user

        object.__setattr__(self, "port", check_port(self.port, "postgres.port"))
        check_path(self.socket_dir, "postgres.socket_dir")
        check_user(self.os_user, "postgres.os_user")
        if self.bin_dir is not None:
            check_path(self.bin_dir, "postgres.bin_dir")
        if self.address is not None:
            check_address(self.address, "postgres.address")

    def tool(self, name: str) -> str:
        """Path of a PostgreSQL client program."""
        return f"{self.bin_dir.rstrip('/')}/{name}" if self.bin_dir else name


@dataclass
class Host:
    """One managed host.

    Attributes:
        name: Short name (used in replica names and resource attributes).
        address: Address services answer on.
        roles: Roles of the host.
        transport: How commands run there.
        state_dir: cloudcore's folder on the host (state, services, secrets, backups).
        postgres: PostgreSQL settings for ``db`` hosts.
        firewall_netns: Apply WAF rules inside this network namespace of the host (for
            services that live in one) instead of the host's own firewall.
    """

    name: str
    address: str
    roles: frozenset[str]
    transport: Transport
    state_dir: str
    postgres: PostgresSettings = field(default_factory=PostgresSettings)
    firewall_netns: str | None = None
    _facts: dict[str, Any] = field(default_factory=dict, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def path(self, *parts: str) -> str:
        """A path under the state folder."""
        return "/".join([self.state_dir.rstrip("/"), *parts])

    def fact(self, key: str) -> Any:
        """A cached fact about the host (``systemd``, ``podman``), or ``None`` if unknown."""
        return self._facts.get(key)

    def set_fact(self, key: str, value: Any) -> None:
        """Remember a fact about the host."""
        self._facts[key] = value


class Inventory:
    """The hosts, by role.

    Args:
        hosts: Every managed host.
    """

    def __init__(self, hosts: Iterable[Host]) -> None:
        self.hosts: list[Host] = list(hosts)
        if not self.hosts:
            raise ConfigurationError("hosts: give at least one host", field="hosts")
        names = [h.name for h in self.hosts]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"hosts: duplicate host names {names}", field="hosts")

    def with_role(self, role: str) -> list[Host]:
        """Hosts with ``role``, in inventory order."""
        return [h for h in self.hosts if role in h.roles]

    def one(self, role: str) -> Host:
        """The first host with ``role``.

        Raises:
            ConfigurationError: no host has it.
        """
        found = self.with_role(role)
        if not found:
            raise ConfigurationError(f"hosts: no host has the role {role!r}", field="hosts")
        return found[0]

    def by_name(self, name: str) -> Host | None:
        """The host named ``name``, if any."""
        return next((h for h in self.hosts if h.name == name), None)

    def close(self) -> None:
        """Close every transport."""
        for host in self.hosts:
            host.transport.close()


def parse_roles(value: Sequence[str] | str | None, where: str) -> frozenset[str]:
    """Validate a roles list (default: every role)."""
    if value is None:
        return ROLES
    roles = frozenset([value] if isinstance(value, str) else value)
    bad = sorted(roles - ROLES)
    if bad:
        raise ConfigurationError(f"{where}.roles: unknown roles {bad}; use app, db, cache")
    return roles


def postgres_settings(value: Mapping[str, Any] | None, where: str) -> PostgresSettings:
    """Build :class:`PostgresSettings` from a mapping."""
    if not value:
        return PostgresSettings()
    try:
        return PostgresSettings(**dict(value))
    except TypeError as exc:
        raise ConfigurationError(f"{where}.postgres: {exc}") from None
