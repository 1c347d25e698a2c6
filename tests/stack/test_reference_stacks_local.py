"""The five reference stacks on `local` (this machine: real PostgreSQL, Redis, processes under
supervisord, the directory object store), with DNS and WAF routed to a memory provider as a
composition would route them to an edge provider (local has neither).

Local runs commands, not images, so each service runs a command here (``sleep``) instead of its
image; what else local lacks (a highly available database or cache: the plan refuses them, as
test_a_plan_names_what_local_lacks checks) is dropped by the migration's lenient degradation
policy, as a user moving these systems onto their own machine would; everything else is applied
as written. Needs root for PostgreSQL: in CI it runs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudcore import connect
from cloudcore.migrate import translate
from cloudcore.stack import Stack, apply, load_stack, plan
from cloudcore.testing.memory.target import memory_target
from cloudcore.testing.wire import wire_counter_for
from cloudcore_baremetal.testing import local_target

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="local's database capability needs root (a throwaway PostgreSQL cluster)",
)

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "stacks").glob("*.yaml"))
ZONES = ("vertz.example.com", "foundry.example.com", "elevaite.example.com", "example.com")


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[Any, Any]]:
    with local_target() as local, memory_target(zones=ZONES) as edge:
        yield local, connect({"default": local, "dns": edge, "waf": edge})


def _on_local(stack: Stack) -> Stack:
    data = stack.model_dump(mode="json")
    for svc in data["services"].values():
        svc.pop("image", None)
        svc.pop("health_check", None)
        svc["command"] = ["sleep", "3600"]
        svc["replicas"] = 1
        svc.pop("autoscaling", None)
    return Stack.model_validate(data)


def test_a_plan_names_what_local_lacks(target: tuple[Any, Any]) -> None:
    _, cloud = target
    stack = load_stack(EXAMPLES[0].with_name("vertz.yaml"))
    p = plan(stack, cloud, env={})
    lacking = {f"{c.kind}.{c.name}": c.unsupported or "" for c in p.unsupported}
    assert "high_availability" in lacking["databases.main"]
    assert "images" in lacking["services.api"]  # an image alone; local runs commands
    assert "services.worker" not in lacking  # image and command: local runs the command


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_reference_stack_on_local(path: Path, target: tuple[Any, Any]) -> None:
    local, cloud = target
    stack, _gaps = translate(_on_local(load_stack(path)), cloud, cloud, "lenient")
    env = {s.from_env: f"value-of-{s.from_env}" for s in stack.secrets.values() if s.from_env}
    counter = wire_counter_for(local)
    assert counter is not None
    before = counter.snapshot()
    first = plan(stack, cloud, env=env)
    assert counter.since(before).mutating == 0, counter.since(before).writes
    assert not first.unsupported, [c.to_json() for c in first.unsupported]
    assert apply(first, cloud, env=env).ok
    again = plan(stack, cloud, env=env)
    assert not again.has_changes, [c.to_json() for c in again.changes if c.action != "noop"]
    for name in stack.entries("databases"):
        assert local.get_database(name).endpoint.port > 0
    gone = plan(stack, cloud, env=env, destroy=True)
    apply(gone, cloud, env=env, force=True)
    assert [s.name for s in local.list_services()] == []
    assert all(
        c.action == "create" for c in plan(stack, cloud, env=env).changes if c.kind not in ("waf",)
    )
