"""Test targets: the bare-metal driver against real hosts on this machine.

* :func:`fake_target` starts a real ``sshd`` on 127.0.0.1 (key auth, a clean sudo user) and a
  throwaway PostgreSQL cluster, and yields a connected :class:`BaremetalProvider` with a
  :class:`~cloudcore.testing.faults.FaultQueue` (injected at the transport, per command) and a
  :class:`PsqlProbe` attached. ``cloudcore conformance baremetal --fake`` uses it.
* :func:`local_target` yields a :class:`LocalProvider` on a temporary project folder.

Multi-host, firewall and systemd hosts live in :mod:`cloudcore_baremetal.testhosts`.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from typing import Any

from cloudcore.capabilities import Capability
from cloudcore.models import DatabaseEndpoint
from cloudcore.testing.faults import FaultQueue, attach
from cloudcore.testing.probes import attach_bucket_seeder, attach_corrupter, attach_probe
from cloudcore.testing.wire import attach_wire_counter

from .compute import _HEALTH
from .database import sql_literal
from .local import LocalProvider
from .managers.supervisord import _STATUS
from .provider import BaremetalProvider
from .transport.local import local_path
from .transport.wire import HostWire

__all__ = ["PsqlProbe", "fake_target", "local_target", "shutdown_supervisor"]


class PsqlProbe:
    """Writes and reads marker rows through ``psql`` on the db host (a real table)."""

    def __init__(self, provider: BaremetalProvider) -> None:
        self.provider = provider

    def write_marker(self, endpoint: DatabaseEndpoint, marker: str) -> None:
        """Insert ``marker`` into ``cloudcore_markers`` (created if needed)."""
        self.provider.databases.psql(
            "CREATE TABLE IF NOT EXISTS cloudcore_markers "
            "(id bigserial PRIMARY KEY, marker text NOT NULL);\n"
            f"INSERT INTO cloudcore_markers (marker) VALUES ({sql_literal(marker)});\n",
            mutating=True,
            database=endpoint.database,
        )

    def read_markers(self, endpoint: DatabaseEndpoint) -> list[str]:
        """Every marker, in insertion order."""
        out = self.provider.databases.psql(
            "SELECT marker FROM cloudcore_markers ORDER BY id;",
            mutating=False,
            database=endpoint.database,
        )
        return [line for line in out.splitlines() if line]


FAST_RETRY = {"initial_delay": 0.01, "max_delay": 0.05, "jitter": 0}


def random_key() -> str:
    """A fresh secrets key (urlsafe base64 of 32 random bytes)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def shutdown_supervisor(state_dir: str, prefix: tuple[str, ...] = ()) -> None:
    """Stop the supervisord cloudcore started under ``state_dir`` (and its programs)."""
    conf = os.path.join(state_dir, "supervisor", "supervisord.conf")
    if os.path.exists(conf) or prefix:
        subprocess.run(
            [*prefix, "supervisorctl", "-c", conf, "shutdown"],
            capture_output=True,
            check=False,
            timeout=30,
            env={**os.environ, "PATH": local_path()},
        )


@contextlib.contextmanager
def _firewall_namespace() -> Iterator[str]:
    """An empty network namespace for the fake host's WAF rules, deleted afterwards."""
    name = "ccfw" + secrets.token_hex(4)
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def _commands_only(provider: BaremetalProvider) -> None:
    """The suite runs its test services from ``service_image`` when a driver declares images;
    offline there is no image to pull, so the targets run the suite's command instead (images
    are tested with a local image in ``tests/drivers/baremetal/test_compute.py``)."""
    from cloudcore.capabilities import Capability

    feats = dict(provider.features)
    feats[Capability.COMPUTE] = feats[Capability.COMPUTE] - {"images"}
    provider.features = feats
    provider.unsupported_reasons = {
        **provider.unsupported_reasons,
        "compute:images": "the offline test target has no image to pull: it runs the suite's "
        "command (images are tested in tests/drivers/baremetal/test_compute.py)",
    }


def _require_root() -> None:
    if os.geteuid() != 0:
        raise RuntimeError(
            "the baremetal test target needs root (it starts sshd, PostgreSQL and a test user)"
        )


@contextlib.contextmanager
def fake_target(*, postgres: bool = True, **options: Any) -> Iterator[BaremetalProvider]:
    """A :class:`BaremetalProvider` connected over real SSH to a real sshd on 127.0.0.1.

    Args:
        postgres: Also start a PostgreSQL cluster (the db host's server).
        **options: Extra ``BaremetalProvider`` options.
    """
    from .testhosts import postgres_cluster, ssh_host, test_user

    _require_root()
    work = tempfile.mkdtemp(prefix="ccbm-")
    os.chmod(work, 0o755)  # noqa: S103  # services may run as other users (redis)
    state = os.path.join(work, "state")
    stack = contextlib.ExitStack()
    try:
        user = stack.enter_context(test_user(work))
        sshd = stack.enter_context(ssh_host(work, user))
        pg = stack.enter_context(postgres_cluster()) if postgres else None
        netns = stack.enter_context(_firewall_namespace())
        provider = BaremetalProvider(
            hosts=[
                sshd.host_spec(
                    name="node1",
                    state_dir=state,
                    roles=["app", "db", "cache"],
                    firewall_netns=netns,  # never this machine's own firewall
                )
            ],
            secret_key=options.pop("secret_key", random_key()),
            secret_key_file=None,
            postgres=pg,
            retry=options.pop("retry", FAST_RETRY),
            storage_bind=options.pop("storage_bind", "127.0.0.1"),  # tests stay on loopback
            **options,
        )
        _prepare_target(provider, state, pg, stack)
        yield provider
    finally:
        stack.close()
        shutil.rmtree(work, ignore_errors=True)


def _prepare_target(
    provider: BaremetalProvider, state: str, pg: Any, stack: contextlib.ExitStack
) -> None:
    """What every test target does to the provider it yields: teardown callbacks, the suite's
    command instead of an image, one fault queue and one wire counter (what the hosts ran,
    classified host-side) on every host's transport, and a data probe when a real PostgreSQL
    backs it."""
    stack.callback(shutdown_supervisor, state)
    stack.callback(provider.close)
    _commands_only(provider)
    faults = FaultQueue()
    wire = HostWire(read_only_programs=(_STATUS, _HEALTH))
    for host in provider.inventory.hosts:
        host.transport.faults = faults
        host.transport.wire = wire
    attach(provider, faults)
    attach_wire_counter(provider, wire)
    if pg is not None:
        attach_probe(provider, PsqlProbe(provider))
    if Capability.STORAGE in provider.capabilities:
        from .storeprobe import DirStoreProbe

        provider.object_page_size = 40  # the page tests cross pages with few objects
        probe = DirStoreProbe(provider.objects.store)
        attach_bucket_seeder(provider, probe)
        attach_corrupter(provider, probe)


@contextlib.contextmanager
def local_target(**options: Any) -> Iterator[LocalProvider]:
    """A :class:`LocalProvider` on a temporary project folder (root not needed for compute and
    secrets; with root, a throwaway PostgreSQL cluster backs the database capability)."""
    work = tempfile.mkdtemp(prefix="cclocal-")
    state = os.path.join(work, "local")
    stack = contextlib.ExitStack()
    try:
        pg = None
        if os.geteuid() == 0 and options.pop("postgres", True):
            from .testhosts import postgres_cluster

            with contextlib.suppress(RuntimeError):
                pg = stack.enter_context(postgres_cluster())
        provider = LocalProvider(
            project_dir=state,
            secret_key=options.pop("secret_key", random_key()),
            postgres=pg,
            **options,
        )
        if pg is None:
            provider.capabilities = provider.capabilities - {
                c for c in provider.capabilities if c.value == "database"
            }
            provider.unsupported_reasons = {
                **provider.unsupported_reasons,
                "database": "the test target starts PostgreSQL only as root",
            }
        _prepare_target(provider, state, pg, stack)
        yield provider
    finally:
        stack.close()
        shutil.rmtree(work, ignore_errors=True)
