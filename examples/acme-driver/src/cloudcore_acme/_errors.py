"""The driver's one error-mapping point."""

from __future__ import annotations

from cloudcore.errors import CloudcoreError, Conflict, NotFound, RateLimited, TransientError

from .api import AcmeAPIError


def map_error(exc: Exception) -> CloudcoreError | None:
    """Translate an Acme API error; ``None`` for anything unknown (becomes ProviderError)."""
    if not isinstance(exc, AcmeAPIError):
        return None
    if exc.status == 404:
        return NotFound(str(exc))
    if exc.status == 409:
        return Conflict(str(exc))
    if exc.status == 429:
        return RateLimited(str(exc), retry_after=exc.retry_after)
    if exc.status >= 500:
        return TransientError(str(exc))
    return None
