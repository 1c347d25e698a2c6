"""Fake Cloud Run v2, Secret Manager and Memorystore REST APIs (state and handlers)."""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
from typing import Any

from ._server import ApiError, FakeServer, Request, enum_value, now_rfc3339

Json = dict[str, Any]

_RUN_SERVICE = "type.googleapis.com/google.cloud.run.v2.Service"
_REDIS_INSTANCE = "type.googleapis.com/google.cloud.redis.v1.Instance"
_EMPTY = "type.googleapis.com/google.protobuf.Empty"
_SUCCEEDED = 4
_READY = 2


class RunSecretsRedisAPI(FakeServer):
    """Cloud Run v2 services, Secret Manager secrets/versions, Memorystore Redis instances."""

    services: dict[str, Json]
    secrets: dict[str, Json]
    versions: dict[str, list[Json]]
    redis: dict[str, Json]
    operations: dict[str, Json]
    log_entries: list[Json]

    def _reset_run_sm(self) -> None:
        self.services, self.secrets, self.versions = {}, {}, {}
        self.redis, self.operations = {}, {}
        self.log_entries = []

    def _register_run_sm(self) -> None:
        loc = r"/v2/projects/{p}/locations/{l}"
        self.route("POST", loc + "/services", self._run_create)
        self.route("GET", loc + "/services", self._run_list)
        self.route("GET", loc + "/services/{s}", self._run_get)
        self.route("PATCH", loc + "/services/{s}", self._run_patch)
        self.route("DELETE", loc + "/services/{s}", self._run_delete)
        self.route("GET", loc + "/operations/{o}", self._op_get)
        self.route("POST", "/v2/entries:list", self._logs_list)
        sm = r"/v1/projects/{p}/secrets"
        self.route("POST", sm, self._sm_create)
        self.route("GET", sm, self._sm_list)
        self.route("GET", sm + "/{s}", self._sm_get)
        self.route("DELETE", sm + "/{s}", self._sm_delete)
        self.route("POST", sm + "/{s}:addVersion", self._sm_add_version)
        self.route("GET", sm + "/{s}/versions", self._sm_versions)
        self.route("GET", sm + "/{s}/versions/{v}:access", self._sm_access)
        self.route("GET", sm + "/{s}/versions/{v}", self._sm_version)
        rd = r"/v1/projects/{p}/locations/{l}"
        self.route("POST", rd + "/instances", self._redis_create)
        self.route("GET", rd + "/instances", self._redis_list)
        self.route("GET", rd + "/instances/{i}", self._redis_get)
        self.route("GET", rd + "/instances/{i}/authString", self._redis_auth)
        self.route("DELETE", rd + "/instances/{i}", self._redis_delete)
        self.route("GET", rd + "/operations/{o}", self._op_get)

    # ------------------------------------------------------------ operations
    def _operation(self, parent: str, type_url: str, response: Json) -> tuple[int, Json]:
        name = f"{parent}/operations/{self.new_uuid()}"
        op = {"name": name, "done": True, "response": {"@type": type_url, **response}}
        op["_pending"] = self.operation_polls
        self.operations[name] = op
        return 200, _op_view(op)

    def _op_get(self, req: Request) -> tuple[int, Json]:
        name = req.path.split("/", 2)[2]
        if name not in self.operations:
            raise ApiError(404, f"operation {name} not found")
        op = self.operations[name]
        op["_pending"] = max(int(op["_pending"]) - 1, 0)
        return 200, _op_view(op)

    # ------------------------------------------------------------- Cloud Run
    def _run_parent(self, req: Request) -> str:
        p, loc = req.groups[0], req.groups[1]
        return f"projects/{p}/locations/{loc}"

    def _run_create(self, req: Request) -> tuple[int, Json]:
        parent = self._run_parent(req)
        sid = req.query.get("serviceId", "")
        name = f"{parent}/services/{sid}"
        if not sid:
            raise ApiError(400, "serviceId is required")
        if name in self.services:
            raise ApiError(409, f"Resource '{sid}' already exists.", "ALREADY_EXISTS")
        svc = copy.deepcopy(req.body)
        _check_template(svc.get("template") or {})
        now = now_rfc3339()
        svc.update(name=name, uid=self.new_uuid(), createTime=now, generation="0")
        svc.setdefault("traffic", [{"type": 1, "percent": 100}])
        svc["uri"] = f"https://{sid}-{self.project[:6]}-uc.a.run.app"
        self._run_apply(svc, template_changed=True)
        self.services[name] = svc
        return self._operation(parent, _RUN_SERVICE, _public(svc))

    def _run_apply(self, svc: Json, *, template_changed: bool) -> None:
        gen = int(svc.get("generation", "0")) + 1
        svc["generation"] = str(gen)
        svc["observedGeneration"] = str(gen)
        svc["updateTime"] = now_rfc3339()
        svc["etag"] = f'"{self.new_uuid()[:12]}"'
        sid = svc["name"].rsplit("/", 1)[1]
        if template_changed:
            count = int(svc.get("_revisions", 0)) + 1
            svc["_revisions"] = count
            rev = f"{sid}-{count:05d}-{secrets.token_hex(2)[:3]}"
            svc["latestCreatedRevision"] = (
                f"{svc['name'].rsplit('/services/', 1)[0]}/revisions/{rev}"
            )
            svc["latestReadyRevision"] = svc["latestCreatedRevision"]
            self.write_log(sid, f"Revision {rev} deployed and serving 100% of traffic.")
        ok = {"state": _SUCCEEDED, "lastTransitionTime": svc["updateTime"]}
        svc["terminalCondition"] = {"type": "Ready", **ok}
        svc["conditions"] = [{"type": "RoutesReady", **ok}, {"type": "ConfigurationsReady", **ok}]
        svc["trafficStatuses"] = [
            {
                "type": t.get("type", 1),
                "percent": t.get("percent", 0),
                "revision": t.get("revision") or svc["latestReadyRevision"].rsplit("/", 1)[1],
            }
            for t in svc.get("traffic", [])
        ]

    def _run_get(self, req: Request) -> tuple[int, Json]:
        name = f"{self._run_parent(req)}/services/{req.groups[2]}"
        if name not in self.services:
            raise ApiError(404, f"Resource '{req.groups[2]}' was not found")
        return 200, _public(self.services[name])

    def _run_list(self, req: Request) -> tuple[int, Json]:
        parent = self._run_parent(req)
        items = [_public(s) for n, s in sorted(self.services.items()) if n.startswith(parent)]
        return 200, self.page(req, items, "services")

    def _run_patch(self, req: Request) -> tuple[int, Json]:
        name = f"{self._run_parent(req)}/services/{req.groups[2]}"
        svc = self.services.get(name)
        if svc is None:
            raise ApiError(404, f"Resource '{req.groups[2]}' was not found")
        body = req.body
        if body.get("etag") and body["etag"] != svc["etag"]:
            raise ApiError(409, "etag mismatch", "ABORTED")
        _check_template(body.get("template") or {})
        changed = "template" in body and _canon(body["template"]) != _canon(svc.get("template"))
        for key in ("template", "labels", "annotations", "scaling", "ingress", "traffic"):
            if key in body:
                svc[key] = copy.deepcopy(body[key])
        self._run_apply(svc, template_changed=changed)
        return self._operation(self._run_parent(req), _RUN_SERVICE, _public(svc))

    def _run_delete(self, req: Request) -> tuple[int, Json]:
        name = f"{self._run_parent(req)}/services/{req.groups[2]}"
        svc = self.services.pop(name, None)
        if svc is None:
            raise ApiError(404, f"Resource '{req.groups[2]}' was not found")
        return self._operation(self._run_parent(req), _RUN_SERVICE, _public(svc))

    # ---------------------------------------------------------- Cloud Logging
    def write_log(self, service: str, message: str, location: str | None = None) -> Json:
        """Append a log line of a Cloud Run service (what its containers would print)."""
        with self.lock:
            entry = {
                "logName": f"projects/{self.project}/logs/run.googleapis.com%2Fstdout",
                "insertId": self.new_uuid()[:16],
                "timestamp": now_rfc3339(),
                "textPayload": message,
                "resource": {
                    "type": "cloud_run_revision",
                    "labels": {"service_name": service, "location": location or self.region},
                },
            }
            self.log_entries.append(entry)
        return entry

    def _logs_list(self, req: Request) -> tuple[int, Json]:
        flt = str(req.body.get("filter", ""))
        want = dict(re.findall(r'resource\.labels\.(\w+)="([^"]*)"', flt))
        since = re.search(r'timestamp>="([^"]+)"', flt)
        items = [
            e
            for e in sorted(self.log_entries, key=lambda e: e["timestamp"])  # stable: ties in order
            if all(e["resource"]["labels"].get(k) == v for k, v in want.items())
            and (since is None or e["timestamp"] >= since.group(1))
        ]
        if "desc" in req.body.get("orderBy", ""):
            items.reverse()
        size = max(1, min(int(req.body.get("pageSize") or self.page_size), self.page_size))
        start = int(req.body.get("pageToken") or 0)
        out: Json = {"entries": items[start : start + size]}
        if start + size < len(items):
            out["nextPageToken"] = str(start + size)
        return 200, out

    # -------------------------------------------------------- Secret Manager
    def _sm_name(self, req: Request) -> str:
        return f"projects/{req.groups[0]}/secrets/{req.groups[1]}"

    def _sm_secret(self, req: Request) -> Json:
        name = self._sm_name(req)
        if name not in self.secrets:
            raise ApiError(404, f"Secret [{name}] not found or has no versions.")
        return self.secrets[name]

    def _sm_create(self, req: Request) -> tuple[int, Json]:
        sid = req.query.get("secretId", "")
        if not sid or len(sid) > 255:
            raise ApiError(400, "secretId must be 1-255 characters")
        name = f"projects/{req.groups[0]}/secrets/{sid}"
        if name in self.secrets:
            raise ApiError(409, f"Secret [{name}] already exists.", "ALREADY_EXISTS")
        secret = copy.deepcopy(req.body)
        secret.update(name=name, createTime=now_rfc3339(), etag=f'"{self.new_uuid()[:12]}"')
        self.secrets[name] = secret
        self.versions[name] = []
        return 200, secret

    def _sm_get(self, req: Request) -> tuple[int, Json]:
        return 200, self._sm_secret(req)

    def _sm_list(self, req: Request) -> tuple[int, Json]:
        prefix = f"projects/{req.groups[0]}/secrets/"
        items = [s for n, s in sorted(self.secrets.items()) if n.startswith(prefix)]
        return 200, self.page(req, items, "secrets")

    def _sm_delete(self, req: Request) -> tuple[int, Json]:
        self._sm_secret(req)
        name = self._sm_name(req)
        del self.secrets[name]
        del self.versions[name]
        return 200, {}

    def _sm_add_version(self, req: Request) -> tuple[int, Json]:
        self._sm_secret(req)
        name = self._sm_name(req)
        data = (req.body.get("payload") or {}).get("data")
        if not isinstance(data, str):
            raise ApiError(400, "payload.data is required")
        try:
            raw = base64.b64decode(data, validate=True)
        except ValueError:
            raise ApiError(400, "payload.data is not base64") from None
        if len(raw) > 65536:
            raise ApiError(400, "payload larger than 64 KiB")
        number = len(self.versions[name]) + 1
        version = {
            "name": f"{name}/versions/{number}",
            "createTime": now_rfc3339(),
            "state": 1,
            "_data": data,
        }
        self.versions[name].append(version)
        return 200, _public(version)

    def _sm_find(self, req: Request) -> Json:
        self._sm_secret(req)
        versions = self.versions[self._sm_name(req)]
        wanted = req.groups[2]
        if wanted == "latest":
            live = [v for v in versions if v["state"] == 1]
            if live:
                return live[-1]
        elif wanted.isdigit() and 1 <= int(wanted) <= len(versions):
            return versions[int(wanted) - 1]
        raise ApiError(404, f"Secret Version [{self._sm_name(req)}/versions/{wanted}] not found.")

    def _sm_version(self, req: Request) -> tuple[int, Json]:
        return 200, _public(self._sm_find(req))

    def _sm_access(self, req: Request) -> tuple[int, Json]:
        version = self._sm_find(req)
        return 200, {"name": version["name"], "payload": {"data": version["_data"]}}

    def _sm_versions(self, req: Request) -> tuple[int, Json]:
        self._sm_secret(req)
        items = [_public(v) for v in reversed(self.versions[self._sm_name(req)])]
        return 200, self.page(req, items, "versions")

    # ------------------------------------------------------------ Memorystore
    def _redis_create(self, req: Request) -> tuple[int, Json]:
        parent = self._run_parent(req)
        iid = req.query.get("instanceId", "")
        name = f"{parent}/instances/{iid}"
        if not iid:
            raise ApiError(400, "instanceId is required")
        if name in self.redis:
            raise ApiError(409, f"Instance {name} already exists.", "ALREADY_EXISTS")
        inst = copy.deepcopy(req.body)
        tier = enum_value(inst.get("tier", 1), {"BASIC": 1, "STANDARD_HA": 3})
        if tier not in (1, 3):
            raise ApiError(400, "tier must be BASIC or STANDARD_HA")
        if int(inst.get("memorySizeGb", 0)) < 1:
            raise ApiError(400, "memorySizeGb must be at least 1")
        tls = enum_value(
            inst.get("transitEncryptionMode", 2), {"SERVER_AUTHENTICATION": 1, "DISABLED": 2}
        )
        inst.update(
            name=name,
            tier=tier,
            transitEncryptionMode=tls,
            createTime=now_rfc3339(),
            state=_READY,
            host=f"10.0.{self.next_id() % 250}.{len(self.redis) + 3}",
            port=6378 if tls == 1 else 6379,
            locationId=req.groups[1] + "-a",
            redisVersion=inst.get("redisVersion") or "REDIS_7_0",
            _auth=secrets.token_urlsafe(24) if inst.get("authEnabled") else "",
        )
        if tier == 3:
            inst["replicaCount"] = 1
            inst["alternativeLocationId"] = req.groups[1] + "-b"
        self.redis[name] = inst
        return self._operation(parent, _REDIS_INSTANCE, _public(inst))

    def _redis_find(self, req: Request) -> Json:
        name = f"{self._run_parent(req)}/instances/{req.groups[2]}"
        if name not in self.redis:
            raise ApiError(404, f"Resource '{name}' was not found")
        return self.redis[name]

    def _redis_get(self, req: Request) -> tuple[int, Json]:
        return 200, _public(self._redis_find(req))

    def _redis_auth(self, req: Request) -> tuple[int, Json]:
        inst = self._redis_find(req)
        if not inst.get("authEnabled"):
            raise ApiError(400, "AUTH is not enabled on this instance", "FAILED_PRECONDITION")
        return 200, {"authString": inst["_auth"]}

    def _redis_list(self, req: Request) -> tuple[int, Json]:
        parent = self._run_parent(req)
        items = [_public(i) for n, i in sorted(self.redis.items()) if n.startswith(parent)]
        return 200, self.page(req, items, "instances")

    def _redis_delete(self, req: Request) -> tuple[int, Json]:
        inst = self._redis_find(req)
        del self.redis[inst["name"]]
        return self._operation(self._run_parent(req), _EMPTY, {})


def _op_view(op: Json) -> Json:
    """An operation as the client sees it: not done while polls are still pending."""
    if op.get("_pending"):
        return {"name": op["name"], "done": False}
    return _public(op)


def _check_template(template: Json) -> None:
    """Cloud Run's own limits: 1 to 8 vCPU (or millicores below 1), 128 MiB to 32 GiB."""
    for container in template.get("containers", []):
        limits = (container.get("resources") or {}).get("limits") or {}
        cpu = str(limits.get("cpu", "1"))
        vcpu = int(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)
        if not 0.08 <= vcpu <= 8:
            raise ApiError(
                400, f"spec.template.containers.resources.limits.cpu: {cpu} must be 0.08-8"
            )
        memory = str(limits.get("memory", "512Mi"))
        mib = int(memory[:-2]) if memory.endswith("Mi") else 512
        if not 128 <= mib <= 32768:
            raise ApiError(400, f"spec.template.containers.resources.limits.memory: {memory}")


def _public(item: Json) -> Json:
    """A copy without the fake's private ``_`` keys (stored payloads, counters)."""
    return {k: copy.deepcopy(v) for k, v in item.items() if not k.startswith("_")}


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
