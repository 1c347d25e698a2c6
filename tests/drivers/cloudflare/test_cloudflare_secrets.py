"""Secrets in the Secrets Store: store, version counter, list, delete; values never come back."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import cloudcore
from cloudcore.errors import AlreadyExists, ConfigurationError, Unsupported
from cloudcore.testing.faults import Fault
from cloudcore_cloudflare.secrets import secret_name
from cloudcore_cloudflare.testing import FakeCloudflare, fake_target

VALUE = "s3cr3t-Value-never-shown"


def test_store_version_list_delete(cf: Any, fake: FakeCloudflare) -> None:
    assert cf.store_secret("db/password", VALUE) == "1"
    assert cf.store_secret("db/password", VALUE + "2") == "2"
    assert cf.store_secret("API_KEY", "k") == "1"
    assert cf.list_secrets() == ["API_KEY", "db/password"]
    with pytest.raises(Unsupported, match="only the current value"):
        cf.list_secret_versions("db/password")
    (store,) = fake.state.secrets.values()
    names = sorted(s["name"] for s in store.values())
    assert names == sorted(["API_KEY", secret_name("db/password")])
    assert VALUE + "2" in fake.state.secret_values.values()
    cf.delete_secret("db/password")
    assert cf.list_secrets() == ["API_KEY"]
    with cloudcore.record() as rec:
        cf.delete_secret("db/password")
    assert rec.mutating_calls() == []


def test_reading_a_value_is_unsupported_with_the_reason(cf: Any) -> None:
    cf.store_secret("k", VALUE)
    with pytest.raises(Unsupported) as info:
        cf.get_secret("k")
    assert "never returns" in str(info.value)
    assert not cf.supports("secrets", "read")
    assert "never returns" in cf.unsupported_reason("secrets", "read")


def test_values_never_appear_in_events_logs_errors_or_listings(
    cf: Any, fake: FakeCloudflare, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with cloudcore.record() as rec:
        cf.store_secret("tok", VALUE)
        cf.store_secret("tok", VALUE)
    assert VALUE not in repr(rec.api_calls) + repr(rec.operations)
    assert VALUE not in caplog.text
    fake.faults.inject(Fault("transient", api="/secrets", mutating=True))
    with pytest.raises(cloudcore.CloudcoreError) as info:
        cf.store_secret("tok", VALUE)
    text = f"{info.value!s} {info.value!r} {info.value.__cause__!r}"
    assert VALUE not in text
    listing = repr(cf.list_secrets()) + repr(list(cf.list_resources(type="secret")))
    assert VALUE not in listing and "tok" in listing


def test_unmanaged_secrets_are_left_untouched(cf: Any, fake: FakeCloudflare) -> None:
    cf.store_secret("mine", "x")
    sid = next(iter(fake.state.stores))
    fake.state.create_secrets(fake.account_id, sid, [{"name": "theirs", "value": "t"}])
    assert cf.list_secrets() == ["mine"]
    with pytest.raises(AlreadyExists):
        cf.store_secret("theirs", "overwrite")
    with pytest.raises(cloudcore.CloudcoreError):
        cf.delete_secret("theirs")
    assert any(s["name"] == "theirs" for s in fake.state.secrets[sid].values())


def test_secrets_need_an_account(fake: FakeCloudflare) -> None:
    fake.reset()
    with fake_target(("example.com",), fake=fake) as cf:
        cf.account_id = None
        with pytest.raises(ConfigurationError, match="account_id"):
            cf.list_secrets()


def test_a_failed_store_is_not_repeated(cf: Any, fake: FakeCloudflare) -> None:
    cf.store_secret("once", "v1")
    fake.clear_log()
    fake.faults.inject(Fault("transient", api="/secrets/", mutating=True))
    with pytest.raises(cloudcore.TransientError):
        cf.store_secret("once", "v2")
    writes = [r for r in fake.requests if r.mutating]
    assert [(r.method, r.status) for r in writes] == [("PATCH", 503)]


def test_concurrent_stores_of_different_keys_are_all_kept(cf: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    keys = [f"conc-{i}" for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        versions = list(pool.map(lambda k: cf.store_secret(k, "v"), keys))
    assert versions == ["1"] * 8
    assert cf.list_secrets() == sorted(keys)


def test_concurrent_stores_of_one_key_each_get_a_version(cf: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(6) as pool:
        versions = list(pool.map(lambda i: cf.store_secret("same", f"v{i}"), range(6)))
    assert sorted(versions, key=int) == [str(i) for i in range(1, 7)]
    assert cf.list_secrets() == ["same"]
