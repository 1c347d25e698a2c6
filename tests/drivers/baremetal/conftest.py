"""Session-scoped real hosts for the bare-metal driver tests (root and Debian packages needed).

One sshd + PostgreSQL on loopback (``bm``), two network-namespace hosts (``ns_env``, for
multi-host and firewall tests) and one podman-booted systemd host (``systemd_env``) per session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from cloudcore.testing.faults import FaultQueue, attach


def _require(*extra: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (starts sshd, PostgreSQL, namespaces)")
    from cloudcore_baremetal.testhosts import missing_programs

    missing = missing_programs(*extra)
    if missing:
        pytest.skip(
            f"missing programs {missing}: apt-get install openssh-server postgresql "
            "redis-server sudo nftables supervisor podman runc"
        )


@dataclass
class LoopbackEnv:
    """The loopback sshd, its user and the PostgreSQL settings."""

    work: str
    sshd: Any
    pg: dict[str, Any]
    netns: str

    def provider(self, **kw: Any) -> Any:
        from cloudcore_baremetal.provider import BaremetalProvider
        from cloudcore_baremetal.testing import FAST_RETRY, random_key

        spec = {"firewall_netns": self.netns, **kw.pop("spec", {})}
        opts: dict[str, Any] = {
            "hosts": [self.sshd.host_spec(name="node1", state_dir=f"{self.work}/state", **spec)],
            "secret_key": random_key(),
            "secret_key_file": None,
            "postgres": self.pg,
            "retry": FAST_RETRY,
        }
        opts.update(kw)
        return BaremetalProvider(**opts)


@pytest.fixture(scope="session")
def loopback() -> Iterator[LoopbackEnv]:
    _require()
    from cloudcore_baremetal.testhosts import postgres_cluster, ssh_host, test_user
    from cloudcore_baremetal.testing import _firewall_namespace, shutdown_supervisor

    work = tempfile.mkdtemp(prefix="ccbmt-")
    os.chmod(work, 0o755)
    with (
        test_user(work) as user,
        ssh_host(work, user) as sshd,
        postgres_cluster() as pg,
        _firewall_namespace() as netns,
    ):
        try:
            yield LoopbackEnv(work, sshd, pg, netns)
        finally:
            shutdown_supervisor(f"{work}/state")
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def bm(loopback: LoopbackEnv) -> Iterator[Any]:
    """A connected BaremetalProvider (all roles on one loopback host) with a fault queue."""
    from cloudcore.testing.probes import attach_probe
    from cloudcore_baremetal.testing import PsqlProbe

    provider = loopback.provider()
    faults = FaultQueue()
    for host in provider.inventory.hosts:
        host.transport.faults = faults
    attach(provider, faults)
    attach_probe(provider, PsqlProbe(provider))
    yield provider
    provider.close()


@dataclass
class NsEnv:
    """Two namespace hosts and a provider managing both (both ``app``)."""

    hosts: list[Any]
    provider: Any
    work: str


@pytest.fixture(scope="session")
def ns_env() -> Iterator[NsEnv]:
    _require("ip")
    from cloudcore_baremetal.provider import BaremetalProvider
    from cloudcore_baremetal.testhosts import netns_hosts, test_user
    from cloudcore_baremetal.testing import FAST_RETRY, random_key

    work = tempfile.mkdtemp(prefix="ccbmns-")
    os.chmod(work, 0o755)
    with test_user(work) as user, netns_hosts(work, user, 2) as hosts:
        provider = BaremetalProvider(
            hosts=[
                h.host_spec(name=f"ns{i}", state_dir=f"{work}/state{i}", roles=["app"])
                for i, h in enumerate(hosts)
            ],
            secret_key=random_key(),
            secret_key_file=None,
            retry=FAST_RETRY,
        )
        try:
            yield NsEnv(hosts, provider, work)
        finally:
            provider.close()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def systemd_env() -> Iterator[tuple[Any, Any]]:
    _require("podman", "runc")
    from cloudcore_baremetal.provider import BaremetalProvider
    from cloudcore_baremetal.testhosts import systemd_host, test_user
    from cloudcore_baremetal.testing import FAST_RETRY, random_key

    work = tempfile.mkdtemp(prefix="ccbmsd-", dir="/var/tmp")
    os.chmod(work, 0o755)
    try:
        with test_user(work) as user, systemd_host(work, user) as host:
            provider = BaremetalProvider(
                hosts=[
                    host.host_spec(name="sd", state_dir="/var/lib/cloudcore-test", roles=["app"])
                ],
                secret_key=random_key(),
                secret_key_file=None,
                retry=FAST_RETRY,
            )
            try:
                yield host, provider
            finally:
                provider.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
