"""Fake Cloud SQL Admin (v1beta4) and Cloud DNS (v1) REST APIs."""

from __future__ import annotations

import copy
from typing import Any

from . import _rules
from ._server import ApiError, FakeServer, Request, now_rfc3339, pending_view

Json = dict[str, Any]

_SQL, _DNS = "sqladmin.v1beta4", "dns.v1"


class SqlDnsAPI(FakeServer):
    """Cloud SQL instances/databases/users/backup runs, Cloud DNS zones and record sets."""

    sql_instances: dict[str, Json]
    sql_databases: dict[str, dict[str, Json]]
    sql_users: dict[str, dict[str, Json]]
    sql_backups: dict[str, list[Json]]
    sql_operations: dict[str, Json]
    sql_rows: dict[str, dict[str, list[str]]]
    zones: dict[str, Json]
    rrsets: dict[str, dict[tuple[str, str], Json]]
    changes: dict[str, list[Json]]

    def _reset_sql_dns(self) -> None:
        self.sql_instances, self.sql_databases, self.sql_users = {}, {}, {}
        self.sql_backups, self.sql_operations, self.sql_rows = {}, {}, {}
        self.zones, self.rrsets, self.changes = {}, {}, {}

    def _register_sql_dns(self) -> None:
        r = self.route
        r(_SQL, "instances.insert", self._sql_insert)
        r(_SQL, "instances.list", self._sql_list)
        r(_SQL, "instances.get", self._sql_get)
        r(_SQL, "instances.delete", self._sql_delete)
        r(_SQL, "instances.restoreBackup", self._sql_restore)
        r(_SQL, "databases.insert", self._sql_db_insert)
        r(_SQL, "databases.list", self._sql_db_list)
        r(_SQL, "databases.get", self._sql_db_get)
        r(_SQL, "users.insert", self._sql_user_insert)
        r(_SQL, "users.list", self._sql_user_list)
        r(_SQL, "backupRuns.insert", self._sql_backup_insert)
        r(_SQL, "backupRuns.list", self._sql_backup_list)
        r(_SQL, "backupRuns.get", self._sql_backup_get)
        r(_SQL, "operations.get", self._sql_op_get)
        r(_DNS, "managedZones.create", self._zone_create)
        r(_DNS, "managedZones.list", self._zone_list)
        r(_DNS, "managedZones.get", self._zone_get)
        r(_DNS, "managedZones.delete", self._zone_delete)
        r(_DNS, "resourceRecordSets.list", self._rrset_list)
        r(_DNS, "changes.create", self._change_create)
        r(_DNS, "changes.get", self._change_get)

    # -------------------------------------------------------------- Cloud SQL
    def _sql_op(self, req: Request, target: str, op_type: str, **extra: Any) -> tuple[int, Json]:
        op_id = self.new_uuid()
        now = now_rfc3339()
        op = {
            "kind": "sql#operation",
            "name": op_id,
            "status": "DONE",
            "operationType": op_type,
            "targetId": target,
            "targetProject": req.groups[0],
            "insertTime": now,
            "startTime": now,
            "endTime": now,
            "selfLink": f"/sql/v1beta4/projects/{req.groups[0]}/operations/{op_id}",
            **extra,
        }
        op["_pending"] = self.operation_polls
        self.sql_operations[op_id] = op
        return 200, pending_view(op, "status", "PENDING")

    def _sql_op_get(self, req: Request) -> tuple[int, Json]:
        if req.groups[1] not in self.sql_operations:
            raise ApiError("NOT_FOUND", "The Cloud SQL operation does not exist.")
        op = self.sql_operations[req.groups[1]]
        op["_pending"] = max(int(op["_pending"]) - 1, 0)
        return 200, pending_view(op, "status", "RUNNING")

    def _instance(self, req: Request) -> Json:
        inst = self.sql_instances.get(req.groups[1])
        if inst is None:
            raise ApiError("NOT_FOUND", "The Cloud SQL instance does not exist.")
        return inst

    def _sql_insert(self, req: Request) -> tuple[int, Json]:
        body = copy.deepcopy(req.body)
        settings = body.setdefault("settings", {})
        if not settings.get("tier"):
            raise ApiError(
                "INVALID_ARGUMENT",
                "Invalid request: settings.tier is required.",
                field="settings.tier",
            )
        settings["edition"] = _rules.sql_instance(body)
        name = body["name"]
        if name in self.sql_instances:
            raise ApiError("ALREADY_EXISTS", "The Cloud SQL instance already exists.")
        settings.setdefault("availabilityType", "ZONAL")
        settings.setdefault("dataDiskSizeGb", "10")
        settings["settingsVersion"] = "1"
        project = req.groups[0]
        body.setdefault("databaseVersion", "POSTGRES_16")
        body.update(
            kind="sql#instance",
            state="RUNNABLE",
            project=project,
            region=body.get("region") or self.region,
            connectionName=f"{project}:{body.get('region') or self.region}:{name}",
            ipAddresses=[{"type": "PRIMARY", "ipAddress": f"10.1.{len(self.sql_instances)}.7"}],
            createTime=now_rfc3339(),
            selfLink=f"/sql/v1beta4/projects/{project}/instances/{name}",
            etag=self.new_uuid()[:16],
        )
        self.sql_instances[name] = body
        self.sql_databases[name] = {"postgres": {"name": "postgres", "instance": name}}
        self.sql_users[name] = {"postgres": {"name": "postgres", "instance": name}}
        self.sql_backups[name] = []
        return self._sql_op(req, name, "CREATE")

    def _sql_get(self, req: Request) -> tuple[int, Json]:
        return 200, self._instance(req)

    def _sql_list(self, req: Request) -> tuple[int, Json]:
        items = [i for _, i in sorted(self.sql_instances.items()) if i["project"] == req.groups[0]]
        return 200, self.page(req, items, "items", size_param="maxResults")

    def _sql_delete(self, req: Request) -> tuple[int, Json]:
        name = self._instance(req)["name"]
        for table in (self.sql_instances, self.sql_databases, self.sql_users, self.sql_backups):
            table.pop(name, None)
        self.sql_rows.pop(name, None)
        return self._sql_op(req, name, "DELETE")

    def _sql_restore(self, req: Request) -> tuple[int, Json]:
        target = self._instance(req)["name"]
        ctx = req.body.get("restoreBackupContext") or {}
        source = ctx.get("instanceId") or target
        run_id = str(ctx.get("backupRunId", ""))
        runs = {str(b["id"]): b for b in self.sql_backups.get(source, [])}
        if run_id not in runs:
            raise ApiError("NOT_FOUND", "The backup run does not exist.")
        snapshot = runs[run_id]["_snapshot"]
        self.sql_databases[target] = copy.deepcopy(snapshot["databases"])
        self.sql_users[target] = copy.deepcopy(snapshot["users"])
        self.sql_rows[target] = copy.deepcopy(snapshot["rows"])
        return self._sql_op(req, target, "RESTORE_VOLUME")

    def _sql_db_insert(self, req: Request) -> tuple[int, Json]:
        inst = self._instance(req)["name"]
        name = req.body.get("name")
        if not name:
            raise ApiError("INVALID_ARGUMENT", "Missing database name.", field="name")
        if name in self.sql_databases[inst]:
            raise ApiError("ALREADY_EXISTS", "The database already exists.")
        self.sql_databases[inst][name] = {
            "kind": "sql#database",
            "name": name,
            "instance": inst,
            "charset": "UTF8",
        }
        return self._sql_op(req, inst, "CREATE_DATABASE")

    def _sql_db_get(self, req: Request) -> tuple[int, Json]:
        inst = self._instance(req)["name"]
        db = self.sql_databases[inst].get(req.groups[2])
        if db is None:
            raise ApiError("NOT_FOUND", "The database does not exist.")
        return 200, db

    def _sql_db_list(self, req: Request) -> tuple[int, Json]:
        inst = self._instance(req)["name"]
        return 200, {"kind": "sql#databasesList", "items": list(self.sql_databases[inst].values())}

    def _sql_user_insert(self, req: Request) -> tuple[int, Json]:
        inst = self._instance(req)["name"]
        name = req.body.get("name")
        if not name or not req.body.get("password"):
            raise ApiError("INVALID_ARGUMENT", "A user needs a name and a password.", field="name")
        if name in self.sql_users[inst]:
            raise ApiError("ALREADY_EXISTS", "The user already exists.")
        self.sql_users[inst][name] = {"kind": "sql#user", "name": name, "instance": inst}
        return self._sql_op(req, inst, "CREATE_USER")

    def _sql_user_list(self, req: Request) -> tuple[int, Json]:
        inst = self._instance(req)["name"]
        return 200, {"kind": "sql#usersList", "items": list(self.sql_users[inst].values())}

    def _sql_backup_insert(self, req: Request) -> tuple[int, Json]:
        inst = self._instance(req)["name"]
        run_id = str(1_700_000_000_000 + self.next_id())
        now = now_rfc3339()
        run = {
            "kind": "sql#backupRun",
            "id": run_id,
            "status": "SUCCESSFUL",
            "type": "ON_DEMAND",
            "instance": inst,
            "description": req.body.get("description", ""),
            "enqueuedTime": now,
            "startTime": now,
            "endTime": now,
            "windowStartTime": now,
            "location": self.region,
            "selfLink": f"/sql/v1beta4/projects/{req.groups[0]}/instances/{inst}/backupRuns/{run_id}",
            "_snapshot": {
                "databases": copy.deepcopy(self.sql_databases[inst]),
                "users": copy.deepcopy(self.sql_users[inst]),
                "rows": copy.deepcopy(self.sql_rows.get(inst, {})),
            },
        }
        self.sql_backups[inst].append(run)
        return self._sql_op(
            req,
            inst,
            "BACKUP_VOLUME",
            backupContext={"kind": "sql#backupContext", "backupId": run_id},
        )

    def _sql_backup_list(self, req: Request) -> tuple[int, Json]:
        inst = self._instance(req)["name"]
        items = [_public(b) for b in reversed(self.sql_backups[inst])]  # newest first
        return 200, self.page(req, items, "items", size_param="maxResults")

    def _sql_backup_get(self, req: Request) -> tuple[int, Json]:
        inst = self._instance(req)["name"]
        for run in self.sql_backups[inst]:
            if str(run["id"]) == req.groups[2]:
                return 200, _public(run)
        raise ApiError("NOT_FOUND", "The backup run does not exist.")

    # -------------------------------------------------------------- Cloud DNS
    def add_zone(self, dns_name: str, name: str | None = None, labels: Json | None = None) -> Json:
        """Create a managed zone directly (zones are the user's; cloudcore only finds them)."""
        fqdn = dns_name.rstrip(".") + "."
        zname = name or fqdn.rstrip(".").replace(".", "-")
        with self.lock:
            zone = {
                "kind": "dns#managedZone",
                "name": zname,
                "dnsName": fqdn,
                "description": "",
                "id": str(self.next_id()),
                "creationTime": now_rfc3339(),
                "nameServers": [f"ns-cloud-a{i}.googledomains.com." for i in (1, 2)],
                "labels": labels or {},
            }
            self.zones[zname] = zone
            self.rrsets[zname] = {
                (fqdn, "SOA"): _rrset(fqdn, "SOA", 21600, ["ns-cloud-a1.googledomains.com. x 1"]),
                (fqdn, "NS"): _rrset(fqdn, "NS", 21600, list(zone["nameServers"])),
            }
            self.changes[zname] = []
        return zone

    def _zone(self, req: Request) -> str:
        if req.groups[1] not in self.zones:
            raise ApiError(
                "NOT_FOUND",
                f"The 'parameters.managedZone' resource named '{req.groups[1]}' does not exist.",
            )
        return req.groups[1]

    def _zone_create(self, req: Request) -> tuple[int, Json]:
        name, dns_name = req.body.get("name"), req.body.get("dnsName")
        if not name or not dns_name:
            raise ApiError("INVALID_ARGUMENT", "name and dnsName are required", field="name")
        if name in self.zones:
            raise ApiError("ALREADY_EXISTS", f"The resource '{name}' already exists")
        _rules.labels(req.body.get("labels"), "labels")
        zone = self.add_zone(dns_name, name, req.body.get("labels"))
        zone["description"] = req.body.get("description", "")
        return 200, zone

    def _zone_list(self, req: Request) -> tuple[int, Json]:
        items = [z for _, z in sorted(self.zones.items())]
        return 200, self.page(req, items, "managedZones", size_param="maxResults")

    def _zone_get(self, req: Request) -> tuple[int, Json]:
        return 200, self.zones[self._zone(req)]

    def _zone_delete(self, req: Request) -> tuple[int, Json]:
        zone = self._zone(req)
        if len(self.rrsets[zone]) > 2:  # only the apex SOA and NS may remain
            raise ApiError(
                "FAILED_PRECONDITION", "The resource named is not empty", reason="containerNotEmpty"
            )
        for table in (self.zones, self.rrsets, self.changes):
            table.pop(zone)
        return 204, {}

    def _rrset_list(self, req: Request) -> tuple[int, Json]:
        zone = self._zone(req)
        items = [copy.deepcopy(r) for _, r in sorted(self.rrsets[zone].items())]
        if "name" in req.query:
            items = [r for r in items if r["name"] == req.query["name"]]
        if "type" in req.query:
            items = [r for r in items if r["type"] == req.query["type"]]
        return 200, self.page(req, items, "rrsets", size_param="maxResults")

    def _change_create(self, req: Request) -> tuple[int, Json]:
        """Cloud DNS ``changes.create``: all deletions must match the current record sets
        exactly (else 412 ``conditionNotMet``; a missing one is 404), additions must not exist
        (409), and the whole change applies atomically. The change answers ``pending`` while
        ``operation_polls`` polls remain, then ``done`` (Change.status: "pending" | "done")."""
        zone = self._zone(req)
        apex = self.zones[zone]["dnsName"]
        _rules.dns_change(req.body, apex)
        additions = [_rrset_in(r) for r in req.body.get("additions", [])]
        deletions = [_rrset_in(r) for r in req.body.get("deletions", [])]
        after = dict(self.rrsets[zone])
        for i, rr in enumerate(deletions):
            key = (rr["name"], rr["type"])
            have = after.get(key)
            if have is None:
                raise ApiError(
                    "NOT_FOUND",
                    f"The 'entity.change.deletions[{i}]' resource named "
                    f"'{rr['name']} ({rr['type']})' does not exist.",
                )
            if _norm(have) != _norm(rr):
                raise ApiError(
                    "FAILED_PRECONDITION",
                    f"Precondition not met for 'entity.change.deletions[{i}]'",
                    http=412,
                    reason="conditionNotMet",
                )
            del after[key]
        for i, rr in enumerate(additions):
            key = (rr["name"], rr["type"])
            if key in after:
                raise ApiError(
                    "ALREADY_EXISTS",
                    f"The resource 'entity.change.additions[{i}]' named "
                    f"'{rr['name']} ({rr['type']})' already exists",
                )
            after[key] = rr
        self.rrsets[zone] = after
        change = {
            "kind": "dns#change",
            "id": str(len(self.changes[zone]) + 1),
            "startTime": now_rfc3339(),
            "status": "done",
            "additions": additions,
            "deletions": deletions,
            "_pending": self.operation_polls,
        }
        self.changes[zone].append(change)
        return 200, pending_view(change, "status", "pending")

    def _change_get(self, req: Request) -> tuple[int, Json]:
        zone = self._zone(req)
        for change in self.changes[zone]:
            if change["id"] == req.groups[2]:
                change["_pending"] = max(int(change.get("_pending", 0)) - 1, 0)
                return 200, pending_view(change, "status", "pending")
        raise ApiError("NOT_FOUND", "The change does not exist.")


def _rrset(name: str, rtype: str, ttl: int, rrdatas: list[str]) -> Json:
    return {
        "kind": "dns#resourceRecordSet",
        "name": name,
        "type": rtype,
        "ttl": ttl,
        "rrdatas": rrdatas,
    }


def _rrset_in(raw: Json) -> Json:
    return _rrset(raw["name"], raw["type"], int(raw["ttl"]), list(raw["rrdatas"]))


def _norm(rr: Json) -> tuple[str, str, int, tuple[str, ...]]:
    return (rr["name"], rr["type"], int(rr["ttl"]), tuple(sorted(rr["rrdatas"])))


def _public(item: Json) -> Json:
    return {k: copy.deepcopy(v) for k, v in item.items() if not k.startswith("_")}
