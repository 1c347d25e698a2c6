"""The error tree reads well and carries its context."""

from __future__ import annotations

import cloudcore as cc
from cloudcore import errors


def test_tree_shape() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, cc.CloudcoreError)
        assert name in errors.__doc__  # drawn in the module docstring
    assert cc.RateLimited.retryable and cc.TransientError.retryable
    assert not cc.NotFound.retryable and not cc.ProviderError.retryable


def test_str_names_provider_operation_resource() -> None:
    exc = cc.NotFound(
        "no such service", provider="aws", operation="get_service_status", resource="api"
    )
    assert str(exc) == "[aws get_service_status 'api'] no such service"
    assert exc.kind == "NotFound"
    assert repr(exc).startswith("NotFound(")


def test_unsupported_carries_reason() -> None:
    exc = cc.Unsupported("dns", reason="bare metal has no managed DNS; compose with cloudflare")
    assert "capability 'dns' is not supported: bare metal has no managed DNS" in str(exc)
    exc2 = cc.Unsupported("waf", "geo", reason="nftables has no country data")
    assert "waf feature 'geo'" in str(exc2)


def test_driver_errors_say_what_to_do() -> None:
    assert "pip install 'cloudcore[aws]'" in str(cc.DriverNotInstalled("aws", "aws", "boto3"))
    assert "registered drivers: aws, memory" in str(cc.DriverNotFound("nope", ["memory", "aws"]))


def test_rate_limited_keeps_retry_after() -> None:
    assert cc.RateLimited(retry_after=2.5).retry_after == 2.5
