"""The whole plugin contract: four pluggy hooks.

A driver distribution registers a module under the entry-point group ``cloudcore.drivers``::

    [project.entry-points."cloudcore.drivers"]
    acme = "cloudcore_acme.plugin"

and that module (which must not import the driver's SDK) implements::

    from cloudcore.hookspecs import hookimpl

    @hookimpl
    def cloudcore_register_drivers(register):
        register(
            name="acme",
            factory="cloudcore_acme.provider:AcmeProvider",
            extra="acme",                      # pip install 'cloudcore[acme]' (or a dist name)
            requires=("acme_sdk",),            # modules whose absence means "not installed"
            capabilities=("compute", "dns"),
            test_target="cloudcore_acme.testing:fake_target",
            description="Acme Cloud",
        )

A plugin may also add subcommands to the ``cloudcore`` command line (``cloudcore demo`` comes from
the bare-metal plugin, ``cloudcore iam-policy aws`` from the AWS one) by implementing
``cloudcore_cli_commands``; the core's CLI names no driver.

The two observation hooks are implemented by whoever wants to watch: an audit log, metrics, the
conformance suite's call counter (:func:`cloudcore.record`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    from .events import ApiCallEvent, OperationEvent

__all__ = ["PROJECT", "RegisterDriver", "hookimpl", "hookspec"]

PROJECT = "cloudcore"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class RegisterDriver(Protocol):
    """The ``register`` callable handed to ``cloudcore_register_drivers``."""

    def __call__(
        self,
        *,
        name: str,
        factory: str,
        extra: str | None = None,
        requires: tuple[str, ...] = (),
        capabilities: tuple[str, ...] = (),
        test_target: str | None = None,
        description: str = "",
        **metadata: Any,
    ) -> None: ...


@hookspec
def cloudcore_register_drivers(register: RegisterDriver) -> None:
    """Register one or more drivers by calling ``register(...)`` for each."""


@hookspec
def cloudcore_operation(event: OperationEvent) -> None:
    """Called after every protocol operation, with its outcome and duration."""


@hookspec
def cloudcore_api_call(event: ApiCallEvent) -> None:
    """Called for every wire-level API call a driver makes (never with secret values)."""


@hookspec
def cloudcore_cli_commands(subparsers: Any, common: Any) -> None:
    """Add subcommands to the ``cloudcore`` command line.

    Args:
        subparsers: The ``argparse`` sub-parsers action of the ``cloudcore`` parser: call
            ``subparsers.add_parser(name, parents=[common], help=..., description=...)`` and
            ``set_defaults(func=...)`` where ``func(args) -> int`` is the exit code. Import the
            driver's SDK inside ``func``, never at module level (the plugin module stays light).
        common: The parent parser holding the connection options (``--provider``, ``--profile``,
            ``-o``, ``--json``).
    """
