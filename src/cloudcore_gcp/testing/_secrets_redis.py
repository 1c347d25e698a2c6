"""Fake Secret Manager (secrets, versions) and Memorystore for Redis (instances) REST APIs."""

from __future__ import annotations

import base64
import copy
import secrets
from typing import Any

from . import _rules
from ._discovery import b64decode
from ._run import RunAPI, _public
from ._server import ApiError, Request, now_rfc3339

Json = dict[str, Any]

_REDIS_INSTANCE = "type.googleapis.com/google.cloud.redis.v1.Instance"
_REDIS_METADATA = "type.googleapis.com/google.cloud.redis.v1.OperationMetadata"
_EMPTY = "type.googleapis.com/google.protobuf.Empty"
_SM, _REDIS = "secretmanager.v1", "redis.v1"


class SecretsRedisAPI(RunAPI):
    """Secret Manager secrets and versions; Memorystore Redis instances (LROs from RunAPI)."""

    secrets: dict[str, Json]
    versions: dict[str, list[Json]]
    redis: dict[str, Json]

    def _reset_secrets_redis(self) -> None:
        self.secrets, self.versions, self.redis = {}, {}, {}

    def _register_secrets_redis(self) -> None:
        r = self.route
        r(_SM, "projects.secrets.create", self._sm_create)
        r(_SM, "projects.secrets.list", self._sm_list)
        r(_SM, "projects.secrets.get", self._sm_get)
        r(_SM, "projects.secrets.delete", self._sm_delete)
        r(_SM, "projects.secrets.addVersion", self._sm_add_version)
        r(_SM, "projects.secrets.versions.list", self._sm_versions)
        r(_SM, "projects.secrets.versions.access", self._sm_access)
        r(_SM, "projects.secrets.versions.get", self._sm_version)
        loc = "projects.locations."
        r(_REDIS, loc + "instances.create", self._redis_create)
        r(_REDIS, loc + "instances.list", self._redis_list)
        r(_REDIS, loc + "instances.get", self._redis_get)
        r(_REDIS, loc + "instances.getAuthString", self._redis_auth)
        r(_REDIS, loc + "instances.delete", self._redis_delete)
        r(_REDIS, loc + "operations.get", self._op_get)

    # -------------------------------------------------------- Secret Manager
    def _sm_name(self, req: Request) -> str:
        return f"projects/{req.groups[0]}/secrets/{req.groups[1]}"

    def _sm_secret(self, req: Request) -> Json:
        name = self._sm_name(req)
        if name not in self.secrets:
            raise ApiError("NOT_FOUND", f"Secret [{name}] not found or has no versions.")
        return self.secrets[name]

    def _sm_create(self, req: Request) -> tuple[int, Json]:
        sid = req.query.get("secretId", "")
        _rules.secret_id(sid)
        secret = copy.deepcopy(req.body)
        _rules.secret(secret)
        name = f"projects/{req.groups[0]}/secrets/{sid}"
        if name in self.secrets:
            raise ApiError("ALREADY_EXISTS", f"Secret [{name}] already exists.")
        secret.setdefault("replication", {"automatic": {}})
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
            raise ApiError("INVALID_ARGUMENT", "payload.data is required", field="payload.data")
        raw = b64decode(data)
        if len(raw) > 65536:  # SecretPayload.data: "Must be no larger than 64KiB."
            raise ApiError("INVALID_ARGUMENT", "payload larger than 64 KiB", field="payload.data")
        number = len(self.versions[name]) + 1
        version = {
            "name": f"{name}/versions/{number}",
            "createTime": now_rfc3339(),
            "state": "ENABLED",
            "_data": base64.b64encode(raw).decode(),
        }
        self.versions[name].append(version)
        return 200, _public(version)

    def _sm_find(self, req: Request) -> Json:
        self._sm_secret(req)
        versions = self.versions[self._sm_name(req)]
        wanted = req.groups[2]
        if wanted == "latest":
            live = [v for v in versions if v["state"] == "ENABLED"]
            if live:
                return live[-1]
        elif wanted.isdigit() and 1 <= int(wanted) <= len(versions):
            return versions[int(wanted) - 1]
        raise ApiError(
            "NOT_FOUND", f"Secret Version [{self._sm_name(req)}/versions/{wanted}] not found."
        )

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
    def _redis_parent(self, req: Request) -> str:
        return f"projects/{req.groups[0]}/locations/{req.groups[1]}"

    def _redis_op(self, req: Request, verb: str, target: str, response: Json) -> tuple[int, Json]:
        now = now_rfc3339()
        metadata = {
            "@type": _REDIS_METADATA,
            "createTime": now,
            "endTime": now,
            "target": target,
            "verb": verb,
            "apiVersion": "v1",
        }
        type_url = _REDIS_INSTANCE if response else _EMPTY
        return self._operation(self._redis_parent(req), type_url, response, metadata)

    def _redis_create(self, req: Request) -> tuple[int, Json]:
        parent = self._redis_parent(req)
        iid = req.query.get("instanceId", "")
        inst = copy.deepcopy(req.body)
        _rules.redis_instance(iid, inst)
        name = f"{parent}/instances/{iid}"
        if name in self.redis:
            raise ApiError("ALREADY_EXISTS", f"Instance {name} already exists.")
        tls = inst.get("transitEncryptionMode") or "DISABLED"
        inst.update(
            name=name,
            transitEncryptionMode=tls,
            createTime=now_rfc3339(),
            state="READY",
            host=f"10.0.{self.next_id() % 250}.{len(self.redis) + 3}",
            port=6378 if tls == "SERVER_AUTHENTICATION" else 6379,
            locationId=req.groups[1] + "-a",
            redisVersion=inst.get("redisVersion") or "REDIS_7_0",
            _auth=secrets.token_urlsafe(24) if inst.get("authEnabled") else "",
        )
        if inst["tier"] == "STANDARD_HA":
            inst["replicaCount"] = 1
            inst["alternativeLocationId"] = req.groups[1] + "-b"
        self.redis[name] = inst
        return self._redis_op(req, "create", name, _public(inst))

    def _redis_find(self, req: Request) -> Json:
        name = f"{self._redis_parent(req)}/instances/{req.groups[2]}"
        if name not in self.redis:
            raise ApiError("NOT_FOUND", f"Resource '{name}' was not found")
        return self.redis[name]

    def _redis_get(self, req: Request) -> tuple[int, Json]:
        return 200, _public(self._redis_find(req))

    def _redis_auth(self, req: Request) -> tuple[int, Json]:
        inst = self._redis_find(req)
        if not inst.get("authEnabled"):
            raise ApiError("FAILED_PRECONDITION", "AUTH is not enabled on this instance")
        return 200, {"authString": inst["_auth"]}

    def _redis_list(self, req: Request) -> tuple[int, Json]:
        parent = self._redis_parent(req) + "/"
        items = [_public(i) for n, i in sorted(self.redis.items()) if n.startswith(parent)]
        return 200, self.page(req, items, "instances")

    def _redis_delete(self, req: Request) -> tuple[int, Json]:
        inst = self._redis_find(req)
        del self.redis[inst["name"]]
        return self._redis_op(req, "delete", inst["name"], {})
