"""cloudcore drivers for your own machines: ``baremetal`` (Linux hosts over SSH) and ``local``.

``BaremetalProvider`` and ``LocalProvider`` are imported on first access, so importing this
package (or its ``plugin`` module) loads neither paramiko nor cryptography.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .local import LocalProvider
    from .provider import BaremetalProvider

__all__ = ["BaremetalProvider", "LocalProvider"]


def __getattr__(name: str) -> Any:
    if name == "BaremetalProvider":
        from .provider import BaremetalProvider

        return BaremetalProvider
    if name == "LocalProvider":
        from .local import LocalProvider

        return LocalProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
