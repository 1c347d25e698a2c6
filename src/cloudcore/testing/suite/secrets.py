"""Conformance tests for the ``secrets`` capability."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from pydantic import SecretStr

from ...capabilities import Capability
from ...errors import CloudcoreError, ConfigurationError, NotFound, TransientError
from ...events import record
from ...llm.manifest import manifest
from ...llm.schemas import operation_parameters
from ..faults import Fault
from ._base import (
    ConformanceOptions,
    Names,
    SuiteBase,
    exhaust,
    fast_retries,
    fault_injector,
    parallel,
    requires,
    retried_read,
    writes,
)

S = Capability.SECRETS

UNICODE_VALUE = "pässwörd 🔑 秘密 — \"quoted\" 'single' \\ back\nnew line\ttab"


def _chain_text(exc: BaseException | None) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        parts += [str(exc), repr(exc), repr(getattr(exc, "args", ""))]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


class SecretsSuite(SuiteBase):
    """Secrets: round trips, versions, read-after-write, delete-when-gone, errors, retries,
    pagination, concurrency and hygiene (a value never leaks)."""

    @requires(S, "read")
    def test_secrets_round_trip(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        big = ("0123456789abcdef" * (conformance_options.secret_max_bytes // 16 + 1))[
            : conformance_options.secret_max_bytes
        ]
        values = {
            conformance_names.secret("ascii"): "s3cr3t-value",
            conformance_names.secret("unicode"): UNICODE_VALUE,
            conformance_names.secret("large"): big,
            conformance_names.secret("edge.name_with-chars/and/depth"): "edge",
        }
        try:
            for key, value in values.items():
                version = provider.store_secret(key, value)
                assert isinstance(version, str) and version, "store_secret must return a version"
            for key, value in values.items():
                got = provider.get_secret(key)
                assert isinstance(got, SecretStr), "get_secret must return a SecretStr"
                assert got.get_secret_value() == value, f"{key}: value changed in the round trip"
            listed = set(provider.list_secrets())
            assert set(values) <= listed, f"stored secrets not listed: {set(values) - listed}"
        finally:
            for key in values:
                provider.delete_secret(key)

    @requires(S, "read")
    def test_secrets_read_after_update(self, provider: Any, conformance_names: Names) -> None:
        key = conformance_names.secret("updated")
        try:
            provider.store_secret(key, "first")
            with writes(provider, "store_secret of a new value"):
                provider.store_secret(key, "second")
            assert provider.get_secret(key).get_secret_value() == "second", "stale read"
            provider.store_secret(key, "third")
            assert provider.get_secret(key).get_secret_value() == "third", "stale read"
        finally:
            provider.delete_secret(key)

    @requires(S, "read", "versions")
    def test_secrets_versions(self, provider: Any, conformance_names: Names) -> None:
        key = conformance_names.secret("versions")
        try:
            v1 = provider.store_secret(key, "one")
            v2 = provider.store_secret(key, "two")
            assert v1 != v2, "each store_secret makes a new version"
            assert provider.get_secret(key, v1).get_secret_value() == "one"
            assert provider.get_secret(key, v2).get_secret_value() == "two"
            versions = [v.version for v in provider.list_secret_versions(key)]
            assert versions[-2:] == [v1, v2], f"versions oldest first, got {versions}"
            with pytest.raises((NotFound, ConfigurationError)):
                provider.get_secret(key, "999999")  # a version that does not exist
        finally:
            provider.delete_secret(key)

    @requires(S)
    def test_secrets_delete_when_gone(self, provider: Any, conformance_names: Names) -> None:
        key = conformance_names.secret("deleted")
        provider.store_secret(key, "short-lived")
        with writes(provider, "delete_secret of a stored secret"):
            provider.delete_secret(key)
        provider.delete_secret(key)  # already gone: must succeed
        assert key not in provider.list_secrets(), "a deleted secret is still listed"
        if provider.supports(S, "read"):
            with pytest.raises(NotFound):
                provider.get_secret(key)

    @requires(S, "read")
    def test_secrets_missing_is_not_found(self, provider: Any, conformance_names: Names) -> None:
        key = conformance_names.secret("never-stored")
        with pytest.raises(NotFound):
            provider.get_secret(key)
        if provider.supports(S, "versions"):
            with pytest.raises(NotFound):
                provider.list_secret_versions(key)
        provider.delete_secret(key)

    @requires(S)
    def test_secrets_list_past_one_page(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        count = conformance_options.past_one_page(provider)
        keys = [conformance_names.secret(f"page-{i:03d}") for i in range(count)]
        try:
            parallel(
                lambda k: provider.store_secret(k, f"v-{k}"), keys, conformance_options.concurrency
            )
            listed = provider.list_secrets()
            missing = sorted(set(keys) - set(listed))
            assert not missing, f"{len(missing)} of {count} secrets missing from list_secrets()"
            assert len(listed) == len(set(listed)), "list_secrets() repeats names"
        finally:
            parallel(provider.delete_secret, keys, conformance_options.concurrency)

    @requires(S)
    def test_secrets_concurrent_writes(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        """Parallel writes lose nothing; without ``read``, checked through the listing."""
        n = conformance_options.concurrency * 2
        keys = [conformance_names.secret(f"conc-{i}") for i in range(n)]
        one = conformance_names.secret("conc-one")
        values = [f"value-{i}" for i in range(n)]
        readable = provider.supports(S, "read")
        try:
            parallel(lambda kv: provider.store_secret(*kv), list(zip(keys, values, strict=True)), n)
            if readable:
                for key, value in zip(keys, values, strict=True):
                    got = provider.get_secret(key).get_secret_value()
                    assert got == value, f"{key}: lost write"
            else:  # values cannot be read back: every key must at least exist
                missing = sorted(set(keys) - set(provider.list_secrets()))
                assert not missing, f"parallel writes to different keys lost {missing}"
            parallel(lambda v: provider.store_secret(one, v), values, n)
            if readable:
                final = provider.get_secret(one).get_secret_value()
                assert final in values, f"after parallel writes to one key the value is {final!r}"
            else:
                assert one in provider.list_secrets(), "parallel writes to one key lost the key"
            if provider.supports(S, "versions"):
                versions = provider.list_secret_versions(one)
                assert len({v.version for v in versions}) == n, "parallel writes lost versions"
        finally:
            parallel(provider.delete_secret, [*keys, one], n)

    @requires(S)
    def test_secrets_error_mapping(self, provider: Any, conformance_names: Names) -> None:
        """Throttling and 5xx map to RateLimited/TransientError on reads (``get_secret``, or
        ``list_secrets`` without ``read``) and on writes."""
        key = conformance_names.secret("errors")
        fault_injector(provider)
        if provider.supports(S, "read"):
            op, read = "get_secret", lambda: provider.get_secret(key)
        else:
            op, read = "list_secrets", provider.list_secrets
        try:
            provider.store_secret(key, "mapped")
            exhaust(provider, "throttle", read, mutating=False, op=op)
            exhaust(provider, "transient", read, mutating=False, op=op)
            exhaust(
                provider,
                "throttle",
                lambda: provider.store_secret(key, "x"),
                mutating=True,
                op="store_secret",
            )
        finally:
            provider.delete_secret(key)

    @requires(S)
    def test_secrets_read_retried(self, provider: Any, conformance_names: Names) -> None:
        """A read failing once is retried (``get_secret``, or ``list_secrets`` without ``read``)."""
        key = conformance_names.secret("retried")
        inj = fault_injector(provider)
        readable = provider.supports(S, "read")
        try:
            provider.store_secret(key, "retry-me")
            for kind in ("throttle", "transient"):
                if readable:
                    value = retried_read(
                        provider, kind, "get_secret", lambda: provider.get_secret(key)
                    ).get_secret_value()
                    assert value == "retry-me", f"a {kind} read returned the wrong value"
                else:
                    names = retried_read(provider, kind, "list_secrets", provider.list_secrets)
                    assert key in names, f"a {kind}-retried listing lost {key!r}"
        finally:
            inj.clear()
            provider.delete_secret(key)

    @requires(S)
    def test_secrets_store_not_repeated(self, provider: Any, conformance_names: Names) -> None:
        """A store failing with a 5xx is not repeated blindly (exactly one write); the value
        left is checked where values are readable."""
        key = conformance_names.secret("unsafe")
        inj = fault_injector(provider)
        token_safe = "store_secret" in provider.token_safe_operations
        readable = provider.supports(S, "read")
        try:
            provider.store_secret(key, "before")
            inj.inject(Fault("transient", operation="store_secret", mutating=True))
            with record() as rec:
                try:
                    provider.store_secret(key, "after")
                except TransientError:
                    assert not token_safe, "a token-safe store must be retried"
                else:
                    assert token_safe, "a failed store_secret was repeated without a token"
            inj.clear()
            writes = rec.mutating_calls()
            if not token_safe:
                assert len(writes) == 1, f"store_secret is unsafe: one write, got {len(writes)}"
                if readable:
                    assert provider.get_secret(key).get_secret_value() == "before"
            elif readable:
                assert provider.get_secret(key).get_secret_value() == "after"
        finally:
            inj.clear()
            provider.delete_secret(key)

    @requires(S)
    def test_secrets_hygiene_logs_reprs_events(
        self, provider: Any, conformance_names: Names, caplog: pytest.LogCaptureFixture
    ) -> None:
        key = conformance_names.secret("hygiene")
        value = "cc-leak-" + conformance_names.run + "-Zq8"
        caplog.set_level(logging.DEBUG)
        try:
            with record() as rec:
                version = provider.store_secret(key, value)
                if provider.supports(S, "read"):
                    got = provider.get_secret(key)
                    assert value not in repr(got) and value not in str(got)
                names = provider.list_secrets()
                if provider.supports(S, "versions"):
                    versions = provider.list_secret_versions(key)
                    assert value not in repr(versions)
            assert value not in caplog.text, "a secret value appeared in the logs"
            assert value not in repr(provider) and value not in str(version)
            assert value not in repr(names), "a secret value appeared in list_secrets()"
            events = repr(rec.operations) + repr(rec.api_calls)
            assert value not in events, "a secret value appeared in observation events"
        finally:
            provider.delete_secret(key)

    @requires(S)
    def test_secrets_hygiene_errors(
        self, provider: Any, conformance_names: Names, caplog: pytest.LogCaptureFixture
    ) -> None:
        key = conformance_names.secret("hygiene-err")
        value = "cc-leak-err-" + conformance_names.run + "-Wx3"
        inj = fault_injector(provider)
        caplog.set_level(logging.DEBUG)
        try:
            for kind in ("throttle", "transient"):
                inj.inject(
                    Fault(
                        kind, operation="store_secret", mutating=True, times=1000, retry_after=0.01
                    )
                )
                with fast_retries(provider), pytest.raises(CloudcoreError) as info:
                    provider.store_secret(key, value)
                inj.clear()
                assert value not in _chain_text(info.value), f"a secret value in a {kind} error"
            assert value not in caplog.text, "a secret value appeared in the logs"
        finally:
            inj.clear()
            provider.delete_secret(key)

    @requires(S)
    def test_secrets_hygiene_listings_and_schemas(
        self, provider: Any, conformance_names: Names
    ) -> None:
        key = conformance_names.secret("hygiene-list")
        value = "cc-leak-list-" + conformance_names.run + "-Pk5"
        try:
            provider.store_secret(key, value)
            texts = [repr(provider.list_secrets())]
            if provider.supports(Capability.DISCOVERY):
                resources = list(provider.list_resources())
                texts += [r.model_dump_json() for r in resources]
                texts += [
                    provider.get_resource_schema(r.id).model_dump_json()
                    for r in resources
                    if r.type == "secret" and r.name == key
                ]
            texts += [repr(operation_parameters(op)) for op in ("store_secret", "get_secret")]
            texts.append(json.dumps(manifest(provider, allow_writes=True), default=str))
            assert not [t for t in texts if value in t], "a secret value in a listing or schema"
        finally:
            provider.delete_secret(key)

    @requires(S)
    def test_secrets_zz_nothing_left_behind(self, provider: Any, conformance_names: Names) -> None:
        left = [k for k in provider.list_secrets() if k.startswith(conformance_names.run)]
        assert not left, f"the suite left secrets behind: {left[:5]}"
