"""Registers the Cloudflare driver. Imports no SDK (the registry loads it lazily)."""

from __future__ import annotations

from cloudcore.hookspecs import RegisterDriver, hookimpl

__all__ = ["cloudcore_register_drivers"]


@hookimpl
def cloudcore_register_drivers(register: RegisterDriver) -> None:
    """Register ``cloudflare``: DNS, WAF rulesets, Secrets Store and discovery at the edge."""
    register(
        name="cloudflare",
        factory="cloudcore_cloudflare.provider:CloudflareProvider",
        extra="cloudflare",
        requires=("cloudflare",),
        capabilities=("dns", "waf", "secrets", "storage", "discovery"),
        test_target="cloudcore_cloudflare.testing:fake_target",
        description="Cloudflare: DNS (batch endpoint), WAF rulesets and IP lists, Secrets Store, "
        "R2 storage (S3 API)",
    )
