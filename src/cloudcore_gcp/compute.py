"""Compute on Cloud Run v2: one Cloud Run service per cloudcore service.

Mapping (documented in docs/drivers/gcp.md):

* ``cpu``/``memory`` → ``resources.limits`` ``"1"`` / ``"512Mi"`` (fractions as millicores),
  checked against what Cloud Run allows before any call (:func:`._mapping.run_resources`):
  below 1 vCPU the revision gets concurrency 1, request-based billing (``cpuIdle``) and the
  first-generation environment, which Cloud Run requires there;
* the service id is the cloudcore name, or, for names Cloud Run refuses (50 characters and
  more), a shortened one with a hash suffix (:func:`._mapping.provider_id`); the
  ``cloudcore-name`` label keeps the name;
* ``port`` → the container port; ``env`` → plain variables; ``secrets`` → ``secretKeyRef`` on
  Secret Manager (the secret id of the cloudcore key, ``latest`` unless a version is given);
* ``health_check`` → startup probe (HTTP or TCP) plus an HTTP liveness probe;
* fixed ``replicas`` → service-level manual scaling (``manualInstanceCount``), which Cloud Run
  applies without a new revision; ``autoscaling`` → revision ``min/maxInstanceCount`` (Cloud Run
  scales on request concurrency and CPU itself, so ``cpu_target_percent`` is not sent);
* ``extras``: ``ingress`` (``all`` | ``internal`` | ``internal-and-cloud-load-balancing`` |
  ``none``), ``concurrency``, ``service_account``, ``timeout_seconds``.

Logs come from Cloud Logging (``entries:list`` on the ``cloud_run_revision`` resource of the
service), newest ``limit`` lines, returned oldest first.

``deploy_service`` reads the service and compares the fields it manages before writing: an
unchanged config sends no PATCH, so Cloud Run creates no new revision. Writes are PATCHes with an
update mask naming the fields cloudcore sets (``scale_service`` sends only ``scaling``), never
the output-only fields of a service read back. Before writing, every secret reference is looked
up: a missing secret (or pinned version) raises ``NotFound`` and nothing is written.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cloudcore.errors import AlreadyExists, ConfigurationError, NotFound
from cloudcore.models import (
    DeploymentResult,
    LogEntry,
    ServiceConfig,
    ServiceEvent,
    ServiceState,
    ServiceStatus,
    ServiceSummary,
    utcnow,
)
from cloudcore.models._base import NAME_TAG_KEY

from ._base import GCPBase, labels_for, managed
from ._errors import raise_for_response
from ._mapping import SERVICE_ID_LIMIT, provider_id, run_resources
from .secrets import secret_id

__all__ = ["GCPCompute"]

_INGRESS = {"all": 1, "internal": 2, "internal-and-cloud-load-balancing": 3, "none": 4}
_MANUAL, _AUTOMATIC = 2, 1
_EXTRAS = {"ingress", "concurrency", "service_account", "timeout_seconds"}
_STARTUP_MAX = 240


LATEST_ANNOTATION = "cloudcore-secrets-latest"
"""Revision-template annotation listing the secret variables deployed as "latest"."""


def _probe(config: ServiceConfig, *, liveness: bool) -> dict[str, Any] | None:
    hc = config.health_check
    if hc is None or (liveness and hc.path is None):
        return None
    port = hc.port or config.port or 8080
    if not liveness:  # run.v2 Probe: startup probes allow at most 240 s period and delay
        for field, value in (
            ("interval_seconds", hc.interval_seconds),
            ("grace_seconds", hc.grace_seconds),
        ):
            if value > _STARTUP_MAX:
                raise ConfigurationError(
                    f"health_check.{field}: Cloud Run startup probes allow at most "
                    f"{_STARTUP_MAX} s (got {value})",
                    field=f"health_check.{field}",
                )
    probe: dict[str, Any] = {
        "period_seconds": hc.interval_seconds,
        "timeout_seconds": hc.timeout_seconds,
        "failure_threshold": hc.unhealthy_threshold,
    }
    if not liveness:
        probe["initial_delay_seconds"] = hc.grace_seconds
    if hc.path is None:
        probe["tcp_socket"] = {"port": port}
    else:
        probe["http_get"] = {"path": hc.path, "port": port}
    return probe


def desired_service(provider: GCPBase, name: str, config: ServiceConfig) -> dict[str, Any]:
    """The Cloud Run v2 ``Service`` (as a dict of proto fields) a config means."""
    unknown = sorted(set(config.extras) - _EXTRAS)
    if unknown:
        raise ConfigurationError(f"extras: unknown gcp compute options {unknown}", field="extras")
    ingress = config.extras.get("ingress", "all")
    if ingress not in _INGRESS:
        raise ConfigurationError(f"extras.ingress: one of {sorted(_INGRESS)}", field="extras")
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in sorted(config.env.items())]
    for var, ref in sorted(config.secrets.items()):
        env.append(
            {
                "name": var,
                "value_source": {
                    "secret_key_ref": {
                        "secret": secret_id(ref.key),
                        "version": ref.version or "latest",
                    }
                },
            }
        )
    resources, run_fields = run_resources(
        config.cpu, config.memory, config.extras.get("concurrency")
    )
    container: dict[str, Any] = {
        "name": "app",
        "image": config.image,
        "env": env,
        "resources": resources,
    }
    if config.command:
        container["command"] = list(config.command)
    if config.port:
        container["ports"] = [{"container_port": config.port}]
    startup, liveness = _probe(config, liveness=False), _probe(config, liveness=True)
    if startup:
        container["startup_probe"] = startup
    if liveness:
        container["liveness_probe"] = liveness
    template: dict[str, Any] = {
        "containers": [container],
        "labels": labels_for(name, config.tags),
        **run_fields,
    }
    if "service_account" in config.extras:
        template["service_account"] = str(config.extras["service_account"])
    if "timeout_seconds" in config.extras:
        template["timeout"] = f"{int(config.extras['timeout_seconds'])}s"
    if config.autoscaling is not None:
        template["scaling"] = {
            "min_instance_count": config.autoscaling.min_replicas,
            "max_instance_count": config.autoscaling.max_replicas,
        }
        scaling: dict[str, Any] = {"scaling_mode": _AUTOMATIC}
    else:
        scaling = {"scaling_mode": _MANUAL, "manual_instance_count": config.replicas}
    return {
        "labels": labels_for(name, config.tags),
        "ingress": _INGRESS[ingress],
        "template": template,
        "scaling": scaling,
    }


def _subset(want: Any, have: Any) -> bool:
    """Whether ``have`` holds everything ``want`` says (extra server defaults are ignored)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(_subset(v, have.get(k)) for k, v in want.items())
    if isinstance(want, list) and not want:
        return not have
    if isinstance(want, list):
        return (
            isinstance(have, list)
            and len(want) == len(have)
            and all(_subset(w, h) for w, h in zip(want, have, strict=True))
        )
    return bool(want == have or (want in (0, "", False) and have in (None, 0, "", False)))


def _as_dict(service: Any) -> dict[str, Any]:
    from google.cloud import run_v2

    out: dict[str, Any] = json.loads(
        run_v2.Service.to_json(
            service, preserving_proto_field_name=True, use_integers_for_enums=True
        )
    )
    return out


def _log_entry(entry: dict[str, Any]) -> LogEntry:
    payload = entry.get("jsonPayload")
    if "textPayload" in entry:
        message = str(entry["textPayload"])
    elif isinstance(payload, dict):
        message = str(payload.get("message") or json.dumps(payload, sort_keys=True))
    else:
        message = json.dumps(entry.get("protoPayload") or {}, sort_keys=True)
    stamp = str(entry.get("timestamp") or entry.get("receiveTimestamp") or "")
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        when = utcnow()
    labels = (entry.get("resource") or {}).get("labels") or {}
    return LogEntry(
        time=when if when.tzinfo else when.replace(tzinfo=UTC),
        message=message,
        source=labels.get("revision_name") or entry.get("logName"),
    )


def _short(revision: str) -> str:
    return revision.rsplit("/", 1)[-1] if revision else ""


class GCPCompute(GCPBase):
    """The compute capability (Cloud Run v2 services)."""

    def _service_name(self, name: str) -> str:
        return f"{self.parent}/services/{provider_id(name, SERVICE_ID_LIMIT)}"

    def _find_service(self, name: str) -> Any | None:
        from google.api_core import exceptions as gexc

        try:
            return self.clients.run().get_service(name=self._service_name(name), **self.kw())
        except gexc.NotFound:
            return None

    def _result(self, name: str, service: Any, changed: bool, replicas: int) -> DeploymentResult:
        return DeploymentResult(
            name=name,
            revision=_short(service.latest_ready_revision or service.latest_created_revision),
            changed=changed,
            replicas=replicas,
            endpoint=service.uri or None,
            provider_id=service.name,
        )

    def _check_secret_refs(self, config: ServiceConfig) -> None:
        """``NotFound`` for a secret reference (or pinned version) Secret Manager lacks."""
        client = self.clients.secrets()
        for var, ref in sorted(config.secrets.items()):
            name = f"projects/{self.project}/secrets/{secret_id(ref.key)}"
            if ref.version:
                name = f"{name}/versions/{ref.version}"

            def lookup(n: str = name, version: bool = bool(ref.version)) -> object:
                if version:
                    return client.get_secret_version(name=n, **self.kw())
                return client.get_secret(name=n, **self.kw())

            try:
                self.call(lookup)
            except NotFound:
                what = f"version {ref.version!r} of secret" if ref.version else "secret"
                raise NotFound(
                    f"secrets.{var}: {what} {ref.key!r} does not exist; store it first"
                ) from None

    def _pin_latest(self, config: ServiceConfig) -> tuple[ServiceConfig, list[str]]:
        """``config`` with each "latest" secret reference pinned to the version enabled now, and
        the variables so pinned. Cloud Run resolves ``latest`` when an instance starts: pinned,
        a rotation changes the revision template and the redeploy rolls every instance onto the
        new value (``changed=True``), as on every other driver."""
        latest = sorted(var for var, ref in config.secrets.items() if ref.version is None)
        if not latest:
            return config, []
        client = self.clients.secrets()
        pinned = dict(config.secrets)
        for var in latest:
            ref = config.secrets[var]
            name = f"projects/{self.project}/secrets/{secret_id(ref.key)}/versions/latest"

            def lookup(n: str = name) -> Any:
                return client.get_secret_version(name=n, **self.kw())

            try:
                got = self.call(lookup)
            except NotFound:
                raise NotFound(
                    f"secrets.{var}: secret {ref.key!r} does not exist (or has no enabled "
                    "version); store it first"
                ) from None
            pinned[var] = ref.model_copy(update={"version": str(got.name).rsplit("/", 1)[-1]})
        return config.model_copy(update={"secrets": pinned}), latest

    def _deploy_service(self, name: str, config: ServiceConfig) -> DeploymentResult:
        from google.cloud import run_v2
        from google.protobuf import field_mask_pb2

        pinned, latest = self._pin_latest(config)  # NotFound before anything is written
        want = desired_service(self, name, pinned)
        # which variables were "latest" before pinning: read-back reports them so again
        want["template"]["annotations"] = {LATEST_ANNOTATION: ",".join(latest)}
        client = self.clients.run()
        current = self._find_service(name)
        if current is None:
            self._check_secret_refs(config)
            op = client.create_service(
                parent=self.parent,
                service=run_v2.Service(want),
                service_id=provider_id(name, SERVICE_ID_LIMIT),
                **self.kw(),
            )
            created = self.wait_lro(op, f"Cloud Run service {name!r}")
            return self._result(name, created, True, config.replicas)
        if not managed(current.labels) or current.labels.get(NAME_TAG_KEY) != name:
            raise AlreadyExists(
                f"Cloud Run service {name!r} exists and is not managed by cloudcore"
            )
        have = _as_dict(current)
        have.setdefault("scaling", {}).setdefault("scaling_mode", _AUTOMATIC)  # unset = automatic
        if _subset(want, have):
            return self._result(name, current, False, config.replicas)
        self._check_secret_refs(config)
        update = run_v2.Service(want)
        update.name = current.name
        op = client.update_service(
            request=run_v2.UpdateServiceRequest(
                service=update, update_mask=field_mask_pb2.FieldMask(paths=sorted(want))
            ),
            **self.kw(),
        )
        updated = self.wait_lro(op, f"Cloud Run service {name!r}")
        return self._result(name, updated, True, config.replicas)

    def _managed_service(self, name: str) -> Any:
        service = self._find_service(name)
        if service is None:
            raise NotFound(f"no Cloud Run service {name!r}")
        self.ensure_managed(service.labels, f"Cloud Run service {name!r}")
        return service

    def _scale_service(self, name: str, replicas: int) -> ServiceStatus:
        from google.cloud import run_v2
        from google.protobuf import field_mask_pb2

        service = self._managed_service(name)
        scaling = service.scaling
        if int(scaling.scaling_mode) != _MANUAL or scaling.manual_instance_count != replicas:
            # only the scaling, by update mask: never the output-only fields read back
            update = run_v2.Service(
                name=service.name,
                scaling=run_v2.ServiceScaling(scaling_mode=_MANUAL, manual_instance_count=replicas),
            )
            op = self.clients.run().update_service(
                request=run_v2.UpdateServiceRequest(
                    service=update, update_mask=field_mask_pb2.FieldMask(paths=["scaling"])
                ),
                **self.kw(),
            )
            service = self.wait_lro(op, f"Cloud Run service {name!r}")
        return self._status(name, service)

    def _desired(self, service: Any) -> int:
        if int(service.scaling.scaling_mode) == _MANUAL:
            return int(service.scaling.manual_instance_count)
        return int(service.template.scaling.min_instance_count)

    def _state(self, service: Any, desired: int) -> ServiceState:
        cond = int(service.terminal_condition.state)
        if cond == 3:  # CONDITION_FAILED
            return ServiceState.FAILED
        if service.reconciling or cond in (1, 2):
            return ServiceState.DEPLOYING
        if cond == 4:
            if int(service.scaling.scaling_mode) == _MANUAL and desired == 0:
                return ServiceState.STOPPED
            return ServiceState.RUNNING
        return ServiceState.UNKNOWN

    def _status(self, name: str, service: Any) -> ServiceStatus:
        desired = self._desired(service)
        state = self._state(service, desired)
        running = desired if state is ServiceState.RUNNING else 0
        traffic = ", ".join(
            f"{t.percent}% {t.revision or 'latest'}" for t in service.traffic_statuses
        )
        cond = service.terminal_condition
        events = tuple(
            ServiceEvent(
                time=c.last_transition_time or utcnow(),
                message=f"{c.type_}: {type(c.state)(c.state).name}"
                + (f" ({c.message})" if c.message else ""),
            )
            for c in service.conditions
        )
        return ServiceStatus(
            name=name,
            state=state,
            desired=desired,
            running=running,
            pending=max(desired - running, 0) if state is ServiceState.DEPLOYING else 0,
            revision=_short(service.latest_ready_revision or service.latest_created_revision),
            deployment_state=f"{type(cond.state)(cond.state).name}; traffic: {traffic or 'none'}",
            endpoint=service.uri or None,
            events=events,
        )

    def _get_service_status(self, name: str) -> ServiceStatus:
        return self._status(name, self._managed_service(name))

    def managed_services(self) -> list[Any]:
        """Every Cloud Run service labelled ``managed-by=cloudcore`` in the region."""
        client = self.clients.run()

        def fetch(token: str) -> tuple[list[Any], str]:
            pager = client.list_services(
                request={"parent": self.parent, "page_token": token, "page_size": 100},
                **self.kw(),
            )
            return list(pager.services), str(pager.next_page_token)

        return [s for s in self.pages(fetch) if managed(s.labels)]

    def _list_services(self) -> list[ServiceSummary]:
        out = []
        for service in self.managed_services():
            name = service.labels.get(NAME_TAG_KEY) or service.name.rsplit("/", 1)[1]
            status = self._status(name, service)
            out.append(
                ServiceSummary(
                    name=name, revision=status.revision, replicas=status.desired, state=status.state
                )
            )
        return sorted(out, key=lambda s: s.name)

    def _get_logs(self, name: str, since: datetime | None, limit: int) -> list[LogEntry]:
        """The service's log lines from Cloud Logging (``entries:list`` over REST)."""
        self._managed_service(name)  # NotFound for a missing service
        session = self.clients.session("logging")
        url = f"{self.clients.base_url('logging')}/v2/entries:list"
        flt = (
            f'resource.type="cloud_run_revision" '
            f'AND resource.labels.service_name="{provider_id(name, SERVICE_ID_LIMIT)}" '
            f'AND resource.labels.location="{self.location}"'
        )
        if since is not None:
            stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            flt += f' AND timestamp>="{stamp}"'
        entries: list[dict[str, Any]] = []
        token = ""
        while len(entries) < limit:
            body: dict[str, Any] = {
                "resourceNames": [f"projects/{self.project}"],
                "filter": flt,
                "orderBy": "timestamp desc",
                "pageSize": min(limit - len(entries), 1000),
            }
            if token:
                body["pageToken"] = token

            def fetch(payload: dict[str, Any] = body) -> dict[str, Any]:
                resp = session.post(url, json=payload, timeout=self._timeout)
                raise_for_response(resp)
                out: dict[str, Any] = resp.json()
                return out

            page = self.call(fetch)
            entries += page.get("entries", [])
            token = str(page.get("nextPageToken", ""))
            if not token:
                break
        lines = [_log_entry(e) for e in reversed(entries[:limit])]  # newest first → oldest first
        return sorted(lines, key=lambda e: e.time)  # stable: equal times keep Logging's order

    def _delete_service(self, name: str) -> None:
        from google.api_core import exceptions as gexc

        service = self._find_service(name)
        if service is None:
            return
        self.ensure_managed(service.labels, f"Cloud Run service {name!r}")
        try:
            op = self.clients.run().delete_service(name=service.name, **self.kw())
        except gexc.NotFound:
            return
        self.wait_lro(op, f"deletion of Cloud Run service {name!r}")
