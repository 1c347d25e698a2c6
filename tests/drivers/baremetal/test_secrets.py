"""Secrets on a real host: never in ps, encrypted at rest, private files."""

from __future__ import annotations

import subprocess
import threading

import pytest

from cloudcore.errors import ConfigurationError

from ._svc import config

pytestmark = pytest.mark.needs_root


class PsSampler:
    """Samples every process's command line on the machine (the host is this machine)."""

    def __init__(self) -> None:
        self.samples: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
            self.samples.append(out)

    def __enter__(self) -> PsSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_secret_never_appears_in_ps_while_stored_or_deployed(bm):
    state = bm.inventory.hosts[0].state_dir
    values = [f"SECRET-MARKER-{i}-" + "x" * 2000 for i in range(15)]
    with PsSampler() as ps:
        for i, value in enumerate(values):
            bm.store_secret(f"ps/k{i}", value)
        bm.deploy_service("pscheck", config(18500, replicas=1, secrets={"TOKEN": "ps/k0"}))
    try:
        # the sampler really saw the driver's commands on the host...
        assert any(state in sample for sample in ps.samples)
        # ...and never a secret value
        assert not any("SECRET-MARKER" in sample for sample in ps.samples)
    finally:
        bm.delete_service("pscheck")
        for i in range(len(values)):
            bm.delete_secret(f"ps/k{i}")


def test_secret_files_are_private_and_encrypted_at_rest(bm, loopback):
    bm.store_secret("rest/db", "plain-text-value-123")
    bm.store_secret("rest/db", "plain-text-value-456")
    try:
        t = bm.inventory.hosts[0].transport
        root = f"{bm.inventory.hosts[0].state_dir}/secrets"
        listing = t.run(["find", root, "-printf", "%m %y %P\\n"], mutating=False).text.split("\n")
        modes = {tuple(line.split()[:2]) for line in listing if line.strip()}
        assert modes <= {("700", "d"), ("600", "f")}
        raw = t.run(["sh", "-c", f"cat {root}/*/*.bin"], mutating=False).stdout
        assert b"plain-text-value" not in raw
        # another key (e.g. a stolen disk without the key) cannot read it
        with loopback.provider() as thief, pytest.raises(ConfigurationError, match="decrypt"):
            thief.get_secret("rest/db")
        assert bm.get_secret("rest/db", "1").get_secret_value() == "plain-text-value-123"
        assert "plain-text-value" not in repr(bm.list_secret_versions("rest/db"))
    finally:
        bm.delete_secret("rest/db")
