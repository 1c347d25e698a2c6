"""Conformance tests for the ``database`` capability (and backups' data, through a probe)."""

from __future__ import annotations

from typing import Any

import pytest

from ...capabilities import Capability
from ...errors import AlreadyExists, Conflict, NotFound, TransientError
from ...events import record
from ...models import ResourceType
from ..faults import Fault
from ..probes import probe_for
from ._base import (
    Names,
    SuiteBase,
    _db_config,
    exhaust,
    fault_injector,
    no_writes,
    not_testable,
    requires,
    writes,
)

D = Capability.DATABASE


class DatabaseSuite(SuiteBase):
    """Databases: idempotent provision, conflicting config, backup/restore (with the data when
    the target has a probe), unsafe backups not repeated, delete-when-gone, errors."""

    @requires(D, "postgres")
    def test_database_provision_idempotent(self, provider: Any, conformance_names: Names) -> None:
        name = conformance_names.name("db")
        config = _db_config(name)
        try:
            with writes(provider, "provision_database of a new database"):
                first = provider.provision_database(config)
            assert first.name == name and first.host and first.port
            with no_writes(provider, "provision_database"):
                again = provider.provision_database(config)
            assert again.name == first.name and again.host == first.host
            assert again.port == first.port and again.database == first.database
            with pytest.raises((AlreadyExists, Conflict)):
                provider.provision_database(_db_config(name, storage_gb=config.storage_gb + 10))
        finally:
            provider.delete_database(name)

    @requires(D, "postgres", "backups", "restore")
    def test_database_backup_restores_the_data(
        self, provider: Any, conformance_names: Names
    ) -> None:
        name, copy = conformance_names.name("src"), conformance_names.name("restored")
        probe = probe_for(provider)
        try:
            source = provider.provision_database(_db_config(name))
            if probe is not None:
                probe.write_marker(source, "marker-a")
            backup = provider.backup_database(name)
            assert backup.database == name and backup.id
            if probe is not None:
                probe.write_marker(source, "marker-b")
            listed = [b.id for b in provider.list_backups(name)]
            assert backup.id in listed, "a backup just taken is not in list_backups()"
            restored = provider.restore_database(backup, copy)
            assert restored.name == copy
            if probe is not None:
                markers = probe.read_markers(restored)
                assert markers == ["marker-a"], (
                    f"the restored database must hold exactly the data at backup time, got {markers}"
                )
                assert probe.read_markers(source) == ["marker-a", "marker-b"]
            with pytest.raises(AlreadyExists):
                provider.restore_database(backup, copy)
        finally:
            provider.delete_database(copy)
            provider.delete_database(name)

    @requires(D, "postgres", "backups")
    def test_database_backup_not_repeated(self, provider: Any, conformance_names: Names) -> None:
        name = conformance_names.name("unsafe")
        inj = fault_injector(provider)
        token_safe = "backup_database" in provider.token_safe_operations
        try:
            provider.provision_database(_db_config(name))
            before = len(provider.list_backups(name))
            inj.inject(Fault("transient", operation="backup_database", mutating=True))
            with record() as rec:
                try:
                    provider.backup_database(name)
                except TransientError:
                    assert not token_safe, "a token-safe backup must be retried"
                else:
                    assert token_safe, "a failed backup_database was repeated without a token"
            inj.clear()
            after = len(provider.list_backups(name))
            if not token_safe:
                assert len(rec.mutating_calls()) == 1, "backup_database is unsafe: one write only"
                assert after == before, "a failed backup left a backup behind"
            else:
                assert after == before + 1, "a retried backup must make exactly one backup"
        finally:
            inj.clear()
            provider.delete_database(name)

    @requires(D, "postgres")
    def test_database_missing_and_delete_when_gone(
        self, provider: Any, conformance_names: Names
    ) -> None:
        name = conformance_names.name("gone")
        ha = provider.supports(D, "high_availability")
        endpoint = provider.provision_database(_db_config(name, high_availability=ha))
        assert endpoint.high_availability is ha, "high_availability did not round-trip"
        provider.delete_database(name)
        provider.delete_database(name)  # already gone: must succeed
        if provider.supports(D, "backups"):
            with pytest.raises(NotFound):
                provider.backup_database(conformance_names.name("never"))
        if provider.supports(D, "restore"):
            with pytest.raises(NotFound):
                provider.restore_database(f"{conformance_names.run}-no-such-backup", name)

    @requires(D, "postgres")
    def test_database_error_mapping(self, provider: Any, conformance_names: Names) -> None:
        name = conformance_names.name("faults")
        fault_injector(provider)
        config = _db_config(name)
        try:
            provider.provision_database(config)

            def again() -> Any:
                return provider.provision_database(config)

            exhaust(provider, "throttle", again, mutating=False, op="provision_database")
            exhaust(provider, "transient", again, mutating=False, op="provision_database")
        finally:
            provider.delete_database(name)

    @requires(D, "postgres")
    def test_database_zz_nothing_left_behind(self, provider: Any, conformance_names: Names) -> None:
        if not provider.supports(Capability.DISCOVERY):
            not_testable("without discovery the suite cannot list databases")
        mine = provider.list_resources(type=ResourceType.DATABASE)
        left = [r.id for r in mine if r.name.startswith(conformance_names.run)]
        assert not left, f"the suite left databases behind: {left}"
        # Providers may keep backups (final snapshots) after a delete: they stay listed with type
        # "backup" -- the one documented exception to "nothing left behind".
