"""The reference stacks on the aws test target (moto over HTTP): plan without writes (counted by
the server), apply, re-plan empty, destroy.

What aws lacks in the test target is dropped by the lenient degradation policy and listed. Stacks
that refer to a service's URL (a CNAME to it, a gateway calling the orchestrator) need services
with an address: ECS services without a load balancer have none, and the apply says so, naming
the reference, instead of writing a record with no value.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudcore.migrate import translate
from cloudcore.stack import ApplyFailed, apply, load_stack, plan
from cloudcore_aws.testing import fake_target

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "stacks").glob("*.yaml"))
ZONES = ("vertz.example.com", "foundry.example.com", "elevaite.example.com")


@pytest.fixture(scope="module")
def aws() -> Iterator[Any]:
    with fake_target(full=True) as target:
        r53 = target.client("route53")
        for zone in ZONES:
            made = r53.create_hosted_zone(Name=zone, CallerReference=f"{zone}-{time.time()}")
            zone_id = made["HostedZone"]["Id"].rsplit("/", 1)[-1]
            r53.change_tags_for_resource(
                ResourceType="hostedzone",
                ResourceId=zone_id,
                AddTags=[{"Key": "managed-by", "Value": "cloudcore"}],
            )
        yield target


def _needs_service_address(stack: Any) -> bool:
    return any(
        r.kind == "services" and r.attr in ("url", "host")
        for kind in ("services", "dns")
        for name in stack.entries(kind)
        for r in stack.refs(kind, name)
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_reference_stack_on_aws(path: Path, aws: Any) -> None:
    provider = aws.provider
    stack, gaps = translate(load_stack(path), provider, provider, "lenient")
    assert all(g.dropped for g in gaps)
    env = {s.from_env: f"value-of-{s.from_env}" for s in stack.secrets.values() if s.from_env}
    before = aws.wire.snapshot()
    first = plan(stack, provider, env=env)
    assert aws.wire.since(before).mutating == 0, aws.wire.since(before).writes
    assert not first.unsupported, [c.to_json() for c in first.unsupported]
    if _needs_service_address(stack):
        with pytest.raises(ApplyFailed, match=r"no (url|host) \(a service without a load balancer"):
            apply(first, provider, env=env)
    else:
        assert apply(first, provider, env=env).ok
        again = plan(stack, provider, env=env)
        assert not again.has_changes, [c.to_json() for c in again.changes if c.action != "noop"]
    gone = plan(stack, provider, env=env, destroy=True)
    apply(gone, provider, env=env, force=True)
    assert all(c.action == "create" for c in plan(stack, provider, env=env).changes)
