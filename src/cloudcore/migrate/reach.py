"""How a migration reaches a provider's databases from here: a *data plane*.

By default a database is reached at the endpoint its driver returns, logging in with the password
in its password secret. A test target whose stand-in has no real database server behind its
endpoints (moto, the Cloud SQL fake) attaches a data plane that does: a real PostgreSQL where each
database the driver created exists, with the same user and password. The same hook serves a
provider's proxy or tunnel.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pydantic import SecretStr

    from ..models import Database
    from .data import TableStore

__all__ = ["DataPlane", "attach_data_plane", "data_plane_for"]


@runtime_checkable
class DataPlane(Protocol):
    """Gives the tables of one of the provider's databases."""

    def database_store(self, db: Database, password: SecretStr) -> TableStore: ...


_planes: weakref.WeakKeyDictionary[Any, DataPlane] = weakref.WeakKeyDictionary()


def attach_data_plane(provider: Any, plane: DataPlane) -> None:
    """Reach ``provider``'s databases through ``plane`` (test targets, proxies)."""
    _planes[provider] = plane


def data_plane_for(provider: Any) -> DataPlane | None:
    """The data plane attached to ``provider``, if any."""
    return _planes.get(provider)
