"""Truthful deploys on real hosts: systemd (in a podman-booted host) and podman images.

Issue 11 item 15: crash loops and unpullable images must fail the deploy with the runtime's
reason, and ``status`` counts only replicas that stay up. Item 8 on systemd: a unit file written
by a run killed before ``daemon-reload`` is loaded by the rerun.
"""

from __future__ import annotations

import time

import pytest

from cloudcore.errors import NotFound, ProviderError
from cloudcore.models import ServiceConfig, ServiceState

from ._svc import config

pytestmark = pytest.mark.needs_root

CRASH = ("/bin/sh", "-c", "echo starting up; echo 'fatal: cannot open /nonexistent' >&2; exit 3")


def test_crash_loop_on_systemd_fails_with_exit_status_and_journal_lines(systemd_env):
    _host, provider = systemd_env
    started = time.monotonic()
    try:
        with pytest.raises(ProviderError) as info:
            provider.deploy_service("crashy", ServiceConfig(command=CRASH, replicas=2))
        text = str(info.value)
        assert time.monotonic() - started < 20, text
        assert "exit status 3" in text, text
        assert "fatal: cannot open /nonexistent" in text, text
        for _ in range(4):  # Restart=always brings it up for a moment: never counted
            status = provider.get_service_status("crashy")
            assert status.running == 0 and status.state == ServiceState.FAILED
            time.sleep(0.3)
    finally:
        provider.delete_service("crashy")


def test_rerun_after_a_kill_before_daemon_reload_loads_the_unit(systemd_env):
    _host, provider = systemd_env
    from cloudcore_baremetal.managers import manager_for

    host = provider.inventory.hosts[0]
    t = host.transport
    old = config(18330, replicas=1)
    new = config(18330, replicas=1, memory=256)
    try:
        provider.deploy_service("reload", old)
        mgr = manager_for(host)
        prog = provider.compute._program(host, "reload", new, 1)
        # what a run killed right after writing the new unit leaves behind
        t.write_file(mgr._unit_path(prog), mgr._unit(prog).encode(), mode="644")
        res = provider.deploy_service("reload", new)
        assert res.changed
        shown = t.run(
            ["systemctl", "show", "--property", "MemoryMax", "--value", "cc-svc-reload@0.service"],
            mutating=False,
        ).text.strip()
        assert shown == str(256 * 1024 * 1024)
        assert provider.get_service_status("reload").running == 1
    finally:
        provider.delete_service("reload")


def test_unpullable_image_fails_fast_with_podmans_reason(bm, loopback, tmp_path):
    import os

    base = os.path.join(loopback.work, "podman-unpullable")
    os.makedirs(base, exist_ok=True)
    with open(f"{base}/containers.conf", "w") as fh:
        fh.write('[engine]\nruntime = "runc"\n')
    with open(f"{base}/storage.conf", "w") as fh:
        fh.write(f'[storage]\ndriver = "overlay"\ngraphroot = "{base}/graph"\n')
        fh.write(f'runroot = "{base}/run"\n')
    env = {
        "CONTAINERS_CONF": f"{base}/containers.conf",
        "CONTAINERS_STORAGE_CONF": f"{base}/storage.conf",
    }
    cfg = ServiceConfig(
        image="127.0.0.1:9/cloudcore-test/no-such-image:1",  # nothing listens on port 9
        command=("sleep", "600"),
        replicas=2,
        env=env,
    )
    started = time.monotonic()
    try:
        with pytest.raises(ProviderError) as info:
            bm.deploy_service("unpullable", cfg)
        text = str(info.value)
        assert time.monotonic() - started < 20, text  # not a 30 s health-check timeout
        assert "cannot be pulled on node1 (podman exit status 125)" in text, text
        assert "Error: initializing source docker://127.0.0.1:9/" in text, text
        assert "health check" not in text
        with pytest.raises(NotFound):  # nothing was started, nothing recorded
            bm.get_service_status("unpullable")
    finally:
        bm.delete_service("unpullable")
