"""Building the official ``cloudflare`` client: SDK retries off, every request observed."""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from cloudcore.errors import AuthenticationError
from cloudcore.events import emit_api_call

__all__ = ["make_client", "operation_name"]

_ID_RE = re.compile(r"/[0-9a-f]{32}(?=/|$)")


def operation_name(method: str, path: str) -> tuple[str, str]:
    """``(service, "METHOD /templated/path")`` for a request path (ids become ``{id}``)."""
    path = path.split("/client/v4", 1)[-1]
    templated = _ID_RE.sub("/{id}", path)
    parts = [p for p in templated.split("/") if p and p != "{id}"]
    service = parts[1] if len(parts) > 1 and parts[0] in ("zones", "accounts") else "zones"
    if service == "rules":
        service = "lists"
    return service, f"{method} {templated}"


class _RedactRequestOptions(logging.Filter):
    """Drops the SDK's DEBUG "Request options" records of Secrets Store calls (they hold values)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = str(record.msg)
        return not (msg.startswith("Request options") and "secrets" in str(record.args))


_REDACT = _RedactRequestOptions()


def _hook(provider: str) -> Any:
    def on_response(response: Any) -> None:
        request = response.request
        service, op = operation_name(request.method, request.url.path)
        emit_api_call(
            provider, service, op, mutating=request.method != "GET", status=response.status_code
        )

    return on_response


def make_client(
    *,
    provider: str,
    client: Any | None,
    base_url: str | None,
    timeout: float,
) -> Any:
    """The SDK client to use: ``client`` (with retries turned off) or a new one.

    A new client reads its token from the SDK's own environment variable
    ``CLOUDFLARE_API_TOKEN`` (or the legacy ``CLOUDFLARE_API_KEY`` + ``CLOUDFLARE_EMAIL``); cloudcore
    never reads credentials from its own files or options.

    Raises:
        AuthenticationError: no client given and no credentials in the environment.
    """
    import cloudflare
    import httpx

    sdk_log = logging.getLogger("cloudflare._base_client")
    if _REDACT not in sdk_log.filters:
        sdk_log.addFilter(_REDACT)
    hook = _hook(provider)
    if client is not None:
        made = client.with_options(max_retries=0, **({"base_url": base_url} if base_url else {}))
        http = getattr(made, "_client", None)
        if isinstance(http, httpx.Client):
            hooks = http.event_hooks
            hooks.setdefault("response", [])
            if hook not in hooks["response"]:
                hooks["response"].append(hook)
            http.event_hooks = hooks
        return made
    has_token = bool(os.environ.get("CLOUDFLARE_API_TOKEN"))
    has_key = bool(os.environ.get("CLOUDFLARE_API_KEY") and os.environ.get("CLOUDFLARE_EMAIL"))
    if not (has_token or has_key):
        raise AuthenticationError(
            "no Cloudflare credentials: set CLOUDFLARE_API_TOKEN (the SDK's standard variable) "
            "or pass client=cloudflare.Cloudflare(...)",
            provider=provider,
        )
    http_client = httpx.Client(timeout=timeout, event_hooks={"request": [], "response": [hook]})
    return cloudflare.Cloudflare(
        base_url=base_url, max_retries=0, timeout=timeout, http_client=http_client
    )
