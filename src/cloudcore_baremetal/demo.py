"""``cloudcore demo``: deploy an example web service on this machine with the ``local`` driver.

Two replicas of a tiny Python web server, an API key stored as a cloudcore secret and injected as
an environment variable, a health check; then status, a real HTTP request to each replica, the
resource listing and the AI tool manifest, and cleanup (unless ``keep``).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import sys
import time
import urllib.request
from collections.abc import Callable
from typing import Any

__all__ = ["run_demo"]

SERVICE = "demo-web"
SECRET = "demo/api-key"

SERVER = """
import hashlib, http.server, json, os
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        key = os.environ["API_KEY"].encode()
        body = json.dumps({
            "message": os.environ["GREETING"],
            "replica": int(os.environ["CLOUDCORE_REPLICA"]),
            "api_key_sha256": hashlib.sha256(key).hexdigest()[:12],
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, fmt, *args):
        print("request:", fmt % args, flush=True)
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""


def _free_pair(start: int = 8080) -> int:
    for port in range(start, start + 200, 2):
        ok = True
        for p in (port, port + 1):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
        if ok:
            return port
    raise RuntimeError("no free pair of ports from 8080")


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - 127.0.0.1 only
        return dict(json.loads(resp.read()))


def run_demo(keep: bool, echo: Callable[[str], None]) -> int:
    """Run the demo; returns a process exit code.

    Args:
        keep: Leave the service (and its secret) running afterwards.
        echo: Where to print progress lines.
    """
    import cloudcore
    from cloudcore.capabilities import Capability
    from cloudcore.models import HealthCheck, ServiceConfig

    started = time.monotonic()
    cloud: Any = cloudcore.connect("local")
    echo(f"cloudcore demo on the '{cloud.name}' driver (state in {_state_dir(cloud)})")
    for cap, what in ((Capability.DATABASE, "databases"), (Capability.CACHE, "caches")):
        if not cloud.supports(cap):
            echo(f"  note: {what} are unavailable here: {cloud.unsupported_reason(cap)}")
    if not cloud.supports(Capability.COMPUTE):
        echo(f"cannot run services: {cloud.unsupported_reason(Capability.COMPUTE)}")
        return 1
    try:
        port = _free_pair()
        cloud.store_secret(SECRET, secrets.token_urlsafe(24))
        echo(f"1. stored the secret {SECRET!r} (encrypted at rest; never on a command line)")
        config = ServiceConfig(
            command=(sys.executable, "-u", "-c", SERVER),
            port=port,
            replicas=2,
            env={"GREETING": "Hello from cloudcore"},
            secrets={"API_KEY": SECRET},
            health_check=HealthCheck(path="/", interval_seconds=2, timeout_seconds=1),
            tags={"example": "demo"},
        )
        result = cloud.deploy_service(SERVICE, config)
        echo(f"2. deployed {SERVICE!r}: revision {result.revision}, 2 replicas, healthy")
        status = cloud.get_service_status(SERVICE)
        echo(
            f"3. status: {status.state.value}, {status.running}/{status.desired} running "
            f"({status.deployment_state}), endpoint {status.endpoint}"
        )
        for replica in (0, 1):
            url = f"http://127.0.0.1:{port + replica}/"
            echo(f"4. GET {url} -> {json.dumps(_get(url))}")
        again = cloud.deploy_service(SERVICE, config)
        echo(f"5. deployed again with the same config: changed={again.changed} (nothing restarted)")
        echo("6. resources:")
        for res in cloud.list_resources():
            echo(f"     {res.id}  [{res.state}]")
        _print_manifest(cloud, echo)
        if keep:
            echo(
                f"kept running: http://127.0.0.1:{port}/ and :{port + 1}/ "
                "(run `cloudcore demo` again without --keep to clean up)"
            )
        echo(f"done in {time.monotonic() - started:.1f} s")
        return 0
    finally:
        if not keep:
            with contextlib.suppress(Exception):
                cloud.delete_service(SERVICE)
            with contextlib.suppress(Exception):
                cloud.delete_secret(SECRET)
            with contextlib.suppress(Exception):
                _stop_supervisor(cloud)
            echo("cleaned up: service and secret deleted")
        cloud.close()


def _state_dir(cloud: Any) -> str:
    with contextlib.suppress(AttributeError, IndexError):
        return str(cloud.inventory.hosts[0].state_dir)
    return "?"


def _stop_supervisor(cloud: Any) -> None:
    from .managers import manager_for
    from .managers.supervisord import SupervisordManager

    host = cloud.inventory.hosts[0]
    mgr = manager_for(host)
    if isinstance(mgr, SupervisordManager) and not cloud.list_services():
        mgr.shutdown()


def _print_manifest(cloud: Any, echo: Callable[[str], None]) -> None:
    try:
        from cloudcore.llm.manifest import manifest
    except ImportError:
        echo(
            "7. AI tool manifest: skipped (cloudcore.llm.manifest is not available in this version)"
        )
        return
    doc = manifest(cloud)
    echo(f"7. AI tool manifest (/.well-known/ai-tools.json, read-only: {len(doc['tools'])} tools):")
    for tool in doc["tools"]:
        echo(f"     {tool['name']}: {tool['description'].splitlines()[0]}")
