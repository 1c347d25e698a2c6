"""Google clients, built lazily per capability, and the hook that reports every HTTP request.

Each client uses ``transport="rest"`` (requests), the injected credentials or Google's standard
chain (``google.auth.default``), and ``client_options={"api_endpoint": ...}`` when an endpoint
is given (the fake). A ``response`` hook on each client's ``requests`` session emits
``cloudcore.events.emit_api_call`` for every request on the wire (mutating = method != GET).
No Google module is imported before the first client of a capability is needed: the Cloud
Armor client (``google.cloud.compute_v1``, ~1.5 s to import) loads only when WAF is used.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from cloudcore.events import emit_api_call

__all__ = ["Clients"]

_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
_DEFAULT_HOSTS = {
    "compute": "https://compute.googleapis.com",
    "logging": "https://logging.googleapis.com",
}
_READ_ONLY_POSTS = ("/v2/entries:list",)
"""POST requests that only read (Cloud Logging's query), not counted as mutating."""


class Clients:
    """The lazily built Google clients of one provider.

    Args:
        provider: Driver name used in emitted events.
        credentials: A ``google.auth`` credentials object, or ``None`` for the standard chain.
        project: The project id, or ``None`` to take it from the standard chain.
        api_endpoint: One endpoint for every API (a fake), or ``None`` for Google's.
        storage_endpoint: Cloud Storage's endpoint when it differs (an emulator).
        signing_credentials: Credentials that sign V4 URLs (a service account key), when the
            main credentials cannot sign.
    """

    def __init__(
        self,
        provider: str,
        credentials: Any = None,
        project: str | None = None,
        api_endpoint: str | None = None,
        storage_endpoint: str | None = None,
        signing_credentials: Any = None,
    ) -> None:
        self._provider = provider
        self._storage_endpoint = (storage_endpoint or api_endpoint or "").rstrip("/") or None
        self._signing = signing_credentials
        self._credentials = credentials
        self._project = project
        self._endpoint = api_endpoint.rstrip("/") if api_endpoint else None
        self._cache: dict[str, Any] = {}
        self._sessions: list[Any] = []
        self._lock = threading.RLock()

    # ----------------------------------------------------------- credentials
    def credentials(self) -> Any:
        """The credentials, from ``google.auth.default`` on first use if none were injected."""
        with self._lock:
            if self._credentials is None:
                import google.auth

                creds, project = google.auth.default(scopes=list(_SCOPES))
                self._credentials = creds
                self._project = self._project or project
            return self._credentials

    def project(self) -> str | None:
        """The project id (given, or found by the standard credential chain)."""
        if self._project is None:
            self.credentials()
        return self._project

    # --------------------------------------------------------------- plumbing
    def _hook(self, session: Any, service: str) -> None:
        provider = self._provider

        def on_response(response: Any, *args: Any, **kwargs: Any) -> Any:
            method = response.request.method or "GET"
            path = urlsplit(response.request.url).path
            emit_api_call(
                provider,
                service,
                f"{method} {path}",
                mutating=method.upper() != "GET" and not path.endswith(_READ_ONLY_POSTS),
                status=response.status_code,
            )
            return response

        session.hooks.setdefault("response", []).append(on_response)
        self._sessions.append(session)

    def _get(self, key: str, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    def _gapic(self, key: str, service: str, factory: Callable[..., Any]) -> Any:
        def build() -> Any:
            kw: dict[str, Any] = {"credentials": self.credentials(), "transport": "rest"}
            if self._endpoint:
                kw["client_options"] = {"api_endpoint": self._endpoint}
            client = factory(**kw)
            self._hook(client._transport._session, service)
            return client

        return self._get(key, build)

    # ---------------------------------------------------------------- clients
    def run(self) -> Any:
        """Cloud Run v2 ``ServicesClient``."""
        from google.cloud import run_v2

        return self._gapic("run", "run", run_v2.ServicesClient)

    def secrets(self) -> Any:
        """Secret Manager ``SecretManagerServiceClient``."""
        from google.cloud import secretmanager_v1

        return self._gapic("secrets", "secretmanager", secretmanager_v1.SecretManagerServiceClient)

    def sql(self, which: str) -> Any:
        """A Cloud SQL Admin v1beta4 client: ``instances``, ``databases``, ``users``,
        ``backup_runs`` or ``operations``."""
        from google.cloud import sqladmin_v1beta4 as sql

        factories = {
            "instances": sql.SqlInstancesServiceClient,
            "databases": sql.SqlDatabasesServiceClient,
            "users": sql.SqlUsersServiceClient,
            "backup_runs": sql.SqlBackupRunsServiceClient,
            "operations": sql.SqlOperationsServiceClient,
        }
        return self._gapic(f"sql.{which}", "sqladmin", factories[which])

    def redis(self) -> Any:
        """Memorystore ``CloudRedisClient``."""
        from google.cloud import redis_v1

        return self._gapic("redis", "redis", redis_v1.CloudRedisClient)

    def armor(self) -> Any:
        """Cloud Armor ``SecurityPoliciesClient`` (imports ``google.cloud.compute_v1``)."""
        from google.cloud import compute_v1

        return self._gapic("armor", "compute", compute_v1.SecurityPoliciesClient)

    def armor_operations(self) -> Any:
        """Compute ``GlobalOperationsClient``, built with the same endpoint as :meth:`armor`."""
        from google.cloud import compute_v1

        return self._gapic("armor.ops", "compute", compute_v1.GlobalOperationsClient)

    def dns(self) -> Any:
        """The google-cloud-dns ``Client``."""

        def build() -> Any:
            from google.cloud import dns  # type: ignore[attr-defined]

            opts = {"api_endpoint": self._endpoint} if self._endpoint else None
            return dns.Client(
                project=self.project(),
                credentials=self.credentials(),
                _http=self.session("dns"),
                client_options=opts,
            )

        return self._get("dns", build)

    def storage(self) -> Any:
        """The google-cloud-storage ``Client`` (its requests go through a reporting session)."""

        def build() -> Any:
            from google.cloud import storage  # type: ignore[attr-defined]

            opts = {"api_endpoint": self._storage_endpoint} if self._storage_endpoint else None
            return storage.Client(
                project=self.project(),
                credentials=self.credentials(),
                _http=self.session("storage"),
                client_options=opts,
            )

        return self._get("storage", build)

    def storage_base(self) -> str:
        """Cloud Storage's base URL (media downloads, signed URLs)."""
        return self._storage_endpoint or "https://storage.googleapis.com"

    def signer(self) -> Any:
        """Credentials that can sign a V4 URL, or ``None``."""
        if self._signing is not None:
            return self._signing
        creds = self.credentials()
        return creds if hasattr(creds, "sign_bytes") and hasattr(creds, "signer_email") else None

    def session(self, service: str) -> Any:
        """An authorised ``requests`` session reporting its calls as ``service``."""

        def build() -> Any:
            from google.auth.transport.requests import AuthorizedSession

            session = AuthorizedSession(self.credentials())  # type: ignore[no-untyped-call]
            self._hook(session, service)
            return session

        return self._get(f"session.{service}", build)

    def base_url(self, service: str) -> str:
        """The endpoint plain REST calls for ``service`` go to."""
        return self._endpoint or _DEFAULT_HOSTS[service]

    def built(self) -> list[str]:
        """Which clients exist so far (for tests and benchmarks)."""
        with self._lock:
            return sorted(self._cache)

    def close(self) -> None:
        """Close every HTTP session."""
        with self._lock:
            for session in self._sessions:
                with contextlib.suppress(Exception):  # closing is best effort
                    session.close()
            self._sessions.clear()
            self._cache.clear()
