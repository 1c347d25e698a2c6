"""DNS records: fully qualified name, type, values, TTL, optional ``proxied``."""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, model_validator

from ._base import CONTROL_CHARS, TTL, Model

_LABEL = r"(?:\*|_?[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?)"
_FQDN_RE = re.compile(rf"\A{_LABEL}(?:\.{_LABEL})*\Z")
_HOST_RE = re.compile(r"\A(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9_-]{1,63}\Z")


class RecordType(StrEnum):
    """DNS record types cloudcore understands; drivers declare which they support."""

    A = "A"
    AAAA = "AAAA"
    CNAME = "CNAME"
    TXT = "TXT"
    MX = "MX"
    NS = "NS"
    SRV = "SRV"
    CAA = "CAA"


def normalize_fqdn(value: str) -> str:
    """Lower-case a DNS name and drop the trailing dot, validating it.

    Raises:
        ValueError: if the name is not a valid fully qualified name.
    """
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if CONTROL_CHARS.search(value):
        raise ValueError(f"{value!r} contains control characters")
    name = value.strip(" ").rstrip(".").lower()
    if not name or len(name) > 253:
        raise ValueError("must be 1-253 characters")
    try:
        name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError as exc:
        raise ValueError(f"not a valid internationalised name: {exc}") from None
    if not _FQDN_RE.fullmatch(name):
        raise ValueError(f"{value!r} is not a valid DNS name")
    return name


def _fqdn(value: Any) -> Any:
    return normalize_fqdn(value) if isinstance(value, str) else value


def _values(value: Any) -> Any:
    if isinstance(value, str):
        return (value,)
    return value


def _check_host(value: str, what: str) -> str:
    host = value.rstrip(".").lower()
    if not _HOST_RE.fullmatch(host) or len(host) > 253:
        raise ValueError(f"{what} {value!r} is not a host name")
    return host


def _normalise_value(rtype: RecordType, value: str) -> str:
    if CONTROL_CHARS.search(value):
        raise ValueError(f"{rtype} value {value!r} contains control characters")
    if rtype is RecordType.A:
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            raise ValueError(f"A value {value!r} is not an IPv4 address") from None
    if rtype is RecordType.AAAA:
        try:
            return str(ipaddress.IPv6Address(value))
        except ValueError:
            raise ValueError(f"AAAA value {value!r} is not an IPv6 address") from None
    if rtype in (RecordType.CNAME, RecordType.NS):
        return _check_host(value, f"{rtype} value")
    if rtype is RecordType.MX:
        parts = value.split()
        if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) > 65535:
            raise ValueError(f"MX value {value!r} must be 'PRIORITY HOST'")
        return f"{int(parts[0])} {_check_host(parts[1], 'MX host')}"
    if rtype is RecordType.SRV:
        parts = value.split()
        if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
            raise ValueError(f"SRV value {value!r} must be 'PRIORITY WEIGHT PORT TARGET'")
        return " ".join([*(str(int(p)) for p in parts[:3]), _check_host(parts[3], "SRV target")])
    if rtype is RecordType.TXT:
        if len(value) > 4000:
            raise ValueError("TXT value longer than 4000 characters")
        return value
    return value


class DNSRecord(Model):
    """One record set: every value of one name and type.

    Attributes:
        name: Fully qualified name, lower-case, no trailing dot (``api.example.com``).
        type: Record type.
        values: The values; A/AAAA are normalised addresses, CNAME/NS/MX hosts lower-cased.
        ttl: Seconds.
        proxied: Route through the provider's proxy (Cloudflare). ``None`` leaves the default.
    """

    name: Annotated[str, BeforeValidator(_fqdn)]
    type: RecordType
    values: Annotated[tuple[Annotated[str, Field(min_length=1)], ...], BeforeValidator(_values)]
    ttl: TTL = 300
    proxied: bool | None = None

    @model_validator(mode="after")
    def _check_values(self) -> Self:
        if not self.values:
            raise ValueError("values: at least one value is required")
        normalised = tuple(_normalise_value(self.type, v) for v in self.values)
        if self.type is RecordType.CNAME and len(normalised) != 1:
            raise ValueError("values: a CNAME has exactly one value")
        if len(set(normalised)) != len(normalised):
            raise ValueError("values: duplicate values")
        object.__setattr__(self, "values", normalised)
        return self

    @property
    def key(self) -> tuple[str, RecordType]:
        """``(name, type)``: what identifies the record set within a zone."""
        return (self.name, self.type)

    def same_as(self, other: DNSRecord) -> bool:
        """True when both describe the same record set (values compared as a set)."""
        return (
            self.key == other.key
            and set(self.values) == set(other.values)
            and self.ttl == other.ttl
            and (self.proxied is None or other.proxied is None or self.proxied == other.proxied)
        )


def infer_record(domain: str, target: str, ttl: int = 300) -> DNSRecord:
    """Build the record ``create_dns_record(domain, target)`` means: A, AAAA or CNAME by target."""
    try:
        address = ipaddress.ip_address(target)
    except ValueError:
        return DNSRecord(name=domain, type=RecordType.CNAME, values=(target,), ttl=ttl)
    rtype = RecordType.A if address.version == 4 else RecordType.AAAA
    return DNSRecord(name=domain, type=rtype, values=(str(address),), ttl=ttl)


def zone_for(name: str, zones: list[str] | tuple[str, ...]) -> str | None:
    """The zone that holds ``name``: the longest zone name that is a suffix of it, or ``None``."""
    name = normalize_fqdn(name)
    best: str | None = None
    for zone in zones:
        z = zone.rstrip(".").lower()
        if (name == z or name.endswith("." + z)) and (best is None or len(z) > len(best)):
            best = z
    return best
