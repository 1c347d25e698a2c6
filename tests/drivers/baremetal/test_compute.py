"""Compute on real hosts: supervisord over SSH on loopback, systemd in a podman host, and
replicas spread over two namespace hosts."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

import cloudcore
from cloudcore.errors import NotFound
from cloudcore.models import ServiceConfig, ServiceState

from ._svc import config, get

pytestmark = pytest.mark.needs_root


def exercise(
    provider: Any, address: str, port: int, kill: Any, scale_keeps_pids: bool = False
) -> None:
    """The compute contract on one host: deploy, no-op redeploy, rolling update, self-healing,
    logs, scale, delete."""
    name = "web"
    provider.store_secret("web/token", "t0k3n")
    cfg = config(port, secrets={"TOKEN": "web/token"})
    first = provider.deploy_service(name, cfg)
    assert first.changed
    r0, r1 = get(address, port), get(address, port + 1)
    assert (r0["replica"], r1["replica"]) == ("0", "1")
    assert r0["token"] == "t0k3n" and r0["greeting"] == "hello"
    status = provider.get_service_status(name)
    assert (status.state, status.desired, status.running) == (ServiceState.RUNNING, 2, 2)
    assert status.revision == first.revision

    # nothing changed: nothing written, nothing restarted
    with cloudcore.record() as rec:
        again = provider.deploy_service(name, cfg)
    assert not again.changed and again.revision == first.revision
    assert rec.mutating_calls() == []
    assert get(address, port)["pid"] == r0["pid"] and get(address, port + 1)["pid"] == r1["pid"]

    # a changed config restarts every replica with the new config
    second = provider.deploy_service(
        name, config(port, greeting="bonjour", secrets={"TOKEN": "web/token"})
    )
    assert second.changed and second.revision != first.revision
    n0, n1 = get(address, port), get(address, port + 1)
    assert n0["greeting"] == n1["greeting"] == "bonjour"
    assert n0["pid"] != r0["pid"] and n1["pid"] != r1["pid"]

    # the manager restarts a killed replica
    kill(n0["pid"])
    healed = get(address, port, timeout=20)
    assert healed["pid"] != n0["pid"]

    logs = provider.get_logs(name, limit=50)
    assert logs and all(e.time.tzinfo is not None for e in logs)
    assert [e.time for e in logs] == sorted(e.time for e in logs)
    assert any("GET /" in e.message for e in logs)

    scaled = provider.scale_service(name, 1)
    assert (scaled.desired, scaled.running) == (1, 1)
    if scale_keeps_pids:  # systemd stops the extra unit only; supervisord restarts the group
        assert get(address, port)["pid"] == healed["pid"]
    assert [s.name for s in provider.list_services()] == [name]

    provider.delete_service(name)
    provider.delete_service(name)
    with pytest.raises(NotFound):
        provider.get_service_status(name)
    provider.delete_secret("web/token")


def test_supervisord_backend_over_ssh(bm):
    host = bm.inventory.hosts[0]
    exercise(bm, "127.0.0.1", 18100, lambda pid: os.kill(pid, signal.SIGKILL))
    assert host.fact("manager") == "supervisord"


def test_systemd_backend_on_a_systemd_host(systemd_env):
    host, provider = systemd_env

    def kill(pid: int) -> None:
        provider.inventory.hosts[0].transport.run(["kill", "-9", str(pid)], mutating=True)

    exercise(provider, host.address, 18200, kill, scale_keeps_pids=True)
    assert provider.inventory.hosts[0].fact("manager") == "systemd"


def test_unit_files_and_env_file_modes_on_systemd(systemd_env):
    _host, provider = systemd_env
    provider.deploy_service("modes", config(18300, replicas=1))
    try:
        t = provider.inventory.hosts[0].transport
        unit = t.read_file("/etc/systemd/system/cc-svc-modes@.service").decode()
        assert "Restart=always" in unit and "managed-by=cloudcore" in unit
        assert "CPUQuota=25%" in unit and "MemoryMax=512M" in unit
        st = t.run(
            ["stat", "-c", "%a", "/var/lib/cloudcore-test/services/modes/env.json"], mutating=False
        ).text.strip()
        assert st == "600"
    finally:
        provider.delete_service("modes")


def test_replicas_spread_over_app_hosts(ns_env):
    p = ns_env.provider
    a, b = ns_env.hosts
    res = p.deploy_service("spread", config(18400, replicas=3))
    try:
        assert res.changed
        status = p.get_service_status("spread")
        assert status.deployment_state == "ns0:2/2 ns1:1/1"
        assert (status.desired, status.running) == (3, 3)
        assert get(a.address, 18400)["replica"] == "0"
        assert get(a.address, 18401)["replica"] == "1"
        assert get(b.address, 18400)["replica"] == "0"
        ids = {r.id for r in p.list_resources(type="service")}
        assert "cloudcore:baremetal::service/spread" in ids
    finally:
        p.delete_service("spread")


@pytest.fixture(scope="module")
def mini_image(loopback):
    """A tiny local image (dash, sleep, libc) in podman storage of its own; the env that
    points podman there travels in the service's env file like any variable."""

    base = Path(loopback.work, "podman")
    root = base / "rootfs"
    for d in ("bin", "lib/x86_64-linux-gnu", "lib64"):
        (root / d).mkdir(parents=True, exist_ok=True)
    shutil.copy("/bin/dash", root / "bin/sh")
    shutil.copy("/bin/sleep", root / "bin/sleep")
    shutil.copy("/lib/x86_64-linux-gnu/libc.so.6", root / "lib/x86_64-linux-gnu/libc.so.6")
    shutil.copy("/lib64/ld-linux-x86-64.so.2", root / "lib64/ld-linux-x86-64.so.2")
    (base / "containers.conf").write_text(
        '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
        '[engine]\nruntime = "runc"\n'
    )
    (base / "storage.conf").write_text(
        f'[storage]\ndriver = "overlay"\ngraphroot = "{base}/graph"\nrunroot = "{base}/run"\n'
    )
    env = {
        "CONTAINERS_CONF": f"{base}/containers.conf",
        "CONTAINERS_STORAGE_CONF": f"{base}/storage.conf",
    }
    subprocess.run(["tar", "-C", str(root), "-cf", str(base / "img.tar"), "."], check=True)
    ref = "localhost/cloudcore-test-mini:1"
    subprocess.run(
        ["podman", "import", "-q", str(base / "img.tar"), ref],
        check=True,
        capture_output=True,
        env={**os.environ, **env},
    )
    yield ref, env
    subprocess.run(
        ["podman", "rmi", "-a", "-f"], capture_output=True, env={**os.environ, **env}, check=False
    )


def test_container_images_run_with_podman(bm, mini_image):

    ref, podman_env = mini_image
    cmd = (
        "sh",
        "-c",
        'trap "exit 0" TERM; echo "greeting=$GREETING replica=$CLOUDCORE_REPLICA"; '
        "while :; do sleep 1; done",
    )
    cfg = ServiceConfig(
        image=ref, command=cmd, replicas=2, env={"GREETING": "hi there", **podman_env}
    )
    try:
        assert bm.deploy_service("img", cfg).changed
        status = bm.get_service_status("img")
        assert (status.desired, status.running) == (2, 2)
        # "running" is the supervised `podman run`; its container shows in `podman ps` a
        # moment later
        deadline = time.monotonic() + 10
        while True:
            ps = subprocess.run(
                ["podman", "ps", "--format", "{{.Names}}"],
                capture_output=True,
                text=True,
                env={**os.environ, **podman_env},
                check=True,
            ).stdout
            if {"cc-svc-img-0", "cc-svc-img-1"} <= set(ps.split()) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert {"cc-svc-img-0", "cc-svc-img-1"} <= set(ps.split())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            text = "\n".join(e.message for e in bm.get_logs("img"))
            if "replica=1" in text and "replica=0" in text:
                break
            time.sleep(0.2)
        assert "greeting=hi there replica=0" in text and "greeting=hi there replica=1" in text
        with cloudcore.record() as rec:
            assert not bm.deploy_service("img", cfg).changed
        assert rec.mutating_calls() == []
    finally:
        bm.delete_service("img")
    ps = subprocess.run(
        ["podman", "ps", "-a", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        env={**os.environ, **podman_env},
        check=True,
    ).stdout
    assert "cc-svc-img" not in ps
