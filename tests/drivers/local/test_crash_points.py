"""Crash points: SIGKILL a run after each host command, rerun it, and get what one run gives.

Issue 11 acceptance: for deploy, restore and provision on ``local``, a process killed after any
host command (``CLOUDCORE_LOCAL_KILL_AFTER``, the local transport's failpoint) and then run again
must leave the same result as an uninterrupted run: recorded state, running replicas, data.
Each crash point starts from a fresh project folder; databases get a per-point name (one
PostgreSQL cluster serves all points) that the comparison replaces by a fixed one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import pytest

from cloudcore_baremetal.testing import random_key, shutdown_supervisor
from cloudcore_baremetal.transport.local import KILL_AFTER_ENV

pytestmark = [
    pytest.mark.needs_root,
    pytest.mark.skipif(shutil.which("supervisord") is None, reason="supervisor is not installed"),
]

PORT = 18830
KEY = random_key()

SCRIPT = textwrap.dedent(
    """
    import json, os, subprocess, sys, urllib.request
    from cloudcore_baremetal.local import LocalProvider
    from cloudcore.models import CacheConfig, DatabaseConfig, HealthCheck, ServiceConfig
    from cloudcore_baremetal._state import config_hash
    modes, project, pg, tag, port = sys.argv[1:6]
    pg = json.loads(pg)
    p = LocalProvider(project_dir=project, secret_key=os.environ["CC_KEY"], postgres=pg)
    server = ("import os, http.server\\n"
              "class H(http.server.BaseHTTPRequestHandler):\\n"
              "    def do_GET(self):\\n"
              "        self.send_response(200); self.end_headers()\\n"
              "        self.wfile.write((os.environ['TOKEN'] + '|' + os.environ['CLOUDCORE_REPLICA']).encode())\\n"
              "http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()")
    # its own port: Redis of other test runs on this machine take the driver's first free one
    kv = CacheConfig(name=f"kv{tag}", extras={"port": int(port) + 10})
    svc = ServiceConfig(command=(sys.executable, "-c", server), port=int(port), replicas=2,
                        secrets={"TOKEN": "web/token"}, health_check=HealthCheck(path="/"))

    def rows(ep):
        return p.databases.psql("SELECT id, item FROM orders ORDER BY id;", mutating=False,
                                database=ep.database)

    def login(ep):
        pw = p.get_secret(ep.password_secret).get_secret_value()
        out = subprocess.run([os.path.join(pg["bin_dir"], "psql"), "-X", "-At", "-h", ep.host,
                              "-p", str(ep.port), "-U", ep.username, "-d", ep.database, "-c",
                              "SELECT current_user"], env={**os.environ, "PGPASSWORD": pw},
                             capture_output=True, text=True)
        return out.stdout.strip() == ep.username

    def db_state(name):
        st = dict(p.databases.state(name) or {})
        st.pop("created_at", None)
        st["hash"] = st.get("hash") == config_hash(st.get("config"))  # names differ per point
        if "restored_from" in st:  # the backup's id holds its time
            st["restored_from"] = st["restored_from"].startswith(f"src{tag}/")
        return st

    out = {}
    from cloudcore_baremetal.transport import local as local_transport
    local_transport._done.update(all=-10**9, writes=-10**9)
    for mode in modes.split(","):
      # the failpoint counts the operation's commands only: armed before it, disarmed after
      op = mode in ("deploy", "provision", "restore", "provision_cache")
      local_transport._done.update(all=0, writes=0) if op else None
      if mode == "setup-deploy":
          p.store_secret("web/token", "s3cret-token")
      elif mode == "deploy":
          p.deploy_service("web", svc)
      elif mode == "check-deploy":
          s = p.get_service_status("web")
          st = dict(p.compute._states("web")[0][1])
          for k in ("created_at", "updated_at"):
              st.pop(k)
          bodies = [urllib.request.urlopen(f"http://127.0.0.1:{int(port) + i}/", timeout=5)
                    .read().decode() for i in range(2)]
          out = {"state": s.state.value, "running": s.running, "desired": s.desired,
                 "revision": s.revision, "record": st, "bodies": bodies,
                 "services": [x.name for x in p.list_services()],
                 "secret_versions": [v.version for v in p.list_secret_versions("web/token")]}
      elif mode == "provision":
          p.provision_database(DatabaseConfig(name=f"crash{tag}"))
      elif mode == "check-provision":
          ep = p.provision_database(DatabaseConfig(name=f"crash{tag}"))
          out = {"endpoint": ep.model_dump(mode="json"), "login": login(ep),
                 "record": db_state(f"crash{tag}"),
                 "versions": [v.version for v in p.list_secret_versions(ep.password_secret)]}
      elif mode == "setup-restore":
          ep = p.provision_database(DatabaseConfig(name=f"src{tag}"))
          p.databases.psql("CREATE TABLE orders (id int PRIMARY KEY, item text);\\n"
                           "INSERT INTO orders SELECT g, 'item-' || g FROM generate_series(1, 500) g;\\n",
                           mutating=True, database=ep.database)
          b = p.backup_database(f"src{tag}")
          with open(os.path.join(project, "..", "backup-id"), "w") as fh:
              fh.write(b.id)
      elif mode == "restore":
          from cloudcore.errors import AlreadyExists
          with open(os.path.join(project, "..", "backup-id")) as fh:
              try:
                  p.restore_database(fh.read(), f"dst{tag}")
              except AlreadyExists:  # the contract for a finished restore (killed before returning);
                  out = {"already": True}  # the check compares what it left with one clean run
      elif mode == "check-restore":
          src = p.provision_database(DatabaseConfig(name=f"src{tag}"))
          st = p.databases.state(f"dst{tag}")
          from cloudcore.models import DatabaseEndpoint
          ep = p.databases._endpoint(st)
          out = {"rows_equal": rows(ep) == rows(src), "rows": rows(ep).count("\\n"),
                 "login": login(ep), "record": db_state(f"dst{tag}"),
                 "databases": sorted(d for d in p.databases.existing() if d.endswith(tag))}
      elif mode == "provision_cache":
          p.provision_cache(kv)
      elif mode == "check-provision_cache":
          import socket
          ep = p.provision_cache(kv)
          pw = p.get_secret(ep.auth_secret).get_secret_value()
          with socket.create_connection((ep.host, ep.port), timeout=5) as sock:
              sock.sendall(f"AUTH {pw}\\r\\nPING\\r\\n".encode())
              answer = b""
              while answer.count(b"\\r\\n") < 2:
                  answer += sock.recv(100)
          rec = dict(p.caches.all_states()[0])
          rec.pop("created_at"); rec.pop("port")
          rec["hash"] = rec["hash"] == config_hash(rec["config"])
          out = {"answer": answer.decode(), "record": rec,
                 "versions": [v.version for v in p.list_secret_versions(ep.auth_secret)],
                 "running": p.caches.running(f"kv{tag}")}
      elif mode == "cleanup":
          p.delete_cache(f"kv{tag}")
          for n in (f"crash{tag}", f"src{tag}", f"dst{tag}"):
              p.delete_database(n)
      if op:
          local_transport._done.update(all=-10**9, writes=-10**9)
    print("RESULT " + json.dumps(out, sort_keys=True))
    """
)


@pytest.fixture(scope="module")
def pg() -> Iterator[dict[str, Any]]:
    from cloudcore_baremetal.testhosts import postgres_cluster

    with postgres_cluster() as settings:
        yield dict(settings)


def _run(mode: str, project: str, pg: dict[str, Any], tag: str, kill_after: str | None = None):
    env = {**os.environ, "CC_KEY": KEY, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop(KILL_AFTER_ENV, None)
    if kill_after is not None:
        env[KILL_AFTER_ENV] = kill_after
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, project, json.dumps(pg), tag, str(PORT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _result(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return dict(json.loads(line[len("RESULT ") :]))


def _normalise(value: Any, tag: str) -> Any:
    return json.loads(json.dumps(value).replace(tag, "TAG"))


def _port_free(timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = False
        for port in (PORT, PORT + 1):
            with socket.socket() as s:
                busy = busy or s.connect_ex(("127.0.0.1", port)) == 0
        if not busy:
            return
        time.sleep(0.1)
    raise AssertionError(f"ports {PORT}-{PORT + 1} still in use")


def _crash_points(
    op: str, pg: dict[str, Any], kill: str = "", only: tuple[int, ...] = ()
) -> tuple[int, dict[str, Any]]:
    """Run ``op`` killed after command 1, 2, ... until it finishes unkilled; compare each rerun.

    With ``only``, just those points (after the baseline run).
    """
    baseline: dict[str, Any] | None = None
    point = 0
    while True:
        if only and point and point not in only:
            point += 1
            continue
        tag = f"{op[:3]}{os.getpid()}x{point}"
        work = tempfile.mkdtemp(prefix="cccrash-")
        project = os.path.join(work, "local")
        try:
            first = f"setup-{op},{op}" if op in ("deploy", "restore") else op
            check = f"check-{op},cleanup"
            if point == 0:
                got = _result(_run(f"{first},{check}", project, pg, tag))
                finished = True
            else:
                killed = _run(f"{first},{check}", project, pg, tag, kill_after=f"{kill}{point}")
                finished = killed.returncode == 0
                if finished:
                    got = _result(killed)
                else:
                    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
                    got = _result(_run(f"{op},{check}", project, pg, tag))  # the rerun converges
            got = _normalise(got, tag)
            if baseline is None:
                baseline = got
            else:
                assert got == baseline, f"{op}: killed after command {kill}{point}"
        except BaseException:
            _run("cleanup", project, pg, tag)
            raise
        finally:
            shutdown_supervisor(project)
            if op == "deploy":
                _port_free()
            shutil.rmtree(work, ignore_errors=True)
        if (point and finished) or (only and point >= max(only)):
            print(f"{op}: crash points up to {point}, each rerun converged")
            return point, baseline
        point += 1


def test_provision_database_converges_from_every_crash_point(pg):
    points, result = _crash_points("provision", pg)
    assert points > 3 and result["login"] and result["versions"] == ["1"]
    assert "restoring" not in result["record"]


def test_restore_database_converges_from_every_crash_point(pg):
    # killed after each writing command, as for deploy below
    points, result = _crash_points("restore", pg, kill="w")
    assert points > 3
    assert result["rows_equal"] and result["rows"] == 500 and result["login"]
    assert "restoring" not in result["record"]


def test_deploy_converges_from_every_crash_point(pg):
    # killed after each writing command (a kill after a read leaves the host as the write
    # before it did); every run waits for settled, healthy replicas, so this is the slow one
    points, result = _crash_points("deploy", pg, kill="w")
    assert points > 3
    assert (result["state"], result["running"], result["desired"]) == ("running", 2, 2)
    assert result["bodies"] == ["s3cret-token|0", "s3cret-token|1"]


def test_provision_cache_converges_from_every_crash_point(pg):
    # the same class as provision_database: one password, the same port, a Redis that answers
    # the writes after which the host differs (of 13): secret stored, redis.conf written,
    # supervisord started, program loaded, state recorded; every point takes ~10 s here
    points, result = _crash_points("provision_cache", pg, kill="w", only=(1, 3, 8, 11, 13))
    assert points > 3 and result["running"] and result["versions"] == ["1"]
    assert result["answer"] == "+OK\r\n+PONG\r\n"
