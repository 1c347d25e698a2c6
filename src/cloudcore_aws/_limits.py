"""What AWS refuses and moto accepts: checked here, before anything is sent.

moto is lenient (``../shared/notes/aws-moto.md``: "Invalid instance classes and short passwords
accepted", "many invalid batches are accepted", WAFv2 "No validation of priorities/CIDRs"), so a
driver tested only against it can send requests AWS refuses. Every rule below cites the AWS
documentation it comes from; most come from the API reference that botocore ships
(``botocore/data/<service>/<version>/service-2.json``, the documentation strings of the request
shapes), the rest from the service guides. Each raises :class:`ConfigurationError` naming the
field. Pure functions: no SDK import, no network; the drivers call them first.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cloudcore.errors import ConfigurationError
from cloudcore.models import DatabaseConfig, IPRule, ManagedRule, RateLimitRule, WAFRule
from cloudcore.models.waf import ManagedSet

__all__ = [
    "RDS_POSTGRES_CLASSES",
    "check_cache",
    "check_database",
    "check_db_instance_id",
    "check_record_sets",
    "check_waf",
    "elasticache_node_types",
]

# ----------------------------------------------------------------------------------------- RDS
_SMALL = ("micro", "small", "medium", "large", "xlarge", "2xlarge")
_TO_16 = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_TO_24 = (*_TO_16, "24xlarge")
_TO_32 = (*_TO_24, "32xlarge")
_TO_48 = (*_TO_24, "48xlarge")

RDS_POSTGRES_CLASSES: Mapping[str, tuple[tuple[str, ...], int, int | None]] = {
    # family: (sizes, lowest PostgreSQL major, highest PostgreSQL major or None)
    "t3": (_SMALL, 11, None),
    "t4g": (_SMALL, 12, None),
    "m5": (_TO_24, 11, None),
    "m5d": (_TO_24, 15, None),
    "m6g": (_TO_16, 12, None),
    "m6gd": (_TO_16, 15, None),
    "m6i": (_TO_32, 11, None),
    "m6id": (_TO_32, 15, None),
    "m6idn": (_TO_32, 15, None),
    "m6in": (_TO_32, 15, None),
    "m7g": (_TO_16, 13, None),
    "m7i": (_TO_48, 12, None),
    "m8g": (_TO_48, 13, None),
    "r5": (_TO_24, 11, None),
    "r5b": (_TO_24, 11, None),
    "r5d": (_TO_24, 15, None),
    "r6g": (_TO_16, 12, None),
    "r6gd": (_TO_16, 15, None),
    "r6i": (_TO_32, 11, None),
    "r6id": (_TO_32, 15, None),
    "r6idn": (_TO_32, 15, None),
    "r6in": (_TO_32, 15, None),
    "r7g": (_TO_16, 13, None),
    "r7i": (_TO_48, 12, None),
    "r8g": (_TO_48, 13, None),
    "x2g": (_TO_16, 12, None),
    # previous generations, kept for the versions that still run on them
    "t2": (_SMALL, 9, 12),
    "m4": (("large", "xlarge", "2xlarge", "4xlarge", "10xlarge", "16xlarge"), 9, 12),
    "r4": (("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"), 9, 12),
}
"""DB instance classes of RDS for PostgreSQL DB instances, per "Supported DB engines for DB
instance classes" (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/
Concepts.DBInstanceClass.Support.html): the family's sizes and the PostgreSQL major versions it
runs. Families that page lists for other engines only (``z1d``, ``x1``, ``x1e``, ``x2iedn``,
``x2idn``, ``x2iezn``, the Oracle ``.tpc`` classes) and retired ones (``t1``, ``m1``, ``m2``,
``m3``, ``r3``) are not here, so they are refused."""

_DB_ID = re.compile(r"[a-zA-Z](?:[a-zA-Z0-9]|-(?!-)){0,62}")
_PG_USER = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,15}")
_PG_DBNAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,62}")
# PostgreSQL's reserved key words (those "reserved" without "can be function or type"),
# Appendix C of the PostgreSQL manual
# (https://www.postgresql.org/docs/current/sql-keywords-appendix.html)
_PG_RESERVED = frozenset(
    {
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case",
        "cast", "check", "collate", "column", "constraint", "create", "current_catalog",
        "current_date", "current_role", "current_time", "current_timestamp", "current_user",
        "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch",
        "for", "foreign", "from", "grant", "group", "having", "in", "initially", "intersect", "into",
        "lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null", "offset", "on",
        "only", "or", "order", "placing", "primary", "references", "returning", "select",
        "session_user", "some", "symmetric", "system_user", "table", "then", "to", "trailing", "true",
        "union", "unique", "user", "using", "variadic", "when", "where", "window", "with",
    }
)  # fmt: skip
_STORAGE = {"gp2": (20, 65536), "gp3": (20, 65536), "io1": (100, 65536), "io2": (100, 65536),
            "standard": (5, 3072)}  # fmt: skip


def check_db_instance_id(name: str, field: str = "name") -> None:
    """``DBInstanceIdentifier``: "1 to 63 letters, numbers, or hyphens. First character must be
    a letter. Can't end with a hyphen or contain two consecutive hyphens." (RDS API reference,
    CreateDBInstance)."""
    if not _DB_ID.fullmatch(name) or name.endswith("-"):
        raise ConfigurationError(
            f"{field}: RDS instance identifiers are 1-63 letters, digits and hyphens, start with a "
            f"letter, and have no trailing or double hyphen (got {name!r})",
            field=field,
        )


def check_database(config: DatabaseConfig, instance_class: str, version: str) -> None:
    """Everything of a CreateDBInstance for PostgreSQL that RDS refuses and moto accepts."""
    check_db_instance_id(config.name)
    major = int(version.split(".")[0])
    parts = instance_class.split(".")
    family = RDS_POSTGRES_CLASSES.get(parts[1]) if len(parts) == 3 and parts[0] == "db" else None
    if family is None or parts[2] not in family[0]:
        known = ", ".join(f"db.{f}" for f in RDS_POSTGRES_CLASSES)
        raise ConfigurationError(
            f"config.extras.instance_class: {instance_class!r} is not a DB instance class RDS for "
            f"PostgreSQL offers (families {known}; sizes per family in the RDS User Guide)",
            field="config.extras.instance_class",
        )
    _, low, high = family
    if major < low or (high is not None and major > high):
        span = f"{low} to {high}" if high is not None else f"{low} and later"
        raise ConfigurationError(
            f"config.version: {instance_class} runs PostgreSQL {span}, not {version}",
            field="config.version",
        )
    # MasterUsername: "1 to 16 letters, numbers, or underscores. First character must be a
    # letter. Can't be a reserved word for the chosen database engine." (CreateDBInstance)
    if not _PG_USER.fullmatch(config.username) or config.username.lower() in _PG_RESERVED:
        raise ConfigurationError(
            "config.username: RDS master user names are 1-16 letters, digits and underscores, "
            f"start with a letter and are not a PostgreSQL reserved word (got {config.username!r})",
            field="config.username",
        )
    # DBName, RDS for PostgreSQL: "1 to 63 letters, numbers, or underscores. Must begin with a
    # letter. ... Can't be a word reserved by the specified database engine." (CreateDBInstance)
    if not _PG_DBNAME.fullmatch(config.database) or config.database.lower() in _PG_RESERVED:
        raise ConfigurationError(
            "config.database: RDS database names start with a letter, hold letters, digits and "
            f"underscores and are not a PostgreSQL reserved word (got {config.database!r})",
            field="config.database",
        )
    # AllocatedStorage, RDS for PostgreSQL: gp2/gp3 20-65536, io1/io2 100-65536, standard
    # 5-3072 GiB; StorageType defaults to gp3 when no Iops is given (CreateDBInstance).
    storage = str(config.extras.get("storage_type", "gp3"))
    if storage not in _STORAGE:
        raise ConfigurationError(
            f"config.extras.storage_type: one of {', '.join(_STORAGE)} (got {storage!r})",
            field="config.extras.storage_type",
        )
    if storage in ("io1", "io2"):
        # "If you specify io1, io2, or gp3, you must also include a value for the Iops
        # parameter" - and cloudcore sends none for provisioned-IOPS storage
        raise ConfigurationError(
            f"config.extras.storage_type: {storage} needs provisioned IOPS, which cloudcore does "
            "not set; use gp3 (the default) or gp2",
            field="config.extras.storage_type",
        )
    low_gb, high_gb = _STORAGE[storage]
    if not low_gb <= config.storage_gb <= high_gb:
        raise ConfigurationError(
            f"config.storage_gb: RDS for PostgreSQL on {storage} storage takes {low_gb} to "
            f"{high_gb} GiB (got {config.storage_gb})",
            field="config.storage_gb",
        )


# ---------------------------------------------------------------------------------- ElastiCache
_CACHE_ID = re.compile(r"[a-zA-Z](?:[a-zA-Z0-9]|-(?!-)){0,39}")
_M_TO_16 = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_CACHE_FAMILIES: Mapping[str, tuple[tuple[str, ...], str | None]] = {
    # family: (sizes, lowest Redis OSS version)
    "m7g": (_M_TO_16, None),
    "m6g": (_M_TO_16, "5.0.6"),
    "m5": (("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"), None),
    "m4": (("large", "xlarge", "2xlarge", "4xlarge", "10xlarge"), None),
    "t4g": (("micro", "small", "medium"), "5.0.6"),
    "t3": (("micro", "small", "medium"), None),
    "t2": (("micro", "small", "medium"), None),
    "r7g": (_M_TO_16, None),
    "r6g": (_M_TO_16, "5.0.6"),
    "r5": (("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"), None),
    "r4": (("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"), None),
}
"""Current-generation node types, from the ``CacheNodeType`` documentation of
CreateReplicationGroup (ElastiCache API reference): "T4g ... available only for Redis OSS engine
version 5.0.6 onward", likewise M6g and R6g. Previous generations (t1, m1, m2, m3, c1, r3):
"creation of new clusters is not supported for these types", so they are not here; nor is r6gd:
``DataTieringEnabled`` "must be set to true when using r6gd nodes", and cloudcore does not."""


def elasticache_node_types() -> list[str]:
    """Every node type :func:`check_cache` accepts."""
    return [f"cache.{f}.{s}" for f, (sizes, _) in _CACHE_FAMILIES.items() for s in sizes]


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def check_cache(name: str, node_type: str, version: str | None) -> None:
    """Everything of a CreateReplicationGroup that ElastiCache refuses and moto accepts."""
    # ReplicationGroupId: "1 to 40 alphanumeric characters or hyphens. The first character must
    # be a letter. A name cannot end with a hyphen or contain two consecutive hyphens."
    if not _CACHE_ID.fullmatch(name) or name.endswith("-"):
        raise ConfigurationError(
            "name: ElastiCache replication group ids are 1-40 letters, digits and hyphens, start "
            f"with a letter, and have no trailing or double hyphen (got {name!r}, "
            f"{len(name)} characters)",
            field="name",
        )
    parts = node_type.split(".")
    family = _CACHE_FAMILIES.get(parts[1]) if len(parts) == 3 and parts[0] == "cache" else None
    if family is None or parts[2] not in family[0]:
        raise ConfigurationError(
            f"config.extras.node_type: {node_type!r} is not a node type ElastiCache creates "
            f"(families {', '.join(_CACHE_FAMILIES)})",
            field="config.extras.node_type",
        )
    lowest = family[1]
    given = _version_tuple(version or "")
    if lowest and given and given < _version_tuple(lowest)[: len(given)]:
        raise ConfigurationError(
            f"config.version: {node_type} needs Redis OSS {lowest} or later (got {version})",
            field="config.version",
        )


# ---------------------------------------------------------------------------------------- WAFv2
_ENTITY = re.compile(r"[\w\-]{1,128}")  # EntityName: min 1, max 128, pattern ^[\w\-]+$
MAX_IP_SET_ADDRESSES = 10_000
MAX_RATE_BASED_RULES = 10
MAX_REFERENCES = 50


def check_waf(rules: Iterable[WAFRule], acl: str, ip_set_names: Mapping[str, list[str]]) -> None:
    """WAFv2 limits moto does not check. ``ip_set_names``: rule name to its IP set names.

    * names of web ACLs, rules and IP sets: ``EntityName`` ("min 1, max 128, pattern
      ``^[\\w\\-]+$``", WAFv2 API reference);
    * IP sets: "WAF supports all IPv4 and IPv6 CIDR ranges except for /0" (``Addresses``, API
      reference); at most 10,000 addresses per IP set; at most 10 rate-based rules per web ACL;
      at most 50 references per web ACL to IP sets and rule groups (AWS WAF quotas,
      https://docs.aws.amazon.com/waf/latest/developerguide/limits.html, fixed quotas).

    The rate limit's minimum (10; the API reference's ``RateLimit`` "min": 10, where older
    quota tables said 100) and the 200-byte string match are checked in
    :func:`._wafrules.validate_rules`.
    """
    rules = list(rules)
    names = [(acl, "target")] + [(str(r.name), f"rules[{i}].name") for i, r in enumerate(rules)]
    names += [(n, "rules") for sets in ip_set_names.values() for n in sets]
    for name, field in names:
        if not _ENTITY.fullmatch(name):
            raise ConfigurationError(
                f"{field}: AWS WAF names are 1-128 letters, digits, '_' and '-' (got {name!r})",
                field=field,
            )
    references = 0
    for i, rule in enumerate(rules):
        if isinstance(rule, IPRule):
            for cidr in rule.cidrs:
                if ipaddress.ip_network(cidr, strict=False).prefixlen == 0:
                    raise ConfigurationError(
                        f"rules[{i}].cidrs: AWS WAF takes every CIDR range but /0 (got {cidr}); "
                        "to match everything, use no IP rule at all",
                        field=f"rules[{i}].cidrs",
                    )
            for version in (4, 6):
                count = sum(
                    1
                    for c in rule.cidrs
                    if ipaddress.ip_network(c, strict=False).version == version
                )
                if count > MAX_IP_SET_ADDRESSES:
                    raise ConfigurationError(
                        f"rules[{i}].cidrs: an AWS WAF IP set holds at most "
                        f"{MAX_IP_SET_ADDRESSES} addresses (got {count} IPv{version})",
                        field=f"rules[{i}].cidrs",
                    )
            references += len(ip_set_names.get(str(rule.name), ()))
        if isinstance(rule, ManagedRule) and rule.set is not ManagedSet.XSS:
            references += 1
    rate_based = sum(1 for r in rules if isinstance(r, RateLimitRule))
    if rate_based > MAX_RATE_BASED_RULES:
        raise ConfigurationError(
            f"rules: an AWS WAF web ACL holds at most {MAX_RATE_BASED_RULES} rate-based rules "
            f"(got {rate_based})",
            field="rules",
        )
    if references > MAX_REFERENCES:
        raise ConfigurationError(
            f"rules: an AWS WAF web ACL refers to at most {MAX_REFERENCES} IP sets and rule "
            f"groups (these rules need {references})",
            field="rules",
        )


# -------------------------------------------------------------------------------------- Route53
MAX_VALUE = 4_000
"""``ResourceRecord.Value``: "not to exceed 4,000 characters" (Route53 API reference)."""


def check_record_sets(zone: str, rrsets: Iterable[Mapping[str, Any]]) -> None:
    """Route53 limits moto does not check, for the record sets of one UPSERT batch of ``zone``.

    * a ``Value`` is at most 4,000 characters as sent (TXT values grow when quoted and escaped);
    * one UPSERT counts twice towards a request's 1,000 ``ResourceRecord`` elements and 32,000
      ``Value`` characters (Route53 quotas, "Quotas on ChangeResourceRecordSets requests",
      https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html): batching
      splits a sync across requests, but one record set larger than 500 values or 16,000
      characters fits in none;
    * the zone's own NS and SOA records at the apex are Route53's (created with the hosted zone,
      "Records that Route 53 creates for a hosted zone", same guide): cloudcore never writes them.
    """
    for rr in rrsets:
        name = str(rr.get("Name", "")).rstrip(".").lower()
        rtype = str(rr.get("Type"))
        where = f"records: {name} {rtype}"
        if rtype in ("NS", "SOA") and name == zone:
            raise ConfigurationError(
                f"{where}: the zone apex {rtype} records are Route53's own (the hosted zone's "
                "name servers); cloudcore neither lists nor writes them",
                field="records",
            )
        values = [str(r.get("Value", "")) for r in rr.get("ResourceRecords", [])]
        for value in values:
            if len(value) > MAX_VALUE:
                raise ConfigurationError(
                    f"{where}: a Route53 value holds at most {MAX_VALUE} characters as sent "
                    f"(this one is {len(value)})",
                    field="records",
                )
        if 2 * len(values) > 1_000 or 2 * sum(len(v) for v in values) > 32_000:
            raise ConfigurationError(
                f"{where}: {len(values)} values ({sum(len(v) for v in values)} characters) do not "
                "fit one ChangeResourceRecordSets request (an UPSERT counts twice: at most 500 "
                "values and 16,000 characters)",
                field="records",
            )
