"""The ``memory`` driver: in-process reference implementation of every capability."""

from .provider import MemoryProvider

__all__ = ["MemoryProvider"]
