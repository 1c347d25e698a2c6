"""Registers the ``baremetal`` and ``local`` drivers (imports no SDK)."""

from __future__ import annotations

from typing import Any

from cloudcore.hookspecs import RegisterDriver, hookimpl

# What each provider class declares (``BaremetalProvider.capabilities``,
# ``LocalProvider.capabilities``); tests/core/test_registry_capabilities.py keeps them equal.
# The local driver has no WAF: it never changes this machine's firewall.
_BAREMETAL_CAPS = ("compute", "database", "cache", "waf", "secrets", "discovery", "storage")
_LOCAL_CAPS = ("compute", "database", "cache", "secrets", "queues", "discovery", "storage")


@hookimpl
def cloudcore_register_drivers(register: RegisterDriver) -> None:
    """Register both drivers of this package."""
    register(
        name="baremetal",
        factory="cloudcore_baremetal.provider:BaremetalProvider",
        extra="baremetal",
        requires=("paramiko", "cryptography"),
        capabilities=_BAREMETAL_CAPS,
        test_target="cloudcore_baremetal.testing:fake_target",
        description="Linux servers over SSH: systemd/supervisord, PostgreSQL, Redis, nftables",
    )
    register(
        name="local",
        factory="cloudcore_baremetal.local:LocalProvider",
        capabilities=_LOCAL_CAPS,
        test_target="cloudcore_baremetal.testing:local_target",
        description="This machine, no SSH: the bare-metal engine over a local transport",
    )


@hookimpl
def cloudcore_cli_commands(subparsers: Any, common: Any) -> None:
    """Add this package's subcommands to ``cloudcore``."""
    from cloudcore_baremetal import cli

    cli.add_parser(subparsers, common)
