"""Lazy boto3 session and clients, with the retry mode and the call hooks cloudcore needs.

* boto3 is imported on the first client, never at import or construction time.
* Credentials come from boto3's standard chain only (environment, shared config/credentials
  files and ``profile_name``, SSO, container and instance roles). cloudcore never takes keys.
* botocore's own retries are off (``standard`` mode, ``total_max_attempts=1``; botocore's
  ``max_attempts`` key counts *retries*, so ``max_attempts=1`` would still resend every failed
  call once): the core's policy retries only operations that are safe to repeat, honouring
  ``retry_after``, so the two never multiply and an unsafe create is never resent by the SDK
  behind cloudcore's back.
* Every call on the wire is reported through :func:`cloudcore.emit_api_call` from botocore's
  ``after-call`` / ``after-call-error`` events, with ``mutating`` = not a read (see :func:`is_read`).
  The operation is read from the event's name: ``after-call-error`` carries no operation model.
* ``client_hooks`` lets a test target instrument every client this session creates (the moto
  target adds its fault injector there).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from cloudcore._context import current_call
from cloudcore.events import emit_api_call

__all__ = ["READ_PREFIXES", "AWSSession", "is_read"]

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Filter", "Head")
"""API operations starting with these only read (``FilterLogEvents`` and S3's ``HeadObject``
included)."""

_READ_CACHE: dict[str, bool] = {}

_SECRET_MARKERS = ("SecretString", "SecretBinary", "AuthToken", "Password")
_BODY_LOGGERS = (
    "botocore.endpoint",
    "botocore.parsers",
    "botocore.awsrequest",
    "botocore.httpsession",
    "botocore.client",
    "botocore.hooks",
    "botocore.retryhandler",
    "botocore.retries.standard",
)
_WITHHELD = "[cloudcore: botocore debug message withheld: it carries a secret value]"


class _WithholdSecrets(logging.Filter):
    """botocore logs request and response bodies at DEBUG; drop the text of any that carry a
    secret (Secrets Manager values, ElastiCache AUTH tokens, passwords, the value being stored)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a broken record is logging's business, not ours
            return True
        ctx = current_call()
        sensitive = ctx.sensitive if ctx is not None else ()
        if any(m in text for m in _SECRET_MARKERS) or any(v and v in text for v in sensitive):
            record.msg, record.args = _WITHHELD, ()
        return True


_filter_lock = threading.Lock()
_filter_installed = False


def _install_log_filter() -> None:
    global _filter_installed
    with _filter_lock:
        if not _filter_installed:
            for name in _BODY_LOGGERS:
                logging.getLogger(name).addFilter(_WithholdSecrets())
            _filter_installed = True


def is_read(operation: str) -> bool:
    """Whether an AWS API operation (``"DescribeServices"``) only reads."""
    read = _READ_CACHE.get(operation)
    if read is None:
        read = _READ_CACHE[operation] = operation.startswith(READ_PREFIXES)
    return read


class AWSSession:
    """One boto3 session and its clients, created on first use and shared by the mixins.

    Args:
        provider: Driver name reported in API call events.
        region: Region; ``None`` lets boto3's chain decide.
        endpoint_url: One endpoint for every service (moto, LocalStack); ``None`` for AWS.
        profile_name: Named profile of the shared config files.
        session: An existing ``boto3.Session`` to use instead (credentials stay its business).
    """

    def __init__(
        self,
        provider: str,
        *,
        region: str | None,
        endpoint_url: str | None,
        profile_name: str | None,
        session: Any = None,
    ) -> None:
        self.provider = provider
        self.endpoint_url = endpoint_url
        self.profile_name = profile_name
        self._region = region
        self._session = session
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.client_hooks: list[Callable[[Any], None]] = []

    # ------------------------------------------------------------------ setup
    def boto_session(self) -> Any:
        """The boto3 session (importing boto3 the first time)."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    import boto3

                    self._session = boto3.Session(
                        profile_name=self.profile_name, region_name=self._region
                    )
        return self._session

    @property
    def region(self) -> str | None:
        """The region: as given, else what boto3's configuration chain says."""
        if self._region is None:
            self._region = self.boto_session().region_name
        return self._region

    def client(self, service: str) -> Any:
        """The (cached, thread-safe) botocore client for ``service``."""
        found = self._clients.get(service)
        if found is not None:
            return found
        session = self.boto_session()
        with self._lock:
            found = self._clients.get(service)
            if found is None:
                found = self._make_client(session, service)
                self._clients[service] = found
        return found

    def _make_client(self, session: Any, service: str) -> Any:
        from botocore.config import Config

        _install_log_filter()
        extra: dict[str, Any] = {}
        if service == "s3":
            # SigV4 for every request and presigned URL; path-style addressing on a custom
            # endpoint (moto, R2, MinIO); checksums only where cloudcore asks for them (it sends
            # SHA-256 itself and verifies reads itself).
            extra = {
                "signature_version": "s3v4",
                "request_checksum_calculation": "when_required",
                "response_checksum_validation": "when_required",
            }
            if self.endpoint_url:
                extra["s3"] = {"addressing_style": "path"}
        config = Config(
            retries={"mode": "standard", "total_max_attempts": 1},
            user_agent_extra="cloudcore",
            connect_timeout=10,
            read_timeout=60,
            **extra,
        )
        client = session.client(
            service, region_name=self.region, endpoint_url=self.endpoint_url, config=config
        )
        name = client.meta.service_model.service_name
        events = client.meta.events
        events.register("after-call", self._after_call(name), unique_id="cloudcore-after-call")
        events.register(
            "after-call-error", self._after_error(name), unique_id="cloudcore-after-call-error"
        )
        for hook in list(self.client_hooks):
            hook(client)
        return client

    def _after_call(self, service: str) -> Callable[..., None]:
        provider = self.provider

        def handler(event_name: str = "", http_response: Any = None, **_: Any) -> None:
            op = event_name.rsplit(".", 1)[-1]
            status = getattr(http_response, "status_code", None)
            emit_api_call(provider, service, op, mutating=not is_read(op), status=status)

        return handler

    def _after_error(self, service: str) -> Callable[..., None]:
        provider = self.provider

        def handler(event_name: str = "", **_: Any) -> None:
            # botocore emits this event with ``exception`` and ``context`` only, never ``model``
            # (botocore/client.py ``_make_request``): the operation is the event name's last part.
            op = event_name.rsplit(".", 1)[-1]
            emit_api_call(provider, service, op, mutating=not is_read(op), status=None)

        return handler

    def close(self) -> None:
        """Close every client's connection pool."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            close = getattr(client, "close", None)
            if close is not None:
                close()
