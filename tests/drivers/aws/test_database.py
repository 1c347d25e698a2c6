"""RDS: managed master password, idempotent provisioning, snapshots, restore, final snapshot."""

from __future__ import annotations

from typing import Any

import pytest

import cloudcore
from cloudcore import AlreadyExists, DatabaseConfig, NotFound
from cloudcore_aws.testing import MotoTarget


def test_provision_uses_a_managed_password_and_is_idempotent(aws: MotoTarget) -> None:
    cloud = aws.provider
    config = DatabaseConfig(name="main", high_availability=True, size="medium")
    endpoint = cloud.provision_database(config)
    assert endpoint.host.startswith("main.") and endpoint.port == 5432
    assert endpoint.high_availability and endpoint.username == "app"
    assert endpoint.password_secret and endpoint.password_secret.startswith("rds!db-")
    assert "password" not in endpoint.model_dump_json().lower().replace("password_secret", "")
    db = aws.client("rds").describe_db_instances(DBInstanceIdentifier="main")["DBInstances"][0]
    assert db["DBInstanceClass"] == "db.t4g.medium"
    assert db["MultiAZ"] and db["StorageEncrypted"] and db["BackupRetentionPeriod"] == 7
    assert db["DBParameterGroups"][0]["DBParameterGroupName"] == "cloudcore-postgres16"
    assert db["DBSubnetGroup"]["DBSubnetGroupName"] == "cloudcore"
    secret = aws.client("secretsmanager").describe_secret(
        SecretId=db["MasterUserSecret"]["SecretArn"]
    )
    assert secret["Name"] == endpoint.password_secret
    with cloudcore.record() as rec:
        assert cloud.provision_database(config) == endpoint
    assert rec.mutating_calls() == []
    with pytest.raises(AlreadyExists, match="high_availability"):
        cloud.provision_database(DatabaseConfig(name="main", size="medium"))


def test_backup_list_restore(aws: MotoTarget) -> None:
    cloud = aws.provider
    cloud.provision_database(DatabaseConfig(name="main"))
    backup = cloud.backup_database("main")
    assert backup.database == "main" and backup.status == "available"
    assert backup.id in [b.id for b in cloud.list_backups("main")]
    restored = cloud.restore_database(backup, "main-copy")
    assert restored.name == "main-copy" and restored.password_secret
    with pytest.raises(AlreadyExists):
        cloud.restore_database(backup, "main-copy")
    with pytest.raises(NotFound):
        cloud.restore_database("no-such-snapshot", "other")
    with pytest.raises(NotFound):
        cloud.backup_database("nope")


def test_delete_keeps_a_final_snapshot_by_default(aws: MotoTarget) -> None:
    cloud = aws.provider
    cloud.provision_database(DatabaseConfig(name="main"))
    cloud.delete_database("main")
    cloud.delete_database("main")  # already gone
    assert any(b.id.startswith("main-final-") for b in cloud.list_backups("main"))


def test_delete_without_final_snapshot_when_asked(aws: MotoTarget) -> None:
    from cloudcore_aws.provider import AWSProvider

    cloud = AWSProvider(
        region="us-east-1",
        endpoint_url=aws.url,
        final_snapshot=False,
        session=aws.provider._aws.boto_session(),
    )
    cloud.provision_database(DatabaseConfig(name="scratch"))
    with cloudcore.record() as rec:
        cloud.delete_database("scratch")
    assert [c.operation for c in rec.mutating_calls()] == ["DeleteDBInstance"]
    assert not any(b.id.startswith("scratch-final-") for b in cloud.list_backups("scratch"))


def test_foreign_database_is_refused(aws: MotoTarget, cloud: Any) -> None:
    aws.client("rds").create_db_instance(
        DBInstanceIdentifier="legacy",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="x",
        MasterUserPassword="x" * 12,
    )
    with pytest.raises(cloudcore.Conflict):
        cloud.delete_database("legacy")


def test_managed_password_secret_is_readable_and_injectable(cloud: Any) -> None:
    """The endpoint names RDS's own secret (``rds!db-<uuid>``); cloudcore reads and injects it."""
    endpoint = cloud.provision_database(DatabaseConfig(name="pwdb"))
    assert endpoint.password_secret is not None
    assert endpoint.password_secret.startswith("rds!db-")
    assert cloud.get_secret(endpoint.password_secret).get_secret_value()
    config = cloudcore.ServiceConfig(
        image="nginx:1.27", port=80, secrets={"DB_PASSWORD": endpoint.password_secret}
    )
    assert config.secrets["DB_PASSWORD"].key == endpoint.password_secret
