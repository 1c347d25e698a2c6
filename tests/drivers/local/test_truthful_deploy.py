"""Deploys report success only for replicas that really run; status counts only those.

Issue 11 item 15: a crash-looping service deployed with rc 0 and ``status`` said 3/3 running.
Item 8: a run killed between writing a program's config and ``supervisorctl update`` left the
service down, and the rerun saw an identical file and did nothing.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Iterator

import pytest

from cloudcore.errors import OperationTimeout, ProviderError
from cloudcore.models import HealthCheck, ServiceConfig, ServiceState
from cloudcore_baremetal.local import LocalProvider
from cloudcore_baremetal.testing import random_key, shutdown_supervisor

pytestmark = pytest.mark.skipif(
    shutil.which("supervisord") is None, reason="supervisor is not installed"
)

CRASH = ("/bin/sh", "-c", "echo starting up; echo 'fatal: cannot open /nonexistent' >&2; exit 3")


@pytest.fixture
def local() -> Iterator[LocalProvider]:
    state = tempfile.mkdtemp(prefix="cctruth-")
    p = LocalProvider(project_dir=f"{state}/local", secret_key=random_key())
    try:
        yield p
    finally:
        p.close()
        shutdown_supervisor(f"{state}/local")
        shutil.rmtree(state, ignore_errors=True)


def test_crash_looping_command_fails_the_deploy_with_the_runtime_reason(local):
    started = time.monotonic()
    with pytest.raises(ProviderError) as info:
        local.deploy_service("crashy", ServiceConfig(command=CRASH, replicas=3))
    assert time.monotonic() - started < 15  # two failed starts, not a long timeout
    text = str(info.value)
    assert re.search(r"replica [012] on localhost is (BACKOFF|FATAL|EXITED)", text), text
    # the exit code, also when supervisord's process info has none (BACKOFF)
    assert "exit status 3" in text, text
    assert "last log lines:" in text and "fatal: cannot open /nonexistent" in text, text
    status = local.get_service_status("crashy")
    assert status.running == 0 and status.state == ServiceState.FAILED
    # a rerun of the same config does not report success either
    with pytest.raises(ProviderError, match="fatal: cannot open"):
        local.deploy_service("crashy", ServiceConfig(command=CRASH, replicas=3))
    local.delete_service("crashy")


def test_a_process_that_dies_after_a_moment_is_not_running(local):
    cfg = ServiceConfig(command=("/bin/sh", "-c", "sleep 0.3; echo bye; exit 0"), replicas=1)
    with pytest.raises(ProviderError, match="bye"):
        local.deploy_service("brief", cfg)
    for _ in range(5):
        assert local.get_service_status("brief").running == 0
        time.sleep(0.2)
    local.delete_service("brief")


def test_crash_with_a_health_check_fails_fast_with_the_reason(local):
    cfg = ServiceConfig(command=CRASH, port=18791, health_check=HealthCheck(path="/"))
    started = time.monotonic()
    with pytest.raises(ProviderError, match="fatal: cannot open"):
        local.deploy_service("crashy-hc", cfg)
    assert time.monotonic() - started < 15  # not the 30 s health-check timeout
    local.delete_service("crashy-hc")


def test_no_health_check_deploy_returns_once_replicas_settled(local):
    res = local.deploy_service("sleeper", ServiceConfig(command=("/bin/sleep", "600"), replicas=2))
    assert res.changed
    status = local.get_service_status("sleeper")  # right after the deploy: really running
    assert (status.running, status.state) == (2, ServiceState.RUNNING)
    local.delete_service("sleeper")


def test_health_check_that_never_passes_names_the_check(local):
    cfg = ServiceConfig(
        command=("/bin/sleep", "600"),
        port=18795,
        health_check=HealthCheck(path="/"),
        extras={"health_timeout": 2},
    )
    with pytest.raises(OperationTimeout, match="did not pass the health check"):
        local.deploy_service("deaf", cfg)
    local.delete_service("deaf")


def test_rerun_after_a_kill_before_supervisorctl_update_starts_the_service(local):
    """The program config is on disk but supervisord never loaded it (the run was killed)."""
    from cloudcore_baremetal.managers import manager_for

    cfg = ServiceConfig(command=("/bin/sleep", "600"), replicas=3)
    host = local.inventory.hosts[0]
    mgr = manager_for(host)
    prog = local.compute._program(host, "half", cfg, 3)
    mgr.ensure_running()
    local.compute._write_files(host, "half", cfg, {}, mgr)
    host.transport.write_file(mgr._conf_path(prog), mgr._program_conf(prog).encode())
    assert mgr.status(prog) == []  # written, never loaded: nothing runs
    res = local.deploy_service("half", cfg)
    assert res.changed
    status = local.get_service_status("half")
    assert (status.running, status.desired) == (3, 3)
    again = local.deploy_service("half", cfg)
    assert not again.changed
    local.delete_service("half")


def test_redeploy_after_a_delete_killed_half_way_runs_the_service_again(local):
    """``delete_service`` killed after the manager forgot the program, before the files went."""
    from cloudcore_baremetal.managers import manager_for

    cfg = ServiceConfig(command=("/bin/sleep", "600"), replicas=2)
    local.deploy_service("halfgone", cfg)
    host = local.inventory.hosts[0]
    mgr = manager_for(host)
    mgr.remove(local.compute._program(host, "halfgone", cfg, 0))
    assert local.get_service_status("halfgone").running == 0
    assert local.deploy_service("halfgone", cfg).changed
    assert local.get_service_status("halfgone").running == 2
    local.delete_service("halfgone")
