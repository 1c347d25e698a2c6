"""The ``memory`` driver: in-process reference implementation of every capability.

``MemoryProvider`` is loaded on first access, so the driver's plugin module (a sibling of this
package's modules) registers the driver without importing the models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .provider import MemoryProvider

__all__ = ["MemoryProvider"]


def __getattr__(name: str) -> Any:
    if name == "MemoryProvider":
        from .provider import MemoryProvider

        return MemoryProvider
    raise AttributeError(f"module 'cloudcore.testing.memory' has no attribute {name!r}")
