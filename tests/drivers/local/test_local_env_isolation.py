"""A service's environment never meets the shell (issue 11, items 2 and 3).

``run.sh`` used to ``set -a; . env`` and then compute ``PORT=$((port + i))``: a variable named
``i`` replaced the replica index (every replica got the same index and port), and where
``/bin/sh`` is bash, ``a[$(cmd)]`` in its value ran a command. Now the environment travels as
JSON to a launcher, and run.sh has no variables a service could shadow.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

import pytest

from cloudcore.errors import ConfigurationError
from cloudcore.models import ServiceConfig
from cloudcore_baremetal._runfiles import env_file, run_script
from cloudcore_baremetal.local import LocalProvider
from cloudcore_baremetal.testing import random_key, shutdown_supervisor

pytestmark = pytest.mark.skipif(
    shutil.which("supervisord") is None and not os.environ.get("CI"),
    reason="needs supervisord (apt-get install supervisor)",
)

DUMP = (
    "import json, os, sys, time\n"
    "out = os.path.join(sys.argv[1], os.environ['CLOUDCORE_REPLICA'] + '.json')\n"
    "json.dump(dict(os.environ), open(out + '.tmp', 'w')); os.rename(out + '.tmp', out)\n"
    "time.sleep(600)\n"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port if port < 60000 else 40000


def test_user_variables_never_shadow_the_replica_index_nor_run_as_shell_code() -> None:
    canary = f"/tmp/cc-canary-{secrets.token_hex(4)}"
    nasty = {
        "i": f"a[$(touch {canary})]",
        "PORT": "1",
        "CLOUDCORE_REPLICA": "7",
        "IFS": "x",
        "UID": "12345",
        "PATH": os.environ["PATH"],
        "line": f"$(touch {canary})",
        "SHELLOPTS": "xtrace",
        "ENV": f"$(touch {canary})",
        "MULTI": "one\ntwo\n'three' \"four\" $five `six`",
    }
    state = tempfile.mkdtemp(prefix="ccenv-")
    out = Path(state, "out")
    out.mkdir()
    port = _free_port()
    p = LocalProvider(project_dir=f"{state}/local", secret_key=random_key())
    cfg = ServiceConfig(
        command=(sys.executable, "-c", DUMP, str(out)), replicas=2, port=port, env=nasty
    )
    try:
        p.deploy_service("envtest", cfg)
        deadline = time.monotonic() + 20
        while len(list(out.glob("*.json"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        seen = {f.stem: json.loads(f.read_text()) for f in out.glob("*.json")}
        assert sorted(seen) == ["0", "1"]
        for index, env in seen.items():
            assert env["CLOUDCORE_REPLICA"] == index
            assert env["PORT"] == str(port + int(index))
            for name in ("i", "IFS", "UID", "line", "SHELLOPTS", "ENV", "MULTI"):
                assert env[name] == nasty[name]
        assert not os.path.exists(canary)
        run_sh = Path(p.inventory.hosts[0].path("services", "envtest", "run.sh")).read_text()
        for value in nasty.values():
            if len(value) > 2:
                assert value not in run_sh
    finally:
        p.delete_service("envtest")
        shutdown_supervisor(f"{state}/local")
        shutil.rmtree(state, ignore_errors=True)
        if os.path.exists(canary):
            os.remove(canary)


def test_run_sh_neither_sources_nor_assigns_variables() -> None:
    text = run_script(
        workdir="/srv/cc/services/api", argv=["/bin/app", "--flag"], port=8000, stamp=True
    ).decode()
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert not any(line.startswith((". ", "set -a", "export")) for line in body)
    assert "$i" not in text and "PORT=" not in text
    env = json.loads(env_file({"i": "a[$(id)]", "PORT": "1"}))
    assert env == {"i": "a[$(id)]", "PORT": "1"}


@pytest.mark.parametrize(
    "image",
    ["--privileged", "--volume=/:/host", "-v", "nginx --privileged", "nginx\n", "Nginx", "a//b"],
)
def test_an_image_is_an_oci_reference(image: str) -> None:
    with pytest.raises(ConfigurationError, match="image"):
        ServiceConfig(image=image)


def test_podman_reads_the_image_after_end_of_options() -> None:
    text = run_script(
        workdir="/srv/cc/services/api",
        argv=["--version"],
        image="ghcr.io/acme/api:1.4",
        container_name="cc-svc-api",
    ).decode()
    assert "-- ghcr.io/acme/api:1.4 --version" in text
    with pytest.raises(ValueError, match="never starts with '-'"):
        run_script(workdir="/srv/x", argv=None, image="--privileged")
