"""Secrets on Secret Manager: one secret per key, one version per ``store_secret``.

cloudcore keys (``[A-Za-z0-9_./!-]``) map to Secret Manager ids (``[A-Za-z0-9_-]``) by a
reversible escape (``_`` → ``__``, ``.`` → ``_d``, ``/`` → ``_s``, ``!`` → ``_x``); the key itself is kept in the
``cloudcore-key`` annotation, which listings read.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from cloudcore.errors import NotFound
from cloudcore.models.secrets import SecretVersion

from ._base import GCPBase, labels_for, managed, short_hash

__all__ = ["GCPSecrets", "secret_id"]

KEY_ANNOTATION = "cloudcore-key"
_ESCAPES = {"_": "__", ".": "_d", "/": "_s", "!": "_x"}


def secret_id(key: str) -> str:
    """The Secret Manager id of a cloudcore secret key (deterministic, reversible)."""
    out = "".join(_ESCAPES.get(ch, ch) for ch in key)
    return out if len(out) <= 255 else f"{out[:240]}-{short_hash(key)}"


def key_of(sid: str) -> str:
    """The cloudcore key of a Secret Manager id made by :func:`secret_id`."""
    back = {v[1]: k for k, v in _ESCAPES.items()}
    out, i = [], 0
    while i < len(sid):
        if sid[i] == "_" and i + 1 < len(sid):
            out.append(back.get(sid[i + 1], sid[i + 1]))
            i += 2
        else:
            out.append(sid[i])
            i += 1
    return "".join(out)


def _time(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) and value.year > 1970 else None


class GCPSecrets(GCPBase):
    """The secrets capability (Secret Manager, automatic replication, versions)."""

    def _secret_name(self, key: str) -> str:
        return f"projects/{self.project}/secrets/{secret_id(key)}"

    def _secret_meta(self, key: str) -> Any | None:
        from google.api_core import exceptions as gexc

        client = self.clients.secrets()
        try:
            return client.get_secret(name=self._secret_name(key), **self.kw())
        except gexc.NotFound:
            return None

    def _store_secret(self, key: str, value: SecretStr) -> str:
        from google.api_core import exceptions as gexc

        client = self.clients.secrets()
        meta = self._secret_meta(key)
        if meta is None:
            secret = {
                "replication": {"automatic": {}},
                "labels": labels_for(key),
                "annotations": {KEY_ANNOTATION: key},
            }
            with contextlib.suppress(gexc.Conflict):  # 409: created concurrently, add to it
                client.create_secret(
                    parent=f"projects/{self.project}",
                    secret_id=secret_id(key),
                    secret=secret,
                    **self.kw(),
                )
        else:
            self.ensure_managed(meta.labels, f"secret {key!r}")
        version = client.add_secret_version(
            parent=self._secret_name(key),
            payload={"data": value.get_secret_value().encode()},
            **self.kw(),
        )
        return str(version.name.rsplit("/", 1)[1])

    def _get_secret(self, key: str, version: str | None) -> SecretStr:
        client = self.clients.secrets()
        name = f"{self._secret_name(key)}/versions/{version or 'latest'}"
        response = client.access_secret_version(name=name, **self.kw())
        return SecretStr(bytes(response.payload.data).decode())

    def _managed_secrets(self) -> list[Any]:
        client = self.clients.secrets()

        def fetch(token: str) -> tuple[list[Any], str]:
            pager = client.list_secrets(
                request={
                    "parent": f"projects/{self.project}",
                    "page_token": token,
                    "page_size": 250,
                },
                **self.kw(),
            )
            return list(pager.secrets), str(pager.next_page_token)

        return [s for s in self.pages(fetch) if managed(s.labels)]

    def _list_secrets(self) -> list[str]:
        out = []
        for secret in self._managed_secrets():
            sid = secret.name.rsplit("/", 1)[1]
            out.append(secret.annotations.get(KEY_ANNOTATION) or key_of(sid))
        return out

    def _list_secret_versions(self, key: str) -> list[SecretVersion]:
        client = self.clients.secrets()
        if self._secret_meta(key) is None:
            raise NotFound(f"no secret {key!r}")

        def fetch(token: str) -> tuple[list[Any], str]:
            pager = client.list_secret_versions(
                request={"parent": self._secret_name(key), "page_token": token, "page_size": 250},
                **self.kw(),
            )
            return list(pager.versions), str(pager.next_page_token)

        versions = [v for v in self.pages(fetch) if int(v.state) != 3]  # 3 = DESTROYED
        out = [
            SecretVersion(
                key=key, version=v.name.rsplit("/", 1)[1], created_at=_time(v.create_time)
            )
            for v in versions
        ]
        return sorted(out, key=lambda v: int(v.version) if v.version.isdigit() else 0)

    def _delete_secret(self, key: str) -> None:
        from google.api_core import exceptions as gexc

        meta = self._secret_meta(key)
        if meta is None:
            return
        self.ensure_managed(meta.labels, f"secret {key!r}")
        try:
            self.clients.secrets().delete_secret(name=self._secret_name(key), **self.kw())
        except gexc.NotFound:
            return
