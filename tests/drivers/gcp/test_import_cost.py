"""Importing the driver and connecting imports no Google library, and nothing but the WAF methods
imports ``google.cloud.compute_v1`` (1.5 s with bytecode, far more without): discovery lists Cloud
Armor policies over plain REST."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    import cloudcore_gcp.plugin
    assert not [m for m in sys.modules if m.startswith("google.cloud")], "plugin imported google"
    from google.auth.credentials import AnonymousCredentials
    from cloudcore_gcp.testing import FakeGCP
    import cloudcore

    fake = FakeGCP().start()
    cloud = cloudcore.connect(
        "gcp", project="fake-project", credentials=AnonymousCredentials(), api_endpoint=fake.url
    )
    assert "google.cloud.compute_v1" not in sys.modules, "connect imported compute_v1"
    cloud.store_secret("k", "v")
    cloud.create_dns_record("www.example.com", "192.0.2.1")
    cloud.deploy_service("api", {"image": "nginx", "port": 8080})
    fake.policies["edge"] = {"name": "edge", "rules": [], "labels": {"managed-by": "cloudcore"}}
    # every kind but buckets (Cloud Storage has its own stand-in, not started here)
    kinds = ("service", "secret", "dns_record", "waf_policy", "database", "cache")
    listed = {(r.type.value, r.name) for k in kinds for r in cloud.list_resources(k)}
    assert ("waf_policy", "edge") in listed, listed  # Cloud Armor listed over plain REST
    assert "google.cloud.compute_v1" not in sys.modules, "a non-WAF call imported compute_v1"
    cloud.close()
    fake.stop()
    print("OK")
    """
)


def test_compute_v1_is_not_imported_unless_waf_is_used() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=180, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("OK")


def test_plugin_registers_the_driver_and_its_test_target() -> None:
    from cloudcore.registry import available_drivers, load_factory, load_test_target

    info = available_drivers()["gcp"]
    assert info.extra == "gcp" and info.installed
    assert set(info.capabilities) == {
        "compute",
        "database",
        "cache",
        "dns",
        "waf",
        "secrets",
        "discovery",
        "storage",
    }
    assert load_factory("gcp").__name__ == "GCPProvider"
    assert load_test_target("gcp").__name__ == "fake_target"
