"""History and failures in the middle: what earlier calls left must show in later ones.

Two backups with data changed between them each restore their own data; after a scale the status
and the listing agree; a delete whose read fails once (a 5xx) still ends with the thing deleted.
"""

from __future__ import annotations

from typing import Any

import pytest

from ...capabilities import Capability
from ..faults import Fault
from ..probes import probe_for
from ._base import (
    ConformanceOptions,
    Names,
    SuiteBase,
    _db_config,
    _service_config,
    fast_retries,
    fault_injector,
    not_testable,
    requires,
)


class HistorySuite(SuiteBase):
    """State that earlier calls left behind, read back by later ones."""

    @requires(Capability.DATABASE, "postgres", "backups", "restore")
    def test_database_two_backups_each_restore_their_own_data(
        self, provider: Any, conformance_names: Names
    ) -> None:
        probe = probe_for(provider)
        if probe is None:
            not_testable("the target attaches no data probe (cloudcore.testing.probes)")
        assert probe is not None
        name = conformance_names.name("hist")
        first, second = conformance_names.name("hist-r1"), conformance_names.name("hist-r2")
        try:
            source = provider.provision_database(_db_config(name))
            probe.write_marker(source, "one")
            backup_one = provider.backup_database(name)
            probe.write_marker(source, "two")
            backup_two = provider.backup_database(name)
            assert backup_one.id != backup_two.id, "two backups share an id"
            # the older backup first: a driver restoring "the latest" is caught either way
            got_one = probe.read_markers(provider.restore_database(backup_one, first))
            got_two = probe.read_markers(provider.restore_database(backup_two, second))
            assert got_one == ["one"], f"the first backup restored {got_one}, not its own data"
            assert got_two == ["one", "two"], f"the second backup restored {got_two}"
        finally:
            for db in (second, first, name):
                provider.delete_database(db)

    @requires(Capability.COMPUTE)
    def test_compute_status_and_listing_agree_after_scale(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        name = conformance_names.name("scaled")
        try:
            provider.deploy_service(name, _service_config(provider, conformance_options))
            provider.scale_service(name, 2)
            status = provider.get_service_status(name)
            listed = {s.name: s for s in provider.list_services()}
            assert name in listed, "a scaled service is not listed"
            assert status.desired == listed[name].replicas == 2, (
                f"after scaling to 2: status says {status.desired}, "
                f"the listing {listed[name].replicas}"
            )
            assert status.revision == listed[name].revision, "status and listing revisions differ"
        finally:
            provider.delete_service(name)

    @requires(Capability.SECRETS)
    def test_secrets_delete_survives_a_failed_read(
        self, provider: Any, conformance_names: Names
    ) -> None:
        inj = fault_injector(provider)
        key = conformance_names.secret("del-5xx")
        provider.store_secret(key, "to be deleted")
        fault = Fault("transient", operation="delete_secret", mutating=False)
        inj.inject(fault)
        try:
            with fast_retries(provider):
                provider.delete_secret(key)
            inj.clear()
            if fault.hits == 0:
                pytest.skip("the driver's delete makes no read the fault could hit")
            assert key not in provider.list_secrets(), (
                "a read failing once (5xx) inside delete_secret: the secret must still be deleted"
            )
        finally:
            inj.clear()
            provider.delete_secret(key)
