"""Conformance tests for the ``dns`` capability."""

from __future__ import annotations

from typing import Any

import pytest

from ...capabilities import Capability
from ...errors import ConfigurationError, NotFound, Unsupported
from ...models import DNSRecord
from ._base import (
    ConformanceOptions,
    Names,
    SuiteBase,
    exhaust,
    fault_injector,
    no_writes,
    parallel,
    requires,
    retried_read,
    sample_record,
    writes,
)

N = Capability.DNS


def _find(records: list[DNSRecord], want: DNSRecord) -> DNSRecord | None:
    return next((r for r in records if r.key == want.key), None)


class DNSSuite(SuiteBase):
    """DNS: round trips of every declared type (IDN and long names), idempotent upserts,
    read-after-update, delete-when-gone, missing zone, listing past one page, concurrency."""

    def _records(self, provider: Any, opts: ConformanceOptions, names: Names) -> list[DNSRecord]:
        have = provider.features.get(N, frozenset())
        out = [
            sample_record(t, names.fqdn(f"rt-{t.lower()}", opts.zone))
            for t in ("A", "AAAA", "CNAME", "TXT", "MX", "SRV", "CAA")
            if t in have
        ]
        if "A" in have:
            out.append(
                DNSRecord(
                    name=f"bücher-{names.run}.{opts.zone}",
                    type="A",
                    values=("192.0.2.1", "192.0.2.2"),
                    ttl=60,
                )
            )
            label = names.edge(min(opts.name_length, 63))
            out.append(DNSRecord(name=f"{label}.{opts.zone}", type="A", values=("192.0.2.3",)))
        if "TXT" in have:
            out.append(
                DNSRecord(
                    name=names.fqdn("txt-long", opts.zone),
                    type="TXT",
                    values=("x" * 255, 'has "quotes" and spaces'),
                )
            )
        return out

    @requires(N)
    def test_dns_round_trip(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        records = self._records(provider, conformance_options, conformance_names)
        assert records, "the driver declares dns but none of A/AAAA/CNAME/TXT/MX/SRV/CAA"
        try:
            with writes(provider, "upsert_dns_records of new record sets"):
                written = provider.upsert_dns_records(records)
            assert written == len(records), f"upsert of {len(records)} new sets returned {written}"
            listed = provider.list_dns_records(conformance_options.zone)
            for want in records:
                got = _find(listed, want)
                assert got is not None, f"{want.name} {want.type} not listed"
                assert got.same_as(want), f"round trip changed {want.name}: {got} != {want}"
            made = provider.create_dns_record(
                conformance_names.fqdn("made", conformance_options.zone), "192.0.2.44"
            )
            assert made.type == "A"
            got = _find(provider.list_dns_records(conformance_options.zone), made)
            assert got is not None and got.values == ("192.0.2.44",)
            records.append(made)
            have = provider.features.get(N, frozenset())
            for target, rtype in (("2001:db8::44", "AAAA"), ("Target.Example.NET.", "CNAME")):
                if rtype in have:
                    fqdn = conformance_names.fqdn(f"made-{rtype.lower()}", conformance_options.zone)
                    inferred = provider.create_dns_record(fqdn, target)
                    records.append(inferred)
                    assert inferred.type == rtype, f"create_dns_record({target!r}) must be {rtype}"
                    got = _find(provider.list_dns_records(conformance_options.zone), inferred)
                    assert got is not None and got.same_as(inferred), f"{rtype} did not round-trip"
        finally:
            for rec in records:
                provider.delete_dns_record(rec)

    @requires(N, "A")
    def test_dns_upsert_is_idempotent(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        records = [
            sample_record("A", conformance_names.fqdn(f"idem-{i}", conformance_options.zone))
            for i in range(3)
        ]
        try:
            provider.upsert_dns_records(records)
            with no_writes(provider, "upsert_dns_records"):
                again = provider.upsert_dns_records(records)
            assert again == 0, f"an unchanged upsert must write 0 record sets, returned {again}"
        finally:
            for rec in records:
                provider.delete_dns_record(rec)

    @requires(N, "A")
    def test_dns_read_after_update(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        name = conformance_names.fqdn("update", conformance_options.zone)
        first = DNSRecord(name=name, type="A", values=("192.0.2.1",), ttl=300)
        second = DNSRecord(name=name, type="A", values=("192.0.2.2", "192.0.2.3"), ttl=120)
        try:
            provider.upsert_dns_records([first])
            with writes(provider, "upsert_dns_records of a changed record set"):
                assert provider.upsert_dns_records([second]) == 1
            got = _find(provider.list_dns_records(conformance_options.zone), second)
            assert got is not None and got.same_as(second), f"stale read after update: {got}"
        finally:
            provider.delete_dns_record(second)

    @requires(N, "A")
    def test_dns_delete_when_gone(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        rec = sample_record("A", conformance_names.fqdn("gone", conformance_options.zone))
        provider.upsert_dns_records([rec])
        with writes(provider, "delete_dns_record of an existing record set"):
            provider.delete_dns_record(rec)
        provider.delete_dns_record(rec)  # already gone: must succeed
        assert _find(provider.list_dns_records(conformance_options.zone), rec) is None

    @requires(N)
    def test_dns_apex_ns_is_neither_listed_nor_writable(
        self, provider: Any, conformance_options: ConformanceOptions
    ) -> None:
        """The zone's own NS (and SOA) belong to the provider: a listing copied from another
        provider must not overwrite them, so they are never listed and never written."""
        zone = conformance_options.zone
        apex = DNSRecord(name=zone, type="NS", values=("ns1.cloudcore-conformance.invalid",))
        listed = provider.list_dns_records(zone)
        assert not [r for r in listed if r.name == zone and r.type == "NS"], (
            f"list_dns_records({zone!r}) lists the apex NS"
        )
        # a driver without NS records refuses the type itself (Unsupported)
        refused = ConfigurationError if provider.supports(N, "NS") else Unsupported
        with no_writes(provider, "upsert of the apex NS"), pytest.raises(refused):
            provider.upsert_dns_records([apex])
        if provider.supports(N, "NS"):
            with no_writes(provider, "delete of the apex NS"), pytest.raises(ConfigurationError):
                provider.delete_dns_record(apex)

    @requires(N)
    def test_dns_missing_zone_is_not_found(
        self, provider: Any, conformance_options: ConformanceOptions
    ) -> None:
        with pytest.raises(NotFound):
            provider.list_dns_records(conformance_options.missing_zone)

    @requires(N, "A")
    def test_dns_list_past_one_page(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        count = conformance_options.past_one_page(provider)
        records = [
            DNSRecord(
                name=conformance_names.fqdn(f"page-{i:03d}", conformance_options.zone),
                type="A",
                values=(f"198.51.100.{i % 250 + 1}",),
            )
            for i in range(count)
        ]
        try:
            assert provider.upsert_dns_records(records) == count
            listed = provider.list_dns_records(conformance_options.zone)
            missing = [r.name for r in records if _find(listed, r) is None]
            assert not missing, f"{len(missing)} of {count} records missing from the listing"
            keys = [r.key for r in listed]
            assert len(keys) == len(set(keys)), "list_dns_records() repeats record sets"
        finally:
            parallel(provider.delete_dns_record, records, conformance_options.concurrency)

    @requires(N, "A")
    def test_dns_concurrent_upserts(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        n = conformance_options.concurrency
        zone = conformance_options.zone
        distinct = [sample_record("A", conformance_names.fqdn(f"conc-{i}", zone)) for i in range(n)]
        one = conformance_names.fqdn("conc-one", zone)
        variants = [DNSRecord(name=one, type="A", values=(f"203.0.113.{i + 1}",)) for i in range(n)]
        try:
            parallel(lambda r: provider.upsert_dns_records([r]), distinct, n)
            listed = provider.list_dns_records(zone)
            lost = [r.name for r in distinct if _find(listed, r) is None]
            assert not lost, f"parallel upserts to different names lost {lost}"
            parallel(lambda r: provider.upsert_dns_records([r]), variants, n)
            final = _find(provider.list_dns_records(zone), variants[0])
            assert final is not None and any(final.same_as(v) for v in variants), (
                f"after parallel upserts to one name the record is {final}"
            )
        finally:
            parallel(provider.delete_dns_record, [*distinct, variants[0]], n)

    @requires(N)
    def test_dns_error_mapping_and_retries(
        self, provider: Any, conformance_options: ConformanceOptions
    ) -> None:
        fault_injector(provider)

        def read() -> Any:
            return provider.list_dns_records(conformance_options.zone)

        exhaust(provider, "throttle", read, mutating=False, op="list_dns_records")
        exhaust(provider, "transient", read, mutating=False, op="list_dns_records")
        baseline = {r.key for r in read()}
        for kind in ("throttle", "transient"):
            again = retried_read(provider, kind, "list_dns_records", read)
            assert {r.key for r in again} == baseline, f"a {kind} listing lost records"

    @requires(N)
    def test_dns_zz_nothing_left_behind(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        left = [
            r.name
            for r in provider.list_dns_records(conformance_options.zone)
            if conformance_names.run in r.name
        ]
        assert not left, f"the suite left DNS records behind: {left[:5]}"
