"""Each promise varied one thing at a time: one field, one sibling, one boundary.

The capability suites check the happy path of each promise; these tests change exactly one
thing against a known state and check the documented result: a write or none (counted on the
wire when the target has a wire counter), a conflict or none, and that siblings survive.
"""

from __future__ import annotations

from typing import Any

import pytest

from ...capabilities import Capability
from ...errors import AlreadyExists, Conflict
from ...models import DNSRecord, ResourceType
from ._base import (
    ConformanceOptions,
    Names,
    SuiteBase,
    _cache_config,
    _db_config,
    _service_config,
    no_writes,
    requires,
    sample_rule,
    writes,
)

C, D, K, N, W, S = (
    Capability.COMPUTE,
    Capability.DATABASE,
    Capability.CACHE,
    Capability.DNS,
    Capability.WAF,
    Capability.SECRETS,
)

# Values a round trip must keep byte for byte (whitespace is data, not formatting).
EXACT_VALUES = (
    "  leading and trailing spaces  ",
    "\nstarts and ends with newlines\n\n",
    "tab\tinside and at the end\t",
    "crlf\r\nline",
    "multi-byte: ünïcødé ✓ 🔑 秘密",
)


def _listed(provider: Any, zone: str, name: str) -> dict[str, DNSRecord]:
    return {r.type.value: r for r in provider.list_dns_records(zone) if r.name == name}


class DimensionsSuite(SuiteBase):
    """One thing at a time: a single field, a sibling that must survive, a boundary."""

    # ------------------------------------------------------------------ dns
    @requires(N, "A")
    def test_dns_one_field_at_a_time(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        zone = conformance_options.zone
        name = conformance_names.fqdn("onefield", zone)
        base = DNSRecord(name=name, type="A", values=("192.0.2.1", "192.0.2.2"), ttl=300)
        try:
            provider.upsert_dns_records([base])
            reordered = base.model_copy(update={"values": ("192.0.2.2", "192.0.2.1")})
            with no_writes(provider, "upsert of the same values in another order"):
                assert provider.upsert_dns_records([reordered]) == 0, (
                    "values are a set: another order is no change"
                )
            ttl_only = base.model_copy(update={"ttl": 600})
            with writes(provider, "upsert changing only the TTL"):
                assert provider.upsert_dns_records([ttl_only]) == 1, "a TTL change is a change"
            got = _listed(provider, zone, name).get("A")
            assert got is not None and got.ttl == 600, f"the TTL change was not applied: {got}"
            assert set(got.values) == set(base.values), "changing the TTL changed the values"
        finally:
            provider.delete_dns_record(base)

    @requires(N, "A", "TXT")
    def test_dns_sibling_type_at_the_same_name_survives(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        zone = conformance_options.zone
        name = conformance_names.fqdn("sibling", zone)
        a = DNSRecord(name=name, type="A", values=("192.0.2.7",), ttl=300)
        txt = DNSRecord(name=name, type="TXT", values=("v=sibling",), ttl=300)
        try:
            provider.upsert_dns_records([a, txt])
            provider.upsert_dns_records([a.model_copy(update={"values": ("192.0.2.8",)})])
            got = _listed(provider, zone, name)
            assert "TXT" in got and got["TXT"].same_as(txt), "an A upsert changed the TXT beside it"
            provider.delete_dns_record(a)
            got = _listed(provider, zone, name)
            assert "A" not in got, "the deleted A record set is still listed"
            assert "TXT" in got and got["TXT"].same_as(txt), "deleting the A deleted the TXT too"
        finally:
            provider.delete_dns_record(a)
            provider.delete_dns_record(txt)

    # -------------------------------------------------------------- compute
    @requires(C)
    def test_compute_env_order_is_no_change_one_value_is(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        name = conformance_names.name("envorder")
        first = _service_config(provider, conformance_options, env={"A": "1", "B": "2", "C": "3"})
        swapped = _service_config(provider, conformance_options, env={"C": "3", "B": "2", "A": "1"})
        one = _service_config(provider, conformance_options, env={"A": "1", "B": "two", "C": "3"})
        try:
            deployed = provider.deploy_service(name, first)
            with no_writes(provider, "deploy_service with the env vars in another order"):
                again = provider.deploy_service(name, swapped)
            assert again.changed is False and again.revision == deployed.revision, (
                "env vars are a mapping: another order is no change"
            )
            with writes(provider, "deploy_service changing one env value"):
                changed = provider.deploy_service(name, one)
            assert changed.changed is True and changed.revision != deployed.revision
        finally:
            provider.delete_service(name)

    # -------------------------------------------------------------- secrets
    @requires(S, "read", "versions")
    def test_secrets_versions_past_nine(self, provider: Any, conformance_names: Names) -> None:
        key = conformance_names.secret("many")
        try:
            made = [provider.store_secret(key, f"value-{i}") for i in range(1, 12)]
            assert len(set(made)) == 11, f"each store makes a new version: {made}"
            assert provider.get_secret(key).get_secret_value() == "value-11", (
                "the latest of 11 versions is the 11th (numeric order, not text order)"
            )
            listed = [v.version for v in provider.list_secret_versions(key)]
            assert listed[-11:] == made, f"versions oldest first, in numeric order: {listed}"
            assert provider.get_secret(key, made[9]).get_secret_value() == "value-10"
            assert provider.get_secret(key, made[1]).get_secret_value() == "value-2"
        finally:
            provider.delete_secret(key)

    @requires(S, "read")
    def test_secrets_values_round_trip_byte_exact(
        self, provider: Any, conformance_names: Names
    ) -> None:
        keys = {conformance_names.secret(f"exact-{i}"): v for i, v in enumerate(EXACT_VALUES)}
        try:
            for key, value in keys.items():
                provider.store_secret(key, value)
            for key, value in keys.items():
                got = provider.get_secret(key).get_secret_value()
                assert got == value, f"{key}: stored {value!r}, read back {got!r}"
        finally:
            for key in keys:
                provider.delete_secret(key)

    @requires(S)
    def test_secrets_listing_of_exactly_k_pages(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        """The listing holds exactly one page, exactly two pages, then two pages + 1."""
        size = conformance_options.page(provider)
        if size is None or size > 50:
            pytest.skip("needs a known page size of at most 50 (exact boundaries cost 2n+1 writes)")
        existing = set(provider.list_secrets())
        if len(existing) >= size:
            pytest.skip(f"{len(existing)} secrets exist already: one exact page is out of reach")
        made: list[str] = []
        try:
            for total in (size, 2 * size, 2 * size + 1):
                while len(existing) + len(made) < total:
                    key = conformance_names.secret(f"kpage-{len(made):03d}")
                    provider.store_secret(key, "v")
                    made.append(key)
                listed = provider.list_secrets()
                assert len(listed) == len(set(listed)), (
                    f"a listing of exactly {total} names (page size {size}) repeats names"
                )
                assert set(listed) == existing | set(made), (
                    f"a listing of exactly {total} names (page size {size}) lost or invented "
                    f"{sorted(set(listed) ^ (existing | set(made)))[:5]}"
                )
        finally:
            for key in made:
                provider.delete_secret(key)

    # ------------------------------------------------------------------ waf
    @requires(W)
    def test_waf_only_the_order_changes(
        self, provider: Any, conformance_options: ConformanceOptions
    ) -> None:
        have = provider.features.get(W, frozenset())
        kinds = [k for k in ("ip", "geo", "path", "rate_limit") if k in have]
        if len(kinds) < 2:
            pytest.skip("needs two rule kinds to reorder")
        target = conformance_options.waf_target
        original = provider.get_waf_rules(target)
        rules = [sample_rule(k) for k in kinds[:2]]
        try:
            provider.configure_waf(rules, target)
            swapped = list(reversed(rules))
            with writes(provider, "configure_waf with only the rule order changed"):
                assert provider.configure_waf(swapped, target) is True, "order is priority"
            got = [r.name for r in provider.get_waf_rules(target)]
            assert got == [r.name for r in swapped], f"the new order was not applied: {got}"
            with no_writes(provider, "configure_waf with the same order again"):
                assert provider.configure_waf(swapped, target) is False
        finally:
            provider.configure_waf(original, target)

    # --------------------------------------------------------- cache, database
    @requires(K, "redis", "tls")
    def test_cache_only_tls_changed_is_a_conflict(
        self, provider: Any, conformance_names: Names
    ) -> None:
        name = conformance_names.name("cache-tls")
        # without auth: some providers turn TLS on with auth (AWS), so TLS alone varies here
        config = _cache_config(provider, name, auth=False, tls=False)
        try:
            provider.provision_cache(config)
            with (
                no_writes(provider, "provision_cache changing only tls"),
                pytest.raises((AlreadyExists, Conflict)),
            ):
                provider.provision_cache(_cache_config(provider, name, auth=False, tls=True))
            with no_writes(provider, "provision_cache with the original config"):
                provider.provision_cache(config)
        finally:
            provider.delete_cache(name)

    @requires(D, "postgres", "high_availability")
    def test_database_only_ha_changed_is_a_conflict(
        self, provider: Any, conformance_names: Names
    ) -> None:
        name = conformance_names.name("db-ha")
        config = _db_config(name)
        try:
            provider.provision_database(config)
            with (
                no_writes(provider, "provision_database changing only HA"),
                pytest.raises((AlreadyExists, Conflict)),
            ):
                provider.provision_database(_db_config(name, high_availability=True))
        finally:
            provider.delete_database(name)

    @requires(D, "postgres")
    def test_database_whose_name_extends_another_survives(
        self, provider: Any, conformance_names: Names
    ) -> None:
        short, longer = conformance_names.name("dbx"), conformance_names.name("dbx-v2")
        try:
            provider.provision_database(_db_config(short))
            kept = provider.provision_database(_db_config(longer))
            provider.delete_database(short)
            with no_writes(provider, f"provision_database({longer!r}) after deleting {short!r}"):
                again = provider.provision_database(_db_config(longer))
            assert (again.host, again.port, again.database) == (
                kept.host,
                kept.port,
                kept.database,
            ), f"deleting {short!r} changed {longer!r}"
            if provider.supports(Capability.DISCOVERY):
                names = {r.name for r in provider.list_resources(ResourceType.DATABASE)}
                assert longer in names, f"deleting {short!r} deleted {longer!r}"
                assert short not in names, f"{short!r} is still listed after its delete"
        finally:
            provider.delete_database(longer)
            provider.delete_database(short)
