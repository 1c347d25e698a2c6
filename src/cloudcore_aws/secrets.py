"""Secrets Manager: one secret per cloudcore key, one version per ``store_secret``.

A cloudcore key is the secret's name. Stores carry the call's idempotency token as
``ClientRequestToken``, so a retried store never makes a second version (``store_secret`` is
token-safe). Deletes use a recovery window (``secret_recovery_days``, 7 by default); storing
into a secret that is pending deletion restores it first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import SecretStr

from cloudcore._context import current_call
from cloudcore.errors import NotFound
from cloudcore.models.secrets import SecretVersion

from ._base import AWSBase, kv_tags, tag_dict
from ._errors import error_code

__all__ = ["AWSSecrets"]


class AWSSecrets(AWSBase):
    """The secrets capability (Secrets Manager)."""

    def _sm(self) -> Any:
        return self._client("secretsmanager")

    def _store_secret(self, key: str, value: SecretStr) -> str:
        sm = self._sm()
        ctx = current_call()
        token = ctx.token if ctx is not None else None
        raw = value.get_secret_value()
        extra = {"ClientRequestToken": token} if token else {}
        if key in self._known_managed:
            try:
                return str(
                    sm.put_secret_value(SecretId=key, SecretString=raw, **extra)["VersionId"]
                )
            except Exception as exc:
                if error_code(exc) not in ("ResourceNotFoundException", "InvalidRequestException"):
                    raise
                self._forget(key)
        try:
            out = sm.create_secret(
                Name=key,
                SecretString=raw,
                Tags=kv_tags(self._tags(key)),
                **extra,
            )
            self._remember(key)
            return str(out["VersionId"])
        except Exception as exc:
            if error_code(exc) not in ("ResourceExistsException", "InvalidRequestException"):
                raise
        # The secret exists (or is pending deletion): only write it if cloudcore manages it.
        desc = sm.describe_secret(SecretId=key)
        self._refuse_unmanaged(tag_dict(desc.get("Tags")), f"secret {key!r}")
        if desc.get("DeletedDate"):
            sm.restore_secret(SecretId=key)
        out = sm.put_secret_value(SecretId=key, SecretString=raw, **extra)
        self._remember(key)
        return str(out["VersionId"])

    def _remember(self, key: str) -> None:
        with self._known_lock:
            self._known_managed.add(key)

    def _forget(self, key: str) -> None:
        with self._known_lock:
            self._known_managed.discard(key)

    def _get_secret(self, key: str, version: str | None) -> SecretStr:
        args: dict[str, Any] = {"SecretId": key}
        if version and not 32 <= len(version) <= 64:
            raise NotFound(f"secret {key!r} has no version {version!r}")  # not a version id
        if version:
            args["VersionId"] = version
        else:
            args["VersionStage"] = "AWSCURRENT"
        try:
            out = self._sm().get_secret_value(**args)
        except Exception as exc:
            if version and error_code(exc) in ("ValidationException", "InvalidParameterException"):
                raise NotFound(f"secret {key!r} has no version {version!r}") from None
            raise
        if "SecretString" in out:
            return SecretStr(out["SecretString"])
        return SecretStr(bytes(out.get("SecretBinary", b"")).decode("utf-8", "replace"))

    def _list_secrets(self) -> Iterable[str]:
        names: list[str] = []
        pages = (
            self._sm()
            .get_paginator("list_secrets")
            .paginate(Filters=[{"Key": "tag-key", "Values": ["managed-by"]}])
        )
        for page in pages:
            for item in page.get("SecretList", []):
                if self._is_managed(tag_dict(item.get("Tags"))) and not item.get("DeletedDate"):
                    names.append(str(item["Name"]))
        return names

    def _list_secret_versions(self, key: str) -> list[SecretVersion]:
        versions: list[SecretVersion] = []
        desc = self._sm().describe_secret(SecretId=key)  # NotFound here, not a moto 500 below
        if desc.get("DeletedDate"):
            raise NotFound(f"secret {key!r} is pending deletion")
        args: dict[str, Any] = {"SecretId": key, "IncludeDeprecated": True, "MaxResults": 100}
        while True:
            page = self._sm().list_secret_version_ids(**args)
            for item in page.get("Versions", []):
                versions.append(
                    SecretVersion(
                        key=key, version=str(item["VersionId"]), created_at=item.get("CreatedDate")
                    )
                )
            token = page.get("NextToken")
            if not token:
                break
            args["NextToken"] = token
        versions.sort(key=lambda v: (v.created_at is None, v.created_at))
        return versions

    def _delete_secret(self, key: str) -> None:
        sm = self._sm()
        try:
            desc = sm.describe_secret(SecretId=key)
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return
            raise
        if desc.get("DeletedDate"):
            return
        self._refuse_unmanaged(tag_dict(desc.get("Tags")), f"secret {key!r}")
        args: dict[str, Any] = {"SecretId": key}
        if self.secret_recovery_days:
            args["RecoveryWindowInDays"] = self.secret_recovery_days
        else:
            args["ForceDeleteWithoutRecovery"] = True
        try:
            sm.delete_secret(**args)
        except Exception as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
        self._forget(key)
