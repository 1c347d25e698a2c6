"""The one place Google client errors become cloudcore errors.

``google.api_core.exceptions`` are raised by every client the driver uses (the GAPIC REST
transports and google-cloud-dns alike), classed by HTTP status. Only unambiguous answers map to
:class:`~cloudcore.errors.NotFound`; anything not recognised returns ``None`` so the core raises
:class:`~cloudcore.errors.ProviderError` with the cause attached.
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
    RateLimited,
    TransientError,
)

__all__ = ["map_error", "raise_for_response"]

_RATE_REASONS = {"ratelimitexceeded", "userratelimitexceeded", "quotaexceeded"}


def _status_of(exc: Any) -> str:
    """The Google ``error.status`` (``ALREADY_EXISTS``, ``ABORTED``...) of an HTTP error."""
    response = getattr(exc, "response", None)
    try:
        body = response.json() if response is not None else None
    except Exception:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("status") or "")
    return ""


def _reasons(exc: Any) -> set[str]:
    out = set()
    for err in getattr(exc, "errors", None) or ():
        if isinstance(err, dict) and err.get("reason"):
            out.add(str(err["reason"]).lower())
    return out


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def map_error(exc: BaseException) -> CloudcoreError | None:
    """Translate a Google client exception, or return ``None`` when it is not recognised."""
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.RetryError):
        cause = exc.cause
        if isinstance(cause, Exception) and cause is not exc:
            return map_error(cause) or TransientError(f"retry deadline exceeded: {cause}")
        return TransientError(f"retry deadline exceeded: {exc.message}")
    if isinstance(exc, gexc.GoogleAPICallError):
        message = exc.message or type(exc).__name__
        code = exc.code if isinstance(exc.code, int) else None
        status = _status_of(exc)
        if code == 404 or isinstance(exc, gexc.NotFound):
            return NotFound(message)
        if code == 409:
            if status == "ALREADY_EXISTS" or isinstance(exc, gexc.AlreadyExists):
                return AlreadyExists(message)
            return Conflict(message)
        if code == 412:
            return Conflict(message)
        if code == 429 or isinstance(exc, gexc.TooManyRequests):
            return RateLimited(message, retry_after=_retry_after(exc))
        if code == 401:
            return AuthenticationError(message)
        if code == 403:
            if _reasons(exc) & _RATE_REASONS:
                return RateLimited(message, retry_after=_retry_after(exc))
            return PermissionDenied(message)
        if code in (500, 502, 503, 504) or isinstance(
            exc, gexc.ServerError | gexc.DeadlineExceeded
        ):
            return TransientError(message)
        return None
    mapped = _media_error(exc)
    if mapped is not None:
        return mapped
    import requests

    # ChunkedEncodingError: the body ended early ("Connection broken: IncompleteRead"), a
    # connection dropped mid-download; a ranged read resumes it
    if isinstance(
        exc, requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError
    ):
        return TransientError(f"{type(exc).__name__}: {exc}")
    from google.auth import exceptions as aexc

    if isinstance(exc, aexc.DefaultCredentialsError | aexc.RefreshError):
        return AuthenticationError(f"Google credentials: {exc}")
    if isinstance(exc, aexc.TransportError):
        return TransientError(f"{type(exc).__name__}: {exc}")
    return None


def _media_error(exc: BaseException) -> CloudcoreError | None:
    """Errors of google-resumable-media (Cloud Storage uploads and downloads)."""
    try:
        from google.resumable_media import common
    except ImportError:  # pragma: no cover - installed with google-cloud-storage
        return None
    if isinstance(exc, common.DataCorruption):
        from cloudcore.errors import IntegrityError

        return IntegrityError(f"Cloud Storage checksum mismatch: {exc}")
    if isinstance(exc, common.InvalidResponse):
        response = exc.response
        code = getattr(response, "status_code", None)
        message = f"Cloud Storage answered {code}: {exc}"
        if code == 429:
            return RateLimited(message, retry_after=_retry_after(exc))
        if code == 404:
            return NotFound(message)
        if isinstance(code, int) and code >= 500:
            return TransientError(message)
    return None


def raise_for_response(response: Any) -> None:
    """Raise the ``google.api_core`` exception of a failed plain ``requests`` response."""
    if response.status_code >= 400:
        from google.api_core import exceptions as gexc

        raise gexc.from_http_response(response)  # type: ignore[no-untyped-call]
