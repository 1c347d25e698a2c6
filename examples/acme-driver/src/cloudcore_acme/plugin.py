"""Registers the ``acme`` driver. Imports nothing heavy: cloudcore reads this lazily."""

from __future__ import annotations

from cloudcore.hookspecs import RegisterDriver, hookimpl


@hookimpl
def cloudcore_register_drivers(register: RegisterDriver) -> None:
    register(
        name="acme",
        factory="cloudcore_acme.provider:AcmeProvider",
        extra="cloudcore-acme",
        capabilities=("secrets", "dns"),
        test_target="cloudcore_acme.testing:acme_target",
        description="Acme Cloud (example third-party driver: secrets and DNS)",
        conformance_options={"zone": "example.com"},
    )
