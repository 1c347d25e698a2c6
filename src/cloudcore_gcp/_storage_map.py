"""Cloud Storage bucket fields <-> the portable :class:`BucketConfig`, and the documented limits
the driver enforces before any call (an emulator may accept more than Google does).

* Labels (https://cloud.google.com/storage/docs/tags-and-labels#bucket-labels and
  https://cloud.google.com/resource-manager/docs/labels-overview#requirements): at most 64 per
  resource; keys 1-63 characters, starting with a lowercase letter, of lowercase letters, digits,
  ``_`` and ``-``; values 0-63 of the same characters. cloudcore keeps two for itself
  (``managed-by``, ``cloudcore-name``), so a bucket takes at most 62 user tags, and tags are
  refused rather than rewritten: what ``get_bucket`` reads back is exactly what was given.
* Bucket names (https://cloud.google.com/storage/docs/buckets#naming): 3-63 characters of
  lowercase letters, digits, ``-``, ``_`` and ``.``, starting and ending with a letter or digit,
  not starting with ``goog``, not containing ``google``, not an IP address. The core's rule
  (:data:`cloudcore.models.storage.BUCKET_NAME_RULE`) is a strict subset; it is checked again
  here so the driver never depends on the emulator refusing a name.
* CORS (https://cloud.google.com/storage/docs/json_api/v1/buckets#cors): one entry with the
  origins, methods ``GET``, ``PUT``, ``HEAD`` and the headers a browser upload sends.
* Lifecycle (https://cloud.google.com/storage/docs/lifecycle#conditions): ``Delete`` when
  ``age`` >= N (with ``matchesPrefix``), and for noncurrent versions ``Delete`` when
  ``daysSinceNoncurrentTime`` >= N and ``isLive`` is false.
* Public read: the IAM binding ``roles/storage.objectViewer`` for ``allUsers``
  (https://cloud.google.com/storage/docs/access-control/making-data-public#buckets).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cloudcore.errors import ConfigurationError
from cloudcore.models import MANAGED_BY_KEY, MANAGED_BY_VALUE, NAME_TAG_KEY
from cloudcore.models.storage import BucketConfig, LifecycleRule

__all__ = [
    "PUBLIC_MEMBER",
    "PUBLIC_ROLE",
    "check_bucket_config",
    "config_from",
    "cors_for",
    "current_labels",
    "labels_of",
    "lifecycle_for",
]

PUBLIC_ROLE = "roles/storage.objectViewer"
PUBLIC_MEMBER = "allUsers"
MAX_LABELS = 64
_LABEL_KEY = re.compile(r"\A[a-z][a-z0-9_-]{0,62}\Z")
_LABEL_VALUE = re.compile(r"\A[a-z0-9_-]{0,63}\Z")
_GCS_NAME = re.compile(r"\A[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]\Z")
_IP = re.compile(r"\A\d{1,3}(\.\d{1,3}){3}\Z")
_CORS_HEADERS = ["Content-Type", "Content-MD5", "x-goog-meta-*"]


def check_bucket_config(config: BucketConfig) -> None:
    """Refuse what Cloud Storage refuses (see the module docs), naming the field."""
    name = config.name
    if (
        not _GCS_NAME.fullmatch(name)
        or name.startswith("goog")
        or "google" in name
        or _IP.fullmatch(name)
    ):
        raise ConfigurationError(
            f"name: {name!r} is not a valid Cloud Storage bucket name "
            "(https://cloud.google.com/storage/docs/buckets#naming)",
            field="name",
        )
    if len(config.tags) > MAX_LABELS - 2:
        raise ConfigurationError(
            f"tags: at most {MAX_LABELS - 2} on Cloud Storage (64 labels, 2 kept by cloudcore)",
            field="tags",
        )
    for key, value in config.tags.items():
        if key in (MANAGED_BY_KEY, NAME_TAG_KEY):
            raise ConfigurationError(f"tags: {key!r} is reserved by cloudcore", field="tags")
        if not _LABEL_KEY.fullmatch(key) or not _LABEL_VALUE.fullmatch(value):
            raise ConfigurationError(
                f"tags: {key!r}={value!r} is not a valid Cloud Storage label (keys start with a "
                "lowercase letter; keys and values are at most 63 lowercase letters, digits, "
                "'_' or '-'; https://cloud.google.com/storage/docs/tags-and-labels)",
                field="tags",
            )
    if config.extras:
        raise ConfigurationError(
            f"extras: the gcp driver takes no bucket extras (got {sorted(config.extras)})",
            field="extras",
        )


def labels_of(config: BucketConfig) -> dict[str, str]:
    """The bucket's labels: the user's tags plus cloudcore's two."""
    return {**config.tags, MANAGED_BY_KEY: MANAGED_BY_VALUE, NAME_TAG_KEY: config.name}


def cors_for(config: BucketConfig) -> list[dict[str, Any]]:
    """The ``cors`` field for the config's origins (empty: none)."""
    if not config.cors_origins:
        return []
    return [
        {
            "origin": list(config.cors_origins),
            "method": ["GET", "PUT", "HEAD"],
            "responseHeader": list(_CORS_HEADERS),
            "maxAgeSeconds": 3000,
        }
    ]


def lifecycle_for(config: BucketConfig) -> list[dict[str, Any]]:
    """The ``lifecycle.rule`` list for the config's rules."""
    rules: list[dict[str, Any]] = []
    for rule in config.lifecycle:
        prefix = {"matchesPrefix": [rule.prefix]} if rule.prefix else {}
        rules.append(
            {"action": {"type": "Delete"}, "condition": {"age": rule.expire_days, **prefix}}
        )
        if rule.noncurrent_expire_days is not None:
            rules.append(
                {
                    "action": {"type": "Delete"},
                    "condition": {
                        "daysSinceNoncurrentTime": rule.noncurrent_expire_days,
                        "isLive": False,
                        **prefix,
                    },
                }
            )
    return rules


def _lifecycle_from(rules: list[Mapping[str, Any]]) -> tuple[LifecycleRule, ...]:
    out: list[dict[str, Any]] = []
    by_prefix: dict[str, dict[str, Any]] = {}
    for rule in rules:
        if (rule.get("action") or {}).get("type") != "Delete":
            continue
        cond = rule.get("condition") or {}
        prefixes = cond.get("matchesPrefix") or [""]
        prefix = str(prefixes[0])
        if "age" in cond:
            entry = {"prefix": prefix, "expire_days": int(cond["age"])}
            out.append(entry)
            by_prefix.setdefault(prefix, entry)
        elif "daysSinceNoncurrentTime" in cond and prefix in by_prefix:
            by_prefix[prefix]["noncurrent_expire_days"] = int(cond["daysSinceNoncurrentTime"])
    return tuple(LifecycleRule.model_validate(e) for e in out)


def current_labels(bucket: Any) -> dict[str, str]:
    """The bucket's labels; a ``null`` value means removed (a PATCH removes a label by sending
    it as ``null``: https://cloud.google.com/storage/docs/json_api/v1/buckets/patch)."""
    return {k: v for k, v in dict(bucket.labels or {}).items() if v is not None}


def config_from(bucket: Any, public: bool) -> BucketConfig:
    """The portable config of a ``google.cloud.storage.Bucket`` read from the API."""
    labels = current_labels(bucket)
    tags = {k: v for k, v in labels.items() if k not in (MANAGED_BY_KEY, NAME_TAG_KEY)}
    cors = bucket.cors or []
    origins = tuple(str(o) for o in (cors[0].get("origin") or [])) if cors else ()
    return BucketConfig(
        name=bucket.name,
        versioning=bool(bucket.versioning_enabled),
        public_read=public,
        lifecycle=_lifecycle_from(list(bucket.lifecycle_rules or [])),
        cors_origins=origins,
        tags=tags,
    )
