"""Databases on Cloud SQL for PostgreSQL, through the sqladmin v1beta4 REST clients.

One Cloud SQL instance per cloudcore database (same name), one logical database and one owner
user inside; the user's password is generated here and kept in Secret Manager as
``db-<name>-password`` (never returned, logged or put in labels). ``high_availability`` means
``availabilityType=REGIONAL``. The Cloud SQL edition is always sent (left out, PostgreSQL 16 and
later default to Enterprise Plus, which refuses the shared-core tiers): ``ENTERPRISE`` unless
``extras["edition"]`` or an Enterprise Plus ``extras["tier"]`` says otherwise, with size classes
mapped to tiers of that edition (:data:`._mapping.EDITION_TIERS`). ``storage_gb`` below Cloud
SQL's 10 GB minimum is raised to 10 GB (storage is a floor: the database gets at least what
was asked). Backups are on-demand backup runs; ``restore_database`` creates a
new instance with the source's settings and restores the backup run into it. Cloud SQL answers
writes with a ``sql#operation`` that is polled until ``DONE``.
"""

from __future__ import annotations

import secrets as pysecrets
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from cloudcore.errors import AlreadyExists, ConfigurationError, NotFound, ProviderError
from cloudcore.models import BackupRef, DatabaseConfig, DatabaseEndpoint, SizeClass, utcnow

from ._base import VERSION_LABEL, GCPBase, labels_for, managed, version_label
from ._mapping import EDITION_TIERS, MIN_STORAGE_GB, edition_and_tier

__all__ = ["TIERS", "GCPDatabase"]

TIERS: dict[SizeClass, str] = EDITION_TIERS["ENTERPRISE"]
"""Portable size class → Cloud SQL machine tier of the default (Enterprise) edition."""

DEFAULT_VERSION = "16"
_DONE, _ZONAL, _REGIONAL, _SUCCESSFUL = 3, 1, 2, 5


def password_secret(name: str) -> str:
    """The cloudcore secret key holding a database's owner password."""
    return f"db-{name}-password"


def _version(config: DatabaseConfig) -> str:
    major = (config.version or DEFAULT_VERSION).split(".")[0]
    return f"POSTGRES_{major}"


class GCPDatabase(GCPBase):
    """The database capability (Cloud SQL for PostgreSQL)."""

    def _sql_wait(self, op: Any, what: str) -> Any:
        """Poll a ``sql#operation`` until DONE; raise its error if it failed."""
        ops = self.clients.sql("operations")
        state = {"op": op}

        def done() -> bool:
            if int(state["op"].status) == _DONE:
                return True
            state["op"] = ops.get(
                request={"project": self.project, "operation": state["op"].name}, **self.kw()
            )
            return int(state["op"].status) == _DONE

        self.wait(done, what)
        final = state["op"]
        if final.error and final.error.errors:
            first = final.error.errors[0]
            raise ProviderError(f"{what} failed: {first.code}: {first.message}", code=first.code)
        return final

    def _instance(self, name: str) -> Any | None:
        from google.api_core import exceptions as gexc

        try:
            return self.clients.sql("instances").get(
                request={"project": self.project, "instance": name}, **self.kw()
            )
        except gexc.NotFound:
            return None

    def _managed_instance(self, name: str) -> Any:
        inst = self._instance(name)
        if inst is None:
            raise NotFound(f"no Cloud SQL instance {name!r}")
        self.ensure_managed(inst.settings.user_labels, f"Cloud SQL instance {name!r}")
        return inst

    def _endpoint(self, name: str, inst: Any) -> DatabaseEndpoint:
        labels = inst.settings.user_labels
        host = next((ip.ip_address for ip in inst.ip_addresses if int(ip.type_) == 1), None)
        host = host or next((ip.ip_address for ip in inst.ip_addresses), None)
        return DatabaseEndpoint(
            name=name,
            host=host or inst.connection_name,
            port=5432,
            database=labels.get("cloudcore-database", "app"),
            username=labels.get("cloudcore-user", "app"),
            password_secret=password_secret(name) if labels.get("cloudcore-password") else None,
            status=type(inst.state)(inst.state).name,
            high_availability=int(inst.settings.availability_type) == _REGIONAL,
            provider_id=inst.connection_name or inst.name,
        )

    def _instance_body(self, name: str, config: DatabaseConfig) -> dict[str, Any]:
        unknown = sorted(set(config.extras) - {"tier", "edition", "disk_type"})
        if unknown:
            raise ConfigurationError(f"extras: unknown gcp database options {unknown}")
        labels = labels_for(name, config.tags)
        labels.update({"cloudcore-database": config.database, "cloudcore-user": config.username})
        labels["cloudcore-password"] = "secret-manager"
        labels[VERSION_LABEL] = version_label(config.version)
        edition, tier = edition_and_tier(config.size, dict(config.extras))
        settings: dict[str, Any] = {
            "tier": tier,
            "edition": edition,
            "availability_type": _REGIONAL if config.high_availability else _ZONAL,
            "data_disk_size_gb": max(config.storage_gb, MIN_STORAGE_GB),
            "user_labels": labels,
            "backup_configuration": {
                "enabled": config.backup_retention_days > 0,
                "point_in_time_recovery_enabled": config.backup_retention_days > 0,
                "backup_retention_settings": {
                    "retained_backups": max(config.backup_retention_days, 1),
                    "retention_unit": 1,
                },
            },
        }
        if "disk_type" in config.extras:
            settings["data_disk_type"] = config.extras["disk_type"]
        return {
            "name": name,
            "database_version": _version(config),
            "region": self.location,
            "settings": settings,
        }

    @staticmethod
    def _differs(inst: Any, body: dict[str, Any]) -> list[str]:
        want = body["settings"]
        have = inst.settings
        diffs = []
        if type(inst.database_version)(inst.database_version).name != body["database_version"]:
            diffs.append("version")
        if have.tier != want["tier"]:
            diffs.append("size/tier")
        edition = type(have.edition)(have.edition).name
        if edition not in ("EDITION_UNSPECIFIED", want["edition"]):
            diffs.append("edition")
        if int(have.availability_type) != want["availability_type"]:
            diffs.append("high_availability")
        if int(have.data_disk_size_gb or 0) < want["data_disk_size_gb"]:
            diffs.append("storage_gb")  # Cloud SQL may grow a disk (auto-resize), never shrink
        return diffs

    def _ensure_inside(self, name: str, config: DatabaseConfig) -> None:
        """Create the logical database, the owner password secret and the user if missing."""
        project = self.project
        dbs = self.clients.sql("databases").list(
            request={"project": project, "instance": name}, **self.kw()
        )
        if config.database not in {d.name for d in dbs.items}:
            op = self.clients.sql("databases").insert(
                request={
                    "project": project,
                    "instance": name,
                    "body": {"name": config.database, "instance": name, "project": project},
                },
                **self.kw(),
            )
            self._sql_wait(op, f"database {config.database!r} on {name!r}")
        users = self.clients.sql("users").list(
            request={"project": project, "instance": name}, **self.kw()
        )
        if config.username not in {u.name for u in users.items}:
            password = pysecrets.token_urlsafe(24)
            self._store_secret(password_secret(name), SecretStr(password))  # before the user
            op = self.clients.sql("users").insert(
                request={
                    "project": project,
                    "instance": name,
                    "body": {"name": config.username, "password": password, "instance": name},
                },
                **self.kw(),
            )
            self._sql_wait(op, f"user {config.username!r} on {name!r}")

    def _provision_database(self, config: DatabaseConfig) -> DatabaseEndpoint:
        name = config.name
        body = self._instance_body(name, config)
        inst = self._instance(name)
        if inst is not None:
            if not managed(inst.settings.user_labels):
                raise AlreadyExists(f"Cloud SQL instance {name!r} exists, not managed by cloudcore")
            diffs = self._differs(inst, body)
            if diffs:
                raise AlreadyExists(
                    f"database {name!r} exists with a different config ({', '.join(diffs)})"
                )
        else:
            op = self.clients.sql("instances").insert(
                request={"project": self.project, "body": body}, **self.kw()
            )
            self._sql_wait(op, f"Cloud SQL instance {name!r}")
        self._ensure_inside(name, config)
        return self._endpoint(name, self._managed_instance(name))

    # ---------------------------------------------------------------- backups
    def _backup_ref(self, name: str, run: Any) -> BackupRef:
        when = run.end_time or run.start_time or run.enqueued_time
        return BackupRef(
            id=f"{name}/{run.id}",
            database=name,
            created_at=when if isinstance(when, datetime) and when.year > 1970 else utcnow(),
            status="available"
            if int(run.status) == _SUCCESSFUL
            else type(run.status)(run.status).name,
            provider=self.name,
        )

    def _backup_database(self, name: str) -> BackupRef:
        self._managed_instance(name)
        runs = self.clients.sql("backup_runs")
        op = runs.insert(
            request={
                "project": self.project,
                "instance": name,
                "body": {"description": "cloudcore on-demand backup", "instance": name},
            },
            **self.kw(),
        )
        final = self._sql_wait(op, f"backup of {name!r}")
        run_id = final.backup_context.backup_id if final.backup_context else 0
        if not run_id:
            listed = self._list_backups(name)
            if not listed:
                raise ProviderError(f"the backup of {name!r} finished but no backup run is listed")
            return listed[-1]
        run = self.call(
            lambda: runs.get(
                request={"project": self.project, "instance": name, "id": run_id}, **self.kw()
            )
        )
        return self._backup_ref(name, run)

    def _list_backups(self, name: str) -> list[BackupRef]:
        self._managed_instance(name)
        runs = self.clients.sql("backup_runs")

        def fetch(token: str) -> tuple[list[Any], str]:
            resp = runs.list(
                request={
                    "project": self.project,
                    "instance": name,
                    "page_token": token,
                    "max_results": 100,
                },
                **self.kw(),
            )
            return list(resp.items), str(resp.next_page_token)

        refs = [self._backup_ref(name, r) for r in self.pages(fetch)]
        return sorted(refs, key=lambda b: (b.created_at, b.id))

    def _restore_database(self, backup_id: str, new_name: str) -> DatabaseEndpoint:
        from google.api_core import exceptions as gexc

        source, _, run_id = backup_id.rpartition("/")
        if not source or not run_id.isdigit():
            raise NotFound(f"no backup {backup_id!r} (gcp backup ids are INSTANCE/RUN_ID)")
        src = self._instance(source)
        if src is None:
            raise NotFound(f"no backup {backup_id!r}: instance {source!r} is gone")
        self.clients.sql("backup_runs").get(
            request={"project": self.project, "instance": source, "id": int(run_id)}, **self.kw()
        )  # NotFound when the run does not exist
        if self._instance(new_name) is not None:
            raise AlreadyExists(f"a Cloud SQL instance named {new_name!r} exists")
        labels = dict(src.settings.user_labels)
        labels["cloudcore-name"] = new_name
        labels["cloudcore-restored-from"] = source
        have = src.settings
        settings = type(have)(
            tier=have.tier,
            edition=have.edition,
            availability_type=have.availability_type,
            data_disk_size_gb=have.data_disk_size_gb,
            backup_configuration=have.backup_configuration,
            user_labels=labels,
        )
        body = {
            "name": new_name,
            "database_version": src.database_version,
            "region": src.region or self.location,
            "settings": settings,
        }
        instances = self.clients.sql("instances")
        op = instances.insert(request={"project": self.project, "body": body}, **self.kw())
        self._sql_wait(op, f"Cloud SQL instance {new_name!r}")
        op = instances.restore_backup(
            request={
                "project": self.project,
                "instance": new_name,
                "body": {
                    "restore_backup_context": {
                        "backup_run_id": int(run_id),
                        "instance_id": source,
                        "project": self.project,
                    }
                },
            },
            **self.kw(),
        )
        self._sql_wait(op, f"restore of {backup_id!r} into {new_name!r}")
        try:  # the restored users keep the source's password: give the copy its own secret
            password = self._get_secret(password_secret(source), None)
            self._store_secret(password_secret(new_name), password)
        except gexc.NotFound:
            pass
        return self._endpoint(new_name, self._managed_instance(new_name))

    def _delete_database(self, name: str) -> None:
        from google.api_core import exceptions as gexc

        inst = self._instance(name)
        if inst is None:
            return
        self.ensure_managed(inst.settings.user_labels, f"Cloud SQL instance {name!r}")
        try:
            op = self.clients.sql("instances").delete(
                request={"project": self.project, "instance": name}, **self.kw()
            )
        except gexc.NotFound:
            return
        self._sql_wait(op, f"deletion of Cloud SQL instance {name!r}")
        self._delete_secret(password_secret(name))

    def managed_instances(self) -> list[Any]:
        """Every Cloud SQL instance of the project labelled ``managed-by=cloudcore``."""
        instances = self.clients.sql("instances")

        def fetch(token: str) -> tuple[list[Any], str]:
            resp = instances.list(
                request={"project": self.project, "page_token": token, "max_results": 100},
                **self.kw(),
            )
            return list(resp.items), str(resp.next_page_token)

        return [i for i in self.pages(fetch) if managed(i.settings.user_labels)]
