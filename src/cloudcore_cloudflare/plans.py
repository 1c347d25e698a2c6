"""What each Cloudflare plan allows in the WAF, as documented; shared by the driver and the fake.

Sources (Cloudflare's documentation, cloudflare/cloudflare-docs):

* Rate limiting rules, availability per plan (``src/content/partials/waf/
  rate-limiting-availability-by-plan.mdx``, shown at
  https://developers.cloudflare.com/waf/rate-limiting-rules/#availability): counting periods
  Free 10 s, Pro up to 1 min, Business up to 10 min, Enterprise up to 65,535 s; mitigation
  timeouts Free 10 s, Pro up to 1 h, Business and Enterprise up to 1 day (Enterprise may set a
  custom one through the API); number of rules 1, 2, 5, 100; "supported period values in
  seconds: 10, 15, 20, 30, 40, 45, 60, 90, 120, 180, 240, 300, 480, 600, 900, 1200, 1800, 2400,
  3600, 65535, 86400".
* Rate limiting parameters (https://developers.cloudflare.com/waf/rate-limiting-rules/
  parameters/#for-duration): on Free, Pro and Business the challenge actions always throttle,
  so ``mitigation_timeout`` must be ``0`` with them; only Enterprise may throttle with *block*
  (``mitigation_timeout`` 0) or set a duration with a challenge action.
* WAF custom rules, availability (https://developers.cloudflare.com/waf/custom-rules/
  #availability, data in ``src/content/plans/index.json`` ``waf_c_custom_rules``): 5, 20, 100 and
  1,000 rules in the ``http_request_firewall_custom`` phase; every action but Log below
  Enterprise; the ``matches`` (regex) operator from Business up.
* Managed rules, availability (https://developers.cloudflare.com/waf/managed-rules/#availability,
  ``index.json`` ``waf_a_managed_rules``): the Cloudflare Managed Ruleset and the OWASP Core
  Ruleset need a paid plan; the Free Managed Ruleset is on every plan. "At the zone level, you
  can deploy each managed ruleset once."
* DNS record TTL (the SDK's ``types/dns/record_create_params.py``): "between 60 and 86400, with
  the minimum reduced to 30 for Enterprise zones", or 1 for automatic.

A zone object carries its plan as ``plan.legacy_id`` (``free``, ``pro``, ``business``,
``enterprise``) and ``plan.name`` (``Free Website``...); :func:`plan_of` reads either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CF_FREE_MANAGED",
    "CF_MANAGED",
    "CF_OWASP",
    "LIMITS",
    "PLANS",
    "PLAN_NAMES",
    "SUPPORTED_PERIODS",
    "PlanLimits",
    "limits_for",
    "plan_of",
]

PLANS = ("free", "pro", "business", "enterprise")
PLAN_NAMES = {
    "free": "Free Website",
    "pro": "Pro Website",
    "business": "Business Website",
    "enterprise": "Enterprise Website",
}
"""``plan.name`` as the zones API reports it, per ``plan.legacy_id``."""

SUPPORTED_PERIODS = (
    10, 15, 20, 30, 40, 45, 60, 90, 120, 180, 240, 300, 480, 600, 900, 1200, 1800, 2400, 3600,
    65535, 86400,
)  # fmt: skip
"""Rate-limit counting and mitigation periods Cloudflare supports (footnote 3 of the table)."""

CF_MANAGED = "efb7b8c949ac4650a09736fc376e9aee"
CF_OWASP = "4814384a9e5d4991b9815dcfc25d2f1f"
CF_FREE_MANAGED = "77454fe2d30c4220b5701f6fdfb893ba"

CHALLENGES = frozenset({"challenge", "js_challenge", "managed_challenge"})


@dataclass(frozen=True)
class PlanLimits:
    """The WAF limits of one plan.

    Attributes:
        plan: ``free``, ``pro``, ``business`` or ``enterprise``.
        max_period: Longest rate-limit counting period (seconds).
        max_timeout: Longest mitigation timeout (seconds).
        ratelimit_rules: Rules allowed in the ``http_ratelimit`` phase.
        custom_rules: Rules allowed in the ``http_request_firewall_custom`` phase.
        regex: Whether the ``matches`` operator is allowed.
        log_action: Whether the ``log`` action is allowed.
        managed_rulesets: Managed rulesets the plan may execute.
        min_ttl: Shortest DNS record TTL (besides 1, automatic).
    """

    plan: str
    max_period: int
    max_timeout: int
    ratelimit_rules: int
    custom_rules: int
    regex: bool
    log_action: bool
    managed_rulesets: frozenset[str]
    min_ttl: int

    @property
    def enterprise(self) -> bool:
        """Enterprise-only freedoms: throttling with block, durations with challenges."""
        return self.plan == "enterprise"

    def periods(self) -> tuple[int, ...]:
        """The counting periods the plan allows."""
        return tuple(p for p in SUPPORTED_PERIODS if p <= self.max_period)

    def timeouts(self, action: str) -> tuple[int, ...]:
        """The mitigation timeouts the plan allows with ``action``.

        On Enterprise any whole number of seconds from 0 to a day is allowed (custom timeouts
        through the API); this returns the listed values, see :meth:`timeout_allowed`.
        """
        if not self.enterprise and action in CHALLENGES:
            return (0,)
        listed = tuple(p for p in SUPPORTED_PERIODS if p <= self.max_timeout)
        return (0, *listed) if self.enterprise else listed

    def timeout_allowed(self, action: str, seconds: int) -> bool:
        """Whether ``mitigation_timeout`` ``seconds`` is allowed with ``action``."""
        if self.enterprise:
            return 0 <= seconds <= self.max_timeout
        return seconds in self.timeouts(action)

    def timeout_rule(self, action: str) -> str:
        """The rule, in words, for error messages and docs."""
        if self.enterprise:
            return f"0 to {self.max_timeout} s"
        if action in CHALLENGES:
            return "0 (challenge actions always throttle below Enterprise)"
        return ", ".join(map(str, self.timeouts(action))) + " s"


_PAID_MANAGED = frozenset({CF_MANAGED, CF_OWASP, CF_FREE_MANAGED})

LIMITS: Mapping[str, PlanLimits] = {
    "free": PlanLimits(
        "free", 10, 10, 1, 5, False, False, frozenset({CF_FREE_MANAGED}), min_ttl=60
    ),
    "pro": PlanLimits("pro", 60, 3600, 2, 20, False, False, _PAID_MANAGED, min_ttl=60),
    "business": PlanLimits("business", 600, 86400, 5, 100, True, False, _PAID_MANAGED, min_ttl=60),
    "enterprise": PlanLimits(
        "enterprise", 65535, 86400, 100, 1000, True, True, _PAID_MANAGED, min_ttl=30
    ),
}


def plan_of(zone: Mapping[str, Any]) -> str | None:
    """The plan (``free``...) of a zone object as the zones API returns it; ``None`` if unknown."""
    plan = zone.get("plan")
    if not isinstance(plan, Mapping):
        return None
    legacy = str(plan.get("legacy_id") or "").lower()
    if legacy in LIMITS:
        return legacy
    name = str(plan.get("name") or "").lower()
    for key in PLANS:
        if name.startswith(key):
            return key
    return None


def limits_for(plan: str | None) -> PlanLimits:
    """The limits of ``plan``; an unknown plan gets the Free plan's (the strictest)."""
    return LIMITS.get(plan or "", LIMITS["free"])
