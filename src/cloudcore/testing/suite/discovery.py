"""Conformance tests for the ``discovery`` capability."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from ...capabilities import Capability
from ...errors import NotFound
from ...models import (
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    DNSRecord,
    Resource,
    ResourceType,
    parse_resource_id,
)
from ...models.jobs import JobConfig
from ...models.queues import QueueConfig
from ...models.storage import BucketConfig
from ._base import (
    ConformanceOptions,
    Names,
    SuiteBase,
    _cache_config,
    _db_config,
    _service_config,
    not_testable,
    parallel,
    requires,
    retried_read,
)

R = ResourceType
Cleanup = list[Callable[[], None]]


def _check_schema(schema: dict[str, Any], what: str) -> None:
    assert isinstance(schema, dict) and schema, f"{what}: empty schema"
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema comes with cloudcore[dev]
        not_testable("validating JSON Schemas needs the jsonschema package")
    key = json.dumps(schema, sort_keys=True, default=str)
    if key in _VALID:
        return  # the same schema (many resources share one) was validated already
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise AssertionError(f"{what}: not a valid JSON Schema: {exc.message}") from None
    _VALID.add(key)


_VALID: set[str] = set()


TEAM = "team"  # the tag key every taggable resource of the discovery class carries


def _team(names: Names) -> str:
    """This run's value of the :data:`TEAM` tag (lowercase, as Google labels require)."""
    return f"{names.run}-disc"


def _create_one_of_each(
    provider: Any, opts: ConformanceOptions, names: Names, cleanup: Cleanup
) -> dict[tuple[ResourceType, str], str]:
    """Create one resource per declared capability; returns ``{(type, name): capability}``.

    Every resource whose config has tags carries ``{TEAM: _team(names)}``; secrets and DNS
    records have none, so a tag filter must leave them out."""
    made: dict[tuple[ResourceType, str], str] = {}
    tags = {TEAM: _team(names)}
    if provider.supports(Capability.SECRETS):
        key = names.secret(names.unique("disc"))
        cleanup.append(lambda: provider.delete_secret(key))
        provider.store_secret(key, "discover-me")
        made[(R.SECRET, key)] = "secrets"
    if provider.supports(Capability.DNS, "A"):
        rec = DNSRecord(
            name=names.fqdn(names.unique("disc"), opts.zone), type="A", values=("192.0.2.8",)
        )
        cleanup.append(lambda: provider.delete_dns_record(rec))
        provider.upsert_dns_records([rec])
        made[(R.DNS_RECORD, f"{rec.name}/A")] = "dns"
    if provider.supports(Capability.COMPUTE):
        svc = names.name(names.unique("disc-svc"))
        cleanup.append(lambda: provider.delete_service(svc))
        provider.deploy_service(svc, _service_config(provider, opts, tags=tags))
        made[(R.SERVICE, svc)] = "compute"
    if provider.supports(Capability.DATABASE, "postgres"):
        db = names.name(names.unique("disc-db"))
        cleanup.append(lambda: provider.delete_database(db))
        provider.provision_database(_db_config(db, tags=tags))
        made[(R.DATABASE, db)] = "database"
    if provider.supports(Capability.CACHE, "redis"):
        cache = names.name(names.unique("disc-cache"))
        cleanup.append(lambda: provider.delete_cache(cache))
        provider.provision_cache(_cache_config(provider, cache, tags=tags))
        made[(R.CACHE, cache)] = "cache"
    if provider.supports(Capability.STORAGE):
        bucket = names.name(names.unique("disc-bucket"))
        cleanup.append(lambda: provider.delete_bucket(bucket, force=True))
        provider.create_bucket(BucketConfig(name=bucket, tags=tags))
        made[(R.BUCKET, bucket)] = "storage"
    if provider.supports(Capability.QUEUES):
        queue = names.name(names.unique("disc-queue"))
        cleanup.append(lambda: provider.delete_queue(queue))
        provider.create_queue(QueueConfig(name=queue, tags=tags))
        made[(R.QUEUE, queue)] = "queues"
    if provider.supports(Capability.JOBS):
        job = names.name(names.unique("disc-job"))
        cleanup.append(lambda: provider.delete_job(job))
        provider.schedule_job(
            job, JobConfig.model_validate({**_job_config(provider, opts), "tags": tags})
        )
        made[(R.JOB, job)] = "jobs"
    return made


def _job_config(provider: Any, opts: ConformanceOptions) -> dict[str, Any]:
    from .jobs import _target

    return {"cron": "0 4 * * *", "target": _target(provider, opts)}


class DiscoverySuite(SuiteBase):
    """Discovery: everything the suite creates is listed with the right type, id, tags and a
    valid JSON Schema, disappears after deletion, pages past one page, and reads are retried."""

    @pytest.fixture(scope="class")
    @classmethod
    def created(
        cls, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> Any:
        # Class-scoped: created once, used by the listing and schema tests, deleted by
        # test_discovery_deleted_disappear (or at the end of the class).
        cleanup: Cleanup = []
        made: dict[tuple[ResourceType, str], str] = {}
        try:
            if provider.supports(Capability.DISCOVERY):
                made = _create_one_of_each(
                    provider, conformance_options, conformance_names, cleanup
                )
            yield made, cleanup
        finally:
            for undo in reversed(cleanup):
                undo()

    @requires(Capability.DISCOVERY)
    def test_discovery_lists_what_was_created(self, provider: Any, created: Any) -> None:
        made, _ = created
        if not made:
            not_testable("the driver declares no capability whose resources the suite can create")
        listed: dict[tuple[ResourceType, str], Resource] = {
            (r.type, r.name): r for r in provider.list_resources()
        }
        for (rtype, name), cap in made.items():
            res = listed.get((rtype, name))
            others = sorted(t.value for t, n in listed if n == name)
            assert res is not None, (
                f"{cap}: created {rtype.value} {name!r} is not listed (listed as: {others or 'nothing'})"
            )
            assert res.provider == provider.name
            assert parse_resource_id(res.id)[2] == rtype, f"{res.id}: id names the wrong type"
            assert res.tags.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE, f"{res.id}: not tagged"
            of_type = {r.name for r in provider.list_resources(type=rtype)}
            assert name in of_type, f"list_resources(type={rtype.value!r}) misses {name!r}"
            assert all(r.type == rtype for r in provider.list_resources(type=rtype))
        tagged = {
            (r.type, r.name)
            for r in provider.list_resources(tags={MANAGED_BY_KEY: MANAGED_BY_VALUE})
        }
        assert set(made) <= tagged, "filtering on managed-by=cloudcore lost resources"

    @requires(Capability.DISCOVERY)
    def test_discovery_filters_on_tags(
        self, provider: Any, created: Any, conformance_names: Names
    ) -> None:
        """The driver filters on ``tags`` itself (the core does not filter again): a tag only
        some resources carry selects exactly those, and a value nothing carries selects none."""
        made, _ = created
        if not made:
            not_testable("the driver declares no capability whose resources the suite can create")
        team = _team(conformance_names)
        taggable = {R.SERVICE, R.DATABASE, R.CACHE, R.BUCKET, R.QUEUE, R.JOB}
        listed = list(provider.list_resources(tags={TEAM: team}))
        wrong = sorted(r.id for r in listed if r.tags.get(TEAM) != team)
        assert not wrong, f"list_resources(tags={{{TEAM!r}: {team!r}}}) returned {wrong}"
        got = {(r.type, r.name) for r in listed}
        missing = sorted(f"{t.value}/{n}" for t, n in made if t in taggable and (t, n) not in got)
        assert not missing, f"tagged {TEAM}={team} but not selected by that tag: {missing}"
        none = [r.id for r in provider.list_resources(tags={TEAM: f"{team}-none"})]
        assert not none, f"a tag value no resource carries selected {none}"
        both = {MANAGED_BY_KEY: MANAGED_BY_VALUE, TEAM: f"{team}-none"}
        assert not list(provider.list_resources(tags=both)), (
            "a filter of two tags must match resources carrying both, not either"
        )

    @requires(Capability.DISCOVERY)
    def test_discovery_schemas_are_valid(self, provider: Any, created: Any) -> None:
        made, _ = created
        resources = [r for r in provider.list_resources() if (r.type, r.name) in made]
        types = sorted({r.type for r in resources}) or [R.SECRET]
        for r in resources:
            schema = provider.get_resource_schema(r.id)
            assert schema.id == r.id and schema.type == r.type
            _check_schema(schema.config_schema, f"{r.id} config_schema")
            _check_schema(schema.state_schema, f"{r.id} state_schema")
            for op in schema.operations:
                _check_schema(op.parameters, f"{r.id} operation {op.name}")
        for rtype in types:
            schema = provider.get_resource_schema(f"type:{rtype.value}")
            _check_schema(schema.config_schema, f"type {rtype.value} config_schema")
        with pytest.raises(NotFound):
            provider.get_resource_schema(
                f"cloudcore:{provider.name}:{provider.region or ''}:secret/cct-none"
            )

    @requires(Capability.DISCOVERY)
    def test_discovery_deleted_disappear(self, provider: Any, created: Any) -> None:
        made, cleanup = created
        if not made:
            not_testable("the driver declares no capability whose resources the suite can create")
        for undo in reversed(cleanup):
            undo()
        cleanup.clear()
        listed = {(r.type, r.name) for r in provider.list_resources()}
        still = sorted(f"{t.value}/{n}" for t, n in made if (t, n) in listed)
        assert not still, f"deleted resources still listed: {still}"

    @requires(Capability.DISCOVERY)
    def test_discovery_list_past_one_page(
        self, provider: Any, conformance_options: ConformanceOptions, conformance_names: Names
    ) -> None:
        if not provider.supports(Capability.SECRETS):
            not_testable("creating many resources cheaply needs the secrets capability")
        count = conformance_options.past_one_page(provider)
        keys = [conformance_names.secret(f"disc-page-{i:03d}") for i in range(count)]
        try:
            parallel(lambda k: provider.store_secret(k, "v"), keys, conformance_options.concurrency)
            listed = [r.name for r in provider.list_resources(type=R.SECRET)]
            missing = sorted(set(keys) - set(listed))
            assert not missing, f"{len(missing)} of {count} secrets missing from list_resources()"
        finally:
            parallel(provider.delete_secret, keys, conformance_options.concurrency)

    @requires(Capability.DISCOVERY)
    def test_discovery_read_retried(self, provider: Any) -> None:
        before = {r.id for r in provider.list_resources()}
        for kind in ("throttle", "transient"):
            after = retried_read(
                provider, kind, "list_resources", lambda: list(provider.list_resources())
            )
            assert {r.id for r in after} == before, f"a {kind} listing must return everything"

    @requires(Capability.DISCOVERY)
    def test_discovery_zz_nothing_left_behind(
        self, provider: Any, conformance_names: Names
    ) -> None:
        mine = [r for r in provider.list_resources() if conformance_names.run in r.name]
        left = [r.id for r in mine if r.type != R.BACKUP]
        assert not left, f"the suite left resources behind: {left[:10]}"
        for r in mine:  # backups may outlive their database (documented per driver)
            assert r.type == R.BACKUP
