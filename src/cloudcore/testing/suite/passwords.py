"""Cross-capability: the password a database or cache gets is a secret like any other.

It is readable through ``get_secret`` after provisioning, gone after the delete (checked with
``get_secret``, not only through discovery), and never appears in logs with *every* logger at
DEBUG (SDKs included), in the endpoint's repr, or in observation events.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ...capabilities import Capability
from ...errors import NotFound
from ...events import record
from ._base import Names, SuiteBase, _cache_config, _db_config, requires

S = Capability.SECRETS


@contextlib.contextmanager
def _every_logger_at_debug() -> Iterator[None]:
    """Every logger that exists (botocore, urllib3, paramiko, googleapiclient, ...) at DEBUG."""
    loggers = [logging.getLogger()] + [
        lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
    try:
        yield
    finally:
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled


def _password_lifecycle(
    provider: Any,
    caplog: pytest.LogCaptureFixture,
    what: str,
    provision: Callable[[], Any],
    secret_of: Callable[[Any], str | None],
    delete: Callable[[], None],
) -> None:
    if not provider.supports(S, "read"):
        pytest.skip("reading the password needs secrets:read")
    caplog.set_level(logging.DEBUG)
    try:
        with _every_logger_at_debug(), record() as rec:
            endpoint = provision()
            key = secret_of(endpoint)
            assert key, f"the {what} endpoint names no password secret"
            password = provider.get_secret(key).get_secret_value()
        assert password, f"the {what} password secret {key!r} is empty"
        assert password not in caplog.text, f"the {what} password appeared in the logs (DEBUG)"
        assert password not in repr(endpoint), f"the {what} password is in the endpoint's repr"
        events = repr(rec.operations) + repr(rec.api_calls)
        assert password not in events, f"the {what} password appeared in observation events"
    finally:
        delete()
    with pytest.raises(NotFound):
        provider.get_secret(key)  # gone with its database/cache (discovery or not)


class PasswordsSuite(SuiteBase):
    """Database and cache passwords: readable secrets, gone after delete, never logged."""

    @requires(Capability.DATABASE, "postgres")
    def test_database_password_is_a_secret_gone_after_delete(
        self, provider: Any, conformance_names: Names, caplog: pytest.LogCaptureFixture
    ) -> None:
        name = conformance_names.name("db-pass")
        _password_lifecycle(
            provider,
            caplog,
            "database",
            lambda: provider.provision_database(_db_config(name)),
            lambda e: e.password_secret,
            lambda: provider.delete_database(name),
        )

    @requires(Capability.CACHE, "redis", "auth")
    def test_cache_password_is_a_secret_gone_after_delete(
        self, provider: Any, conformance_names: Names, caplog: pytest.LogCaptureFixture
    ) -> None:
        name = conformance_names.name("cache-pass")
        _password_lifecycle(
            provider,
            caplog,
            "cache",
            lambda: provider.provision_cache(_cache_config(provider, name)),
            lambda e: e.auth_secret,
            lambda: provider.delete_cache(name),
        )
