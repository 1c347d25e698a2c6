"""The fake GCP APIs on the wire: Google error bodies, page tokens, enums, operations, faults."""

from __future__ import annotations

from typing import Any

import requests

from cloudcore.testing.faults import Fault

P = "/v1/projects/fake-project"
L = "/v1/projects/fake-project/locations/us-central1"


def test_google_error_bodies_and_unknown_methods(fake: Any) -> None:
    r = requests.get(f"{fake.url}{P}/secrets/nope", timeout=5)
    assert r.status_code == 404
    assert r.json()["error"]["status"] == "NOT_FOUND" and r.json()["error"]["code"] == 404
    r = requests.post(f"{fake.url}/v9/whatever", json={}, timeout=5)
    assert r.status_code == 404 and "no such method" in r.json()["error"]["message"]
    r = requests.post(f"{fake.url}{P}/secrets?secretId=a", data=b"{not json", timeout=5)
    assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_page_tokens_walk_every_item_once(fake: Any) -> None:
    for i in range(12):
        requests.post(f"{fake.url}{P}/secrets?secretId=s{i:02d}", json={}, timeout=5)
    seen, token, pages = [], "", 0
    while True:
        body = requests.get(
            f"{fake.url}{P}/secrets", params={"pageSize": 100, "pageToken": token}, timeout=5
        ).json()
        pages += 1
        seen += [s["name"].rsplit("/", 1)[1] for s in body["secrets"]]
        token = body.get("nextPageToken", "")
        if not token:
            break
    assert seen == [f"s{i:02d}" for i in range(12)] and pages == 3  # capped at 5 per page


def test_enums_are_names_unless_integers_are_asked_for(fake: Any) -> None:
    ints = {"$alt": "json;enum-encoding=int"}
    for iid, tier, params in (("a", 3, ints), ("b", "STANDARD_HA", {})):
        op = requests.post(
            f"{fake.url}{L}/instances",
            params={"instanceId": iid, **params},
            json={"tier": tier, "memorySizeGb": 5},
            timeout=5,
        ).json()
        assert op["done"] is True
        assert op["response"]["tier"] == (3 if params else "STANDARD_HA")
        assert op["metadata"]["@type"].endswith("google.cloud.redis.v1.OperationMetadata")
        again = requests.get(f"{fake.url}/v1/{op['name']}", params=params, timeout=5).json()
        assert again == op
    assert fake.redis[f"{L[4:]}/instances/a"]["tier"] == "STANDARD_HA"  # stored as names
    bad = requests.post(
        f"{fake.url}{L}/instances?instanceId=c", json={"tier": "HUGE", "memorySizeGb": 1}, timeout=5
    )
    assert bad.status_code == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT"
    sql = requests.post(
        f"{fake.url}/sql/v1beta4/projects/fake-project/instances",
        params=ints,
        json={
            "name": "db",
            "databaseVersion": "POSTGRES_16",
            "settings": {"tier": "db-f1-micro", "edition": 2, "availabilityType": "REGIONAL"},
        },
        timeout=5,
    ).json()
    assert sql["kind"] == "sql#operation" and sql["status"] == 3  # DONE, as asked: an integer
    got = requests.get(
        f"{fake.url}/sql/v1beta4/projects/fake-project/operations/{sql['name']}", timeout=5
    )
    assert got.json()["targetId"] == "db" and got.json()["status"] == "DONE"
    assert fake.sql_instances["db"]["settings"]["availabilityType"] == "REGIONAL"
    assert fake.sql_instances["db"]["settings"]["edition"] == "ENTERPRISE"


def test_fault_queue_answers_429_with_retry_after_then_recovers(fake: Any) -> None:
    fake.faults.inject(Fault("throttle", api="/secrets", mutating=False, retry_after=2))
    r = requests.get(f"{fake.url}{P}/secrets", timeout=5)
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    assert r.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    fake.faults.inject(Fault("transient", mutating=True))
    assert requests.get(f"{fake.url}{P}/secrets", timeout=5).status_code == 200  # reads pass
    assert requests.post(f"{fake.url}{P}/secrets?secretId=x", json={}, timeout=5).status_code == 503
    assert requests.post(f"{fake.url}{P}/secrets?secretId=x", json={}, timeout=5).status_code == 200


def test_the_driver_polls_operations_until_done(gcp: Any, fake: Any) -> None:
    from cloudcore.models import CacheConfig, DatabaseConfig, IPRule

    fake.operation_polls = 2
    fake.log.clear()
    assert gcp.deploy_service("api", {"image": "nginx", "port": 8080}).changed
    gcp.provision_database(DatabaseConfig(name="db"))
    gcp.provision_cache(CacheConfig(name="cache", auth=False))
    gcp.configure_waf([IPRule(cidrs=("192.0.2.0/24",))])
    polls = [p for _, p, _ in fake.log if "/operations/" in p]
    assert len([p for p in polls if p.startswith("/v2/")]) == 2  # Cloud Run LRO
    assert len([p for p in polls if p.startswith("/v1/")]) == 2  # Memorystore LRO
    assert len([p for p in polls if p.startswith("/sql/")]) == 2 * 3  # instance, database, user
    assert len([p for p in polls if p.startswith("/compute/")]) == 2  # Cloud Armor insert
    assert gcp.get_service_status("api").state.value == "running"


def test_the_wire_tally_counts_on_the_server_side(gcp: Any, fake: Any) -> None:
    from cloudcore.testing.wire import wire_counter_for
    from cloudcore_gcp.testing import connect_to, fake_target

    assert wire_counter_for(connect_to(fake)) is fake.wire
    with fake_target() as cloud:
        assert wire_counter_for(cloud) is cloud.fake.wire

    before = fake.wire.snapshot()
    gcp.store_secret("k", "v")  # GET secret (404), POST secrets, POST :addVersion
    seen = fake.wire.since(before)
    assert (seen.requests, seen.mutating) == (3, 2)
    assert [w.split(" ", 1)[0] for w in seen.writes] == ["POST", "POST"]

    before = fake.wire.snapshot()
    gcp.get_secret("k")  # GET .../versions/latest:access reads
    gcp.deploy_service("api", {"image": "nginx", "port": 8080})
    reads_before_logs = fake.wire.snapshot()
    gcp.get_logs("api")  # POST entries:list only reads
    logs = fake.wire.since(reads_before_logs)
    assert logs.requests >= 2 and logs.mutating == 0
    assert fake.wire.since(before).mutating >= 1  # the deploy's create

    before = fake.wire.snapshot()
    gcp.deploy_service("api", {"image": "nginx", "port": 8080})  # unchanged: reads only
    assert fake.wire.since(before).mutating == 0

    before = fake.wire.snapshot()  # refused and faulted requests are counted too
    requests.post(f"{fake.url}{P}/secrets?secretId=bad/id", json={}, timeout=5)
    fake.faults.inject(Fault("transient", mutating=True))
    requests.post(f"{fake.url}{P}/secrets?secretId=x", json={}, timeout=5)
    requests.get(f"{fake.url}/nowhere", timeout=5)
    seen = fake.wire.since(before)
    assert (seen.requests, seen.mutating) == (3, 2)
