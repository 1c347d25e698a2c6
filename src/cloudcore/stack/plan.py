"""Planning: what an apply would change, read from the provider without writing anything.

:func:`plan` reads the current state of every resource a stack names (read-back methods only:
``get_service_config``, ``get_database``, ``get_cache``, ``get_bucket``, ``list_secrets``,
``list_dns_records`` once per zone, ``get_waf_rules``) and returns a :class:`Plan`: one
:class:`Change` per resource (per DNS record) with a field-level diff, plus, when pruning is asked
for, deletes of resources tagged with this stack's name that the stack no longer has.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..capabilities import Capability
from ..errors import CloudcoreError, NotFound
from ..models import DNSRecord, ResourceType
from .features import lacking
from .model import KINDS, STACK_TAG, Stack, placeholders
from .refs import Ref

if TYPE_CHECKING:
    from ..protocol import CloudProvider

__all__ = [
    "CAPABILITY_OF",
    "Action",
    "Change",
    "FieldDiff",
    "Plan",
    "PlanRefused",
    "StalePlan",
    "plan",
]

Action = Literal["create", "update", "replace", "delete", "noop"]

CAPABILITY_OF: Mapping[str, Capability] = {
    "secrets": Capability.SECRETS,
    "databases": Capability.DATABASE,
    "caches": Capability.CACHE,
    "buckets": Capability.STORAGE,
    "services": Capability.COMPUTE,
    "dns": Capability.DNS,
    "waf": Capability.WAF,
}

_PRUNE_TYPES: Mapping[str, ResourceType] = {
    "services": ResourceType.SERVICE,
    "databases": ResourceType.DATABASE,
    "caches": ResourceType.CACHE,
    "buckets": ResourceType.BUCKET,
}

UNKNOWN = "(known after apply)"


class StalePlan(CloudcoreError):
    """The provider changed between plan and apply: plan again."""


class PlanRefused(CloudcoreError):
    """Applying the plan needs ``force`` (a safety threshold or a destructive replace), or the
    target lacks something the stack uses."""


@dataclass(frozen=True)
class FieldDiff:
    """One changed field: dotted path, value before and after (as display text)."""

    path: str
    before: str
    after: str


@dataclass(frozen=True)
class Change:
    """What an apply does to one resource.

    Attributes:
        kind: Section of the stack (``services``, ``dns``, ...).
        name: Resource name; for DNS ``zone/fqdn/TYPE``; for WAF the target.
        action: ``create``, ``update``, ``replace`` (delete then create: data is lost),
            ``delete`` or ``noop``.
        diff: Field-level differences (for an update or replace).
        desired: The config to apply (``None`` while it depends on outputs not known yet).
        unsupported: Why the target cannot do this, or ``None``.
        deps: Resources this one refers to, as ``(kind, name)``.
    """

    kind: str
    name: str
    action: Action
    diff: tuple[FieldDiff, ...] = ()
    desired: Any = None
    unsupported: str | None = None
    deps: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "name": self.name, "action": self.action}
        if self.diff:
            out["diff"] = [
                {"path": d.path, "before": d.before, "after": d.after} for d in self.diff
            ]
        if self.unsupported:
            out["unsupported"] = self.unsupported
        if self.deps:
            out["depends_on"] = [f"{k}.{n}" for k, n in self.deps]
        return out


@dataclass
class Plan:
    """The changes an apply makes, and what they were computed from.

    Attributes:
        stack: The stack planned.
        provider: Name of the provider planned against.
        changes: One entry per resource, in apply order.
        outputs: Outputs of resources that exist already (for references).
        fingerprint: Digest of the state read; apply refuses a plan whose state has changed.
        prune: Whether deletes of resources no longer in the stack were planned.
        refusals: Why applying needs ``force`` (thresholds, destructive replaces).
    """

    stack: Stack
    provider: str
    changes: list[Change]
    outputs: dict[Ref, str]
    fingerprint: str
    prune: bool = False
    refusals: list[str] = field(default_factory=list)
    destroy: bool = False

    @property
    def has_changes(self) -> bool:
        return any(c.action != "noop" for c in self.changes)

    @property
    def unsupported(self) -> list[Change]:
        return [c for c in self.changes if c.unsupported]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(("create", "update", "replace", "delete", "noop"), 0)
        for c in self.changes:
            out[c.action] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack.name,
            "provider": self.provider,
            "fingerprint": self.fingerprint,
            "prune": self.prune,
            "summary": self.counts(),
            "refusals": list(self.refusals),
            "changes": [c.to_json() for c in self.changes if c.action != "noop"],
        }


# -- diffs ---------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value, sort_keys=True, default=str)


def _strip_stack_tag(data: Any) -> Any:
    if isinstance(data, dict) and isinstance(data.get("tags"), dict):
        tags = {k: v for k, v in data["tags"].items() if k != STACK_TAG}
        return {**data, "tags": tags}
    return data


def diff_values(before: Any, after: Any, path: str = "") -> list[FieldDiff]:
    """Field-level differences between two JSON-like values."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[FieldDiff] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in before:
                out.append(FieldDiff(sub, "(absent)", _show(after[key])))
            elif key not in after:
                out.append(FieldDiff(sub, _show(before[key]), "(absent)"))
            else:
                out.extend(diff_values(before[key], after[key], sub))
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            d
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for d in diff_values(b, a, f"{path}[{i}]")
        ]
    if before != after:
        return [FieldDiff(path or "(value)", _show(before), _show(after))]
    return []


def _dump(model: Any) -> Any:
    return _strip_stack_tag(model.model_dump(mode="json")) if model is not None else None


# -- reading -------------------------------------------------------------------------------------


class _Reader:
    """Read-only access to the provider, recording what was read for the fingerprint."""

    def __init__(self, provider: CloudProvider) -> None:
        self.provider = provider
        self.seen: dict[str, Any] = {}

    def get(self, label: str, call: Callable[[], Any]) -> Any:
        try:
            value = call()
        except NotFound:
            value = None
        self.seen[label] = _digestable(value)
        return value

    def fingerprint(self) -> str:
        blob = json.dumps(self.seen, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()


def _digestable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        data = value.model_dump(mode="json")
        # Times that move on every read are not state.
        if isinstance(data, dict):
            data.pop("updated_at", None)
        return data
    if isinstance(value, list | tuple):
        return [_digestable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(str(v) for v in value)
    return value


def _unsupported(provider: CloudProvider, kind: str) -> str | None:
    cap = CAPABILITY_OF[kind]
    if cap in provider.capabilities:
        return None
    reasons = getattr(provider, "unsupported_reasons", {}) or {}
    why = reasons.get(cap.value)
    return f"{provider.name} does not offer {cap.value}" + (f": {why}" if why else "")


def _read_method(provider: CloudProvider, name: str, kind: str) -> Callable[..., Any]:
    method = getattr(provider, name, None)
    if method is None:
        raise CloudcoreError(
            f"{provider.name}: cannot plan {kind}: the driver has no read-back ({name})"
        )
    return method  # type: ignore[no-any-return]


# -- planning ------------------------------------------------------------------------------------


def plan(
    stack: Stack,
    provider: CloudProvider,
    *,
    prune: bool = False,
    env: Mapping[str, str] | None = None,
    threshold: float = 0.30,
    threshold_min_existing: int = 10,
    destroy: bool = False,
) -> Plan:
    """What applying ``stack`` to ``provider`` would change. Makes no writes.

    Args:
        stack: The desired system.
        provider: Where it is to run (a single driver or a composition).
        prune: Also plan deletes of resources tagged with this stack that it no longer has.
        env: Environment the secrets' ``from_env`` values are read from (default ``os.environ``).
        threshold: Share of a zone's records (or a target's WAF rules) an apply may update or
            delete without ``force``, like octoDNS's safety thresholds.
        threshold_min_existing: Thresholds apply only from this many existing records.
        destroy: Plan the deletion of every resource of the stack that exists instead (secrets,
            services, data stores, its DNS records; its WAF targets emptied). Deleting
            databases or buckets needs ``force``.
    """
    env = os.environ if env is None else env
    reader = _Reader(provider)
    outputs: dict[Ref, str] = {}
    changes: list[Change] = []
    refusals: list[str] = []
    for kind in KINDS:
        why = _unsupported(provider, kind)
        for name in _ordered(stack, kind):
            if why:
                changes.append(Change(kind, name, "create", unsupported=why))
                continue
            for change in _PLANNERS[kind](stack, name, reader, outputs, env, prune):
                shape = change.desired
                if shape is None and kind != "dns":
                    # waiting on outputs: the features it needs are known from its shape
                    shape = stack.render(kind, name, placeholders(stack.refs(kind, name)))
                if change.action != "delete" and shape is not None:
                    why_not = lacking(kind, shape, provider)
                    if why_not and not change.unsupported:
                        change = dataclasses.replace(change, unsupported=why_not)
                changes.append(change)
    if prune or destroy:
        changes.extend(_prune(stack, reader))
    if destroy:
        changes = _destroying(changes, refusals)
    _thresholds(stack, changes, reader, threshold, threshold_min_existing, refusals)
    for c in changes:
        if c.action == "replace" and c.kind in ("databases", "caches", "buckets"):
            refusals.append(
                f"{c.kind}.{c.name}: replacing it deletes its data "
                f"({', '.join(d.path for d in c.diff)} cannot change in place)"
            )
    return Plan(
        stack=stack,
        provider=provider.name,
        changes=changes,
        outputs=outputs,
        fingerprint=reader.fingerprint(),
        prune=prune,
        refusals=refusals,
        destroy=destroy,
    )


def _ordered(stack: Stack, kind: str) -> list[str]:
    """A section's names, each after those of the same section it refers to (a service using
    another's URL is planned after it, so that URL is known when it exists)."""
    done: list[str] = []
    todo = stack.entries(kind)
    while todo:
        ready = [
            n
            for n in todo
            if all(r.kind != kind or r.name in done or r.name == n for r in stack.refs(kind, n))
        ] or todo  # cycles are refused when the stack is loaded
        done.extend(ready)
        todo = [n for n in todo if n not in ready]
    return done


def _deps(stack: Stack, kind: str, name: str) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys((r.kind, r.name) for r in stack.refs(kind, name)))


def _desired(stack: Stack, kind: str, name: str, outputs: Mapping[Ref, str]) -> Any:
    return stack.render(kind, name, outputs)


def _compare(
    kind: str,
    name: str,
    current: Any,
    desired: Any,
    deps: tuple[tuple[str, str], ...],
    immutable: Iterable[str] = (),
) -> Change:
    if current is None:
        return Change(kind, name, "create", desired=desired, deps=deps)
    if desired is None:
        return Change(kind, name, "update", diff=(FieldDiff("(refs)", "", UNKNOWN),), deps=deps)
    diff = tuple(diff_values(_dump(current), _dump(desired)))
    if not diff:
        return Change(kind, name, "noop", desired=desired, deps=deps)
    fixed = set(immutable)
    action: Action = "replace" if any(d.path.split(".")[0] in fixed for d in diff) else "update"
    unsupported = None
    if action == "update" and kind in ("databases", "caches"):
        unsupported = (
            f"an existing {kind[:-1]} is not changed in place by cloudcore "
            f"({', '.join(d.path for d in diff)}): change it with the provider's own tools, "
            f"or under a new name"
        )
        return Change(
            kind, name, action, diff=diff, desired=desired, deps=deps, unsupported=unsupported
        )
    return Change(kind, name, action, diff=diff, desired=desired, deps=deps)


def _plan_secret(
    stack: Stack,
    name: str,
    reader: _Reader,
    outputs: dict[Ref, str],
    env: Mapping[str, str],
    prune: bool,
) -> list[Change]:
    provider = reader.provider
    existing = reader.seen.get("secrets")
    if existing is None:
        existing = reader.get("secrets", provider.list_secrets)
    keys = set(existing or ())
    source = stack.secrets[name]
    outputs[Ref("secrets", name, "key")] = name
    if name not in keys:
        return [Change("secrets", name, "create", desired=source)]
    if source.from_env and source.from_env in env:
        current = reader.get(f"secret:{name}", lambda: provider.get_secret(name))
        # Compared by digest, so the fingerprint never holds a value.
        reader.seen[f"secret:{name}"] = hashlib.sha256(
            current.get_secret_value().encode() if current is not None else b""
        ).hexdigest()
        if current is None or current.get_secret_value() != env[source.from_env]:
            return [
                Change(
                    "secrets",
                    name,
                    "update",
                    diff=(FieldDiff("value", "(sensitive)", f"(from ${source.from_env})"),),
                    desired=source,
                )
            ]
    return [Change("secrets", name, "noop", desired=source)]


def _plan_store(method: str, immutable: tuple[str, ...]) -> Callable[..., list[Change]]:
    def planner(
        stack: Stack,
        name: str,
        reader: _Reader,
        outputs: dict[Ref, str],
        env: Mapping[str, str],
        prune: bool,
    ) -> list[Change]:
        kind = {"get_database": "databases", "get_cache": "caches", "get_bucket": "buckets"}[method]
        get = _read_method(reader.provider, method, kind)
        current = reader.get(f"{kind}:{name}", lambda: get(name))
        if current is not None:
            outputs.update(_store_outputs(kind, name, current))
        desired = _desired(stack, kind, name, outputs)
        change = _compare(
            kind,
            name,
            getattr(current, "config", None),
            desired,
            _deps(stack, kind, name),
            immutable,
        )
        return [change]

    return planner


def _store_outputs(kind: str, name: str, current: Any) -> dict[Ref, str]:
    """Outputs of an existing database, cache or bucket (or of the endpoint a create returned)."""
    ep = getattr(current, "endpoint", current)
    out: dict[Ref, str] = {}
    if kind == "databases" and ep is not None:
        out = {
            Ref(kind, name, "host"): str(ep.host),
            Ref(kind, name, "port"): str(ep.port),
            Ref(kind, name, "database"): str(ep.database),
            Ref(kind, name, "username"): str(ep.username),
            Ref(kind, name, "url"): f"postgresql://{ep.username}@{ep.host}:{ep.port}/{ep.database}",
        }
        if ep.password_secret:
            out[Ref(kind, name, "password_secret")] = ep.password_secret
    elif kind == "caches" and ep is not None:
        scheme = "rediss" if ep.tls else "redis"
        out = {
            Ref(kind, name, "host"): str(ep.host),
            Ref(kind, name, "port"): str(ep.port),
            Ref(kind, name, "url"): f"{scheme}://{ep.host}:{ep.port}",
        }
        if ep.auth_secret:
            out[Ref(kind, name, "auth_secret")] = ep.auth_secret
    elif kind == "buckets":
        out = {Ref(kind, name, "name"): str(getattr(current, "name", name))}
        if getattr(current, "url", None):
            out[Ref(kind, name, "url")] = str(current.url)
    return out


def service_outputs(name: str, endpoint: str | None) -> dict[Ref, str]:
    """``url`` and ``host`` of a service answering at ``endpoint``."""
    if not endpoint:
        return {}
    from urllib.parse import urlsplit

    url = endpoint if "://" in endpoint else f"http://{endpoint}"
    host = urlsplit(url).hostname or endpoint
    return {Ref("services", name, "url"): url, Ref("services", name, "host"): host}


def _referenced(stack: Stack, kind: str, name: str) -> bool:
    return any(
        r.kind == kind and r.name == name
        for k in KINDS
        for n in stack.entries(k)
        for r in stack.refs(k, n)
    )


def _plan_service(
    stack: Stack,
    name: str,
    reader: _Reader,
    outputs: dict[Ref, str],
    env: Mapping[str, str],
    prune: bool,
) -> list[Change]:
    provider = reader.provider
    get = _read_method(provider, "get_service_config", "services")
    current = reader.get(f"services:{name}", lambda: get(name))
    if current is not None and _referenced(stack, "services", name):
        status = reader.get(f"services-status:{name}", lambda: provider.get_service_status(name))
        outputs.update(service_outputs(name, getattr(status, "endpoint", None)))
    desired = _desired(stack, "services", name, outputs)
    return [_compare("services", name, current, desired, _deps(stack, "services", name), ())]


def _record_key(r: DNSRecord) -> tuple[str, str]:
    return (r.name.rstrip(".").lower(), str(r.type))


def _plan_zone(
    stack: Stack,
    zone: str,
    reader: _Reader,
    outputs: dict[Ref, str],
    env: Mapping[str, str],
    prune: bool,
) -> list[Change]:
    provider = reader.provider
    existing = reader.get(f"dns:{zone}", lambda: provider.list_dns_records(zone)) or []
    current = {_record_key(r): r for r in existing}
    deps = _deps(stack, "dns", zone)
    changes: list[Change] = []
    desired = _desired(stack, "dns", zone, outputs)
    pending: dict[tuple[str, str], None] = {}
    if desired is None:
        # Render record by record: those whose values wait on outputs are "known after apply",
        # the others compare as usual.
        desired = []
        for i, raw in enumerate(stack.raw("dns", zone)):
            one = _render_record(stack, zone, i, raw, outputs)
            if isinstance(one, tuple):
                pending[one] = None
            else:
                desired.append(one)
    for key in sorted(pending):
        label = f"{zone}/{key[0]}/{key[1]}"
        if key in current:
            unknown = (FieldDiff("values", _show(list(current[key].values)), UNKNOWN),)
            changes.append(Change("dns", label, "update", diff=unknown, deps=deps))
        else:
            changes.append(Change("dns", label, "create", deps=deps))
    wanted = {_record_key(r): r for r in desired}
    for key in sorted(wanted):
        label = f"{zone}/{key[0]}/{key[1]}"
        want, have = wanted[key], current.get(key)
        if have is None:
            changes.append(Change("dns", label, "create", desired=want, deps=deps))
            continue
        diff = tuple(diff_values(_record_dump(have), _record_dump(want)))
        action: Action = "update" if diff else "noop"
        changes.append(Change("dns", label, action, diff=diff, desired=want, deps=deps))
    if prune:
        for key in sorted(set(current) - set(wanted) - set(pending)):
            changes.append(
                Change("dns", f"{zone}/{key[0]}/{key[1]}", "delete", desired=current[key])
            )
    return changes


def _render_record(
    stack: Stack, zone: str, index: int, raw: Any, outputs: Mapping[Ref, str]
) -> DNSRecord | tuple[str, str]:
    """One record of a zone rendered, or its key ``(fqdn, type)`` while its values wait on
    outputs not known yet."""
    from .model import record_name
    from .refs import resolve

    where = f"dns.{zone}[{index}]"
    name = resolve(str(raw.get("name", "@")), f"{where}.name", outputs)
    rtype = str(raw.get("type", "")).upper()
    values = [resolve(str(v), f"{where}.values", outputs) for v in raw.get("values", [])]
    if name is None or any(v is None for v in values):
        return (record_name(name or "@", zone).rstrip(".").lower(), rtype)
    return DNSRecord(**{**raw, "name": record_name(name, zone), "values": values})


def _record_dump(r: DNSRecord) -> dict[str, Any]:
    data = r.model_dump(mode="json")
    data["name"] = str(data["name"]).rstrip(".").lower()
    if data.get("proxied") is None:
        data.pop("proxied", None)
    return dict(data)


def _plan_waf(
    stack: Stack,
    target: str,
    reader: _Reader,
    outputs: dict[Ref, str],
    env: Mapping[str, str],
    prune: bool,
) -> list[Change]:
    provider = reader.provider
    tgt = None if target == "default" else target
    current = reader.get(f"waf:{target}", lambda: provider.get_waf_rules(tgt))
    desired = _desired(stack, "waf", target, outputs)
    before = [r.model_dump(mode="json") for r in current or []]
    if desired is None:
        return [Change("waf", target, "update", diff=(FieldDiff("(refs)", "", UNKNOWN),))]
    after = [r.model_dump(mode="json") for r in desired]
    if current is None:
        return [Change("waf", target, "create", desired=desired)]
    diff = tuple(diff_values({"rules": before}, {"rules": after}))
    if before != after and not diff:
        diff = (FieldDiff("rules", _show(before), _show(after)),)
    return [Change("waf", target, "update" if diff else "noop", diff=diff, desired=desired)]


_PLANNERS: Mapping[str, Callable[..., list[Change]]] = {
    "secrets": _plan_secret,
    "databases": _plan_store("get_database", ("engine", "database", "username", "version")),
    "caches": _plan_store("get_cache", ("engine", "version")),
    "buckets": _plan_store("get_bucket", ("name",)),
    "services": _plan_service,
    "dns": _plan_zone,
    "waf": _plan_waf,
}


def _destroying(changes: list[Change], refusals: list[str]) -> list[Change]:
    """The deletes that remove what exists of a stack (``plan(destroy=True)``)."""
    out: list[Change] = []
    seen: set[tuple[str, str]] = set()
    for c in changes:
        if c.action == "create" or c.name.endswith("/*") or (c.kind, c.name) in seen:
            continue
        seen.add((c.kind, c.name))
        out.append(Change(c.kind, c.name, "delete", desired=c.desired))
        if c.kind in ("databases", "buckets"):
            refusals.append(f"{c.kind}.{c.name}: destroying it deletes its data")
    return out


def _prune(stack: Stack, reader: _Reader) -> list[Change]:
    provider = reader.provider
    out: list[Change] = []
    for kind in ("services", "buckets", "caches", "databases"):
        if CAPABILITY_OF[kind] not in provider.capabilities:
            continue
        rtype = _PRUNE_TYPES[kind]
        found = reader.get(
            f"prune:{kind}",
            lambda rtype=rtype: sorted(  # type: ignore[misc]
                r.name for r in provider.list_resources(type=rtype, tags={STACK_TAG: stack.name})
            ),
        )
        for name in found or ():
            if name not in getattr(stack, kind):
                out.append(Change(kind, name, "delete"))
    return out


def _thresholds(
    stack: Stack,
    changes: list[Change],
    reader: _Reader,
    share: float,
    minimum: int,
    refusals: list[str],
) -> None:
    for zone in stack.entries("dns"):
        existing = reader.seen.get(f"dns:{zone}") or []
        n = len(existing)
        touched = sum(
            1
            for c in changes
            if c.kind == "dns"
            and c.name.startswith(f"{zone}/")
            and c.action in ("update", "delete")
        )
        if n >= minimum and touched > share * n:
            refusals.append(
                f"dns zone {zone}: {touched} of {n} existing records would be updated or deleted "
                f"(more than {share:.0%})"
            )
    for target in stack.entries("waf"):
        existing = reader.seen.get(f"waf:{target}") or []
        n = len(existing)
        wanted = {json.dumps(r, sort_keys=True) for r in _rules_json(stack, target)}
        gone = sum(1 for r in existing if json.dumps(r, sort_keys=True) not in wanted)
        if n >= minimum and gone > share * n:
            refusals.append(
                f"waf target {target}: {gone} of {n} existing rules would change or go "
                f"(more than {share:.0%})"
            )


def _rules_json(stack: Stack, target: str) -> list[Any]:
    rules = stack.render("waf", target, {})
    return [r.model_dump(mode="json") for r in rules or ()]
