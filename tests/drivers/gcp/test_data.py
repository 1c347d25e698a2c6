"""Cloud SQL and Memorystore mapping: tiers, HA, generated passwords, backups, restore."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import cloudcore
from cloudcore.errors import AlreadyExists, NotFound
from cloudcore.models import CacheConfig, DatabaseConfig

REDIS = "projects/fake-project/locations/us-central1/instances/"


def test_database_maps_size_ha_and_labels(gcp: Any, fake: Any) -> None:
    ep = gcp.provision_database(
        DatabaseConfig(name="orders", size="medium", high_availability=True, version="15")
    )
    inst = fake.sql_instances["orders"]
    assert inst["settings"]["tier"] == "db-custom-2-7680"
    assert inst["settings"]["edition"] == "ENTERPRISE"
    assert inst["settings"]["availabilityType"] == "REGIONAL"  # sent as an integer enum
    assert inst["databaseVersion"] == "POSTGRES_15"
    assert inst["settings"]["userLabels"]["managed-by"] == "cloudcore"
    assert set(fake.sql_databases["orders"]) == {"postgres", "app"}
    assert set(fake.sql_users["orders"]) == {"postgres", "app"}
    assert ep.high_availability and ep.status == "RUNNABLE" and ep.port == 5432
    assert ep.password_secret == "db-orders-password"
    assert ep.password_secret in gcp.list_secrets()


def test_generated_password_stays_secret(gcp: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with cloudcore.record() as rec:
        ep = gcp.provision_database(DatabaseConfig(name="orders"))
    password = gcp.get_secret(ep.password_secret).get_secret_value()
    assert len(password) >= 24
    seen = [repr(ep), caplog.text, *(repr(e) for e in rec.api_calls), *map(repr, rec.operations)]
    seen += [repr(r) for r in gcp.list_resources()]
    assert not [s for s in seen if password in s]


def test_provision_is_idempotent_and_refuses_another_config(gcp: Any) -> None:
    gcp.provision_database(DatabaseConfig(name="orders"))
    with cloudcore.record() as rec:
        gcp.provision_database(DatabaseConfig(name="orders"))
    assert rec.mutating_calls() == []
    with pytest.raises(AlreadyExists, match="size/tier"):
        gcp.provision_database(DatabaseConfig(name="orders", size="large"))


def test_backup_restore_into_a_new_instance(gcp: Any, fake: Any) -> None:
    gcp.provision_database(DatabaseConfig(name="orders", database="shop", username="owner"))
    backup = gcp.backup_database("orders")
    assert backup.id.startswith("orders/") and backup.status == "available"
    assert [b.id for b in gcp.list_backups("orders")] == [backup.id]
    restored = gcp.restore_database(backup, "orders-copy")
    assert restored.database == "shop" and restored.username == "owner"
    assert set(fake.sql_databases["orders-copy"]) == {"postgres", "shop"}
    assert fake.sql_instances["orders-copy"]["settings"]["userLabels"]["cloudcore-name"] == (
        "orders-copy"
    )
    source = gcp.get_secret("db-orders-password").get_secret_value()
    assert gcp.get_secret(restored.password_secret).get_secret_value() == source
    with pytest.raises(AlreadyExists):
        gcp.restore_database(backup, "orders-copy")
    with pytest.raises(NotFound):
        gcp.restore_database("orders/999", "other")
    with pytest.raises(NotFound):
        gcp.restore_database("not-a-backup-id", "other")


def test_delete_database_and_its_password(gcp: Any, fake: Any) -> None:
    gcp.provision_database(DatabaseConfig(name="orders"))
    gcp.delete_database("orders")
    gcp.delete_database("orders")
    assert "orders" not in fake.sql_instances
    assert "db-orders-password" not in gcp.list_secrets()


def test_cache_ha_auth_and_tls(gcp: Any, fake: Any) -> None:
    ep = gcp.provision_cache(
        CacheConfig(name="sessions", size="medium", high_availability=True, tls=True)
    )
    inst = fake.redis[REDIS + "sessions"]
    assert inst["tier"] == "STANDARD_HA" and inst["memorySizeGb"] == 5
    assert inst["transitEncryptionMode"] == "SERVER_AUTHENTICATION" and ep.tls and ep.port == 6378
    assert ep.high_availability and ep.auth_secret == "cache-sessions-auth"
    assert gcp.get_secret(ep.auth_secret).get_secret_value() == inst["_auth"]
    with cloudcore.record() as rec:
        gcp.provision_cache(
            CacheConfig(name="sessions", size="medium", high_availability=True, tls=True)
        )
    assert rec.mutating_calls() == []
    with pytest.raises(AlreadyExists, match="high_availability"):
        gcp.provision_cache(CacheConfig(name="sessions", size="medium", tls=True))
    basic = gcp.provision_cache(CacheConfig(name="plain", auth=False))
    assert fake.redis[REDIS + "plain"]["tier"] == "BASIC" and basic.auth_secret is None
    gcp.delete_cache("sessions")
    gcp.delete_cache("sessions")
    assert "cache-sessions-auth" not in gcp.list_secrets()


def test_restore_holds_the_backed_up_rows(gcp: Any) -> None:
    from cloudcore.testing.probes import probe_for

    probe = probe_for(gcp)
    assert probe is not None
    source = gcp.provision_database(DatabaseConfig(name="orders"))
    probe.write_marker(source, "before")
    backup = gcp.backup_database("orders")
    probe.write_marker(source, "after")
    restored = gcp.restore_database(backup, "orders-copy")
    assert probe.read_markers(restored) == ["before"]
    assert probe.read_markers(source) == ["before", "after"]
