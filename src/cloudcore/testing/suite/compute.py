"""Conformance tests for the ``compute`` capability."""

from __future__ import annotations

from typing import Any

import pytest

from ...capabilities import Capability
from ...errors import NotFound, Unsupported
from ._base import (
    ConformanceOptions,
    Names,
    SuiteBase,
    _service_config,
    exhaust,
    fault_injector,
    no_writes,
    parallel,
    requires,
    retried_read,
    writes,
)

C = Capability.COMPUTE


class ComputeSuite(SuiteBase):
    """Services: round trip, idempotent deploy, read-after-update, scaling, delete-when-gone,
    errors, retries, listing past one page and concurrent deploys."""

    @requires(C)
    def test_compute_deploy_round_trip(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        name = conformance_names.edge(conformance_options.name_length)
        config = _service_config(
            provider, conformance_options, env={"GREETING": "grüß dich ✓", "EMPTY": ""}, replicas=1
        )
        try:
            with writes(provider, "deploy_service of a new service"):
                result = provider.deploy_service(name, config)
            assert result.name == name and result.revision, "deploy returns name and revision"
            status = provider.get_service_status(name)
            assert status.name == name
            assert status.desired == 1, f"desired replicas {status.desired}, deployed 1"
            assert status.revision == result.revision, "status revision differs from the deploy's"
            listed = {s.name for s in provider.list_services()}
            assert name in listed, "a deployed service is not listed"
        finally:
            provider.delete_service(name)

    @requires(C)
    def test_compute_deploy_is_idempotent(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        name = conformance_names.name("idem")
        config = _service_config(provider, conformance_options, env={"MODE": "same"})
        try:
            first = provider.deploy_service(name, config)
            with no_writes(provider, "deploy_service"):
                again = provider.deploy_service(name, config)
            assert again.changed is False, "an unchanged deploy must report changed=False"
            assert again.revision == first.revision, "an unchanged deploy must keep the revision"
        finally:
            provider.delete_service(name)

    @requires(C)
    def test_compute_update_read_after_write(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        name = conformance_names.name("update")
        try:
            first = provider.deploy_service(
                name, _service_config(provider, conformance_options, env={"V": "1"})
            )
            with writes(provider, "deploy_service of a changed config"):
                second = provider.deploy_service(
                    name, _service_config(provider, conformance_options, env={"V": "2"})
                )
            assert second.changed is True, "a changed config must report changed=True"
            assert second.revision != first.revision, "a changed config needs a new revision"
            status = provider.get_service_status(name)
            assert status.revision == second.revision, "stale read: status shows the old revision"
            with writes(provider, "scale_service to a new replica count"):
                scaled = provider.scale_service(name, 2)
            assert scaled.desired == 2
            assert provider.get_service_status(name).desired == 2, "stale read after scaling"
            with no_writes(provider, "scale_service"):
                provider.scale_service(name, 2)
        finally:
            provider.delete_service(name)

    @requires(C)
    def test_compute_delete_when_gone(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        name = conformance_names.name("gone")
        provider.deploy_service(name, _service_config(provider, conformance_options))
        with writes(provider, "delete_service of a deployed service"):
            provider.delete_service(name)
        provider.delete_service(name)  # already gone: must succeed
        with pytest.raises(NotFound):
            provider.get_service_status(name)
        assert name not in {s.name for s in provider.list_services()}, "deleted but still listed"

    @requires(C)
    def test_compute_missing_is_not_found(self, provider: Any, conformance_names: Names) -> None:
        name = conformance_names.name("never")
        with pytest.raises(NotFound):
            provider.get_service_status(name)
        with pytest.raises(NotFound):
            provider.scale_service(name, 1)
        if provider.supports(C, "logs"):
            with pytest.raises(NotFound):
                provider.get_logs(name)

    @requires(C, "secrets_env")
    def test_compute_dangling_secret_reference_is_not_found(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        """A reference to a secret that does not exist: ``NotFound`` before anything is
        written, on every driver (never a service deployed "running" without its secret)."""
        name = conformance_names.name("dangling")
        missing = conformance_names.secret("never-stored")
        config = _service_config(provider, conformance_options, secrets={"TOKEN": missing})
        try:
            with (
                no_writes(provider, "deploy_service with a missing secret"),
                pytest.raises(NotFound),
            ):
                provider.deploy_service(name, config)
            with pytest.raises(NotFound):
                provider.get_service_status(name)
        finally:
            provider.delete_service(name)

    @requires(C, "secrets_env")
    def test_compute_secret_rotation_then_redeploy_rolls_the_service(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        """A service refers to the latest version of a secret; the secret is rotated; the same
        config deployed again must roll the service onto the new value (``changed=True``), then
        be a no-op, and read back still refer to "latest"."""
        name = conformance_names.name("rotate")
        key = conformance_names.secret("rotated")
        config = _service_config(provider, conformance_options, secrets={"TOKEN": key})
        try:
            provider.store_secret(key, "before-rotation")
            assert provider.deploy_service(name, config).changed
            assert not provider.deploy_service(name, config).changed, "unchanged redeploy changed"
            provider.store_secret(key, "after-rotation")
            rolled = provider.deploy_service(name, config)
            assert rolled.changed, (
                "after the referenced secret was rotated, the redeploy changed nothing: the "
                "service keeps (or mixes in) the old value"
            )
            assert not provider.deploy_service(name, config).changed, "rotation not settled"
            try:
                back = provider.get_service_config(name)
            except Unsupported:  # a driver without read-back
                back = None
            if back is not None:
                assert back.secrets["TOKEN"].version is None, (
                    "a reference to the latest version reads back pinned to a version"
                )
        finally:
            provider.delete_service(name)
            provider.delete_secret(key)

    @requires(C, "logs")
    def test_compute_logs(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        name = conformance_names.name("logs")
        try:
            provider.deploy_service(name, _service_config(provider, conformance_options))
            entries = provider.get_logs(name, limit=5)
            assert isinstance(entries, list) and len(entries) <= 5, "get_logs honours limit"
            times = [e.time for e in entries]
            assert times == sorted(times), "log entries oldest first"
        finally:
            provider.delete_service(name)

    @requires(C)
    def test_compute_error_mapping_and_retries(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        name = conformance_names.name("faults")
        inj = fault_injector(provider)
        try:
            provider.deploy_service(name, _service_config(provider, conformance_options))

            def read() -> Any:
                return provider.get_service_status(name)

            exhaust(provider, "throttle", read, mutating=False, op="get_service_status")
            exhaust(provider, "transient", read, mutating=False, op="get_service_status")
            assert retried_read(provider, "throttle", "get_service_status", read).name == name
            assert retried_read(provider, "transient", "get_service_status", read).name == name
        finally:
            inj.clear()
            provider.delete_service(name)

    @requires(C)
    def test_compute_list_past_one_page(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        count = conformance_options.services
        if count is None:
            size = conformance_options.page(provider)
            count = size + 1 if size else 3
        names = [conformance_names.name(f"svc-{i:02d}") for i in range(count)]
        config = _service_config(provider, conformance_options)
        try:
            parallel(
                lambda n: provider.deploy_service(n, config), names, conformance_options.concurrency
            )
            listed = [s.name for s in provider.list_services()]
            missing = sorted(set(names) - set(listed))
            assert not missing, f"services missing from list_services(): {missing}"
            assert len(listed) == len(set(listed)), "list_services() repeats names"
        finally:
            parallel(provider.delete_service, names, conformance_options.concurrency)

    @requires(C)
    def test_compute_zz_nothing_left_behind(self, provider: Any, conformance_names: Names) -> None:
        left = [
            s.name for s in provider.list_services() if s.name.startswith(conformance_names.run)
        ]
        assert not left, f"the suite left services behind: {left}"
