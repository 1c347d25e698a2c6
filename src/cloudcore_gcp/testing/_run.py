"""Fake Cloud Run v2 (services, long-running operations) and Cloud Logging ``entries:list``.

State is kept as Google answers it without ``enum-encoding=int``: enums as names. Requests
reach the handlers validated and normalised by :mod:`._discovery` (camelCase, enum names,
output-only fields dropped).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import secrets
from typing import Any

from . import _rules
from ._discovery import document
from ._server import ApiError, FakeServer, Request, now_rfc3339

Json = dict[str, Any]

_RUN_SERVICE = "type.googleapis.com/google.cloud.run.v2.Service"
_RUN = "run.v2"
_LOC = "projects.locations."


class RunAPI(FakeServer):
    """Cloud Run v2 services and their operations; Cloud Logging entries."""

    services: dict[str, Json]
    operations: dict[str, Json]
    log_entries: list[Json]

    def _reset_run(self) -> None:
        self.services, self.operations = {}, {}
        self.log_entries = []

    def _register_run(self) -> None:
        r = self.route
        r(_RUN, _LOC + "services.create", self._run_create)
        r(_RUN, _LOC + "services.list", self._run_list)
        r(_RUN, _LOC + "services.get", self._run_get)
        r(_RUN, _LOC + "services.patch", self._run_patch)
        r(_RUN, _LOC + "services.delete", self._run_delete)
        r(_RUN, _LOC + "operations.get", self._op_get)
        r("logging.v2", "entries.list", self._logs_list)

    # ------------------------------------------------------------ operations
    def _operation(
        self, parent: str, type_url: str, response: Json, metadata: Json
    ) -> tuple[int, Json]:
        """A google.longrunning.Operation with ``metadata`` (Cloud Run: the Service; Memorystore:
        its OperationMetadata), done after ``operation_polls`` polls."""
        name = f"{parent}/operations/{self.new_uuid()}"
        op = {
            "name": name,
            "metadata": metadata,
            "done": True,
            "response": {"@type": type_url, **response},
            "_pending": self.operation_polls,
        }
        self.operations[name] = op
        return 200, _op_view(op)

    def _op_get(self, req: Request) -> tuple[int, Json]:
        name = req.path.split("/", 2)[2]
        if name not in self.operations:
            raise ApiError("NOT_FOUND", f"operation {name} not found")
        op = self.operations[name]
        op["_pending"] = max(int(op["_pending"]) - 1, 0)
        return 200, _op_view(op)

    # ------------------------------------------------------------- Cloud Run
    def _parent(self, req: Request) -> str:
        return f"projects/{req.groups[0]}/locations/{req.groups[1]}"

    def _run_find(self, req: Request) -> Json:
        name = f"{self._parent(req)}/services/{req.groups[2]}"
        if name not in self.services:
            raise ApiError("NOT_FOUND", f"Resource '{req.groups[2]}' was not found")
        return self.services[name]

    def _run_check(self, svc: Json) -> None:
        if not svc.get("template"):
            raise ApiError("INVALID_ARGUMENT", "service.template is required", field="template")
        _rules.labels(svc.get("labels"), "service.labels")
        _rules.labels(svc["template"].get("labels"), "service.template.labels")
        _rules.run_template(svc["template"])

    def _run_create(self, req: Request) -> tuple[int, Json]:
        parent = self._parent(req)
        sid = req.query.get("serviceId") or f"svc-{self.new_uuid()[:12]}"
        _rules.run_service_id(sid)
        name = f"{parent}/services/{sid}"
        svc = copy.deepcopy(req.body)
        self._run_check(svc)
        if name in self.services:
            raise ApiError("ALREADY_EXISTS", f"Resource '{sid}' already exists.")
        svc.update(name=name, uid=self.new_uuid(), createTime=now_rfc3339(), generation="0")
        svc.setdefault(
            "traffic", [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}]
        )
        svc["uri"] = f"https://{sid}-{self.project[:6]}-uc.a.run.app"
        _run_defaults(svc, self.project)
        self._run_apply(svc, template_changed=True)
        self.services[name] = svc
        return self._operation(
            parent, _RUN_SERVICE, _public(svc), {"@type": _RUN_SERVICE, **_public(svc)}
        )

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
        ok = {"state": "CONDITION_SUCCEEDED", "lastTransitionTime": svc["updateTime"]}
        svc["terminalCondition"] = {"type": "Ready", **ok}
        svc["conditions"] = [{"type": "RoutesReady", **ok}, {"type": "ConfigurationsReady", **ok}]
        svc["trafficStatuses"] = [
            {
                "type": t.get("type", "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"),
                "percent": t.get("percent", 0),
                "revision": t.get("revision") or svc["latestReadyRevision"].rsplit("/", 1)[1],
            }
            for t in svc.get("traffic", [])
        ]

    def _run_get(self, req: Request) -> tuple[int, Json]:
        return 200, _public(self._run_find(req))

    def _run_list(self, req: Request) -> tuple[int, Json]:
        parent = self._parent(req) + "/"
        items = [_public(s) for n, s in sorted(self.services.items()) if n.startswith(parent)]
        return 200, self.page(req, items, "services")

    def _run_patch(self, req: Request) -> tuple[int, Json]:
        """``services.patch``: with ``updateMask``, only the named fields change (AIP-134);
        without one, every writable field is replaced by the body's."""
        svc = self._run_find(req)
        body = req.body
        if body.get("etag") and body["etag"] != svc["etag"]:
            raise ApiError("ABORTED", "etag mismatch: the service changed since it was read")
        mask = [p for p in req.query.get("updateMask", "").split(",") if p]
        writable = _writable()
        if not mask:
            mask = sorted(writable - {"name", "etag"})
        new = copy.deepcopy(svc)
        for path in mask:
            head = path.split(".", 1)[0]
            if head not in writable:
                raise ApiError(
                    "INVALID_ARGUMENT",
                    f"updateMask: {path!r} is not a writable field",
                    field="updateMask",
                )
            _set_path(new, path, _get_path(body, path))
        self._run_check(new)
        _run_defaults(new, self.project)
        changed = _canon(new.get("template")) != _canon(svc.get("template"))
        svc.clear()
        svc.update(new)
        self._run_apply(svc, template_changed=changed)
        return self._operation(
            self._parent(req), _RUN_SERVICE, _public(svc), {"@type": _RUN_SERVICE, **_public(svc)}
        )

    def _run_delete(self, req: Request) -> tuple[int, Json]:
        svc = self._run_find(req)
        del self.services[svc["name"]]
        return self._operation(
            self._parent(req), _RUN_SERVICE, _public(svc), {"@type": _RUN_SERVICE, **_public(svc)}
        )

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
        if not req.body.get("resourceNames"):
            raise ApiError("INVALID_ARGUMENT", "resourceNames is required", field="resourceNames")
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
        # entries.list: "pageSize ... Non-positive values are ignored. The presence of
        # nextPageToken in the response indicates that more results might be available."
        size = max(1, min(int(req.body.get("pageSize") or self.page_size), self.page_size))
        start = int(req.body.get("pageToken") or 0)
        out: Json = {"entries": items[start : start + size]}
        if start + size < len(items):
            out["nextPageToken"] = str(start + size)
        return 200, out


def _run_defaults(svc: Json, project: str) -> None:
    """Fill what Cloud Run fills in a service it stores, so clients read these defaults back
    (and must not mistake them for what they asked):

    * ``ingress`` INGRESS_TRAFFIC_ALL and ``launchStage`` GA
      (https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services);
    * ``template.timeout`` 300s (https://cloud.google.com/run/docs/configuring/request-timeout);
    * ``template.serviceAccount``, the project's default compute service account
      (https://cloud.google.com/run/docs/securing/service-identity);
    * ``template.maxInstanceRequestConcurrency`` 80
      (https://cloud.google.com/run/docs/about-concurrency);
    * ``template.scaling.maxInstanceCount`` 100
      (https://cloud.google.com/run/docs/configuring/max-instances);
    * per container: ``resources.limits`` 1000m / 512Mi when absent
      (https://cloud.google.com/run/docs/configuring/services/memory-limits), port names
      ``http1`` (https://cloud.google.com/run/docs/reference/rest/v2/Container#ContainerPort),
      and the default TCP startup probe, 240 s period and timeout, one failure
      (https://cloud.google.com/run/docs/configuring/healthchecks).
    """
    svc.setdefault("ingress", "INGRESS_TRAFFIC_ALL")
    svc.setdefault("launchStage", "GA")
    template = svc.setdefault("template", {})
    template.setdefault("timeout", "300s")
    template.setdefault(
        "serviceAccount", f"{_number(project)}-compute@developer.gserviceaccount.com"
    )
    template.setdefault("maxInstanceRequestConcurrency", 80)
    template.setdefault("scaling", {}).setdefault("maxInstanceCount", 100)
    for container in template.get("containers") or []:
        limits = container.setdefault("resources", {}).setdefault("limits", {})
        limits.setdefault("cpu", "1000m")
        limits.setdefault("memory", "512Mi")
        ports = container.get("ports") or []
        for port in ports:
            port.setdefault("name", "http1")
        probe_port = int(ports[0].get("containerPort", 8080)) if ports else 8080
        container.setdefault(
            "startupProbe",
            {
                "timeoutSeconds": 240,
                "periodSeconds": 240,
                "failureThreshold": 1,
                "tcpSocket": {"port": probe_port},
            },
        )


def _number(project: str) -> str:
    """A stable 12-digit project number for a project id (real ones are assigned)."""
    return str(int(hashlib.sha256(project.encode()).hexdigest()[:10], 16) % 10**12).zfill(12)


def _writable() -> set[str]:
    props = document(_RUN)["schemas"]["GoogleCloudRunV2Service"]["properties"]
    return {k for k, v in props.items() if not v.get("readOnly")}


def _get_path(obj: Json, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return copy.deepcopy(obj)


def _set_path(obj: Json, path: str, value: Any) -> None:
    *heads, last = path.split(".")
    for part in heads:
        obj = obj.setdefault(part, {})
    if value is None:
        obj.pop(last, None)
    else:
        obj[last] = value


def _op_view(op: Json) -> Json:
    """An operation as the client sees it: not done while polls are still pending."""
    if op.get("_pending"):
        return {"name": op["name"], "metadata": copy.deepcopy(op["metadata"]), "done": False}
    return _public(op)


def _public(item: Json) -> Json:
    """A copy without the fake's private ``_`` keys (stored payloads, counters)."""
    return {k: copy.deepcopy(v) for k, v in item.items() if not k.startswith("_")}


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
