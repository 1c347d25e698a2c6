"""Stacks on the memory driver: parsing, references, plan (no writes), apply, prune, thresholds,
stale plans, failures mid-apply, and export followed by a plan with no changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cloudcore.errors import ConfigurationError
from cloudcore.stack import (
    ApplyFailed,
    PlanRefused,
    Stack,
    StalePlan,
    apply,
    dump_stack,
    export_stack,
    parse_stack,
    plan,
)
from cloudcore.testing.faults import Fault
from cloudcore.testing.memory.target import memory_target
from cloudcore.testing.wire import wire_counter_for

ENV = {"STRIPE_KEY": "sk_test_123456"}


def _stack(**sections: Any) -> Stack:
    return Stack.model_validate({"name": "shop", **sections})


BASE: dict[str, Any] = {
    "secrets": {"jwt-key": {"generate": 32}, "stripe": {"from_env": "STRIPE_KEY"}},
    "buckets": {"uploads": {"versioning": True}},
    "dns": {
        "example.com": [
            {"name": "www", "type": "A", "values": ["192.0.2.1"], "ttl": 300},
            {"name": "@", "type": "TXT", "values": ["v=spf1 -all"]},
        ]
    },
    "waf": {"default": [{"kind": "ip", "cidrs": ["203.0.113.0/24"]}]},
}

FULL: dict[str, Any] = {
    **BASE,
    "databases": {"main": {"storage_gb": 30}},
    "caches": {"sessions": {"tls": True}},
    "services": {
        "api": {
            "image": "ghcr.io/shop/api:1.0",
            "port": 8080,
            "env": {
                "DATABASE_URL": "${databases.main.url}",
                "REDIS": "${caches.sessions.url}",
                "UPLOADS": "${buckets.uploads.name}",
                "LITERAL": "$${not-a-ref}",
            },
            "secrets": {
                "DB_PASSWORD": "${databases.main.password_secret}",
                "JWT": "${secrets.jwt-key.key}",
            },
        },
        "worker": {"command": ["python", "-m", "worker"], "env": {"API": "${services.api.url}"}},
    },
}


@pytest.fixture
def cloud() -> Iterator[Any]:
    with memory_target() as provider:
        yield provider


def _writes(provider: Any) -> Any:
    counter = wire_counter_for(provider)
    assert counter is not None
    return counter


# -- the file --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sections", "field"),
    [
        ({"databases": {"main": {"storage_gb": 0}}}, "databases.main"),
        (
            {"services": {"api": {"image": "x", "env": {"A": "${databases.nope.host}"}}}},
            "services.api",
        ),
        (
            {"services": {"api": {"image": "x", "env": {"A": "${databases.main.password}"}}}},
            "services.api.env.A",
        ),
        ({"services": {"api": {"image": "x", "env": {"A": "${nonsense}"}}}}, "services.api.env.A"),
        ({"secrets": {"k": {"value": "plain"}}}, "secrets"),
        ({"secrets": {"k": {}}}, "secrets"),
        ({"secrets": {"bad\nkey": {"generate": 16}}}, "key"),
        (
            {"dns": {"example.com": [{"name": "www", "type": "A", "values": ["not-an-ip"]}]}},
            "dns.example.com",
        ),
        ({"buckets": {"b": {"name": "other"}}}, "buckets.b.name"),
    ],
)
def test_a_bad_stack_is_refused_naming_the_field(sections: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        _stack(**sections)
    assert field in (info.value.field or "") or field in str(info.value)


def test_reference_cycles_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="cycle"):
        _stack(
            services={
                "a": {"image": "x", "env": {"B": "${services.b.url}"}},
                "b": {"image": "x", "env": {"A": "${services.a.url}"}},
            }
        )


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_stack_round_trips_through_its_file_formats(fmt: str) -> None:
    stack = _stack(**FULL)
    again = parse_stack(dump_stack(stack, fmt), fmt)
    assert again == stack


def test_toml_stacks_load() -> None:
    text = 'name = "t"\n[buckets.assets]\nversioning = true\n[secrets.k]\ngenerate = 20\n'
    assert parse_stack(text, "toml").buckets == {"assets": {"versioning": True}}


def test_invalid_yaml_names_the_file() -> None:
    with pytest.raises(ConfigurationError, match="stack.yaml: not valid YAML"):
        parse_stack("name: [", "yaml", "stack.yaml")


# -- plan and apply --------------------------------------------------------------------------


def test_plan_makes_no_writes_and_apply_converges(cloud: Any) -> None:
    stack = _stack(**BASE)
    counter = _writes(cloud)
    before = counter.snapshot()
    first = plan(stack, cloud, env=ENV)
    assert counter.since(before).mutating == 0
    assert first.counts()["create"] == 5
    report = apply(first, cloud, env=ENV)
    assert report.ok and len(report.steps) == 6
    assert cloud.get_secret("stripe").get_secret_value() == "sk_test_123456"
    assert len(cloud.get_secret("jwt-key").get_secret_value()) == 32
    again = plan(stack, cloud, env=ENV)
    assert not again.has_changes, again.to_json()


def test_a_changed_ttl_is_a_one_line_update(cloud: Any) -> None:
    apply(plan(_stack(**BASE), cloud, env=ENV), cloud, env=ENV)
    changed = {
        **BASE,
        "dns": {
            "example.com": [
                {"name": "www", "type": "A", "values": ["192.0.2.1"], "ttl": 600},
                {"name": "@", "type": "TXT", "values": ["v=spf1 -all"]},
            ]
        },
    }
    p = plan(_stack(**changed), cloud, env=ENV)
    updates = [c for c in p.changes if c.action != "noop"]
    assert [(c.kind, c.name, c.action) for c in updates] == [
        ("dns", "example.com/www.example.com/A", "update")
    ]
    assert [(d.path, d.before, d.after) for d in updates[0].diff] == [("ttl", "300", "600")]
    counter = _writes(cloud)
    before = counter.snapshot()
    apply(p, cloud, env=ENV)
    assert counter.since(before).mutating >= 1
    assert not plan(_stack(**changed), cloud, env=ENV).has_changes


def test_a_secret_value_never_appears_in_a_plan(cloud: Any) -> None:
    apply(plan(_stack(**BASE), cloud, env=ENV), cloud, env=ENV)
    p = plan(_stack(**BASE), cloud, env={"STRIPE_KEY": "sk_live_new_value"})
    text = str(p.to_json()) + p.fingerprint
    assert [c.name for c in p.changes if c.action == "update"] == ["stripe"]
    assert "sk_live_new_value" not in text and "sk_test_123456" not in text


def test_a_missing_environment_variable_is_refused_before_any_write(cloud: Any) -> None:
    counter = _writes(cloud)
    p = plan(_stack(**BASE), cloud, env={})
    before = counter.snapshot()
    with pytest.raises(ConfigurationError, match="STRIPE_KEY"):
        apply(p, cloud, env={})
    assert counter.since(before).mutating == 0


def test_a_stale_plan_is_refused(cloud: Any) -> None:
    p = plan(_stack(**BASE), cloud, env=ENV)
    cloud.upsert_dns_records([{"name": "www.example.com", "type": "A", "values": ["192.0.2.9"]}])
    with pytest.raises(StalePlan):
        apply(p, cloud, env=ENV)


def test_thresholds_refuse_large_changes_without_force(cloud: Any) -> None:
    records = [
        {"name": f"h{i}", "type": "A", "values": [f"192.0.2.{i}"], "ttl": 300} for i in range(20)
    ]
    apply(plan(_stack(dns={"example.com": records}), cloud), cloud)
    moved = [{**r, "ttl": 900} for r in records[:10]] + records[10:]
    p = plan(_stack(dns={"example.com": moved}), cloud)
    assert p.refusals and "10 of 20" in p.refusals[0]
    with pytest.raises(PlanRefused, match="--force"):
        apply(p, cloud)
    apply(p, cloud, force=True)
    assert not plan(_stack(dns={"example.com": moved}), cloud).has_changes


def test_a_failure_stops_the_apply_with_a_report(cloud: Any) -> None:
    stack = _stack(**BASE)
    p = plan(stack, cloud, env=ENV)
    cloud.faults.inject(Fault("transient", operation="create_bucket", times=100))
    with pytest.raises(ApplyFailed) as info:
        apply(p, cloud, env=ENV)
    steps = {(s.change.kind, s.change.name): s.status for s in info.value.report.steps}
    assert steps[("buckets", "uploads")] == "failed"
    assert steps[("secrets", "stripe")] == "done"
    # Nothing after the failed tier started.
    assert steps[("waf", "default")] == "skipped"
    assert steps[("dns", "example.com/www.example.com/A")] == "skipped"
    assert cloud.list_dns_records("example.com") == []
    assert cloud.get_waf_rules() == []


def test_dependency_outputs_are_known_after_apply(cloud: Any) -> None:
    stack = _stack(**FULL)
    p = plan(stack, cloud, env=ENV)
    api = next(c for c in p.changes if c.kind == "services" and c.name == "api")
    assert api.action == "create" and api.desired is None  # waits on the database's outputs
    report = apply(p, cloud, env=ENV)
    assert report.ok
    config = cloud.get_service_config("api")
    db = cloud.get_database("main")
    assert config.env["DATABASE_URL"] == (
        f"postgresql://{db.endpoint.username}@{db.endpoint.host}:{db.endpoint.port}/"
        f"{db.endpoint.database}"
    )
    assert config.env["UPLOADS"] == "uploads"
    assert config.env["LITERAL"] == "${not-a-ref}"
    assert config.secrets["DB_PASSWORD"].key == db.endpoint.password_secret
    assert not plan(stack, cloud, env=ENV).has_changes


def test_removing_a_service_deletes_it_only_with_prune(cloud: Any) -> None:
    apply(plan(_stack(**FULL), cloud, env=ENV), cloud, env=ENV)
    smaller = {**FULL, "services": {"api": FULL["services"]["api"]}}
    p = plan(_stack(**smaller), cloud, env=ENV)
    assert not p.has_changes
    pruned = plan(_stack(**smaller), cloud, env=ENV, prune=True)
    deletes = [(c.kind, c.name) for c in pruned.changes if c.action == "delete"]
    assert deletes == [("services", "worker")]
    apply(pruned, cloud, env=ENV)
    assert [s.name for s in cloud.list_services()] == ["api"]


def test_prune_never_touches_resources_of_another_stack_or_none(cloud: Any) -> None:
    cloud.deploy_service("hand-made", {"image": "x"})
    other = Stack.model_validate({"name": "other", "services": {"theirs": {"image": "y"}}})
    apply(plan(other, cloud), cloud)
    p = plan(_stack(**BASE), cloud, env=ENV, prune=True)
    assert not [c for c in p.changes if c.action == "delete"]


def test_export_then_plan_has_no_changes(cloud: Any) -> None:
    cloud.store_secret("api-key", "k" * 20)
    db = cloud.provision_database({"name": "main", "storage_gb": 40})
    cloud.deploy_service(
        "api",
        {
            "image": "ghcr.io/x/api:2",
            "env": {"DB_HOST": db.host, "MODE": "prod"},
            "secrets": {"DB_PASSWORD": db.password_secret, "KEY": "api-key"},
        },
    )
    cloud.upsert_dns_records(
        [{"name": "api.example.com", "type": "CNAME", "values": ["x.example.net"]}]
    )
    exported = export_stack(cloud, "exported")
    assert exported.services["api"]["env"]["DB_HOST"] == "${databases.main.host}"
    assert exported.services["api"]["secrets"]["DB_PASSWORD"]["key"] == (
        "${databases.main.password_secret}"
    )
    env = {"API_KEY": "k" * 20}
    p = plan(parse_stack(dump_stack(exported)), cloud, env=env)
    assert not p.has_changes, p.to_json()
