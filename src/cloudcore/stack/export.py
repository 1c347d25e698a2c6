"""Export: what cloudcore manages on a provider, written as a stack (like ``octodns-dump`` or
Terraform's import with generated config), with references where they can be inferred.

Only read-back methods are called. Secret values are never exported: each secret becomes
``{from_env: NAME}``; the passwords of databases and caches stay owned by them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..capabilities import Capability as C
from ..models import ResourceType
from .model import STACK_TAG, Stack
from .plan import _store_outputs, service_outputs
from .refs import Ref

if TYPE_CHECKING:
    from ..protocol import CloudProvider

__all__ = ["export_stack"]


def _portable(model: Any, drop: tuple[str, ...] = ("name",)) -> dict[str, Any]:
    data = dict(model.model_dump(mode="json", exclude_defaults=True))
    for key in drop:
        data.pop(key, None)
    tags = {k: v for k, v in (data.get("tags") or {}).items() if k != STACK_TAG}
    if tags:
        data["tags"] = tags
    else:
        data.pop("tags", None)
    return data


def _env_name(key: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", key).upper()
    return name if not name[:1].isdigit() else f"_{name}"


def _relative(name: str, zone: str) -> str:
    name, zone = name.rstrip(".").lower(), zone.rstrip(".").lower()
    if name == zone:
        return "@"
    if name.endswith("." + zone):
        return name[: -len(zone) - 1]
    return name


def export_stack(provider: CloudProvider, name: str | None = None) -> Stack:
    """Everything cloudcore manages on ``provider``, as a :class:`Stack`.

    Args:
        provider: A driver or a composition.
        name: The stack's name; by default the ``cloudcore-stack`` tag the resources carry
            when they all carry the same one, else ``exported``.
    """
    caps = provider.capabilities
    data: dict[str, Any] = {}
    outputs: dict[Ref, str] = {}
    stack_names: set[str] = set()
    owned_secrets: set[str] = set()

    def note_stack(config: Any) -> None:
        tag = (getattr(config, "tags", None) or {}).get(STACK_TAG)
        if tag:
            stack_names.add(tag)

    if C.DATABASE in caps:
        for res in provider.list_resources(type=ResourceType.DATABASE):
            db = provider.get_database(res.name)
            note_stack(db.config)
            data.setdefault("databases", {})[res.name] = _portable(db.config)
            outputs.update(_store_outputs("databases", res.name, db))
            if db.endpoint.password_secret:
                owned_secrets.add(db.endpoint.password_secret)
    if C.CACHE in caps:
        for res in provider.list_resources(type=ResourceType.CACHE):
            cache = provider.get_cache(res.name)
            note_stack(cache.config)
            data.setdefault("caches", {})[res.name] = _portable(cache.config)
            outputs.update(_store_outputs("caches", res.name, cache))
            if cache.endpoint.auth_secret:
                owned_secrets.add(cache.endpoint.auth_secret)
    if C.STORAGE in caps:
        for bucket in provider.list_buckets():
            note_stack(bucket.config)
            data.setdefault("buckets", {})[bucket.name] = _portable(bucket.config)
            outputs.update(_store_outputs("buckets", bucket.name, bucket))
    if C.SECRETS in caps:
        for key in sorted(provider.list_secrets()):
            if key in owned_secrets:
                continue
            data.setdefault("secrets", {})[key] = {"from_env": _env_name(key)}
            outputs[Ref("secrets", key, "key")] = key
    if C.COMPUTE in caps:
        for summary in provider.list_services():
            config = provider.get_service_config(summary.name)
            note_stack(config)
            data.setdefault("services", {})[summary.name] = _portable(config, drop=())
            status = provider.get_service_status(summary.name)
            outputs.update(service_outputs(summary.name, status.endpoint))
    if C.DNS in caps:
        for zone in provider.list_dns_zones():
            zname = zone if isinstance(zone, str) else zone.name
            records = []
            for rec in provider.list_dns_records(zname):
                item = _portable(rec, drop=())
                item["name"] = _relative(rec.name, zname)
                records.append(item)
            if records:
                data.setdefault("dns", {})[zname.rstrip(".")] = records
    if C.WAF in caps:
        for target in provider.list_waf_targets():
            rules = provider.get_waf_rules(target)
            if rules:
                data.setdefault("waf", {})[target or "default"] = [
                    r.model_dump(mode="json", exclude_defaults=True) | {"kind": r.kind}
                    for r in rules
                ]
    _infer_refs(data, outputs)
    if name is None:
        name = stack_names.pop() if len(stack_names) == 1 else "exported"
    return Stack.model_validate({"name": name, **data})


def _infer_refs(data: dict[str, Any], outputs: Mapping[Ref, str]) -> None:
    """Replace literal values that are another resource's output by a reference to it.

    A value inside a string (a host in a URL) becomes a reference when it is the output of
    exactly one resource, or of exactly one of the resources the same service already refers to
    (its database's password secret, say: on one machine the database and the cache share a
    host). A whole value equal to a port, database or user name becomes a reference only to a
    resource the service refers to. Anything else stays literal.
    """
    by_value: dict[str, list[Ref]] = {}
    exact: dict[str, list[Ref]] = {}
    for ref, value in outputs.items():
        if ref.attr in ("port", "database", "username"):
            exact.setdefault(value, []).append(ref)
        elif len(value) >= 4:
            by_value.setdefault(value, []).append(ref)
    # Longest first, so a URL is replaced before the host inside it.
    ordered = sorted(by_value, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None

    def pick(refs: list[Ref], related: set[tuple[str, str]]) -> Ref | None:
        if len(refs) == 1:
            return refs[0]
        near = [r for r in refs if (r.kind, r.name) in related]
        return near[0] if len(near) == 1 else None

    for service in (data.get("services") or {}).values():
        related: set[tuple[str, str]] = set()
        secrets = service.get("secrets") or {}
        for var, ref in secrets.items():
            key = ref["key"] if isinstance(ref, dict) else ref
            target = pick(by_value.get(key, []), set())
            if target is not None and (target.attr.endswith("_secret") or target.kind == "secrets"):
                related.add((target.kind, target.name))
                secrets[var] = {**ref, "key": str(target)} if isinstance(ref, dict) else str(target)
        env = service.get("env") or {}
        for text in env.values():
            for hit in pattern.finditer(text) if pattern else ():
                found = by_value[hit.group(0)]
                if len(found) == 1:
                    related.add((found[0].kind, found[0].name))

        def sub(text: str, related: set[tuple[str, str]] = related) -> str:
            whole = pick(exact.get(text, []), related) if text in exact else None
            if whole is not None and (whole.kind, whole.name) in related:
                return str(whole)
            text = text.replace("${", "$${")
            if pattern is None:
                return text

            def one(m: re.Match[str]) -> str:
                target = pick(by_value[m.group(0)], related)
                return str(target) if target is not None else m.group(0)

            return pattern.sub(one, text)

        for k, v in env.items():
            env[k] = sub(v)
    unique = {v: refs[0] for v, refs in by_value.items() if len(refs) == 1}
    for records in (data.get("dns") or {}).values():
        for rec in records:
            rec["values"] = [
                str(unique[v.rstrip(".")])
                if v.rstrip(".") in unique and unique[v.rstrip(".")].kind == "services"
                else v
                for v in rec.get("values", [])
            ]
