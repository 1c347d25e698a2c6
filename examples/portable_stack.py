"""A portable stack: the same script on every cloudcore driver.

It deploys a web service that reads an API key and its database password from secrets, provisions
the PostgreSQL database, points a DNS name at the service, applies WAF rules, and lists what
cloudcore manages. Run it against a driver's offline test target (no account needed)::

    python examples/portable_stack.py memory
    python examples/portable_stack.py gcp
    python examples/portable_stack.py aws

or against a real account with ``--live`` (then the driver's usual options/credentials apply,
e.g. ``CLOUDCORE_GCP_PROJECT``). Running it twice changes nothing the second time.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any
from urllib.parse import urlsplit

import cloudcore
from cloudcore.capabilities import Capability
from cloudcore.models import (
    DatabaseConfig,
    GeoRule,
    HealthCheck,
    IPRule,
    ManagedRule,
    RateLimitRule,
    ServiceConfig,
    WAFRule,
)

WAF_RULES: list[WAFRule] = [
    IPRule(name="blocklist", action="block", cidrs=("203.0.113.0/24", "2001:db8:bad::/48")),
    GeoRule(name="embargo", action="block", countries=("KP",)),
    RateLimitRule(name="per-ip", requests=1000, period_seconds=60, mitigation_seconds=300),
    ManagedRule(name="sqli", set="sqli"),
]


def build_stack(cloud: Any, *, name: str = "shop", zone: str = "example.com") -> dict[str, Any]:
    """Create (or converge) the stack on ``cloud``; returns what was made.

    Args:
        cloud: A connected provider (any driver).
        name: Prefix of every resource name.
        zone: An existing DNS zone of the provider.
    """
    api_key = f"{name}/api-key"
    if api_key not in cloud.list_secrets():  # store once: a second run writes nothing
        cloud.store_secret(api_key, secrets.token_urlsafe(32))

    db = cloud.provision_database(DatabaseConfig(name=f"{name}-db", size="micro"))

    refs = {"API_KEY": api_key}
    if db.password_secret:
        refs["DATABASE_PASSWORD"] = db.password_secret
    service = cloud.deploy_service(
        f"{name}-api",
        ServiceConfig(
            image="nginx:1.27-alpine",
            port=8080,
            cpu=0.25,
            memory=512,
            replicas=2,
            env={
                "DATABASE_HOST": db.host,
                "DATABASE_NAME": db.database,
                "DATABASE_USER": db.username,
            },
            secrets=refs,
            health_check=HealthCheck(path="/"),
        ),
    )

    # A CNAME to the service's host name when the provider gives one, else an address.
    target = urlsplit(service.endpoint).hostname if service.endpoint else None
    record = cloud.create_dns_record(f"api.{zone}", target or "192.0.2.10")

    rules = [r for r in WAF_RULES if _supported(cloud, r)]
    cloud.configure_waf(rules)

    resources = sorted((r.type.value, r.name) for r in cloud.list_resources())
    return {
        "database": db,
        "service": service,
        "record": record,
        "waf_rules": cloud.get_waf_rules(),
        "skipped_waf_rules": [r.name for r in WAF_RULES if r not in rules],
        "resources": resources,
    }


def tear_down(cloud: Any, *, name: str = "shop", zone: str = "example.com") -> None:
    """Delete everything :func:`build_stack` made (each delete succeeds when already gone)."""
    from cloudcore.models import DNSRecord

    cloud.configure_waf([])
    for record in cloud.list_dns_records(zone):
        if record.name == f"api.{zone}":
            cloud.delete_dns_record(
                DNSRecord(name=record.name, type=record.type, values=record.values)
            )
    cloud.delete_service(f"{name}-api")
    cloud.delete_database(f"{name}-db")
    cloud.delete_secret(f"{name}/api-key")


def _supported(cloud: Any, rule: WAFRule) -> bool:
    from cloudcore.models import rule_feature

    return all(cloud.supports(Capability.WAF, f) for f in rule_feature(rule))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("driver", help="driver name: memory, gcp, aws, ...")
    parser.add_argument("--live", action="store_true", help="use real credentials, not the fake")
    parser.add_argument("--zone", default="example.com")
    args = parser.parse_args(argv)
    if args.live:
        with cloudcore.connect(args.driver) as cloud:
            out = build_stack(cloud, zone=args.zone)
    else:
        from cloudcore.registry import load_test_target

        with load_test_target(args.driver)() as cloud:
            out = build_stack(cloud, zone=args.zone)
    print(f"service  {out['service'].name} revision {out['service'].revision}")
    print(f"database {out['database'].name} at {out['database'].host}:{out['database'].port}")
    print(f"dns      {out['record'].name} {out['record'].type.value} {out['record'].values[0]}")
    print(f"waf      {[r.name for r in out['waf_rules']]} (skipped {out['skipped_waf_rules']})")
    for rtype, rname in out["resources"]:
        print(f"resource {rtype:12} {rname}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
