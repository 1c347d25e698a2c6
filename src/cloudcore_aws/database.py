"""RDS PostgreSQL: subnet and parameter groups, instances, snapshots, restore.

* The master password is managed by RDS in Secrets Manager (``ManageMasterUserPassword``): it is
  never generated, seen or returned by cloudcore. ``DatabaseEndpoint.password_secret`` is the
  name of that secret (``rds!db-...``).
* Size classes map to instance classes (``extras["instance_class"]`` overrides):
  micro ``db.t4g.micro``, small ``db.t4g.small``, medium ``db.t4g.medium``, large
  ``db.m7g.large``, xlarge ``db.m7g.xlarge``.
* ``backup_database`` is a manual snapshot; ``list_backups`` lists manual and automated ones.
* ``delete_database`` keeps a final snapshot (``<name>-final-<UTC time>``) unless the provider was
  built with ``final_snapshot=False``; automated backups are kept too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cloudcore.errors import AlreadyExists, Conflict, NotFound
from cloudcore.models import BackupRef, DatabaseConfig, DatabaseEndpoint, SizeClass

from ._base import AWSBase, check_extras, kv_tags, tag_dict
from ._errors import error_code
from ._limits import check_database, check_db_instance_id

__all__ = ["DB_CLASSES", "DEFAULT_POSTGRES", "SUBNET_GROUP", "AWSDatabase"]

DB_CLASSES: dict[SizeClass, str] = {
    SizeClass.MICRO: "db.t4g.micro",
    SizeClass.SMALL: "db.t4g.small",
    SizeClass.MEDIUM: "db.t4g.medium",
    SizeClass.LARGE: "db.m7g.large",
    SizeClass.XLARGE: "db.m7g.xlarge",
}
DEFAULT_POSTGRES = "16"
SUBNET_GROUP = "cloudcore"
VERSION_TAG = "cloudcore-version"
"""Tag holding the version a database was asked for (``""`` for the default)."""
DB_EXTRAS = frozenset({"instance_class", "kms_key_id", "deletion_protection", "storage_type"})


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")


class AWSDatabase(AWSBase):
    """The database capability (RDS for PostgreSQL)."""

    def _rds(self) -> Any:
        return self._client("rds")

    def _describe_db(self, name: str) -> dict[str, Any] | None:
        try:
            found = self._rds().describe_db_instances(DBInstanceIdentifier=name)["DBInstances"]
        except Exception as exc:
            if error_code(exc) in ("DBInstanceNotFound", "DBInstanceNotFoundFault"):
                return None
            raise
        return dict(found[0]) if found else None

    def _ensure_db_subnet_group(self) -> str | None:
        if not self.subnets:
            return None
        rds = self._rds()
        try:
            rds.describe_db_subnet_groups(DBSubnetGroupName=SUBNET_GROUP)
        except Exception as exc:
            if error_code(exc) != "DBSubnetGroupNotFoundFault":
                raise
            rds.create_db_subnet_group(
                DBSubnetGroupName=SUBNET_GROUP,
                DBSubnetGroupDescription="cloudcore databases",
                SubnetIds=list(self.subnets),
                Tags=kv_tags(self._tags(SUBNET_GROUP)),
            )
        return SUBNET_GROUP

    def _ensure_parameter_group(self, major: str) -> str:
        name = f"cloudcore-postgres{major}"
        rds = self._rds()
        try:
            exists = bool(
                rds.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"]
            )
        except Exception as exc:
            if error_code(exc) not in ("DBParameterGroupNotFound", "DBParameterGroupNotFoundFault"):
                raise
            exists = False  # AWS raises; moto answers with an empty list
        if not exists:
            rds.create_db_parameter_group(
                DBParameterGroupName=name,
                DBParameterGroupFamily=f"postgres{major}",
                Description=f"cloudcore PostgreSQL {major}",
                Tags=kv_tags(self._tags(name)),
            )
            rds.modify_db_parameter_group(
                DBParameterGroupName=name,
                Parameters=[
                    {
                        "ParameterName": "rds.force_ssl",
                        "ParameterValue": "1",
                        "ApplyMethod": "pending-reboot",
                    }
                ],
            )
        return name

    def _endpoint(self, db: dict[str, Any]) -> DatabaseEndpoint:
        endpoint = db.get("Endpoint") or {}
        secret = (db.get("MasterUserSecret") or {}).get("SecretArn")
        return DatabaseEndpoint(
            name=str(db["DBInstanceIdentifier"]),
            host=str(endpoint.get("Address", "")),
            port=int(endpoint.get("Port") or db.get("DbInstancePort") or 5432),
            database=str(db.get("DBName") or "postgres"),
            username=str(db.get("MasterUsername", "")),
            password_secret=_secret_name(secret) if secret else None,
            status=str(db.get("DBInstanceStatus", "unknown")),
            high_availability=bool(db.get("MultiAZ")),
            provider_id=db.get("DBInstanceArn"),
        )

    def _wait_available(self, name: str) -> dict[str, Any]:
        def poll() -> dict[str, Any] | None:
            db = self._describe_db(name)
            if db and db.get("DBInstanceStatus") == "available" and db.get("Endpoint"):
                return db
            return None

        return self._wait(f"database {name!r} to become available", poll)

    # ----------------------------------------------------------- provision
    def _provision_database(self, config: DatabaseConfig) -> DatabaseEndpoint:
        check_extras(config.extras, DB_EXTRAS, "config")
        instance_class = str(config.extras.get("instance_class", DB_CLASSES[config.size]))
        version = config.version or DEFAULT_POSTGRES
        check_database(config, instance_class, version)  # what RDS refuses and moto accepts
        existing = self._describe_db(config.name)
        if existing is not None and existing.get("DBInstanceStatus") == "deleting":
            raise Conflict(f"database {config.name!r} is still being deleted; try again later")
        if existing is not None:
            self._refuse_unmanaged(tag_dict(existing.get("TagList")), f"database {config.name!r}")
            diffs = _differences(existing, config, instance_class)
            if diffs:
                raise AlreadyExists(
                    f"database {config.name!r} exists with a different config: " + "; ".join(diffs)
                )
            if existing.get("DBInstanceStatus") != "available":
                existing = self._wait_available(config.name)
            return self._endpoint(existing)
        major = version.split(".")[0]
        args: dict[str, Any] = {
            "DBInstanceIdentifier": config.name,
            "DBInstanceClass": instance_class,
            "Engine": "postgres",
            "EngineVersion": version,
            "AllocatedStorage": config.storage_gb,
            "DBName": config.database,
            "MasterUsername": config.username,
            "ManageMasterUserPassword": True,
            "MultiAZ": config.high_availability,
            "BackupRetentionPeriod": config.backup_retention_days,
            "StorageEncrypted": config.encrypted,
            "DBParameterGroupName": self._ensure_parameter_group(major),
            "CopyTagsToSnapshot": True,
            "PubliclyAccessible": False,
            "DeletionProtection": bool(config.extras.get("deletion_protection", False)),
            # the version asked for ("" for none), so read-back returns it, not the default
            "Tags": kv_tags(
                self._tags(config.name, {**config.tags, VERSION_TAG: config.version or ""})
            ),
        }
        if "storage_type" in config.extras:
            args["StorageType"] = str(config.extras["storage_type"])
        if config.encrypted and "kms_key_id" in config.extras:
            args["KmsKeyId"] = str(config.extras["kms_key_id"])
        group = self._ensure_db_subnet_group()
        if group:
            args["DBSubnetGroupName"] = group
        if self.security_groups:
            args["VpcSecurityGroupIds"] = list(self.security_groups)
        self._rds().create_db_instance(**args)
        return self._endpoint(self._wait_available(config.name))

    # ------------------------------------------------------------- backups
    def _backup_database(self, name: str) -> BackupRef:
        db = self._describe_db(name)
        if db is None:
            raise NotFound(f"no database {name!r}")
        self._refuse_unmanaged(tag_dict(db.get("TagList")), f"database {name!r}")
        snap_id = f"{name}-{_stamp()}"
        snap = self._rds().create_db_snapshot(
            DBSnapshotIdentifier=snap_id,
            DBInstanceIdentifier=name,
            Tags=kv_tags(self._tags(snap_id, {"cloudcore-database": name})),
        )["DBSnapshot"]
        return _backup(snap, self.name)

    def _list_backups(self, name: str) -> list[BackupRef]:
        found: list[BackupRef] = []
        pages = (
            self._rds().get_paginator("describe_db_snapshots").paginate(DBInstanceIdentifier=name)
        )
        for page in pages:
            for snap in page.get("DBSnapshots", []):
                found.append(_backup(snap, self.name))
        return sorted(found, key=lambda b: b.created_at)

    def _restore_database(self, backup_id: str, new_name: str) -> DatabaseEndpoint:
        check_db_instance_id(new_name, "new_name")
        rds = self._rds()
        snaps = rds.describe_db_snapshots(DBSnapshotIdentifier=backup_id)["DBSnapshots"]
        source = self._describe_db(str(snaps[0].get("DBInstanceIdentifier"))) if snaps else None
        args: dict[str, Any] = {
            "DBInstanceIdentifier": new_name,
            "DBSnapshotIdentifier": backup_id,
            "CopyTagsToSnapshot": True,
            "PubliclyAccessible": False,
            "Tags": kv_tags(self._tags(new_name, {"cloudcore-restored-from": backup_id})),
        }
        if source is not None:
            args["DBInstanceClass"] = source["DBInstanceClass"]
            args["MultiAZ"] = bool(source.get("MultiAZ"))
            groups = source.get("DBParameterGroups") or []
            if groups:
                args["DBParameterGroupName"] = groups[0]["DBParameterGroupName"]
        group = self._ensure_db_subnet_group()
        if group:
            args["DBSubnetGroupName"] = group
        if self.security_groups:
            args["VpcSecurityGroupIds"] = list(self.security_groups)
        args["ManageMasterUserPassword"] = True
        rds.restore_db_instance_from_db_snapshot(**args)
        return self._endpoint(self._wait_available(new_name))

    def _delete_database(self, name: str) -> None:
        db = self._describe_db(name)
        if db is None or db.get("DBInstanceStatus") == "deleting":
            return
        self._refuse_unmanaged(tag_dict(db.get("TagList")), f"database {name!r}")
        args: dict[str, Any] = {"DBInstanceIdentifier": name, "DeleteAutomatedBackups": True}
        if self.final_snapshot:
            args["SkipFinalSnapshot"] = False
            args["FinalDBSnapshotIdentifier"] = f"{name}-final-{_stamp()}"
        else:
            args["SkipFinalSnapshot"] = True
        try:
            self._rds().delete_db_instance(**args)
        except Exception as exc:
            if error_code(exc) not in ("DBInstanceNotFound", "DBInstanceNotFoundFault"):
                raise


def _secret_name(arn: str) -> str:
    """``rds!db-...`` from the secret's ARN (AWS appends ``-`` and six random characters)."""
    tail = arn.split(":secret:", 1)[-1]
    return tail.rsplit("-", 1)[0] if "-" in tail else tail


def _differences(db: dict[str, Any], config: DatabaseConfig, instance_class: str) -> list[str]:
    diffs = []
    checks: list[tuple[str, Any, Any]] = [
        ("engine", db.get("Engine"), "postgres"),
        ("instance class", db.get("DBInstanceClass"), instance_class),
        ("high_availability", bool(db.get("MultiAZ")), config.high_availability),
        ("backup_retention_days", db.get("BackupRetentionPeriod"), config.backup_retention_days),
        ("encrypted", bool(db.get("StorageEncrypted")), config.encrypted),
        ("username", db.get("MasterUsername"), config.username),
    ]
    if config.version is not None:
        have = str(db.get("EngineVersion", ""))
        if have != config.version and have.split(".")[0] != config.version:
            diffs.append(f"version is {have}, asked {config.version}")
    if int(db.get("AllocatedStorage", 0)) < config.storage_gb:
        diffs.append(f"storage_gb is {db.get('AllocatedStorage')}, asked {config.storage_gb}")
    for label, have_value, want in checks:
        if have_value != want:
            diffs.append(f"{label} is {have_value!r}, asked {want!r}")
    return diffs


def _backup(snap: dict[str, Any], provider: str) -> BackupRef:
    created = snap.get("SnapshotCreateTime") or datetime.now(UTC)
    return BackupRef(
        id=str(snap["DBSnapshotIdentifier"]),
        database=str(snap.get("DBInstanceIdentifier", "")),
        created_at=created,
        status=str(snap.get("Status", "unknown")),
        provider=provider,
    )
