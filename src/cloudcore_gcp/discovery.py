"""Discovery: every resource labelled ``managed-by=cloudcore``, as portable ``Resource`` items.

Cloud Armor policies are listed with one plain REST call on the authorised session, so listing
resources does not import ``google.cloud.compute_v1`` (1.5 s). DNS zones are the user's: they are
listed only when labelled ``managed-by=cloudcore``; record sets carry no labels, so the ones the
DNS module's ownership registry (``_cloudcore.<name>`` TXT) names are listed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from cloudcore.capabilities import Capability as C
from cloudcore.llm.schemas import OPERATIONS_BY_TYPE
from cloudcore.models import NAME_TAG_KEY, Resource, ResourceType, resource_id

from ._base import GCPBase, managed
from ._errors import raise_for_response

__all__ = ["GCPDiscovery"]

T = ResourceType


def _when(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) and value.year > 1970 else None


class GCPDiscovery(GCPBase):
    """The discovery capability."""

    def _resource(
        self,
        rtype: ResourceType,
        name: str,
        labels: Mapping[str, str],
        provider_id: str,
        **kw: Any,
    ) -> Resource:
        return Resource(
            id=resource_id(self.name, self.location, rtype, name),
            type=rtype,
            provider=self.name,
            region=self.location,
            name=name,
            tags=dict(labels),
            operations=OPERATIONS_BY_TYPE.get(rtype, ()),
            provider_id=provider_id,
            **kw,
        )

    def _armor_policies(self) -> list[dict[str, Any]]:
        session = self.clients.session("compute")
        url = f"{self.clients.base_url('compute')}/compute/v1/projects/{self.project}/global/securityPolicies"

        def fetch(token: str) -> tuple[list[dict[str, Any]], str]:
            params = {"maxResults": "500", **({"pageToken": token} if token else {})}
            resp = session.get(url, params=params, timeout=self._timeout)
            raise_for_response(resp)
            body = resp.json()
            return list(body.get("items", [])), str(body.get("nextPageToken", ""))

        return [p for p in self.pages(fetch) if managed(p.get("labels"))]

    def _list_resources(
        self, type: ResourceType | None, tags: Mapping[str, str]
    ) -> Iterator[Resource]:
        want = (lambda t: True) if type is None else (lambda t: t == type)
        out: list[Resource] = []
        if want(T.SERVICE):
            for s in self.managed_services():  # type: ignore[attr-defined]
                name = s.labels.get(NAME_TAG_KEY) or s.name.rsplit("/", 1)[1]
                out.append(
                    self._resource(
                        T.SERVICE,
                        name,
                        s.labels,
                        s.name,
                        state="ready" if int(s.terminal_condition.state) == 4 else "pending",
                        endpoints=(s.uri,) if s.uri else (),
                        created_at=_when(s.create_time),
                    )
                )
        if want(T.DATABASE) or want(T.BACKUP):
            for inst in self.managed_instances():  # type: ignore[attr-defined]
                labels = inst.settings.user_labels
                name = labels.get(NAME_TAG_KEY) or inst.name
                db_id = resource_id(self.name, self.location, T.DATABASE, name)
                if want(T.DATABASE):
                    out.append(
                        self._resource(
                            T.DATABASE,
                            name,
                            labels,
                            inst.connection_name or inst.name,
                            state=type_name(inst.state),
                            endpoints=tuple(f"{ip.ip_address}:5432" for ip in inst.ip_addresses),
                            created_at=_when(inst.create_time),
                        )
                    )
                if want(T.BACKUP):
                    for ref in self._list_backups(name):
                        out.append(
                            self._resource(
                                T.BACKUP,
                                ref.id,
                                {},
                                ref.id,
                                state=ref.status,
                                relationships=(db_id,),
                                created_at=ref.created_at,
                            )
                        )
        if want(T.CACHE):
            for c in self.managed_caches():  # type: ignore[attr-defined]
                name = c.labels.get(NAME_TAG_KEY) or c.name.rsplit("/", 1)[1]
                out.append(
                    self._resource(
                        T.CACHE,
                        name,
                        c.labels,
                        c.name,
                        state=type_name(c.state),
                        endpoints=(f"{c.host}:{c.port}",) if c.host else (),
                    )
                )
        if want(T.SECRET):
            for s in self._managed_secrets():  # type: ignore[attr-defined]
                key = s.annotations.get("cloudcore-key") or s.name.rsplit("/", 1)[1]
                out.append(
                    self._resource(
                        T.SECRET,
                        key,
                        s.labels,
                        s.name,
                        state="active",
                        created_at=_when(s.create_time),
                    )
                )
        if want(T.WAF_POLICY):
            for p in self._armor_policies():
                out.append(
                    self._resource(
                        T.WAF_POLICY,
                        p["name"],
                        p.get("labels", {}),
                        p.get("selfLink") or p["name"],
                        state="active",
                    )
                )
        if want(T.DNS_RECORD):
            from cloudcore.models import MANAGED_BY_KEY, MANAGED_BY_VALUE

            for apex, rec in self.managed_records():  # type: ignore[attr-defined]
                zone_id = resource_id(self.name, self.location, T.DNS_ZONE, apex)
                out.append(
                    self._resource(
                        T.DNS_RECORD,
                        f"{rec.name}/{rec.type.value}",
                        {MANAGED_BY_KEY: MANAGED_BY_VALUE},
                        f"{rec.name}./{rec.type.value}",
                        state="active",
                        relationships=(zone_id,),
                        attributes={"ttl": rec.ttl, "values": list(rec.values)},
                    )
                )
        if want(T.BUCKET) and C.STORAGE in self.capabilities:
            for b in self._gcs().list_buckets(project=self.project, retry=None):  # type: ignore[attr-defined]
                if managed(b.labels):  # never a bucket cloudcore does not manage
                    out.append(
                        self._resource(
                            T.BUCKET,
                            b.name,
                            {k: v for k, v in (b.labels or {}).items() if v is not None},
                            b.name,
                            state="available",
                            created_at=_when(b.time_created),
                            attributes={"versioning": bool(b.versioning_enabled)},
                        )
                    )
        if want(T.DNS_ZONE):
            for z in self.managed_zones():  # type: ignore[attr-defined]
                labels = z._properties.get("labels") or {}
                if managed(labels):
                    apex = z.dns_name.rstrip(".")
                    out.append(self._resource(T.DNS_ZONE, apex, labels, z.name, state="active"))
        # Labels are read with each resource; the driver filters on them here.
        return (r for r in out if r.carries(tags))


def type_name(value: Any) -> str:
    """An enum's name (``RUNNABLE``), or its text."""
    return str(getattr(value, "name", value))
