"""Secrets at Cloudflare: the account's Secrets Store.

Why the Secrets Store and not Workers script secrets: a Secrets Store secret belongs to the account,
not to one Worker script, so it exists before any script does, can be bound by many scripts (and
other products), and has an id, a comment and timestamps the driver can use for its marker and
version counter. Workers script secrets need a deployed script and vanish with it.

Cloudflare never returns a secret's value through the API, so the driver does not declare the
``read`` feature: ``get_secret`` raises ``Unsupported`` with the reason. Nor does Cloudflare keep
old values, so ``versions`` is not declared either; ``store_secret`` still returns a version id (a
counter kept in the secret's comment, ``1``, ``2``, ...).

Secret names at Cloudflare are letters, digits and underscores: a cloudcore key is mapped to one
deterministically (other characters become ``_`` and an 8-hex hash of the key is appended when
anything was changed) and the original key is recorded in the comment,
``managed-by=cloudcore key=<key> v=<n>``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import SecretStr

from cloudcore.errors import AlreadyExists, Conflict, NotFound

from ._core import MARKER, CloudflareCore, envelope

__all__ = ["CloudflareSecrets", "parse_comment", "secret_name"]

_BAD = re.compile(r"[^A-Za-z0-9_]")


def secret_name(key: str) -> str:
    """The Secrets Store name for a cloudcore key (deterministic, letters/digits/underscores)."""
    name = _BAD.sub("_", key)
    if name != key:
        name = f"{name[:200]}_{hashlib.sha256(key.encode()).hexdigest()[:8]}"
    return name


def parse_comment(comment: Any) -> tuple[str, int] | None:
    """``(key, version)`` from a cloudcore marker comment, or ``None`` if not cloudcore's."""
    parts = str(comment or "").split()
    if not parts or parts[0] != MARKER:
        return None
    fields = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    try:
        return fields["key"], int(fields.get("v", "1"))
    except (KeyError, ValueError):
        return None


class CloudflareSecrets(CloudflareCore):
    """The secrets capability (mixin of :class:`~cloudcore_cloudflare.provider.CloudflareProvider`)."""

    def store_id(self) -> str:
        """The Secrets Store in use: the option, the account's first store, or a new one."""
        if self._store_id:
            return self._store_id
        acc = self.need_account("the Secrets Store")
        with self._lock:  # one resolution (and at most one creation) per provider
            if self._store_id:
                return self._store_id
            found = self._first_store(acc)
            if found is None:
                try:
                    made = envelope(
                        self.cf.secrets_store.stores.with_raw_response.create(
                            account_id=acc, name="cloudcore"
                        )
                    )
                    found = str(made["result"]["id"])
                except Exception as exc:  # another process created one meanwhile: use it
                    if not isinstance(self._map_error(exc), Conflict | AlreadyExists):
                        raise
                    found = self._first_store(acc)
                    if found is None:
                        raise
            self._store_id = found
        return found

    def _first_store(self, acc: str) -> str | None:
        data = self.read(
            lambda: envelope(
                self.cf.secrets_store.stores.with_raw_response.list(account_id=acc, per_page=100)
            )
        )
        stores = data.get("result") or []
        return str(stores[0]["id"]) if stores else None

    def store_secrets(self, search: str | None = None) -> list[dict[str, Any]]:
        """Every secret in the store (names and metadata; Cloudflare never returns values)."""
        acc, sid = self.need_account("the Secrets Store"), self.store_id()
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            kw: dict[str, Any] = {"account_id": acc, "per_page": 100, "page": page}
            if search:
                kw["search"] = search
            data = self.read(
                lambda kw=kw: envelope(  # type: ignore[misc]
                    self.cf.secrets_store.stores.secrets.with_raw_response.list(sid, **kw)
                )
            )
            items = data.get("result") or []
            out.extend(items)
            if len(items) < 100:
                return out
            page += 1

    def _find(self, key: str) -> dict[str, Any] | None:
        name = secret_name(key)
        for item in self.store_secrets(search=name):
            if item.get("name") == name:
                return item
        return None

    def _store_secret(self, key: str, value: SecretStr) -> str:
        with self.zone_lock(f"secret:{key}"):  # find-then-write, one at a time per key
            return self._store(key, value)

    def _store(self, key: str, value: SecretStr) -> str:
        acc, sid = self.need_account("the Secrets Store"), self.store_id()
        found = self._find(key)
        if found is None:
            body = {
                "name": secret_name(key),
                "value": value.get_secret_value(),
                "scopes": ["workers"],
                "comment": f"{MARKER} key={key} v=1",
            }
            envelope(
                self.cf.secrets_store.stores.secrets.with_raw_response.create(
                    sid, account_id=acc, body=[body]
                )
            )
            return "1"
        meta = parse_comment(found.get("comment"))
        if meta is None or meta[0] != key:
            raise AlreadyExists(
                f"a Secrets Store secret named {found.get('name')!r} exists and is not managed "
                "by cloudcore; it is left untouched"
            )
        version = meta[1] + 1
        envelope(
            self.cf.secrets_store.stores.secrets.with_raw_response.edit(
                found["id"],
                account_id=acc,
                store_id=sid,
                value=value.get_secret_value(),
                comment=f"{MARKER} key={key} v={version}",
            )
        )
        return str(version)

    def _list_secrets(self) -> list[str]:
        keys = []
        for item in self.store_secrets():
            meta = parse_comment(item.get("comment"))
            if meta is not None and secret_name(meta[0]) == item.get("name"):
                keys.append(meta[0])
        return keys

    def _delete_secret(self, key: str) -> None:
        acc, sid = self.need_account("the Secrets Store"), self.store_id()
        found = self._find(key)
        if found is None:
            return
        meta = parse_comment(found.get("comment"))
        if meta is None or meta[0] != key:
            raise Conflict(
                f"the Secrets Store secret {found.get('name')!r} is not managed by cloudcore; "
                "it is left untouched"
            )
        try:
            envelope(
                self.cf.secrets_store.stores.secrets.with_raw_response.delete(
                    found["id"], account_id=acc, store_id=sid
                )
            )
        except Exception as exc:
            if not isinstance(self._map_error(exc), NotFound):
                raise  # gone in the meantime is fine; anything else is not
