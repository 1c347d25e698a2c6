"""Composition: one provider made of several, routed by capability.

``connect({"compute": "aws", "database": "aws", "dns": "cloudflare", "waf": "cloudflare"})``
returns a :class:`CompositeProvider`. Each protocol method goes to the provider routed for its
capability, which validates, retries and emits events itself (the forwarding methods live with
their capability in :mod:`cloudcore.provider`). Discovery merges every distinct underlying
provider's resources; ``get_resource_schema`` follows the provider named in the id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Self

from .capabilities import Capability
from .errors import Unsupported
from .protocol import CloudProvider
from .provider.cache import CacheRouting
from .provider.compute import ComputeRouting
from .provider.database import DatabaseRouting
from .provider.discovery import DiscoveryRouting
from .provider.dns import DNSRouting
from .provider.jobs import JobsRouting
from .provider.queues import QueuesRouting
from .provider.secrets import SecretsRouting
from .provider.storage import StorageRouting
from .provider.waf import WAFRouting

__all__ = ["CompositeProvider"]


class CompositeProvider(
    ComputeRouting,
    DatabaseRouting,
    CacheRouting,
    DNSRouting,
    WAFRouting,
    SecretsRouting,
    StorageRouting,
    QueuesRouting,
    JobsRouting,
    DiscoveryRouting,
):
    """Routes each capability to its own provider.

    Args:
        routes: Capability to provider. Capabilities not routed are unsupported, with a reason
            saying how to route them.
        owned: Providers this composite created and must close.
    """

    def __init__(
        self,
        routes: Mapping[Capability, CloudProvider],
        owned: Iterable[CloudProvider] = (),
    ) -> None:
        self._routes = dict(routes)
        self._owned = list(owned)
        for cap, prov in self._routes.items():
            if not prov.supports(cap):
                raise Unsupported(
                    cap.value,
                    reason=f"routed to {prov.name!r}, which does not offer it: "
                    + prov.unsupported_reason(cap),
                )
        parts = ",".join(f"{c.value}={p.name}" for c, p in sorted(self._routes.items()))
        self._name = f"composite({parts})"

    # ----------------------------------------------------------------- meta
    @property
    def name(self) -> str:
        return self._name

    @property
    def region(self) -> str | None:
        regions = {p.region for p in self._providers()}
        return regions.pop() if len(regions) == 1 else None

    @property
    def routes(self) -> dict[Capability, CloudProvider]:
        """Capability to provider, as routed."""
        return dict(self._routes)

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset(self._routes)

    @property
    def features(self) -> Mapping[Capability, frozenset[str]]:
        return {c: p.features.get(c, frozenset()) for c, p in self._routes.items()}

    @property
    def readback_gaps(self) -> Mapping[str, str]:
        """Each routed provider's gaps of the capability routed to it."""
        return {
            key: why
            for cap, prov in self._routes.items()
            for key, why in prov.readback_gaps.items()
            if key.split(":", 1)[0] == cap.value
        }

    def supports(self, capability: Capability | str, feature: str | None = None) -> bool:
        try:
            cap = Capability(capability)
        except ValueError:
            return False
        prov = self._routes.get(cap)
        return prov is not None and prov.supports(cap, feature)

    def close(self) -> None:
        for prov in self._owned:
            prov.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<CompositeProvider {self._name}>"
