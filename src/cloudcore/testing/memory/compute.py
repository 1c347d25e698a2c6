"""Memory compute: services with revisions, replicas, events and logs."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from ...errors import NotFound
from ...models import (
    DeploymentResult,
    LogEntry,
    ServiceConfig,
    ServiceEvent,
    ServiceState,
    ServiceStatus,
    ServiceSummary,
    utcnow,
)
from ._core import MemoryCore

_MAX_LOG = 1000


def config_hash(config: ServiceConfig, resolved: dict[str, str] | None = None) -> str:
    """A stable digest of a service config and the secret versions its references resolve to:
    equal inputs, equal digests."""
    doc = {"config": config.model_dump(mode="json"), "secret_versions": resolved or {}}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class MemoryCompute(MemoryCore):
    """Services: a deploy with an unchanged config writes nothing and keeps the revision."""

    def _deploy_service(self, name: str, config: ServiceConfig) -> DeploymentResult:
        with self._state.open() as data:
            self._api("DescribeService", mutating=False)
            # every referenced secret (and pinned version) must exist before anything is
            # written; the versions the refs resolve to are part of the digest, so a deploy
            # after a referenced secret was rotated rolls the service onto the new value
            resolved = self._resolve_secret_refs(data, config)
            digest = config_hash(config, resolved)
            current = data["services"].get(name)
            if current is not None and current["hash"] == digest:
                return self._result(name, current, changed=False)
            self._api("PutService", mutating=True)
            now = utcnow().isoformat()
            revision = (current["revision"] if current else 0) + 1
            svc = {
                "config": config.model_dump(mode="json"),
                "hash": digest,
                "revision": revision,
                "replicas": config.replicas,
                "created": current["created"] if current else now,
                "updated": now,
                "events": (current["events"] if current else [])[-19:],
                "logs": current["logs"] if current else [],
            }
            self._event(svc, f"deployed revision {revision} ({config.replicas} replicas)")
            data["services"][name] = svc
            return self._result(name, svc, changed=True)

    def _resolve_secret_refs(self, data: dict[str, Any], config: ServiceConfig) -> dict[str, str]:
        """Env var to the secret version each reference resolves to; ``NotFound`` for a
        reference to a secret (or version) that does not exist."""
        if not config.secrets:
            return {}
        self._api("ListSecretVersions", mutating=False)
        out: dict[str, str] = {}
        for env, ref in sorted(config.secrets.items()):
            entry = data["secrets"].get(ref.key)
            versions = [v["id"] for v in entry["versions"]] if entry else []
            if not versions:
                raise NotFound(
                    f"secrets.{env}: no secret named {ref.key!r}; store it before deploying",
                    resource=ref.key,
                )
            if ref.version is not None and ref.version not in versions:
                raise NotFound(
                    f"secrets.{env}: secret {ref.key!r} has no version {ref.version!r}",
                    resource=ref.key,
                )
            out[env] = f"{ref.key}@{ref.version or versions[-1]}"
        return out

    def _result(self, name: str, svc: dict[str, Any], *, changed: bool) -> DeploymentResult:
        port = svc["config"].get("port")
        return DeploymentResult(
            name=name,
            revision=str(svc["revision"]),
            changed=changed,
            replicas=svc["replicas"],
            endpoint=f"http://{name}.memory.internal:{port}" if port else None,
            provider_id=f"memory:service:{name}",
        )

    def _event(self, svc: dict[str, Any], message: str) -> None:
        now = utcnow().isoformat()
        svc["events"] = [*svc["events"], {"time": now, "message": message}][-20:]
        svc["logs"] = [*svc["logs"], {"time": now, "message": message, "source": "memory"}][
            -_MAX_LOG:
        ]

    def _scale_service(self, name: str, replicas: int) -> ServiceStatus:
        with self._state.open() as data:
            self._api("DescribeService", mutating=False)
            svc = data["services"].get(name)
            if svc is None:
                raise NotFound(f"no service named {name!r}")
            if svc["replicas"] != replicas:
                self._api("UpdateServiceReplicas", mutating=True)
                svc["replicas"] = replicas
                svc["updated"] = utcnow().isoformat()
                self._event(svc, f"scaled to {replicas} replicas")
            return self._status(name, svc)

    def _status(self, name: str, svc: dict[str, Any]) -> ServiceStatus:
        replicas = svc["replicas"]
        port = svc["config"].get("port")
        return ServiceStatus(
            name=name,
            state=ServiceState.RUNNING if replicas else ServiceState.STOPPED,
            desired=replicas,
            running=replicas,
            pending=0,
            revision=str(svc["revision"]),
            deployment_state="COMPLETED",
            endpoint=f"http://{name}.memory.internal:{port}" if port else None,
            events=tuple(
                ServiceEvent(time=datetime.fromisoformat(e["time"]), message=e["message"])
                for e in svc["events"]
            ),
        )

    def _get_service_status(self, name: str) -> ServiceStatus:
        def read(data: dict[str, Any]) -> ServiceStatus:
            svc = data["services"].get(name)
            if svc is None:
                raise NotFound(f"no service named {name!r}")
            return self._status(name, svc)

        return self._read("DescribeService", read)

    def _list_services(self) -> list[ServiceSummary]:
        def items(data: dict[str, Any]) -> list[ServiceSummary]:
            return [
                ServiceSummary(
                    name=n,
                    revision=str(s["revision"]),
                    replicas=s["replicas"],
                    state=ServiceState.RUNNING if s["replicas"] else ServiceState.STOPPED,
                )
                for n, s in sorted(data["services"].items())
            ]

        return list(self._pages("ListServices", items, key=()))

    def _delete_service(self, name: str) -> None:
        with self._state.open() as data:
            self._api("DescribeService", mutating=False)
            if name in data["services"]:
                self._api("DeleteService", mutating=True)
                del data["services"][name]

    def _get_logs(self, name: str, since: datetime | None, limit: int) -> list[LogEntry]:
        def read(data: dict[str, Any]) -> list[LogEntry]:
            svc = data["services"].get(name)
            if svc is None:
                raise NotFound(f"no service named {name!r}")
            entries = [
                LogEntry(
                    time=datetime.fromisoformat(e["time"]),
                    message=e["message"],
                    source=e.get("source"),
                )
                for e in svc["logs"]
            ]
            if since is not None:
                entries = [e for e in entries if e.time >= since]
            return entries[-limit:]

        return self._read("GetLogEvents", read)
