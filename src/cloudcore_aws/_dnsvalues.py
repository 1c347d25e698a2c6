"""Route53 values and names: how cloudcore's records are written to and read from Route53.

Names come back fully qualified with octal escapes (``\\052.example.com.``); TXT values are quoted
strings of at most 255 bytes with escapes; hosts may carry a trailing dot and any case. An apex
CNAME to an AWS load balancer or a CloudFront distribution is stored as an alias A record.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

__all__ = [
    "ALIAS_TTL",
    "CLOUDFRONT_ZONE_ID",
    "ELB_ZONE_IDS",
    "alias_target",
    "canonical_value",
    "decode_name",
    "decode_txt",
    "encode_txt",
    "fqdn",
    "value_for_read",
]

CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
ELB_ZONE_IDS = {
    "us-east-1": "Z35SXDOTRQ7X7K",
    "us-east-2": "Z3AADJGX6KTTL2",
    "us-west-1": "Z368ELLRRE2KJ0",
    "us-west-2": "Z1H1FL5HABSF5",
    "ca-central-1": "ZQSVJUPU6J1EY",
    "sa-east-1": "Z2P70J7HTTTPLU",
    "eu-central-1": "Z215JYRZR1TBD5",
    "eu-west-1": "Z32O12XQLNTSW2",
    "eu-west-2": "ZHURV8PSTC4K8",
    "eu-west-3": "Z3Q77PNBQS71R4",
    "eu-north-1": "Z23TAZ6LKFMNIO",
    "ap-south-1": "ZP97RAFLXTNZK",
    "ap-northeast-1": "Z14GRHDCWA56QT",
    "ap-northeast-2": "ZWKZPGTI48KDX",
    "ap-southeast-1": "Z1LMS91P8CMLE5",
    "ap-southeast-2": "Z1GM3OXH4ZPM65",
}
"""Route53 hosted zone of Application and Classic Load Balancers, per region."""

_ELB_RE = re.compile(r"\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.elb\.amazonaws\.com\Z")
_OCTAL_RE = re.compile(r"\\(\d{3})")
ALIAS_TTL = 60


def alias_target(host: str) -> dict[str, Any] | None:
    """The Route53 ``AliasTarget`` for an AWS load balancer or CloudFront host, else ``None``."""
    host = host.lower().rstrip(".")
    if host.endswith(".cloudfront.net"):
        return {"HostedZoneId": CLOUDFRONT_ZONE_ID, "DNSName": host, "EvaluateTargetHealth": False}
    match = _ELB_RE.search(host)
    if match and match.group(1) in ELB_ZONE_IDS:
        zone = ELB_ZONE_IDS[match.group(1)]
        return {"HostedZoneId": zone, "DNSName": host, "EvaluateTargetHealth": True}
    return None


def decode_name(name: str) -> str:
    """A Route53 name (``\\052.example.com.``) as a cloudcore FQDN (``*.example.com``)."""
    return _OCTAL_RE.sub(lambda m: chr(int(m.group(1), 8)), name).rstrip(".").lower()


def encode_txt(value: str) -> str:
    """One TXT value as Route53 wants it: quoted strings of at most 255 bytes, escaped."""
    data = value.encode("utf-8")
    parts = []
    for i in range(0, max(len(data), 1), 255):
        out = []
        for byte in data[i : i + 255]:
            char = chr(byte)
            if char in '"\\':
                out.append("\\" + char)
            elif 32 <= byte < 127:
                out.append(char)
            else:
                out.append(f"\\{byte:03o}")
        parts.append('"' + "".join(out) + '"')
    return " ".join(parts)


def decode_txt(value: str) -> str:
    """The inverse of :func:`encode_txt` (also reads unquoted values)."""
    if not value.startswith('"'):
        return value
    data = bytearray()
    i, n, inside = 0, len(value), False
    while i < n:
        char = value[i]
        if char == '"':
            inside = not inside
        elif inside and char == "\\" and i + 1 < n:
            if value[i + 1 : i + 4].isdigit() and len(value[i + 1 : i + 4]) == 3:
                data.append(int(value[i + 1 : i + 4], 8))
                i += 3
            else:
                data.extend(value[i + 1].encode())
                i += 1
        elif inside:
            data.extend(char.encode())
        i += 1
    return data.decode("utf-8", "replace")


def value_for_read(rtype: str, value: str) -> str:
    if rtype == "TXT":
        return decode_txt(value)
    if rtype in ("CNAME", "NS"):
        return value.rstrip(".")
    if rtype in ("MX", "SRV"):
        parts = value.split()
        return " ".join([*parts[:-1], parts[-1].rstrip(".")]) if parts else value
    return value


def fqdn(name: str) -> str:
    """A Route53 name as a cloudcore FQDN; :func:`decode_name` without its cost when no octal
    escape is present (the common case)."""
    if "\\" in name:
        return decode_name(name)
    return (name[:-1] if name.endswith(".") else name).lower()


def canonical_value(rtype: str, value: str) -> str:
    """One value as Route53 returns it, in the form :class:`~cloudcore.models.DNSRecord` keeps."""
    if rtype == "A":
        return value
    if rtype == "TXT":
        return decode_txt(value)
    if rtype in ("CNAME", "NS"):
        return value.rstrip(".").lower()
    if rtype in ("MX", "SRV"):
        parts = value.split()
        if parts and all(p.isdigit() for p in parts[:-1]):
            return " ".join([*(str(int(p)) for p in parts[:-1]), parts[-1].rstrip(".").lower()])
        return value
    if rtype == "AAAA":
        try:
            return str(ipaddress.IPv6Address(value))
        except ValueError:
            return value
    return value
