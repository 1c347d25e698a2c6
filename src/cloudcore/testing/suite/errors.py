"""Errors in more dimensions: what a throttle said is kept, and an unsafe restore is not repeated."""

from __future__ import annotations

from typing import Any

from ...capabilities import Capability
from ...errors import RateLimited, TransientError
from ...events import record
from ..faults import Fault
from ..probes import probe_for
from ._base import Names, SuiteBase, _db_config, exhaust, fault_injector, requires

RETRY_AFTER = 0.01
"""What :func:`exhaust` injects with each throttle."""


class ErrorsSuite(SuiteBase):
    """Error details the documentation promises, beyond the error's type."""

    @requires(Capability.SECRETS)
    def test_secrets_retry_after_is_what_was_injected(
        self, provider: Any, conformance_names: Names
    ) -> None:
        key = conformance_names.secret("retry-after")
        if provider.supports(Capability.SECRETS, "read"):
            op, call = "get_secret", lambda: provider.get_secret(key)
        else:
            op, call = "list_secrets", provider.list_secrets
        provider.store_secret(key, "throttled")
        try:
            error = exhaust(provider, "throttle", call, mutating=False, op=op)
        finally:
            provider.delete_secret(key)
        assert isinstance(error, RateLimited)
        assert error.retry_after is not None and abs(error.retry_after - RETRY_AFTER) < 1e-6, (
            f"the stand-in asked to wait {RETRY_AFTER} s; RateLimited.retry_after says "
            f"{error.retry_after}"
        )

    @requires(Capability.DATABASE, "postgres", "backups", "restore")
    def test_database_restore_not_repeated(self, provider: Any, conformance_names: Names) -> None:
        name, copy = conformance_names.name("rsrc"), conformance_names.name("rcopy")
        inj = fault_injector(provider)
        token_safe = "restore_database" in provider.token_safe_operations
        try:
            source = provider.provision_database(_db_config(name))
            probe = probe_for(provider)
            if probe is not None:
                probe.write_marker(source, "kept")
            backup = provider.backup_database(name)
            inj.inject(Fault("transient", operation="restore_database", mutating=True))
            with record() as rec:
                try:
                    restored = provider.restore_database(backup, copy)
                except TransientError:
                    assert not token_safe, "a token-safe restore must be retried"
                    restored = None
                else:
                    assert token_safe, "a failed restore_database was repeated without a token"
            inj.clear()
            if not token_safe:
                writes = [c.operation for c in rec.mutating_calls()]
                assert len(writes) == 1, f"restore_database is unsafe: one write only, got {writes}"
            elif probe is not None and restored is not None:
                assert probe.read_markers(restored) == ["kept"], "a retried restore lost data"
        finally:
            inj.clear()
            provider.delete_database(copy)
            provider.delete_database(name)
