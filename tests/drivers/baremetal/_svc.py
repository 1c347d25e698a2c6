"""A tiny web service the compute tests deploy, and a client for it."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from cloudcore.models import HealthCheck, ServiceConfig

SERVER = """
import http.server, json, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"pid": os.getpid(), "replica": os.environ["CLOUDCORE_REPLICA"],
                           "greeting": os.environ.get("GREETING", ""),
                           "token": os.environ.get("TOKEN", "")}).encode()
        self.send_response(200); self.end_headers(); self.wfile.write(body)
http.server.HTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
"""


def config(port: int, replicas: int = 2, greeting: str = "hello", **kw: Any) -> ServiceConfig:
    return ServiceConfig(
        command=("/usr/bin/python3", "-u", "-c", SERVER),
        port=port,
        replicas=replicas,
        env={"GREETING": greeting},
        health_check=HealthCheck(path="/", interval_seconds=1, timeout_seconds=1),
        **kw,
    )


def get(address: str, port: int, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://{address}:{port}/", timeout=2) as resp:
                return dict(json.loads(resp.read()))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
