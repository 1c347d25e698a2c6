"""Registers the ``baremetal`` and ``local`` drivers (imports no SDK)."""

from __future__ import annotations

from typing import Any

from cloudcore.hookspecs import RegisterDriver, hookimpl

_CAPS = ("compute", "database", "cache", "waf", "secrets", "discovery")


@hookimpl
def cloudcore_register_drivers(register: RegisterDriver) -> None:
    """Register both drivers of this package."""
    register(
        name="baremetal",
        factory="cloudcore_baremetal.provider:BaremetalProvider",
        extra="baremetal",
        requires=("paramiko", "cryptography"),
        capabilities=_CAPS,
        test_target="cloudcore_baremetal.testing:fake_target",
        description="Linux servers over SSH: systemd/supervisord, PostgreSQL, Redis, nftables",
    )
    register(
        name="local",
        factory="cloudcore_baremetal.local:LocalProvider",
        capabilities=(*_CAPS[:-1], "queues", "discovery"),
        test_target="cloudcore_baremetal.testing:local_target",
        description="This machine, no SSH: the bare-metal engine over a local transport",
    )


@hookimpl
def cloudcore_cli_commands(subparsers: Any, common: Any) -> None:
    """Add this package's subcommands to ``cloudcore``."""
    from cloudcore_baremetal import cli

    cli.add_parser(subparsers, common)
