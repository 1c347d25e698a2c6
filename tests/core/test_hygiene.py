"""Secret values never appear in logs, reprs, exception text, events or listings."""

from __future__ import annotations

import logging

import pytest

import cloudcore as cc
from cloudcore.testing.faults import Fault
from cloudcore.testing.memory import MemoryProvider

VALUE = "s3cr3t-Value-that-must-not-leak-\u00e9\u2603"


def test_secret_value_never_leaks(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cloud = MemoryProvider(retry=False)
    seen: list[str] = []
    with cc.record() as rec:
        version = cloud.store_secret("api-key", VALUE)
        got = cloud.get_secret("api-key", version)
        seen += [repr(got), str(got), repr(cloud), str(cloud.list_secrets())]
        seen += [r.model_dump_json() for r in cloud.list_resources()]
        seen.append(cloud.get_resource_schema("cloudcore:memory::secret/api-key").model_dump_json())
        cloud.faults.inject(Fault("transient", operation="store_secret"))
        with pytest.raises(cc.TransientError) as info:
            cloud.store_secret("api-key", VALUE)
        seen += [str(info.value), repr(info.value), repr(info.value.__cause__)]
        with pytest.raises(cc.ConfigurationError) as bad:
            cloud.store_secret("bad key!", VALUE)
        seen += [str(bad.value)]
    assert got.get_secret_value() == VALUE
    seen += [repr(e) for e in rec.operations] + [repr(c) for c in rec.api_calls]
    seen += [r.getMessage() for r in caplog.records]
    assert rec.operations  # the events were really recorded
    for text in seen:
        assert VALUE not in text
        assert "s3cr3t" not in text


class _LeakyProvider(MemoryProvider):
    """A driver whose SDK echoes the request body in its error (it happens)."""

    def _store_secret(self, key: str, value: object) -> str:
        raise RuntimeError(f"bad request body: {{'SecretString': '{VALUE}'}}")


def test_sdk_errors_that_echo_the_value_are_scrubbed() -> None:
    cloud = _LeakyProvider(retry=False)
    with pytest.raises(cc.ProviderError) as info:
        cloud.store_secret("k", VALUE)
    assert VALUE not in str(info.value) and VALUE not in repr(info.value)
    assert info.value.__cause__ is None  # the leaking SDK error is not chained
    assert "**********" in str(info.value)


class _EchoingProvider(MemoryProvider):
    """An SDK error that names its own class and echoes the value it was given."""

    def _store_secret(self, key: str, value: object) -> str:
        secret = value.get_secret_value()  # type: ignore[attr-defined]
        raise RuntimeError(f"CommandError: request to /opt/tool failed for input '{secret}'")


class _QuietProvider(MemoryProvider):
    """An SDK error that does not contain the value at all."""

    def _store_secret(self, key: str, value: object) -> str:
        raise RuntimeError("CommandError: request to /opt/tool/bin failed with code 7")


def test_short_secrets_do_not_mangle_messages_or_show_where_they_occur() -> None:
    quiet = _QuietProvider(retry=False)
    for short in ("o", "ol", "tool"):
        with pytest.raises(cc.ProviderError) as info:
            quiet.store_secret("k", short)
        # the value occurs only inside other words and a path the library built: left alone
        assert "CommandError: request to /opt/tool/bin failed with code 7" in str(info.value)
        assert "*" not in str(info.value)
        assert info.value.args == (info.value.message,)
    echoing = _EchoingProvider(retry=False)
    with pytest.raises(cc.ProviderError) as echoed:
        echoing.store_secret("k", "o")
    # a short value echoed as a token: the whole message is withheld, nothing positional shown
    assert "'o'" not in str(echoed.value) and "withheld" in str(echoed.value)
    assert echoed.value.__cause__ is None
    assert "'o'" not in repr(echoed.value.args)
