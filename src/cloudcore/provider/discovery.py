"""The ``discovery`` capability: what cloudcore manages, and the schema of each thing.

Protocol (:class:`DiscoveryProtocol`), implementation on the base provider with the driver hook
(:class:`DiscoveryMethods`), and composition routing (:class:`DiscoveryRouting`: the resources of
every distinct provider in the composition, merged).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Protocol, cast

from ..capabilities import Capability
from ..errors import ConfigurationError, NotFound
from ..models import Resource, ResourceSchema, ResourceType, parse_resource_id
from ._core import ProviderCore, RouterCore

if TYPE_CHECKING:
    from ..protocol import CloudProvider

__all__ = ["DiscoveryMethods", "DiscoveryProtocol", "DiscoveryRouting"]

C = Capability.DISCOVERY


class DiscoveryProtocol(Protocol):
    """Resource discovery."""

    def list_resources(
        self, type: ResourceType | str | None = None, tags: Mapping[str, str] | None = None
    ) -> Iterator[Resource]: ...
    def get_resource_schema(self, id: str) -> ResourceSchema: ...


class DiscoveryMethods(ProviderCore):
    """``discovery`` on a driver: public methods, then the ``_`` hook a driver implements."""

    def list_resources(
        self, type: ResourceType | str | None = None, tags: Mapping[str, str] | None = None
    ) -> Iterator[Resource]:
        """What cloudcore manages here, optionally of one type and carrying all ``tags``."""
        self.require(C)
        try:
            rtype = ResourceType(type) if type is not None else None
        except ValueError:
            known = ", ".join(t.value for t in ResourceType)
            raise ConfigurationError(
                f"type: {type!r} is not one of {known}", field="type"
            ) from None
        want = dict(tags or {})
        # The driver filters (a tag API does it server-side); the core does not filter again,
        # so a driver that ignores ``type`` or ``tags`` shows in the conformance suite instead
        # of being hidden here.
        items = self._invoke(
            "list_resources",
            rtype.value if rtype else None,
            lambda: list(self._list_resources(rtype, want)),
        )
        return iter(items)

    def get_resource_schema(self, id: str) -> ResourceSchema:
        """Schemas, operations and hints for one resource (or a type: ``type:service``).

        Raises:
            NotFound: no resource with that id is managed here.
        """
        self.require(C)
        from ..llm.schemas import resource_schema, type_schema

        me = cast("CloudProvider", self)  # a DiscoveryMethods is always part of a BaseProvider

        if isinstance(id, str) and id.startswith("type:"):
            try:
                rtype = ResourceType(id[5:])
            except ValueError:
                raise ConfigurationError(
                    f"id: unknown resource type {id[5:]!r}", field="id"
                ) from None
            return type_schema(me, rtype)
        try:
            _, _, rtype, _ = parse_resource_id(id)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"id: {exc}", field="id") from None

        def find() -> ResourceSchema:
            for res in self._list_resources(rtype, {}):
                if res.id == id:
                    return resource_schema(me, res)
            raise NotFound(f"no {rtype.value} with id {id!r}")

        return self._invoke("get_resource_schema", id, find)

    # ------------------------------------------------------- driver hooks
    def _list_resources(
        self, type: ResourceType | None, tags: Mapping[str, str]
    ) -> Iterator[Resource]:
        """Yield the managed resources of ``type`` (all when ``None``) carrying every tag in
        ``tags``. Never a resource cloudcore does not manage, never a secret value.

        The driver filters on both ``type`` and ``tags`` (server-side where the provider has a
        tag filter, else with :meth:`Resource.carries <cloudcore.models.Resource.carries>`);
        the core returns what this yields unchanged."""
        return iter(())


class DiscoveryRouting(RouterCore):
    """``discovery`` in a composition: every distinct provider's resources, merged."""

    def list_resources(
        self, type: ResourceType | str | None = None, tags: Mapping[str, str] | None = None
    ) -> Iterator[Resource]:
        """Resources of every distinct provider in the composition that offers discovery."""
        self._route(C)
        seen: set[str] = set()
        for prov in self._providers():
            if not prov.supports(C):
                continue
            for res in prov.list_resources(type, tags):
                if res.id not in seen:
                    seen.add(res.id)
                    yield res

    def get_resource_schema(self, id: str) -> ResourceSchema:
        self._route(C)
        if id.startswith("type:"):
            return self._route(C).get_resource_schema(id)
        try:
            provider, *_ = parse_resource_id(id)
        except ValueError as exc:
            raise ConfigurationError(f"id: {exc}", field="id") from None
        for prov in self._providers():
            if prov.name == provider and prov.supports(C):
                return prov.get_resource_schema(id)
        raise NotFound(f"no provider {provider!r} in this composition", resource=id)
