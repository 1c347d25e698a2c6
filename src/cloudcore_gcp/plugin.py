"""Registers the ``gcp`` driver. Imports no Google library (those load on first use)."""

from __future__ import annotations

from cloudcore.hookspecs import RegisterDriver, hookimpl

__all__ = ["cloudcore_register_drivers"]


@hookimpl
def cloudcore_register_drivers(register: RegisterDriver) -> None:
    """Register the Google Cloud driver."""
    register(
        name="gcp",
        factory="cloudcore_gcp.provider:GCPProvider",
        extra="gcp",
        requires=("google.cloud.run_v2", "google.cloud.secretmanager_v1", "google.api_core"),
        capabilities=(
            "compute",
            "database",
            "cache",
            "dns",
            "waf",
            "secrets",
            "discovery",
            "storage",
        ),
        test_target="cloudcore_gcp.testing:fake_target",
        description="Google Cloud: Cloud Run, Cloud SQL, Memorystore, Cloud DNS, Cloud Armor, "
        "Secret Manager",
    )
