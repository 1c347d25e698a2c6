"""The five reference stacks (examples/stacks) plan, apply, re-plan empty, and destroy."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudcore.stack import apply, load_stack, plan
from cloudcore.testing.memory.target import memory_target
from cloudcore.testing.wire import wire_counter_for

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "stacks").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_reference_stack_applies_replans_empty_and_destroys(path: Path) -> None:
    stack = load_stack(path)
    env = {s.from_env: f"value-of-{s.from_env}" for s in stack.secrets.values() if s.from_env}
    with memory_target(zones=tuple(stack.dns) or ("example.com",)) as cloud:
        counter = wire_counter_for(cloud)
        assert counter is not None
        before = counter.snapshot()
        first = plan(stack, cloud, env=env)
        assert counter.since(before).mutating == 0
        assert not first.unsupported and not first.refusals
        report = apply(first, cloud, env=env)
        assert report.ok
        assert not plan(stack, cloud, env=env).has_changes
        gone = plan(stack, cloud, env=env, destroy=True)
        assert {c.action for c in gone.changes} == {"delete"}
        apply(gone, cloud, env=env, force=True)
        after = plan(stack, cloud, env=env)
        assert all(c.action == "create" for c in after.changes if c.kind != "waf"), [
            c.to_json() for c in after.changes if c.action != "create"
        ]
        assert cloud.list_services() == [] and cloud.list_buckets() == []
        assert sorted(cloud.list_secrets()) == []
