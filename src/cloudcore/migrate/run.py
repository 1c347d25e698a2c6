"""Migration: export the source, translate, plan, apply, move the data, cut over, verify.

The source is only ever read. Every step is journaled before and after it runs; a rerun resumes,
and a rerun after completion writes nothing on either side.

Order: secrets (every version) → databases, caches, buckets and services (a stack apply without
DNS and WAF) → database rows and objects → DNS and WAF (the cutover) → verification.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CloudcoreError, ConfigurationError
from ..stack import Plan, Stack, apply, export_stack, plan
from ..stack.model import KINDS
from .data import (
    PostgresStore,
    copy_database,
    copy_objects,
    copy_secret,
    database_store,
    table_digests,
)
from .journal import Journal
from .translate import Gap, Policy, translate

if TYPE_CHECKING:
    from ..protocol import CloudProvider

__all__ = [
    "MigrationPlan",
    "MigrationRefused",
    "MigrationReport",
    "migrate",
    "plan_migration",
    "verify",
]

Progress = Callable[[str], None]


class MigrationRefused(CloudcoreError):
    """The target cannot take everything (strict policy), or the plan needs ``force``."""


@dataclass
class MigrationPlan:
    """What a migration will do (computed without writing anywhere)."""

    source: str
    target: str
    stack: Stack
    gaps: list[Gap]
    policy: Policy
    target_plan: Plan
    secrets: dict[str, int]
    databases: list[str]
    buckets: list[str]

    @property
    def blocking(self) -> list[Gap]:
        return [g for g in self.gaps if not g.dropped]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "policy": self.policy,
            "gaps": [{"what": g.what, "reason": g.reason, "dropped": g.dropped} for g in self.gaps],
            "secrets": self.secrets,
            "databases": self.databases,
            "buckets": self.buckets,
            "plan": self.target_plan.to_json(),
        }


@dataclass
class MigrationReport:
    """What a migration did and what verification found."""

    plan: MigrationPlan
    secret_versions_written: int = 0
    databases: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: dict[str, dict[str, int]] = field(default_factory=dict)
    verified: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(v == "equal" for v in self.verified.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.plan.source,
            "target": self.plan.target,
            "dropped": [str(g) for g in self.plan.gaps if g.dropped],
            "secret_versions_written": self.secret_versions_written,
            "databases": self.databases,
            "objects": self.objects,
            "verified": self.verified,
            "ok": self.ok,
        }


def _only(stack: Stack, only: Iterable[str] | None) -> Stack:
    if only is None:
        return stack
    keep = set(only)
    unknown = keep - set(KINDS)
    if unknown:
        raise ConfigurationError(
            f"only: {sorted(unknown)} not among {', '.join(KINDS)}", field="only"
        )
    data = stack.model_dump(mode="json")
    for kind in KINDS:
        if kind not in keep:
            data[kind] = {}
    return Stack.model_validate(data)


def _without(stack: Stack, kinds: Iterable[str]) -> Stack:
    data = stack.model_dump(mode="json")
    for kind in kinds:
        data[kind] = {}
    # References into a removed section would dangle: DNS and WAF refer to services only.
    return Stack.model_validate(data)


def plan_migration(
    source: CloudProvider,
    target: CloudProvider,
    *,
    policy: Policy = "strict",
    only: Iterable[str] | None = None,
    name: str | None = None,
) -> MigrationPlan:
    """What migrating ``source`` to ``target`` will do. Writes nothing anywhere."""
    exported = _only(export_stack(source, name), only)
    stack, gaps = translate(exported, source, target, policy)
    target_plan = plan(stack, target, env={})
    return MigrationPlan(
        source=source.name,
        target=target.name,
        stack=stack,
        gaps=gaps,
        policy=policy,
        target_plan=target_plan,
        secrets={k: len(source.list_secret_versions(k)) for k in stack.entries("secrets")},
        databases=stack.entries("databases"),
        buckets=stack.entries("buckets"),
    )


def _migration_id(p: MigrationPlan) -> str:
    digest = hashlib.sha256(p.stack.model_dump_json().encode()).hexdigest()[:12]
    return f"{p.source}->{p.target}:{p.stack.name}:{digest}"


def migrate(
    source: CloudProvider,
    target: CloudProvider,
    *,
    policy: Policy = "strict",
    only: Iterable[str] | None = None,
    journal: str | Path | None = None,
    force: bool = False,
    progress: Progress | None = None,
    the_plan: MigrationPlan | None = None,
) -> MigrationReport:
    """Move what cloudcore manages on ``source`` to ``target``, data included, then verify.

    Args:
        source: Read only, never written.
        target: A driver or a composition (``connect({"default": "gcp", "dns": "cloudflare"})``).
        policy: ``strict`` refuses when the target lacks something; ``lenient`` drops it.
        only: Sections to move (``secrets``, ``databases``, ``caches``, ``buckets``,
            ``services``, ``dns``, ``waf``); all by default.
        journal: File recording each step; give the same file to resume after a crash.
        force: Go past the stack apply's safety thresholds.
        progress: Called with a line of text per step.
        the_plan: A plan from :func:`plan_migration` (computed if not given).

    Raises:
        MigrationRefused: strict policy and the target lacks something (nothing is written).
    """
    say = progress or (lambda _line: None)
    mp = the_plan or plan_migration(source, target, policy=policy, only=only)
    if mp.blocking:
        raise MigrationRefused(
            "the target lacks what the source uses (use policy 'lenient' to drop it): "
            + "; ".join(str(g) for g in mp.blocking)
        )
    report = MigrationReport(plan=mp)
    jr = Journal(journal, _migration_id(mp))
    stack = mp.stack

    for key in stack.entries("secrets"):
        n = copy_secret(source, target, key, jr)
        report.secret_versions_written += n
        say(f"secret {key}: {mp.secrets.get(key, 0)} versions ({n} written)")

    resources = _without(stack, ("dns", "waf"))
    _apply(resources, target, force, say)

    for name in stack.entries("databases"):
        step = f"database:{name}"
        if jr.is_done(step):
            report.databases[name] = jr.result(step)
            continue
        jr.begin(step)
        digests = copy_database(database_store(source, name), database_store(target, name))
        jr.done(step, digests)
        report.databases[name] = digests
        say(
            f"database {name}: {sum(d['rows'] for d in digests.values())} rows in "
            f"{len(digests)} tables"
        )
    for bucket in stack.entries("buckets"):
        counts = copy_objects(source, target, bucket)
        report.objects[bucket] = counts
        say(f"bucket {bucket}: {counts['copied']} copied, {counts['skipped']} already there")

    _apply(stack, target, force, say)
    report.verified = verify(source, target, mp, jr)
    say("verified: " + ", ".join(f"{k} {v}" for k, v in report.verified.items()))
    return report


def _apply(stack: Stack, target: CloudProvider, force: bool, say: Progress) -> None:
    p = plan(stack, target, env={})
    if not p.has_changes:
        return
    apply(
        p,
        target,
        force=force,
        env={},
        progress=lambda s: say(f"{s.change.action} {s.change.kind}.{s.change.name}: {s.status}"),
    )


def verify(
    source: CloudProvider, target: CloudProvider, mp: MigrationPlan, jr: Journal | None = None
) -> dict[str, str]:
    """Source and target compared resource by resource, data byte by byte. Reads only."""
    out: dict[str, str] = {}
    stack = mp.stack
    remaining = plan(stack, target, env={})
    out["resources"] = (
        "equal"
        if not remaining.has_changes
        else (
            "differ: "
            + ", ".join(f"{c.kind}.{c.name}" for c in remaining.changes if c.action != "noop")
        )
    )
    for key in stack.entries("secrets"):
        src = [
            source.get_secret(key, v.version).get_secret_value()
            for v in source.list_secret_versions(key)
        ]
        dst_versions = target.list_secret_versions(key)
        mapped = []
        for v in source.list_secret_versions(key):
            tv = jr.result(f"secret:{key}@{v.version}") if jr else None
            mapped.append(tv)
        if jr and all(mapped):
            dst = [target.get_secret(key, str(tv)).get_secret_value() for tv in mapped]
            same = dst == src
        else:
            dst = [target.get_secret(key, v.version).get_secret_value() for v in dst_versions]
            same = dst[-len(src) :] == src if src else not dst
        out[f"secret {key}"] = "equal" if same else "differ"
    for name in stack.entries("databases"):
        sa, sb = database_store(source, name), database_store(target, name)
        both_pg = isinstance(sa, PostgresStore) and isinstance(sb, PostgresStore)
        a = table_digests(sa, server_side=both_pg)
        b = table_digests(sb, server_side=both_pg)
        out[f"database {name}"] = "equal" if a == b else "differ"
    for bucket in stack.entries("buckets"):
        a2 = {o.key: (o.size, o.checksum) for o in source.list_objects(bucket)}
        b2 = {o.key: (o.size, o.checksum) for o in target.list_objects(bucket)}
        out[f"bucket {bucket}"] = (
            "equal" if a2 == b2 else (f"differ ({len(set(a2.items()) ^ set(b2.items()))} objects)")
        )
    return out
