"""Conformance tests for the ``cache`` capability."""

from __future__ import annotations

from typing import Any

import pytest

from ...capabilities import Capability
from ...errors import AlreadyExists, Conflict
from ...models import ResourceType
from ._base import (
    ConformanceOptions,
    Names,
    SuiteBase,
    _cache_config,
    exhaust,
    fault_injector,
    no_writes,
    not_testable,
    parallel,
    requires,
    writes,
)

K = Capability.CACHE


class CacheSuite(SuiteBase):
    """Caches: round trip, idempotent provision, conflicting config, delete-when-gone, errors,
    parallel provisioning."""

    @requires(K, "redis")
    def test_cache_provision_idempotent(self, provider: Any, conformance_names: Names) -> None:
        name = conformance_names.name("cache")
        config = _cache_config(provider, name)
        try:
            with writes(provider, "provision_cache of a new cache"):
                first = provider.provision_cache(config)
            assert first.name == name and first.host and first.port
            assert (first.auth_secret is not None) == config.auth, "auth_secret iff auth"
            with no_writes(provider, "provision_cache"):
                again = provider.provision_cache(config)
            assert (again.host, again.port, again.tls) == (first.host, first.port, first.tls)
            with pytest.raises((AlreadyExists, Conflict)):
                provider.provision_cache(_cache_config(provider, name, size="large"))
        finally:
            provider.delete_cache(name)

    @requires(K, "redis")
    def test_cache_delete_when_gone(self, provider: Any, conformance_names: Names) -> None:
        name = conformance_names.name("cache-gone")
        provider.provision_cache(_cache_config(provider, name))
        with writes(provider, "delete_cache of an existing cache"):
            provider.delete_cache(name)
        provider.delete_cache(name)  # already gone: must succeed
        if provider.supports(Capability.DISCOVERY):
            ids = {r.name for r in provider.list_resources(ResourceType.CACHE)}
            assert name not in ids, "a deleted cache is still listed"

    @requires(K, "redis")
    def test_cache_parallel_provision(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        names = [conformance_names.name(f"cache-{i}") for i in range(3)]
        # Declared options must round-trip: one cache with TLS, one highly available.
        extra: dict[str, dict[str, Any]] = {
            names[0]: {"tls": True} if provider.supports(K, "tls") else {},
            names[1]: {"high_availability": True}
            if provider.supports(K, "high_availability")
            else {},
        }
        try:
            got = parallel(
                lambda n: provider.provision_cache(_cache_config(provider, n, **extra.get(n, {}))),
                names,
            )
            assert sorted(e.name for e in got) == sorted(names)
            for endpoint in got:
                wanted = extra.get(endpoint.name, {})
                if "tls" in wanted:
                    assert endpoint.tls is True, "a cache provisioned with tls=True has no TLS"
                if "high_availability" in wanted:
                    assert endpoint.high_availability is True, "HA cache is not highly available"
            if provider.supports(Capability.DISCOVERY):
                listed = {r.name for r in provider.list_resources(ResourceType.CACHE)}
                assert set(names) <= listed, f"caches lost: {set(names) - listed}"
        finally:
            parallel(provider.delete_cache, names)

    @requires(K, "redis")
    def test_cache_error_mapping(self, provider: Any, conformance_names: Names) -> None:
        name = conformance_names.name("cache-faults")
        fault_injector(provider)
        config = _cache_config(provider, name)
        try:
            provider.provision_cache(config)

            def again() -> Any:
                return provider.provision_cache(config)

            exhaust(provider, "throttle", again, mutating=False, op="provision_cache")
            exhaust(provider, "transient", again, mutating=False, op="provision_cache")
        finally:
            provider.delete_cache(name)

    @requires(K, "redis")
    def test_cache_zz_nothing_left_behind(self, provider: Any, conformance_names: Names) -> None:
        if not provider.supports(Capability.DISCOVERY):
            not_testable("without discovery the suite cannot list caches")
        left = [
            r.id
            for r in provider.list_resources(ResourceType.CACHE)
            if r.name.startswith(conformance_names.run)
        ]
        assert not left, f"the suite left caches behind: {left}"
