"""``cloudcore secrets | dns | waf | db | cache`` command groups."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from ._common import connected, emit, progress, structured
from .compute import _read, _simple


def _group(sub: Any, name: str, help: str) -> Any:
    p = sub.add_parser(name, help=help)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])
    return p.add_subparsers(title=f"{name} commands", metavar="COMMAND")


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    s = _group(sub, "secrets", "store, read, list and delete secrets")
    p = s.add_parser("set", parents=[common], help="store a new version (value from stdin)")
    p.add_argument("key")
    p.add_argument("--from-file", type=Path, help="read the value from this file")
    p.set_defaults(func=secret_set)
    p = s.add_parser("get", parents=[common], help="read a secret (masked unless --reveal)")
    p.add_argument("key")
    p.add_argument("--version")
    p.add_argument("--reveal", action="store_true", help="print the value itself")
    p.set_defaults(func=secret_get)
    p = s.add_parser("list", parents=[common], help="secret names (never values)")
    p.set_defaults(func=lambda a: _read(a, "list_secrets"))
    p = s.add_parser("versions", parents=[common], help="a secret's versions")
    p.add_argument("key")
    p.set_defaults(func=lambda a: _read(a, "list_secret_versions", a.key))
    p = s.add_parser("delete", parents=[common], help="delete a secret and its versions")
    p.add_argument("key")
    p.set_defaults(func=lambda a: _simple(a, "delete_secret", a.key))

    d = _group(sub, "dns", "DNS records")
    p = d.add_parser("list", parents=[common], help="record sets of a zone")
    p.add_argument("zone")
    p.set_defaults(func=dns_list)
    p = d.add_parser("point", parents=[common], help="point a name at an address or host")
    p.add_argument("domain")
    p.add_argument("target")
    p.add_argument("--ttl", type=int, default=300)
    p.set_defaults(func=lambda a: _simple(a, "create_dns_record", a.domain, a.target, a.ttl))
    p = d.add_parser("set", parents=[common], help="create or replace one record set")
    p.add_argument("name")
    p.add_argument("type")
    p.add_argument("values", nargs="+")
    p.add_argument("--ttl", type=int, default=300)
    p.add_argument("--proxied", action="store_true", default=None)
    p.set_defaults(func=dns_set)
    p = d.add_parser("apply", parents=[common], help="upsert record sets from a JSON file")
    p.add_argument("file", type=Path)
    p.set_defaults(func=dns_apply)
    p = d.add_parser("delete", parents=[common], help="delete a record set")
    p.add_argument("name")
    p.add_argument("type")
    p.set_defaults(func=dns_delete)

    w = _group(sub, "waf", "WAF rule sets")
    p = w.add_parser("get", parents=[common], help="the managed rule set")
    p.add_argument("--target")
    p.set_defaults(func=lambda a: _read(a, "get_waf_rules", a.target))
    p = w.add_parser("apply", parents=[common], help="replace the rule set from a JSON file")
    p.add_argument("file", type=Path)
    p.add_argument("--target")
    p.set_defaults(func=waf_apply)

    b = _group(sub, "db", "PostgreSQL databases and backups")
    p = b.add_parser("provision", parents=[common], help="create a database")
    p.add_argument("name")
    p.add_argument("--size", default="small", help="micro|small|medium|large|xlarge")
    p.add_argument("--ha", action="store_true", help="high availability")
    p.add_argument("--storage-gb", type=int, default=20)
    p.set_defaults(func=db_provision)
    p = b.add_parser("backup", parents=[common], help="take a backup now")
    p.add_argument("name")
    p.set_defaults(func=lambda a: _simple(a, "backup_database", a.name))
    p = b.add_parser("backups", parents=[common], help="list a database's backups")
    p.add_argument("name")
    p.set_defaults(func=lambda a: _read(a, "list_backups", a.name))
    p = b.add_parser("restore", parents=[common], help="restore a backup into a new database")
    p.add_argument("backup_id")
    p.add_argument("new_name")
    p.set_defaults(func=lambda a: _simple(a, "restore_database", a.backup_id, a.new_name))
    p = b.add_parser("delete", parents=[common], help="delete a database")
    p.add_argument("name")
    p.set_defaults(func=lambda a: _simple(a, "delete_database", a.name))

    c = _group(sub, "cache", "Redis caches")
    p = c.add_parser("provision", parents=[common], help="create a cache")
    p.add_argument("name")
    p.add_argument("--size", default="small")
    p.add_argument("--ha", action="store_true")
    p.add_argument("--tls", action="store_true")
    p.set_defaults(func=cache_provision)
    p = c.add_parser("delete", parents=[common], help="delete a cache")
    p.add_argument("name")
    p.set_defaults(func=lambda a: _simple(a, "delete_cache", a.name))


def secret_set(args: argparse.Namespace) -> int:
    """Values come from a file, a pipe, or a hidden prompt: never from the command line."""
    if args.from_file:
        value = args.from_file.read_text().rstrip("\n")
    elif sys.stdin.isatty():
        value = getpass.getpass(f"value for {args.key}: ")
    else:
        value = sys.stdin.read().rstrip("\n")
    with connected(args) as cloud:
        version = cloud.store_secret(args.key, value)
    emit(args, {"key": args.key, "version": version})
    return 0


def secret_get(args: argparse.Namespace) -> int:
    """Masked unless ``--reveal``: then the value alone (table/text) or ``{"key", "value"}``.

    Without ``--reveal`` a script asking for JSON gets no ``value`` field at all (a mask it could
    take for the value would be worse than nothing), only ``revealed: false``.
    """
    with connected(args) as cloud:
        value = cloud.get_secret(args.key, args.version)
    if args.reveal:
        shown = value.get_secret_value()
        structured_out = structured(args)
        emit(args, {"key": args.key, "value": shown} if structured_out else shown)
    elif structured(args):
        emit(args, {"key": args.key, "revealed": False, "hint": "use --reveal to include value"})
    else:
        emit(args, {"key": args.key, "value": str(value), "hint": "use --reveal to print it"})
    return 0


def _load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigurationError(f"{what}: {path}: {exc}", field=what) from None


def dns_list(args: argparse.Namespace) -> int:
    with connected(args) as cloud:
        records = cloud.list_dns_records(args.zone)
    emit(args, records, columns=["name", "type", "values", "ttl", "proxied"], title=args.zone)
    return 0


def dns_set(args: argparse.Namespace) -> int:
    from ..models import DNSRecord

    rec = DNSRecord(
        name=args.name,
        type=args.type.upper(),
        values=tuple(args.values),
        ttl=args.ttl,
        proxied=args.proxied,
    )
    with connected(args) as cloud:
        changed = cloud.upsert_dns_records([rec])
    emit(args, {"record": rec.model_dump(mode="json"), "changed": changed})
    return 0


def dns_apply(args: argparse.Namespace) -> int:
    from ..models import DNSRecord

    data = _load_json(args.file, "file")
    items = data.get("records", data) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ConfigurationError("file: expected a list of records (or {'records': [...]})")
    records = [DNSRecord.model_validate(r) for r in items]
    with connected(args) as cloud, progress(args, f"upserting {len(records)} records..."):
        changed = cloud.upsert_dns_records(records)
    emit(args, {"records": len(records), "changed": changed})
    return 0


def dns_delete(args: argparse.Namespace) -> int:
    """Delete by name and type: the record set is looked up in its zone first."""
    name, rtype = args.name.rstrip(".").lower(), args.type.upper()
    with connected(args) as cloud:
        matches = [
            r
            for r in cloud.list_dns_records(_apex(cloud, name))
            if r.name == name and r.type.value == rtype
        ]
        for rec in matches:
            cloud.delete_dns_record(rec)
    emit(args, {"deleted": len(matches)})
    return 0


def _apex(cloud: Any, name: str) -> str:
    """The zone to list for ``name``: found by walking up its labels until a zone answers."""
    from ..errors import NotFound

    labels = name.rstrip(".").lower().split(".")
    for i in range(len(labels) - 1):
        zone = ".".join(labels[i:])
        try:
            cloud.list_dns_records(zone)
            return zone
        except NotFound:
            continue
    raise NotFound(f"no zone holds {name!r}")


def waf_apply(args: argparse.Namespace) -> int:
    data = _load_json(args.file, "file")
    rules = data.get("rules", data) if isinstance(data, dict) else data
    with connected(args) as cloud, progress(args, "applying WAF rules..."):
        changed = cloud.configure_waf(rules, args.target)
    emit(args, {"changed": changed, "rules": len(rules)})
    return 0


def db_provision(args: argparse.Namespace) -> int:
    from ..models import DatabaseConfig

    config = DatabaseConfig(
        name=args.name, size=args.size, high_availability=args.ha, storage_gb=args.storage_gb
    )
    with connected(args) as cloud, progress(args, f"provisioning database {args.name}..."):
        endpoint = cloud.provision_database(config)
    emit(args, endpoint, title=f"database {args.name}")
    return 0


def cache_provision(args: argparse.Namespace) -> int:
    from ..models import CacheConfig

    config = CacheConfig(name=args.name, size=args.size, high_availability=args.ha, tls=args.tls)
    with connected(args) as cloud, progress(args, f"provisioning cache {args.name}..."):
        endpoint = cloud.provision_cache(config)
    emit(args, endpoint, title=f"cache {args.name}")
    return 0
