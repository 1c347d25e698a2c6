"""Fitting portable rules and records to a zone's Cloudflare plan, before anything is written.

What each plan allows is in :mod:`cloudcore_cloudflare.plans` (with the documentation it comes
from). Three cases, for each value the zone's plan constrains:

* the value is allowed on the plan: it is sent as asked;
* the value was left at the portable default (not set on the model): the plan's nearest allowed
  value is used, since nothing was asked - so ``RateLimitRule(requests=100)`` is valid on every
  plan;
* the value was set and the plan does not allow it: :class:`~cloudcore.errors.Unsupported`
  with the plan's rule, unless the provider was built with ``map_to_plan=True``, in which case
  the nearest allowed value is used.

"Nearest" is the allowed value with the smallest distance (the smaller one on a tie). When the
counting period changes, ``requests`` is scaled with it so the rate stays the same
(``100`` per 60 s becomes ``17`` per 10 s, never less than 1). :func:`~.waf.read_rule` then reads
back what Cloudflare enforces, not what was asked.
"""

from __future__ import annotations

from collections.abc import Iterable

from cloudcore.errors import ConfigurationError, Unsupported
from cloudcore.models import DNSRecord, ManagedRule, RateLimitRule

from .plans import (
    CF_FREE_MANAGED,
    PLAN_NAMES,
    SUPPORTED_PERIODS,
    PlanLimits,
)

__all__ = ["check_counts", "check_managed", "fit_rate_limit", "fit_ttl", "nearest"]


def nearest(allowed: Iterable[int], value: int) -> int:
    """The allowed value closest to ``value`` (the smaller one on a tie)."""
    return min(allowed, key=lambda a: (abs(a - value), a))


def _plan(limits: PlanLimits) -> str:
    return f"the zone's {PLAN_NAMES[limits.plan]} plan"


def fit_rate_limit(
    rule: RateLimitRule, action: str, limits: PlanLimits, mapping: bool
) -> tuple[int, int, int]:
    """``(requests_per_period, period, mitigation_timeout)`` to send for ``rule`` on the plan.

    ``action`` is the Cloudflare action (``block`` or ``managed_challenge``).

    Raises:
        ConfigurationError: a period Cloudflare offers on no plan (without ``map_to_plan``).
        Unsupported: a value the plan does not allow, set explicitly (without ``map_to_plan``).
    """
    explicit = rule.model_fields_set
    asked = rule.period_seconds
    periods = limits.periods()
    if asked in periods:
        period = asked
    elif "period_seconds" not in explicit or mapping:
        period = nearest(periods, asked)
    elif asked not in SUPPORTED_PERIODS:
        raise ConfigurationError(
            f"rules: {rule.name}: rate limit period {asked}s is not one Cloudflare offers "
            f"({', '.join(map(str, SUPPORTED_PERIODS))}); map_to_plan=True picks the nearest",
            field="period_seconds",
        )
    else:
        raise Unsupported(
            "waf",
            "rate_limit",
            f"rule {rule.name}: a {asked} s counting period is not available on {_plan(limits)}"
            f" ({', '.join(map(str, periods))} s); upgrade the plan, or connect with "
            "map_to_plan=True to use the nearest allowed period",
        )
    wanted = rule.mitigation_seconds
    if limits.timeout_allowed(action, wanted):
        timeout = wanted
    elif "mitigation_seconds" not in explicit or mapping:
        timeout = nearest(limits.timeouts(action), wanted)
    else:
        what = "challenge" if action != "block" else "block"
        raise Unsupported(
            "waf",
            "rate_limit",
            f"rule {rule.name}: a {wanted} s mitigation with {what} is not available on "
            f"{_plan(limits)} (allowed: {limits.timeout_rule(action)}); connect with "
            "map_to_plan=True to use the nearest allowed value",
        )
    requests = rule.requests
    if period != asked:
        requests = max(1, round(rule.requests * period / asked))
    return requests, period, timeout


def check_counts(counts: dict[str, int], limits: PlanLimits) -> None:
    """Refuse more rules in a phase than the plan allows (``counts``: phase to total rules,
    cloudcore's and the zone's other rules together)."""
    most = {
        "http_request_firewall_custom": (limits.custom_rules, "custom (ip, geo, path)"),
        "http_ratelimit": (limits.ratelimit_rules, "rate limiting"),
    }
    for phase, total in counts.items():
        if phase in most and total > most[phase][0]:
            limit, kind = most[phase]
            raise Unsupported(
                "waf",
                "rate_limit" if phase == "http_ratelimit" else "rule count",
                f"{_plan(limits)} allows {limit} {kind} rule{'s' if limit != 1 else ''} and this "
                f"rule set (with the zone's rules cloudcore does not manage) needs {total}",
            )


def check_managed(
    rules: Iterable[ManagedRule],
    ruleset_of: dict[str, str],
    limits: PlanLimits,
    taken: dict[str, str] | None = None,
) -> None:
    """Refuse managed rules the plan lacks, and two rules running the same managed ruleset
    (Cloudflare deploys each managed ruleset once per zone). ``ruleset_of``: rule name to the
    Cloudflare ruleset id it executes; ``taken``: ruleset id to the ref of a rule cloudcore does
    not manage that already executes it in the zone."""
    for rule in rules:
        rid = ruleset_of[str(rule.name)]
        if taken and rid in taken:
            raise Unsupported(
                "waf",
                f"managed:{rule.set.value}",
                f"rule {rule.name}: the zone's rule {taken[rid]}, which cloudcore does not "
                f"manage, already runs the managed ruleset {rid}, and Cloudflare deploys each "
                "managed ruleset once per zone",
            )
    seen: dict[str, str] = {}
    for rule in rules:
        rid = ruleset_of[str(rule.name)]
        if rid not in limits.managed_rulesets:
            raise Unsupported(
                "waf",
                f"managed:{rule.set.value}",
                f"rule {rule.name}: {_plan(limits)} has only the Cloudflare Free Managed "
                f"Ruleset ({CF_FREE_MANAGED}); the Cloudflare Managed and OWASP Core rulesets "
                "need a paid plan",
            )
        if rid in seen:
            raise Unsupported(
                "waf",
                f"managed:{rule.set.value}",
                f"rules {seen[rid]} and {rule.name} both run the managed ruleset {rid}, and "
                "Cloudflare deploys each managed ruleset once per zone; keep one of them "
                "(sqli, xss and known-bad-inputs all run the Cloudflare Managed Ruleset)",
            )
        seen[rid] = str(rule.name)


def fit_ttl(record: DNSRecord, limits: PlanLimits, mapping: bool) -> int:
    """The TTL to send for ``record`` on the plan (1 is automatic on every plan)."""
    if record.ttl == 1 or limits.min_ttl <= record.ttl <= 86400:
        return record.ttl
    below = 30 <= record.ttl < limits.min_ttl
    if below and mapping:
        return limits.min_ttl
    if below:
        raise Unsupported(
            "dns",
            "ttl",
            f"{record.name} {record.type}: a {record.ttl} s TTL is below the {limits.min_ttl} s "
            f"minimum of {_plan(limits)} (30 s needs Enterprise); connect with map_to_plan=True "
            f"to use {limits.min_ttl} s",
        )
    raise ConfigurationError(
        f"{record.name} {record.type}: Cloudflare TTLs are 1 (automatic) or "
        f"{limits.min_ttl}-86400 s (got {record.ttl})",
        field="ttl",
    )
