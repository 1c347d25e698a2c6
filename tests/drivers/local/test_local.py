"""The local driver: the embedded default, no SSH, no root needed for compute and secrets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

import cloudcore
from cloudcore.errors import Unsupported
from cloudcore.models import DatabaseConfig, IPRule
from cloudcore_baremetal.local import LocalProvider
from cloudcore_baremetal.testing import random_key, shutdown_supervisor

HAVE_SUPERVISOR = shutil.which("supervisord") is not None

BASICS = textwrap.dedent(
    """
    import os, sys, json, urllib.request
    from cloudcore_baremetal.local import LocalProvider
    from cloudcore.models import ServiceConfig, HealthCheck
    p = LocalProvider(project_dir=sys.argv[1], secret_key=sys.argv[2])
    p.store_secret("app/key", "v@lue with 'quotes' and $(dollar)")
    server = ("import os, http.server\\n"
              "class H(http.server.BaseHTTPRequestHandler):\\n"
              "    def do_GET(self):\\n"
              "        self.send_response(200); self.end_headers()\\n"
              "        self.wfile.write((os.environ['KEY'] + '|' + str(os.getuid())).encode())\\n"
              "http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()")
    cfg = ServiceConfig(command=(sys.executable, "-c", server), port=int(sys.argv[3]),
                        secrets={"KEY": "app/key"}, health_check=HealthCheck(path="/"))
    res = p.deploy_service("basic", cfg)
    body = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[3]}/", timeout=5).read().decode()
    again = p.deploy_service("basic", cfg)
    status = p.get_service_status("basic")
    p.delete_service("basic")
    print(json.dumps({"body": body, "changed": [res.changed, again.changed],
                      "running": status.running, "uid": os.getuid(),
                      "secrets": p.list_secrets()}))
    """
)


MODULES_PROBE = textwrap.dedent(
    """
    import sys
    import cloudcore_baremetal.local, cloudcore.models, cloudcore.events, pluggy, tenacity
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    print("\\n".join(sorted({f for m in list(sys.modules.values())
                              if (f := getattr(m, "__file__", None))})))
    """
)


def _readable_modules(dest: Path) -> str:
    """Copy the modules the basics import into ``dest``, readable by an unprivileged user.

    The checkout and its venv may sit under a folder only root can enter (a fresh clone in a
    0700 temporary folder): the unprivileged run must not depend on where they are.
    """
    site = next(Path(sys.prefix, "lib").glob("python3*/site-packages"))
    src = Path(cloudcore.__file__).parents[1]
    out = subprocess.run(
        [sys.executable, "-c", MODULES_PROBE], capture_output=True, text=True, check=True
    ).stdout.split()
    tops = set()
    for name in out:
        for prefix in (site, src):
            if name.startswith(f"{prefix}/"):
                tops.add(prefix / Path(name).relative_to(prefix).parts[0])
    dest.mkdir()
    for top in sorted(tops):
        if top.is_dir():
            shutil.copytree(top, dest / top.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(top, dest / top.name)
    subprocess.run(["chmod", "-R", "a+rX", str(dest)], check=True)
    return str(dest)


@pytest.mark.skipif(not HAVE_SUPERVISOR, reason="supervisor is not installed")
def test_compute_and_secrets_work_without_root():
    base = Path(tempfile.mkdtemp(prefix="cclocal-nonroot-"))
    project = base / "proj"
    project.mkdir()
    argv = [sys.executable, "-c", BASICS, str(project / "local"), random_key(), "18700"]
    env = dict(os.environ)
    if os.geteuid() == 0:  # run the basics as an unprivileged user
        os.chmod(base, 0o755)
        shutil.chown(project, "nobody")
        env = {
            "HOME": str(project),
            "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
            "PYTHONPATH": _readable_modules(base / "pylib"),
        }
        argv = [
            "setpriv",
            "--reuid",
            "nobody",
            "--regid",
            "nogroup",
            "--clear-groups",
            "/usr/bin/python3",
            *argv[1:],
        ]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        import json

        got = json.loads(out.stdout.strip().splitlines()[-1])
        assert got["body"].startswith("v@lue with 'quotes' and $(dollar)|")
        assert got["changed"] == [True, False]
        assert got["running"] == 1
        assert got["secrets"] == ["app/key"]
        if os.geteuid() == 0:
            assert got["uid"] != 0 and got["body"].endswith(f"|{got['uid']}")
    finally:
        conf = project / "local" / "supervisor" / "supervisord.conf"
        if conf.exists():
            subprocess.run(
                ["supervisorctl", "-c", str(conf), "shutdown"], capture_output=True, check=False
            )
        shutil.rmtree(base, ignore_errors=True)


def test_connect_without_arguments_is_local(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLOUDCORE_PROVIDER", raising=False)
    with cloudcore.connect() as cloud:
        assert cloud.name == "local"
        assert cloud.inventory.hosts[0].state_dir == str(tmp_path / ".cloudcore" / "local")
        cloud.store_secret("k", "v")
        assert cloud.get_secret("k").get_secret_value() == "v"
    key = tmp_path / ".cloudcore" / "secret.key"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600


def test_missing_programs_are_unsupported_with_the_install_command(tmp_path):
    p = LocalProvider(
        project_dir=str(tmp_path / "p"),
        secret_key=random_key(),
        postgres={"bin_dir": "/nonexistent/bin"},
    )
    assert not p.supports("database")
    reason = p.unsupported_reason("database")
    assert "apt-get install postgresql" in reason
    with pytest.raises(Unsupported, match="apt-get install postgresql"):
        p.provision_database(DatabaseConfig(name="x"))


def test_dns_and_firewall_are_unsupported_with_reasons(tmp_path):
    p = LocalProvider(project_dir=str(tmp_path / "p"), secret_key=random_key())
    with pytest.raises(Unsupported, match="compose with cloudflare"):
        p.create_dns_record("www.example.com", "127.0.0.1")
    with pytest.raises(Unsupported, match="never changes this machine's firewall"):
        p.configure_waf([IPRule(cidrs=["10.0.0.0/8"])])


@pytest.mark.needs_root
def test_demo_deploys_answers_and_cleans_up(tmp_path, monkeypatch):
    if not HAVE_SUPERVISOR:
        pytest.skip("supervisor is not installed: apt-get install supervisor")
    from cloudcore_baremetal.demo import run_demo

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLOUDCORE_PROVIDER", raising=False)
    lines: list[str] = []
    try:
        assert run_demo(keep=False, echo=lines.append) == 0
    finally:
        shutdown_supervisor(str(tmp_path / ".cloudcore" / "local"))
    text = "\n".join(lines)
    assert '"message": "Hello from cloudcore", "replica": 0' in text
    assert '"replica": 1' in text
    assert "changed=False" in text
    assert "cloudcore:local::service/demo-web" in text
    assert "cleaned up" in text
    with LocalProvider(project_dir=str(tmp_path / ".cloudcore" / "local")) as p:
        assert p.list_services() == [] and p.list_secrets() == []


@pytest.mark.skipif(not HAVE_SUPERVISOR, reason="supervisor is not installed")
def test_supervisor_status_fallback_agrees_with_xmlrpc(tmp_path):
    from cloudcore.models import ServiceConfig
    from cloudcore_baremetal.managers import manager_for

    state = tempfile.mkdtemp(prefix="ccfb-")
    p = LocalProvider(project_dir=f"{state}/local", secret_key=random_key())
    cfg = ServiceConfig(command=("/bin/sleep", "600"), replicas=2)
    try:
        p.deploy_service("fallback", cfg)
        host = p.inventory.hosts[0]
        mgr = manager_for(host)
        prog = p.compute._program(host, "fallback", cfg, 2)
        fast = mgr.status(prog)
        assert [(r.index, r.running) for r in fast] == [(0, True), (1, True)]

        # supervisorctl's text has no start time or exit status: compare what both report
        def seen(states: list) -> list:
            return [(r.index, r.state, r.running, r.alive, r.failed) for r in states]

        assert seen(mgr._status_ctl(prog)) == seen(fast)
        p.delete_service("fallback")
    finally:
        shutdown_supervisor(f"{state}/local")
        shutil.rmtree(state, ignore_errors=True)
