"""The one place where Cloudflare SDK errors become cloudcore errors.

Only unambiguous answers become :class:`~cloudcore.errors.NotFound`: a 404 carrying one of the
"this object does not exist" codes below. A 404 without such a code (an unknown route, say) is a
:class:`~cloudcore.errors.ProviderError`, so an outage or a wrong URL is never read as "gone".
"""

from __future__ import annotations

from typing import Any

from cloudcore.errors import (
    AlreadyExists,
    AuthenticationError,
    CloudcoreError,
    Conflict,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    TransientError,
)

__all__ = ["NOT_FOUND_CODES", "map_error", "retry_after"]

NOT_FOUND_CODES = frozenset({81044, 10003, 10006, 1001})
"""404 codes that mean "no such object": DNS record, entry-point ruleset, IP list, secret/store."""

AUTH_CODES = frozenset({9109, 6003, 6111, 1000})
"""Codes of a missing, malformed or invalid token (as opposed to a valid token lacking rights)."""

EXISTS_CODES = frozenset({81057, 1003, 10022})
"""Identical DNS record, secret name taken, list name taken."""


def _codes(exc: Any) -> list[tuple[int, str]]:
    body = getattr(exc, "body", None)
    errors = body.get("errors") if isinstance(body, dict) else None
    out: list[tuple[int, str]] = []
    for err in errors or []:
        if isinstance(err, dict):
            try:
                out.append((int(err.get("code") or 0), str(err.get("message") or "")))
            except (TypeError, ValueError):
                continue
    return out


def retry_after(exc: Any) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds form), or ``None``."""
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def map_error(exc: Exception) -> CloudcoreError | None:
    """Translate a ``cloudflare`` SDK (or httpx) exception; ``None`` when it is not one of them."""
    import cloudflare

    if isinstance(exc, cloudflare.APITimeoutError):
        return TransientError(f"Cloudflare API timed out: {exc}")
    if isinstance(exc, cloudflare.APIConnectionError):
        return TransientError(f"cannot reach the Cloudflare API: {exc}")
    if not isinstance(exc, cloudflare.APIStatusError):
        return None
    status = exc.status_code
    codes = _codes(exc)
    code_set = {c for c, _ in codes}
    text = "; ".join(f"{m} (code {c})" for c, m in codes) or f"HTTP {status}"
    first = codes[0][0] if codes else None
    if status == 429:
        return RateLimited(f"Cloudflare rate limit: {text}", retry_after=retry_after(exc))
    if status >= 500 or status == 408:
        return TransientError(f"Cloudflare server error {status}: {text}")
    if status == 401 or (status in (400, 403) and code_set & AUTH_CODES):
        return AuthenticationError(f"Cloudflare rejected the API token: {text}")
    if status == 403:
        return PermissionDenied(f"the API token lacks permission: {text}")
    if status == 404 and code_set & NOT_FOUND_CODES:
        return NotFound(text)
    if code_set & EXISTS_CODES:
        return AlreadyExists(text)
    if status == 409:
        return Conflict(text)
    return ProviderError(f"Cloudflare API error {status}: {text}", code=str(first or status))
