"""Error mapping over the wire (injected faults, Google error bodies) and Secret Manager."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from google.api_core import exceptions as gexc

import cloudcore
from cloudcore.errors import (
    AlreadyExists,
    AuthenticationError,
    Conflict,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    TransientError,
)
from cloudcore.testing.faults import Fault
from cloudcore_gcp._errors import map_error
from cloudcore_gcp.secrets import key_of, secret_id


def test_throttle_maps_to_rate_limited_with_retry_after(gcp_no_retry: Any, fake: Any) -> None:
    gcp_no_retry.store_secret("k", "v")
    fake.faults.inject(Fault("throttle", mutating=False, retry_after=7))
    with pytest.raises(RateLimited) as err:
        gcp_no_retry.get_secret("k")
    assert err.value.retry_after == 7 and err.value.retryable
    fake.faults.inject(Fault("transient", mutating=False))
    with pytest.raises(TransientError):
        gcp_no_retry.get_secret("k")
    with pytest.raises(NotFound):
        gcp_no_retry.get_secret("missing")


def test_reads_are_retried_and_unsafe_writes_are_not(gcp: Any, fake: Any) -> None:
    gcp.store_secret("k", "v1")
    fake.faults.inject(Fault("throttle", mutating=False, retry_after=0.01, times=2))
    assert gcp.get_secret("k").get_secret_value() == "v1"
    fake.log.clear()
    fake.faults.inject(Fault("transient", api=":addVersion", mutating=True))
    with pytest.raises(TransientError):
        gcp.store_secret("k", "v2")  # not idempotent: sent once, never repeated
    assert [p for _, p, _ in fake.log if p.endswith(":addVersion")] == [
        "/v1/projects/fake-project/secrets/k:addVersion"
    ]
    assert [v.version for v in gcp.list_secret_versions("k")] == ["1"]


def test_status_codes_map_unambiguously() -> None:
    cases = {
        400: type(None),
        401: AuthenticationError,
        403: PermissionDenied,
        404: NotFound,
        412: Conflict,
        429: RateLimited,
        500: TransientError,
        503: TransientError,
    }
    for code, expected in cases.items():
        mapped = map_error(gexc.from_http_status(code, "boom"))
        assert isinstance(mapped, expected), (code, mapped)
    assert isinstance(map_error(gexc.AlreadyExists("dup")), AlreadyExists)
    assert isinstance(map_error(gexc.Aborted("etag")), Conflict)
    retry = gexc.RetryError("deadline", cause=gexc.NotFound("gone"))
    assert isinstance(map_error(retry), NotFound)
    assert isinstance(map_error(gexc.RetryError("deadline", cause=None)), TransientError)
    assert map_error(ValueError("unknown")) is None


def test_conflict_status_in_the_body_decides(gcp_no_retry: Any, fake: Any) -> None:
    client = gcp_no_retry.clients.secrets()
    client.create_secret(parent="projects/fake-project", secret_id="dup", secret={}, retry=None)
    with pytest.raises(gexc.Conflict) as err:
        client.create_secret(parent="projects/fake-project", secret_id="dup", secret={}, retry=None)
    assert isinstance(map_error(err.value), AlreadyExists)


def test_unknown_errors_keep_their_cause(gcp_no_retry: Any) -> None:
    # a provider extra the driver passes through as given, which Cloud Run refuses
    config = {"image": "nginx", "extras": {"service_account": "not-an-email"}}
    with pytest.raises(ProviderError, match="serviceAccount") as err:
        gcp_no_retry.deploy_service("api", config)
    assert isinstance(err.value.__cause__, gexc.BadRequest)


@pytest.mark.parametrize("key", ["a", "db/password", "x_y.z", "a__b/_d", "A-b.c/d_e"])
def test_secret_ids_are_reversible(key: str) -> None:
    sid = secret_id(key)
    assert set(sid) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    assert key_of(sid) == key


def test_secret_versions_names_and_values_never_leak(
    gcp: Any, fake: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    value = "hunter2-do-not-print"
    with cloudcore.record() as rec:
        assert gcp.store_secret("app/db.password", value) == "1"
        assert gcp.store_secret("app/db.password", value + "-2") == "2"
    assert gcp.get_secret("app/db.password", "1").get_secret_value() == value
    assert gcp.get_secret("app/db.password").get_secret_value() == value + "-2"
    assert gcp.list_secrets() == ["app/db.password"]
    assert [v.version for v in gcp.list_secret_versions("app/db.password")] == ["1", "2"]
    meta = fake.secrets["projects/fake-project/secrets/app_sdb_dpassword"]
    assert meta["annotations"] == {"cloudcore-key": "app/db.password"}
    assert meta["labels"]["managed-by"] == "cloudcore"
    texts = [caplog.text, repr(gcp.get_secret("app/db.password")), *map(repr, rec.api_calls)]
    texts += [repr(r) for r in gcp.list_resources()]
    assert not [t for t in texts if value in t]


def test_secrets_cloudcore_does_not_manage_are_untouched(gcp: Any, fake: Any) -> None:
    fake.secrets["projects/fake-project/secrets/theirs"] = {
        "name": "projects/fake-project/secrets/theirs",
        "labels": {},
    }
    fake.versions["projects/fake-project/secrets/theirs"] = []
    assert "theirs" not in gcp.list_secrets()
    with pytest.raises(Conflict):
        gcp.store_secret("theirs", "x")
    with pytest.raises(Conflict):
        gcp.delete_secret("theirs")
    assert fake.versions["projects/fake-project/secrets/theirs"] == []
    gcp.delete_secret("never-existed")


def test_a_download_cut_mid_body_is_transient() -> None:
    import requests

    from cloudcore.errors import TransientError

    cut = requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead(299387)")
    assert isinstance(map_error(cut), TransientError)
