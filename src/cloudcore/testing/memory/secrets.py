"""Memory secrets: versioned values, listed by name only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import SecretStr

from ...errors import NotFound
from ...models.secrets import SecretVersion
from ._core import MemoryCore


class MemorySecrets(MemoryCore):
    """Secrets with versions ``"1"``, ``"2"``... Values are kept as given (this is a test double;
    with ``state_file`` they are written to a 0600 file)."""

    def _store_secret(self, key: str, value: SecretStr) -> str:
        with self._state.open() as data:
            return self._put_secret_locked(data, key, value)

    def _get_secret(self, key: str, version: str | None) -> SecretStr:
        def read(data: dict[str, Any]) -> SecretStr:
            entry = data["secrets"].get(key)
            if entry is None or not entry["versions"]:
                raise NotFound(f"no secret named {key!r}")
            if version is None:
                return SecretStr(entry["versions"][-1]["value"])
            for v in entry["versions"]:
                if v["id"] == version:
                    return SecretStr(v["value"])
            raise NotFound(f"secret {key!r} has no version {version!r}")

        return self._read("GetSecretValue", read)

    def _list_secrets(self) -> list[str]:
        return list(self._pages("ListSecrets", lambda data: sorted(data["secrets"]), key=()))

    def _list_secret_versions(self, key: str) -> list[SecretVersion]:
        def read(data: dict[str, Any]) -> list[SecretVersion]:
            entry = data["secrets"].get(key)
            if entry is None:
                raise NotFound(f"no secret named {key!r}")
            return [
                SecretVersion(
                    key=key, version=v["id"], created_at=datetime.fromisoformat(v["created"])
                )
                for v in entry["versions"]
            ]

        return self._read("ListSecretVersionIds", read)

    def _delete_secret(self, key: str) -> None:
        with self._state.open() as data:
            self._api("DescribeSecret", mutating=False)
            if key in data["secrets"]:
                self._api("DeleteSecret", mutating=True)
                del data["secrets"][key]
