"""WAF rules: an ordered list (order = priority) of five portable kinds.

``configure_waf(rules)`` takes the whole set, declaratively; drivers map each kind to their own
(AWS WAFv2 statements, Cloudflare ruleset expressions, Cloud Armor CEL, nftables sets) or declare it
unsupported as a feature (``ip``, ``geo``, ``path``, ``rate_limit``, ``managed``,
``managed:<set>``).
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, model_validator

from ._base import Model, Name, UrlPath

_ISO_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI
    BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN
    CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK
    FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK
    ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
"""
ISO_3166_ALPHA2 = frozenset(_ISO_CODES.split())

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ManagedSet(StrEnum):
    """The portable catalogue of managed rule sets."""

    CORE = "core"
    SQLI = "sqli"
    XSS = "xss"
    KNOWN_BAD_INPUTS = "known-bad-inputs"
    IP_REPUTATION = "ip-reputation"


def _tuple(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address or CIDR block") from None


def _country(value: str) -> str:
    code = value.upper() if isinstance(value, str) else value
    if code not in ISO_3166_ALPHA2:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return str(code)


Cidr = Annotated[str, BeforeValidator(_cidr)]
Country = Annotated[str, BeforeValidator(_country)]


class _Rule(Model):
    name: Name | None = None


class IPRule(_Rule):
    """Allow or block requests from these addresses (IPv4 and IPv6, CIDR blocks)."""

    kind: Literal["ip"] = "ip"
    action: Literal["allow", "block"] = "block"
    cidrs: Annotated[tuple[Cidr, ...], BeforeValidator(_tuple), Field(min_length=1)]


class GeoRule(_Rule):
    """Allow or block requests from these countries (ISO 3166-1 alpha-2)."""

    kind: Literal["geo"] = "geo"
    action: Literal["allow", "block"] = "block"
    countries: Annotated[tuple[Country, ...], BeforeValidator(_tuple), Field(min_length=1)]


class PathRule(_Rule):
    """Allow or block requests to a path, optionally only for some methods."""

    kind: Literal["path"] = "path"
    action: Literal["allow", "block"] = "block"
    path: UrlPath
    match: Literal["prefix", "exact"] = "prefix"
    methods: Annotated[tuple[str, ...], BeforeValidator(_tuple)] | None = None

    @model_validator(mode="after")
    def _methods(self) -> Self:
        if self.methods is not None:
            upper = tuple(m.upper() for m in self.methods)
            bad = sorted(set(upper) - HTTP_METHODS)
            if bad or not upper:
                raise ValueError(
                    f"methods: unknown HTTP methods {bad}" if bad else "methods: empty"
                )
            object.__setattr__(self, "methods", upper)
        return self


class RateLimitRule(_Rule):
    """Limit requests per client IP: ``requests`` per ``period_seconds``, then mitigate."""

    kind: Literal["rate_limit"] = "rate_limit"
    requests: Annotated[int, Field(ge=1, le=2_000_000_000)]
    period_seconds: Annotated[int, Field(ge=1, le=86_400)] = 60
    action: Literal["block", "challenge"] = "block"
    mitigation_seconds: Annotated[int, Field(ge=0, le=86_400)] = 60
    path: UrlPath | None = None


class ManagedRule(_Rule):
    """Turn on a managed rule set from the portable catalogue."""

    kind: Literal["managed"] = "managed"
    set: ManagedSet
    action: Literal["block", "count"] = "block"


WAFRule = Annotated[
    IPRule | GeoRule | PathRule | RateLimitRule | ManagedRule, Field(discriminator="kind")
]
"""One WAF rule; the ``kind`` field says which."""


class WAFRuleSet(Model):
    """An ordered WAF rule set (order = priority), as ``configure_waf`` applies it."""

    rules: tuple[WAFRule, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [r.name for r in self.rules if r.name]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rules: duplicate rule names {dupes}")
        return self

    def named(self) -> tuple[WAFRule, ...]:
        """The rules with every missing name filled in as ``<kind>-<position>``."""
        return tuple(
            r if r.name else r.model_copy(update={"name": f"{r.kind.replace('_', '-')}-{i}"})
            for i, r in enumerate(self.rules, start=1)
        )


def rule_feature(rule: WAFRule) -> list[str]:
    """The features a driver must declare to apply ``rule``."""
    if isinstance(rule, ManagedRule):
        return ["managed", f"managed:{rule.set.value}"]
    return [rule.kind]
