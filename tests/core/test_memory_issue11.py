"""Memory driver defects found by the outside review (issue 11, items 11, 12, 16, 21)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import cloudcore.testing.memory.edge as edge
from cloudcore.errors import ConfigurationError, NotFound
from cloudcore.models import DNSRecord, ServiceConfig
from cloudcore.testing.memory import MemoryProvider


def test_shared_state_reloads_on_coarse_mtimes(tmp_path: Path) -> None:
    """Two processes writing within one mtime tick with equal sizes: the second write is seen.
    (Two providers on one file stand in for two processes; os.utime puts the mtime back, as a
    filesystem with 1 s timestamps would.)"""
    state = tmp_path / "state.json"
    a = MemoryProvider(state_file=state)
    b = MemoryProvider(state_file=state)

    def record(last: int) -> DNSRecord:
        return DNSRecord(name="api.example.com", type="A", values=(f"192.0.2.{last}",))

    a.upsert_dns_records([record(1)])
    assert b.list_dns_records("example.com")[0].values == ("192.0.2.1",)  # b has loaded it
    st = state.stat()
    a.upsert_dns_records([record(2)])  # same size: only the content differs
    assert state.stat().st_size == st.st_size
    os.utime(state, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert b.list_dns_records("example.com")[0].values == ("192.0.2.2",)
    b.upsert_dns_records([record(3)])
    os.utime(state, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert a.list_dns_records("example.com")[0].values == ("192.0.2.3",)


def test_paged_listings_build_the_listing_once(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = MemoryProvider(page_size=10)
    n = 250
    provider.upsert_dns_records(
        [DNSRecord(name=f"h{i:03d}.example.com", type="A", values=("192.0.2.1",)) for i in range(n)]
    )
    built = 0
    real = edge._stored

    def counting(raw: dict[str, Any]) -> DNSRecord:
        nonlocal built
        built += 1
        return real(raw)

    monkeypatch.setattr(edge, "_stored", counting)
    listed = provider.list_dns_records("example.com")
    assert len(listed) == n
    assert built == n, f"{built} records built for a listing of {n} in {n // 10 + 1} pages"
    provider.store_secret("k", "v")  # a change: the next listing is built afresh, once
    built = 0
    assert len(provider.list_dns_records("example.com")) == n
    assert built == n


def test_dangling_secret_reference_is_not_found_before_any_write() -> None:
    provider = MemoryProvider()
    config = ServiceConfig(image="nginx", secrets={"TOKEN": "missing"})
    with pytest.raises(NotFound, match="missing"):
        provider.deploy_service("api", config)
    assert provider.list_services() == []
    provider.store_secret("missing", "v1")
    pinned = ServiceConfig(image="nginx", secrets={"TOKEN": {"key": "missing", "version": "7"}})
    with pytest.raises(NotFound, match="version"):
        provider.deploy_service("api", pinned)
    assert provider.list_services() == []


def test_rotating_a_referenced_secret_then_redeploying_rolls_the_service() -> None:
    provider = MemoryProvider()
    provider.store_secret("token", "v1")
    config = ServiceConfig(image="nginx", secrets={"TOKEN": "token"})
    first = provider.deploy_service("api", config)
    assert provider.deploy_service("api", config).changed is False
    provider.store_secret("token", "v2")
    again = provider.deploy_service("api", config)
    assert again.changed is True and again.revision != first.revision


def test_apex_ns_is_neither_listed_nor_writable() -> None:
    provider = MemoryProvider()
    apex = DNSRecord(name="example.com", type="NS", values=("ns1.other.net",))
    with pytest.raises(ConfigurationError, match="apex"):
        provider.upsert_dns_records([apex])
    with pytest.raises(ConfigurationError, match="apex"):
        provider.delete_dns_record(apex)
    sub = DNSRecord(name="sub.example.com", type="NS", values=("ns1.other.net",))
    assert provider.upsert_dns_records([sub]) == 1  # delegating a subdomain is fine
    assert all(
        r.name != "example.com" or r.type != "NS" for r in provider.list_dns_records("example.com")
    )
