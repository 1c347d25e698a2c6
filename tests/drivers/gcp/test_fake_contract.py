"""The fake GCP APIs against the reference: Google's discovery documents and documented limits.

Requests are raw HTTP (``requests``), not the driver, so a fake that lets through what Google
refuses fails here whatever the driver does. Every invalid request below cites where Google
documents the rule it breaks; each must be refused with a ``google.rpc.Status`` body and must
change nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from cloudcore.models import CacheConfig, DatabaseConfig, IPRule, RateLimitRule
from cloudcore.testing.wire import wire_counter_for
from cloudcore_gcp.testing import fake_target
from cloudcore_gcp.testing._discovery import APIS, Invalid, check_answer, document, method
from cloudcore_gcp.testing._server import http_code

P = "/v1/projects/fake-project"
RUN = "/v2/projects/fake-project/locations/us-central1/services"
REDIS = "/v1/projects/fake-project/locations/us-central1/instances"
SQL = "/sql/v1beta4/projects/fake-project/instances"
DNS = "/dns/v1/projects/fake-project/managedZones/example-com/changes"
ARMOR = "/compute/v1/projects/fake-project/global/securityPolicies"
LOGS = "/v2/entries:list"


def _run(cpu: str = "1", memory: str = "512Mi", **template: Any) -> dict[str, Any]:
    container = {"image": "nginx", "resources": {"limits": {"cpu": cpu, "memory": memory}}}
    if cpu.endswith("m"):
        container["resources"]["cpuIdle"] = True
        template.setdefault("maxInstanceRequestConcurrency", 1)
    return {"template": {"containers": [container], **template}}


def _sql(tier: str, version: str = "POSTGRES_16", **settings: Any) -> dict[str, Any]:
    return {"name": "db", "databaseVersion": version, "settings": {"tier": tier, **settings}}


def _rule(**kw: Any) -> dict[str, Any]:
    rule = {"priority": 1000, "action": "deny(403)", "match": {"expr": {"expression": "true"}}}
    return {**rule, **kw}


def _ranges(n: int) -> dict[str, Any]:
    cidrs = [f"192.0.2.{i}/32" for i in range(n)]
    return {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": cidrs}}


def _rrset(name: str, rtype: str, *rrdatas: str) -> dict[str, Any]:
    return {"name": name, "type": rtype, "ttl": 300, "rrdatas": list(rrdatas)}


SUB6 = " && ".join(f"origin.region_code == 'C{i}'" for i in range(6))
RATE = {
    "conformAction": "allow",
    "exceedAction": "deny(429)",
    "enforceOnKey": "IP",
    "rateLimitThreshold": {"count": 10, "intervalSec": 60},
}

# (id, verb, path, query, body, citation)
INVALID: list[tuple[str, str, str, dict[str, str], Any, str]] = [
    # --- discovery documents: shapes -------------------------------------------------------
    (
        "unknown-body-field",
        "POST",
        RUN,
        {"serviceId": "a"},
        {**_run(), "replicas": 2},
        "run.v2 GoogleCloudRunV2Service has no 'replicas' property",
    ),
    (
        "unknown-nested-field",
        "POST",
        RUN,
        {"serviceId": "a"},
        {"template": {"containers": [{"image": "nginx", "cpu": "1"}]}},
        "run.v2 GoogleCloudRunV2Container has no 'cpu' (it is resources.limits.cpu)",
    ),
    (
        "wrong-type",
        "POST",
        REDIS,
        {"instanceId": "a"},
        {"tier": "BASIC", "memorySizeGb": "lots"},
        "redis.v1 Instance.memorySizeGb is integer/int32",
    ),
    (
        "bad-enum",
        "POST",
        REDIS,
        {"instanceId": "a"},
        {"tier": "HUGE", "memorySizeGb": 1},
        "redis.v1 Instance.tier enum: TIER_UNSPECIFIED, BASIC, STANDARD_HA",
    ),
    (
        "bad-duration",
        "POST",
        RUN,
        {"serviceId": "a"},
        _run(timeout="30"),
        "run.v2 RevisionTemplate.timeout has format google-duration ('30s')",
    ),
    (
        "bad-base64",
        "POST",
        f"{P}/secrets/s:addVersion",
        {},
        {"payload": {"data": "!!not b64!!"}},
        "secretmanager.v1 SecretPayload.data has format byte (base64)",
    ),
    (
        "unknown-query-param",
        "GET",
        RUN,
        {"pageSize": "5", "limit": "5"},
        None,
        "run.v2 services.list takes parent, pageSize, pageToken, showDeleted; no 'limit'",
    ),
    (
        "bad-query-type",
        "GET",
        RUN,
        {"pageSize": "five"},
        None,
        "run.v2 services.list pageSize is integer/int32",
    ),
    (
        "body-on-get",
        "GET",
        f"{P}/secrets",
        {},
        {"x": 1},
        "secretmanager.v1 secrets.list has no request body",
    ),
    (
        "bad-pattern",
        "POST",
        ARMOR,
        {},
        {"name": "Edge_Policy"},
        "compute.v1 SecurityPolicy.name pattern [a-z](?:[-a-z0-9]{0,61}[a-z0-9])?",
    ),
    # --- ids and labels --------------------------------------------------------------------
    (
        "run-id-too-long",
        "POST",
        RUN,
        {"serviceId": "s" * 50},
        _run(),
        "run.v2 services.create serviceId: 'must contain fewer than 50 characters'",
    ),
    (
        "run-id-trailing-hyphen",
        "POST",
        RUN,
        {"serviceId": "api-"},
        _run(),
        "run.v2 services.create serviceId: 'cannot end with hyphen'",
    ),
    (
        "redis-id-too-long",
        "POST",
        REDIS,
        {"instanceId": "r" * 41},
        {"tier": "BASIC", "memorySizeGb": 1},
        "redis.v1 instances.create instanceId: 'Must be between 1-40 characters'",
    ),
    (
        "secret-id-charset",
        "POST",
        f"{P}/secrets",
        {"secretId": "db/password"},
        {},
        "secretmanager.v1 secrets.create secretId: letters, numerals, '-' and '_' only",
    ),
    (
        "label-key-uppercase",
        "POST",
        f"{P}/secrets",
        {"secretId": "s2"},
        {"labels": {"Team": "web"}},
        "secretmanager.v1 Secret.labels / resource-manager labels: keys start with a lowercase letter",
    ),
    (
        "sql-name-uppercase",
        "POST",
        SQL,
        {},
        {**_sql("db-f1-micro", edition="ENTERPRISE"), "name": "DB"},
        "cloud.google.com/sql/docs/postgres/instance-settings: lowercase letters, numbers, hyphens",
    ),
    # --- Cloud Run CPU, memory and what fractional CPU requires -----------------------------
    (
        "run-cpu-3",
        "POST",
        RUN,
        {"serviceId": "a"},
        _run(cpu="3", memory="2Gi"),
        "cloud.google.com/run/docs/configuring/services/cpu: above 1, only 1, 2, 4, 6, 8",
    ),
    (
        "run-cpu-below-minimum",
        "POST",
        RUN,
        {"serviceId": "a"},
        _run(cpu="50m", memory="256Mi"),
        "cloud.google.com/run/docs/configuring/services/cpu: minimum 0.08 vCPU",
    ),
    (
        "run-memory-for-cpu",
        "POST",
        RUN,
        {"serviceId": "a"},
        _run(cpu="250m", memory="1Gi"),
        "cloud.google.com/run/docs/configuring/services/cpu: below 0.5 vCPU, up to 512 MiB",
    ),
    (
        "run-memory-min-4cpu",
        "POST",
        RUN,
        {"serviceId": "a"},
        _run(cpu="4", memory="1Gi"),
        "cloud.google.com/run/docs/configuring/services/cpu: 4 vCPU needs 2 to 16 GiB",
    ),
    (
        "run-memory-max",
        "POST",
        RUN,
        {"serviceId": "a"},
        _run(cpu="8", memory="64Gi"),
        "cloud.google.com/run/docs/configuring/services/memory-limits: maximum 32 GiB",
    ),
    (
        "run-concurrency-below-1cpu",
        "POST",
        RUN,
        {"serviceId": "a"},
        _run(cpu="500m", maxInstanceRequestConcurrency=80),
        "cloud.google.com/run/docs/configuring/services/cpu: below 1 CPU, concurrency must be 1",
    ),
    (
        "run-billing-below-1cpu",
        "POST",
        RUN,
        {"serviceId": "a"},
        {
            "template": {
                "containers": [{"image": "nginx", "resources": {"limits": {"cpu": "250m"}}}]
            }
        },
        "run.v2 ResourceRequirements.cpuIdle must be set true; below 1 CPU request-based billing",
    ),
    (
        "run-gen2-below-1cpu",
        "POST",
        RUN,
        {"serviceId": "a"},
        _run(cpu="500m", executionEnvironment="EXECUTION_ENVIRONMENT_GEN2"),
        "cloud.google.com/run/docs/configuring/services/cpu: below 1 CPU, first generation only",
    ),
    (
        "run-startup-probe-period",
        "POST",
        RUN,
        {"serviceId": "a"},
        {
            "template": {
                "containers": [
                    {
                        "image": "nginx",
                        "startupProbe": {"periodSeconds": 300, "tcpSocket": {"port": 8080}},
                    }
                ]
            }
        },
        "run.v2 Probe.periodSeconds: 'Maximum value for startup probe is 240'",
    ),
    # --- Cloud SQL ---------------------------------------------------------------------------
    (
        "sql-shared-core-enterprise-plus",
        "POST",
        SQL,
        {},
        _sql("db-g1-small"),
        "cloud.google.com/sql/docs/postgres/editions-intro: PG16+ default Enterprise Plus; "
        "shared-core tiers are Enterprise only ('Invalid Tier (db-g1-small) for (ENTERPRISE_PLUS)')",
    ),
    (
        "sql-perf-tier-enterprise",
        "POST",
        SQL,
        {},
        _sql("db-perf-optimized-N-2", edition="ENTERPRISE"),
        "cloud.google.com/sql/docs/postgres/editions-intro: db-perf-optimized-N is Enterprise Plus",
    ),
    (
        "sql-custom-tier-odd-cpus",
        "POST",
        SQL,
        {},
        _sql("db-custom-3-7680", edition="ENTERPRISE"),
        "cloud.google.com/sql/docs/postgres/instance-settings: custom CPUs 1 or an even number",
    ),
    (
        "sql-disk-below-10gb",
        "POST",
        SQL,
        {},
        _sql("db-f1-micro", edition="ENTERPRISE", dataDiskSizeGb="5"),
        "sqladmin.v1beta4 Settings.dataDiskSizeGb: 'The data disk size minimum is 10GB'",
    ),
    # --- Memorystore -------------------------------------------------------------------------
    (
        "redis-version-pattern",
        "POST",
        REDIS,
        {"instanceId": "a"},
        {"tier": "BASIC", "memorySizeGb": 1, "redisVersion": "REDIS_5_X"},
        "redis.v1 Instance.redisVersion: REDIS_3_2, REDIS_4_0, REDIS_5_0, REDIS_6_X, REDIS_7_0, ...",
    ),
    (
        "redis-tier-required",
        "POST",
        REDIS,
        {"instanceId": "a"},
        {"memorySizeGb": 1},
        "redis.v1 Instance.tier: 'Required.'",
    ),
    # --- Secret Manager ----------------------------------------------------------------------
    (
        "secret-payload-too-large",
        "POST",
        f"{P}/secrets/s:addVersion",
        {},
        {"payload": {"data": "QUFB" * 21846}},
        "secretmanager.v1 SecretPayload.data: 'Must be no larger than 64KiB'",
    ),
    # --- Cloud Armor -------------------------------------------------------------------------
    (
        "armor-priority-range",
        "POST",
        f"{ARMOR}/edge/addRule",
        {},
        _rule(priority=-1),
        "compute.v1 SecurityPolicyRule.priority: 'between 0 and 2147483647'",
    ),
    (
        "armor-11-ranges",
        "POST",
        f"{ARMOR}/edge/addRule",
        {},
        _rule(match=_ranges(11)),
        "compute.v1 SecurityPolicyRuleMatcherConfig.srcIpRanges: 'Maximum ... is 10'",
    ),
    (
        "armor-6-subexpressions",
        "POST",
        f"{ARMOR}/edge/addRule",
        {},
        _rule(match={"expr": {"expression": SUB6}}),
        "cloud.google.com/armor/docs/rules-language-reference: up to 5 subexpressions",
    ),
    (
        "armor-rate-options-on-deny",
        "POST",
        f"{ARMOR}/edge/addRule",
        {},
        _rule(rateLimitOptions=RATE),
        "compute.v1 SecurityPolicyRule.rateLimitOptions: 'Cannot be specified for any other actions'",
    ),
    (
        "armor-ban-on-throttle",
        "POST",
        f"{ARMOR}/edge/addRule",
        {},
        _rule(action="throttle", rateLimitOptions={**RATE, "banDurationSec": 600}),
        "compute.v1 RateLimitOptions.banDurationSec: only for rate_based_ban",
    ),
    (
        "armor-interval",
        "POST",
        f"{ARMOR}/edge/addRule",
        {},
        _rule(
            action="throttle",
            rateLimitOptions={**RATE, "rateLimitThreshold": {"count": 10, "intervalSec": 45}},
        ),
        "cloud.google.com/armor/docs/rate-limiting-overview: intervals 10, 30, 60, ... 3600 s",
    ),
    (
        "armor-deny-status",
        "POST",
        f"{ARMOR}/edge/addRule",
        {},
        _rule(action="deny(418)"),
        "compute.v1 SecurityPolicyRule.action: deny(STATUS) with 403, 404 or 502",
    ),
    # --- Cloud DNS ---------------------------------------------------------------------------
    (
        "dns-1001-additions",
        "POST",
        DNS,
        {},
        {"additions": [_rrset(f"h{i}.example.com.", "A", "192.0.2.1") for i in range(1001)]},
        "cloud.google.com/dns/quotas: 1,000 record-set additions per change",
    ),
    (
        "dns-101-records",
        "POST",
        DNS,
        {},
        {"additions": [_rrset("many.example.com.", "A", *(f"10.0.0.{i}" for i in range(101)))]},
        "cloud.google.com/dns/quotas: 100 records per record set",
    ),
    (
        "dns-txt-256-bytes",
        "POST",
        DNS,
        {},
        {"additions": [_rrset("t.example.com.", "TXT", '"' + "é" * 128 + '"')]},
        "RFC 1035 §3.3: a character-string is at most 255 octets",
    ),
    (
        "dns-outside-zone",
        "POST",
        DNS,
        {},
        {"additions": [_rrset("www.example.org.", "A", "192.0.2.1")]},
        "Cloud DNS changes.create: record sets must be in the zone's dnsName",
    ),
    (
        "dns-delete-apex-ns",
        "POST",
        DNS,
        {},
        {
            "deletions": [
                _rrset(
                    "example.com.",
                    "NS",
                    "ns-cloud-a1.googledomains.com.",
                    "ns-cloud-a2.googledomains.com.",
                )
            ]
        },
        "cloud.google.com/dns/docs/records: the default SOA/NS can be modified, never deleted",
    ),
    # --- Cloud Logging -----------------------------------------------------------------------
    (
        "logs-unknown-field",
        "POST",
        LOGS,
        {},
        {"resourceNames": ["projects/fake-project"], "query": "x"},
        "logging.v2 ListLogEntriesRequest has no 'query' property (it is 'filter')",
    ),
]


@pytest.fixture
def seeded(fake: Any) -> Any:
    requests.post(f"{fake.url}{P}/secrets", params={"secretId": "s"}, json={}, timeout=5)
    requests.post(f"{fake.url}{ARMOR}", json={"name": "edge"}, timeout=5)
    return fake


def _state(fake: Any) -> Any:
    with fake.lock:
        return repr(
            (
                fake.services,
                fake.secrets,
                fake.versions,
                fake.redis,
                fake.sql_instances,
                fake.rrsets,
                fake.policies,
            )
        )


def test_at_least_40_documented_invalid_requests_are_listed() -> None:
    assert len(INVALID) >= 40 and len({i[0] for i in INVALID}) == len(INVALID)
    assert all(citation for *_, citation in INVALID)


@pytest.mark.parametrize(
    ("case", "verb", "path", "query", "body", "citation"), INVALID, ids=[i[0] for i in INVALID]
)
def test_the_fake_refuses_what_google_documents_as_invalid(
    seeded: Any, case: str, verb: str, path: str, query: Any, body: Any, citation: str
) -> None:
    before = _state(seeded)
    r = requests.request(verb, seeded.url + path, params=query, json=body, timeout=10)
    assert 400 <= r.status_code < 500, (case, citation, r.status_code, r.text[:300])
    error = r.json()["error"]
    assert set(error) >= {"code", "message", "status", "details"}, error
    assert error["code"] == r.status_code and r.status_code == http_code(error["status"])
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert _state(seeded) == before, f"{case}: a refused request changed the fake's state"


def test_error_bodies_follow_code_proto(seeded: Any) -> None:
    op = requests.post(
        f"{seeded.url}{REDIS}",
        params={"instanceId": "noauth"},
        json={"tier": "BASIC", "memorySizeGb": 1},
        timeout=5,
    )
    assert op.status_code == 200
    r = requests.get(f"{seeded.url}{REDIS}/noauth/authString", timeout=5)
    assert r.status_code == 400 and r.json()["error"]["status"] == "FAILED_PRECONDITION"
    r = requests.get(f"{seeded.url}{P}/secrets/nope", timeout=5)
    assert r.status_code == 404 and r.json()["error"]["status"] == "NOT_FOUND"
    assert "errors" not in r.json()["error"]  # v2 APIs answer the Status only
    r = requests.get(f"{seeded.url}/dns/v1/projects/fake-project/managedZones/nope", timeout=5)
    assert r.json()["error"]["errors"][0]["reason"] == "notFound"  # apiary v1 errors too
    bad = requests.post(f"{seeded.url}{RUN}", params={"serviceId": "a"}, json={"x": 1}, timeout=5)
    violation = bad.json()["error"]["details"][1]
    assert violation["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert violation["fieldViolations"][0]["field"] == "x"


def test_output_only_fields_are_ignored_not_refused(seeded: Any) -> None:
    """google/api/field_behavior.proto: OUTPUT_ONLY "the server must ignore it and must not
    throw an error as a result of the field's presence"."""
    body = {**_run(), "uid": "mine", "generation": "99", "conditions": [{"type": "x"}]}
    r = requests.post(f"{seeded.url}{RUN}", params={"serviceId": "a"}, json=body, timeout=5)
    assert r.status_code == 200, r.text
    svc = seeded.services["projects/fake-project/locations/us-central1/services/a"]
    assert svc["uid"] != "mine" and svc["generation"] == "1"
    assert seeded.requests[-1][4] == ["uid", "generation", "conditions"]


def test_every_route_is_a_documented_method() -> None:
    from cloudcore_gcp.testing import FakeGCP

    fake = FakeGCP()
    routes = fake._routes
    assert len(routes) >= 40
    for m, _ in routes:
        assert m.api in APIS and method(m.api, m.id) == m
        assert m.template.lstrip("/").startswith(document(m.api).get("servicePath", ""))


def test_the_fakes_answers_are_documented_shapes() -> None:
    """After a driver run through every capability, what the fake answers to plain reads has
    only fields the response schemas document, with their documented types."""
    with fake_target() as cloud:
        fake = cloud.fake
        cloud.store_secret("k", "v")
        cloud.deploy_service("api", {"image": "nginx", "port": 8080, "secrets": {"K": "k"}})
        cloud.provision_database(DatabaseConfig(name="db"))
        cloud.provision_cache(CacheConfig(name="c"))
        cloud.create_dns_record("www.example.com", "192.0.2.1")
        cloud.configure_waf([IPRule(cidrs=("192.0.2.0/24",)), RateLimitRule(requests=5)])
        cloud.backup_database("db")
        reads = [
            ("run.v2", "GoogleCloudRunV2ListServicesResponse", RUN),
            ("secretmanager.v1", "ListSecretsResponse", f"{P}/secrets"),
            ("secretmanager.v1", "ListSecretVersionsResponse", f"{P}/secrets/k/versions"),
            ("redis.v1", "ListInstancesResponse", REDIS),
            ("sqladmin.v1beta4", "InstancesListResponse", SQL),
            ("sqladmin.v1beta4", "BackupRunsListResponse", f"{SQL}/db/backupRuns"),
            ("sqladmin.v1beta4", "DatabasesListResponse", f"{SQL}/db/databases"),
            ("sqladmin.v1beta4", "UsersListResponse", f"{SQL}/db/users"),
            ("dns.v1", "ManagedZonesListResponse", "/dns/v1/projects/fake-project/managedZones"),
            (
                "dns.v1",
                "ResourceRecordSetsListResponse",
                "/dns/v1/projects/fake-project/managedZones/example-com/rrsets",
            ),
            ("compute.v1", "SecurityPolicyList", ARMOR),
        ]
        for api, schema, path in reads:
            body = requests.get(fake.url + path, timeout=5).json()
            try:
                check_answer(api, schema, body)
            except Invalid as exc:
                pytest.fail(f"{path}: {exc.message}")
        assert wire_counter_for(cloud) is fake.wire
