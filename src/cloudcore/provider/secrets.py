"""The ``secrets`` capability: versioned secret values, never shown.

Protocol (:class:`SecretsProtocol`), implementation on the base provider with the driver hooks
(:class:`SecretsMethods`), and composition routing (:class:`SecretsRouting`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pydantic import SecretStr

from ..capabilities import Capability
from ..errors import ConfigurationError
from ..models.secrets import MAX_SECRET_BYTES, SecretVersion, validate_secret_key
from ._core import ProviderCore, RouterCore

__all__ = ["SecretsMethods", "SecretsProtocol", "SecretsRouting"]

C = Capability.SECRETS


class SecretsProtocol(Protocol):
    """A secret store."""

    def store_secret(self, key: str, value: str | SecretStr) -> str: ...
    def get_secret(self, key: str, version: str | None = None) -> SecretStr: ...
    def list_secrets(self) -> list[str]: ...
    def list_secret_versions(self, key: str) -> list[SecretVersion]: ...
    def delete_secret(self, key: str) -> None: ...


class SecretsMethods(ProviderCore):
    """``secrets`` on a driver: public methods, then the ``_`` hooks a driver implements."""

    def store_secret(self, key: str, value: str | SecretStr) -> str:
        """Store ``value`` as the new version of secret ``key``; returns the version id."""
        self.require(C)
        key = validate_secret_key(key)
        secret = value if isinstance(value, SecretStr) else None
        if secret is None:
            if not isinstance(value, str):
                raise ConfigurationError("value: must be a str or SecretStr", field="value")
            secret = SecretStr(value)
        raw = secret.get_secret_value()
        if not raw:
            raise ConfigurationError("value: empty secret", field="value")
        if len(raw.encode()) > MAX_SECRET_BYTES:
            raise ConfigurationError(f"value: larger than {MAX_SECRET_BYTES} bytes", field="value")
        return self._invoke(
            "store_secret", key, lambda: self._store_secret(key, secret), sensitive=(raw,)
        )

    def get_secret(self, key: str, version: str | None = None) -> SecretStr:
        """The secret's value (latest, or ``version``), as ``SecretStr``."""
        self.require(C, "read", *(["versions"] if version else []))
        key = validate_secret_key(key)
        if version is not None and (not isinstance(version, str) or not version):
            raise ConfigurationError("version: must be a non-empty string", field="version")
        return self._invoke("get_secret", key, lambda: self._get_secret(key, version))

    def list_secrets(self) -> list[str]:
        """Names of the secrets cloudcore manages, sorted. Never values."""
        return self._invoke("list_secrets", None, lambda: sorted(self._list_secrets()))

    def list_secret_versions(self, key: str) -> list[SecretVersion]:
        """The versions of one secret, oldest first. Never values."""
        self.require(C, "versions")
        key = validate_secret_key(key)
        return self._invoke("list_secret_versions", key, lambda: self._list_secret_versions(key))

    def delete_secret(self, key: str) -> None:
        """Delete a secret and all its versions; succeeds when already gone."""
        self.require(C)
        key = validate_secret_key(key)
        self._invoke("delete_secret", key, lambda: self._delete_secret(key))

    # ------------------------------------------------------- driver hooks
    def _store_secret(self, key: str, value: SecretStr) -> str:
        """Store a new version; return its id. The value never reaches a log, error or argv."""
        self._missing("secrets", "_store_secret")

    def _get_secret(self, key: str, version: str | None) -> SecretStr:
        """The latest value, or ``version`` (``NotFound`` when absent)."""
        self._missing("secrets", "_get_secret")

    def _list_secrets(self) -> Iterable[str]:
        """Names of the managed secrets (the core sorts them)."""
        self._missing("secrets", "_list_secrets")

    def _list_secret_versions(self, key: str) -> list[SecretVersion]:
        """Versions of ``key``, oldest first (``NotFound`` when absent)."""
        self._missing("secrets", "_list_secret_versions")

    def _delete_secret(self, key: str) -> None:
        """Delete with every version; return quietly when already gone."""
        self._missing("secrets", "_delete_secret")


class SecretsRouting(RouterCore):
    """``secrets`` in a composition."""

    def store_secret(self, key: str, value: str | SecretStr) -> str:
        return self._route(C).store_secret(key, value)

    def get_secret(self, key: str, version: str | None = None) -> SecretStr:
        return self._route(C).get_secret(key, version)

    def list_secrets(self) -> list[str]:
        return self._route(C).list_secrets()

    def list_secret_versions(self, key: str) -> list[SecretVersion]:
        return self._route(C).list_secret_versions(key)

    def delete_secret(self, key: str) -> None:
        self._route(C).delete_secret(key)
