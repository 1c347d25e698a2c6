"""Registers the built-in ``memory`` driver through the same hook as outside drivers."""

from __future__ import annotations

from ...hookspecs import RegisterDriver, hookimpl


@hookimpl
def cloudcore_register_drivers(register: RegisterDriver) -> None:
    register(
        name="memory",
        factory="cloudcore.testing.memory.provider:MemoryProvider",
        capabilities=(
            "compute",
            "database",
            "cache",
            "dns",
            "waf",
            "secrets",
            "storage",
            "queues",
            "jobs",
            "discovery",
        ),
        test_target="cloudcore.testing.memory.target:memory_target",
        description="In-process reference driver and test double (every capability)",
    )
