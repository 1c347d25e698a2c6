"""Applying a plan: in dependency order, independent resources concurrently, stopping at the
first failure with a report of what was done.

Order: secrets → databases, caches, buckets → services → DNS → WAF; deletes (pruning) run
afterwards in the reverse order; a replace deletes and recreates in its own step. Within a section, resources that refer to each other
(a service naming another's URL) run in waves. A plan is refused when the provider changed since
it was made (:class:`~cloudcore.stack.plan.StalePlan`), when it uses something the target lacks,
or when it crosses a safety threshold or replaces a data store without ``force``.
"""

from __future__ import annotations

import os
import secrets as _random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import SecretStr

from ..errors import CloudcoreError, ConfigurationError
from .model import KINDS, SecretSource
from .plan import Change, Plan, PlanRefused, StalePlan, _store_outputs, plan, service_outputs
from .refs import Ref

if TYPE_CHECKING:
    from ..protocol import CloudProvider

__all__ = ["ApplyFailed", "ApplyReport", "Step", "apply"]

Status = Literal["done", "failed", "skipped"]


@dataclass
class Step:
    """One change as applied: its status, how long it took, and the error if it failed."""

    change: Change
    status: Status
    seconds: float = 0.0
    error: str | None = None


@dataclass
class ApplyReport:
    """What an apply did, change by change."""

    plan: Plan
    steps: list[Step] = field(default_factory=list)
    outputs: dict[Ref, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(s.status == "done" for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.plan.stack.name,
            "provider": self.plan.provider,
            "ok": self.ok,
            "steps": [
                {
                    **s.change.to_json(),
                    "status": s.status,
                    "seconds": round(s.seconds, 3),
                    **({"error": s.error} if s.error else {}),
                }
                for s in self.steps
            ],
        }


class ApplyFailed(CloudcoreError):
    """A change failed; ``report`` says what was done before, and what was not started."""

    def __init__(self, message: str, report: ApplyReport) -> None:
        super().__init__(message)
        self.report = report


Progress = Callable[[Step], None]


def apply(
    the_plan: Plan,
    provider: CloudProvider,
    *,
    force: bool = False,
    concurrency: int = 4,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> ApplyReport:
    """Carry out ``the_plan`` on ``provider`` (the one it was planned against).

    Args:
        the_plan: From :func:`cloudcore.stack.plan`.
        provider: The same provider (or composition) the plan read.
        force: Go past the plan's safety thresholds and destructive replaces.
        concurrency: How many independent changes run at once.
        env: Where secrets' ``from_env`` values are read (default ``os.environ``).
        progress: Called with each :class:`Step` as it finishes.

    Raises:
        PlanRefused: the target lacks something, or ``force`` is needed.
        StalePlan: the provider changed since the plan was made.
        ApplyFailed: a change failed; its ``report`` lists what was done.
    """
    env = os.environ if env is None else env
    if the_plan.provider != provider.name:
        raise ConfigurationError(
            f"the plan was made for {the_plan.provider!r}, not {provider.name!r}", field="provider"
        )
    missing = the_plan.unsupported
    if missing:
        lines = "; ".join(f"{c.kind}.{c.name}: {c.unsupported}" for c in missing)
        raise PlanRefused(f"the target cannot do everything the stack asks: {lines}")
    if the_plan.refusals and not force:
        raise PlanRefused("applying needs --force: " + "; ".join(the_plan.refusals))
    _check_env(the_plan, env)
    fresh = plan(the_plan.stack, provider, prune=the_plan.prune, env=env, destroy=the_plan.destroy)
    if fresh.fingerprint != the_plan.fingerprint:
        raise StalePlan(
            f"{provider.name} changed since this plan was made: plan again and review it"
        )
    report = ApplyReport(plan=the_plan, outputs=dict(the_plan.outputs))
    todo = [c for c in the_plan.changes if c.action != "noop"]
    for wave in _waves(todo):
        _run_wave(wave, provider, report, env, concurrency, force, progress)
    return report


def _check_env(the_plan: Plan, env: Mapping[str, str]) -> None:
    for c in the_plan.changes:
        if c.kind == "secrets" and c.action in ("create", "update"):
            src = the_plan.stack.secrets[c.name]
            if src.from_env and src.from_env not in env:
                raise ConfigurationError(
                    f"secrets.{c.name}: its value comes from the environment variable "
                    f"{src.from_env}, which is not set",
                    field=f"secrets.{c.name}.from_env",
                )


def _waves(changes: list[Change]) -> list[list[Change]]:
    """Changes grouped into waves: each runs after every wave before it."""
    waves: list[list[Change]] = []
    order = {k: i for i, k in enumerate(KINDS)}
    ups = [c for c in changes if c.action != "delete"]
    downs = [c for c in changes if c.action == "delete"]
    for kind in KINDS:
        batch = [c for c in ups if c.kind == kind]
        done: set[tuple[str, str]] = set()
        while batch:
            names = {(c.kind, c.name) for c in batch}
            ready = [
                c for c in batch if not any(d in names and d != (c.kind, c.name) for d in c.deps)
            ]
            if not ready:  # cannot happen: the stack refuses cycles
                ready = batch
            waves.append(ready)
            done |= {(c.kind, c.name) for c in ready}
            batch = [c for c in batch if (c.kind, c.name) not in done]
    for kind in sorted({c.kind for c in downs}, key=lambda k: -order[k]):
        waves.append([c for c in downs if c.kind == kind])
    return waves


def _run_wave(
    wave: list[Change],
    provider: CloudProvider,
    report: ApplyReport,
    env: Mapping[str, str],
    concurrency: int,
    force: bool,
    progress: Progress | None,
) -> None:
    failed: list[Step] = []

    def run(change: Change) -> Step:
        start = time.monotonic()
        try:
            report.outputs.update(_execute(change, provider, report, env, force))
        except Exception as exc:
            return Step(change, "failed", time.monotonic() - start, _describe(exc))
        return Step(change, "done", time.monotonic() - start)

    # DNS records of one zone are written together (one batched upsert per zone).
    units = _zone_batches(wave)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for steps in pool.map(lambda u: _run_unit(u, run), units):
            for step in steps:
                report.steps.append(step)
                if progress:
                    progress(step)
                if step.status == "failed":
                    failed.append(step)
    if failed:
        rest = [c for c in report.plan.changes if c.action != "noop"]
        started = {id(s.change) for s in report.steps}
        for c in rest:
            if id(c) not in started:
                report.steps.append(Step(c, "skipped"))
        first = failed[0]
        raise ApplyFailed(
            f"{first.change.kind}.{first.change.name} failed: {first.error} "
            f"({sum(s.status == 'done' for s in report.steps)} changes done, "
            f"{sum(s.status == 'skipped' for s in report.steps)} not started)",
            report,
        )


def _zone_batches(wave: list[Change]) -> list[list[Change]]:
    out: list[list[Change]] = []
    zones: dict[str, list[Change]] = {}
    for c in wave:
        if c.kind == "dns" and c.action != "delete":
            zones.setdefault(c.name.split("/", 1)[0], []).append(c)
        else:
            out.append([c])
    return out + list(zones.values())


def _run_unit(unit: list[Change], run: Callable[[Change], Step]) -> list[Step]:
    if len(unit) == 1:
        return [run(unit[0])]
    # A zone's records: one upsert for all of them, the same outcome reported for each.
    lead = Change("dns", unit[0].name, "update", desired=list(unit))
    step = run(lead)
    return [Step(c, step.status, step.seconds, step.error) for c in unit]


def _describe(exc: BaseException) -> str:
    # Driver errors are already redacted where they are raised (ProviderCore._invoke).
    return f"{type(exc).__name__}: {exc}"


def _execute(
    change: Change,
    provider: CloudProvider,
    report: ApplyReport,
    env: Mapping[str, str],
    force: bool,
) -> dict[Ref, str]:
    stack = report.plan.stack
    kind, name = change.kind, change.name
    if change.action == "delete":
        _delete(kind, name, change, provider, force)
        return {}
    if kind == "dns":
        return _apply_dns(change, provider, report)
    desired = change.desired
    if desired is None or kind in ("services", "waf"):
        desired = stack.render(kind, name, report.outputs)
        if desired is None:
            raise CloudcoreError(f"{kind}.{name}: a reference is still unknown after its source")
    if kind == "secrets":
        _store_secret(name, stack.secrets[name], provider, env)
        return {Ref("secrets", name, "key"): name}
    if kind == "databases":
        if change.action == "replace":
            provider.delete_database(name)
        return _store_outputs(kind, name, provider.provision_database(desired))
    if kind == "caches":
        if change.action == "replace":
            provider.delete_cache(name)
        return _store_outputs(kind, name, provider.provision_cache(desired))
    if kind == "buckets":
        return _store_outputs(kind, name, provider.create_bucket(desired))
    if kind == "services":
        result = provider.deploy_service(name, desired)
        endpoint = result.endpoint
        if endpoint is None:
            endpoint = provider.get_service_status(name).endpoint
        return service_outputs(name, endpoint)
    if kind == "waf":
        provider.configure_waf(desired, None if name == "default" else name)
        return {}
    raise CloudcoreError(f"unknown stack section {kind!r}")


def _apply_dns(change: Change, provider: CloudProvider, report: ApplyReport) -> dict[Ref, str]:
    stack = report.plan.stack
    parts: list[Change] = change.desired if isinstance(change.desired, list) else [change]
    records = []
    for part in parts:
        zone = part.name.split("/", 1)[0]
        if part.desired is None or part.name.endswith("/*") or part.deps:
            rendered = stack.render("dns", zone, report.outputs)
            if rendered is None:
                raise CloudcoreError(f"dns.{zone}: a reference is still unknown after its source")
            if part.name.endswith("/*"):
                records.extend(rendered)
                continue
            _, fqdn, rtype = part.name.split("/", 2)
            records.extend(
                r for r in rendered if r.name.rstrip(".").lower() == fqdn and str(r.type) == rtype
            )
        else:
            records.append(part.desired)
    if records:
        provider.upsert_dns_records(records)
    return {}


def _store_secret(
    name: str, source: SecretSource, provider: CloudProvider, env: Mapping[str, str]
) -> None:
    if source.from_env:
        value = env[source.from_env]
    else:
        assert source.generate is not None
        value = _random.token_urlsafe(source.generate)[: source.generate]
    provider.store_secret(name, SecretStr(value))


def _delete(kind: str, name: str, change: Change, provider: CloudProvider, force: bool) -> None:
    if kind == "services":
        provider.delete_service(name)
    elif kind == "databases":
        provider.delete_database(name)
    elif kind == "caches":
        provider.delete_cache(name)
    elif kind == "buckets":
        provider.delete_bucket(name, force=force)
    elif kind == "dns":
        provider.delete_dns_record(change.desired)
    elif kind == "secrets":
        provider.delete_secret(name)
    elif kind == "waf":
        provider.configure_waf([], None if name == "default" else name)
    else:
        raise CloudcoreError(f"{kind}.{name}: stacks do not delete {kind}")
