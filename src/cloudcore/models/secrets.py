"""Secret models. Values are ``SecretStr`` wherever they travel; listings carry names only."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import Field

from ._base import Model

SECRET_KEY_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_./!-]{0,255}\Z")
"""Secret names: 1-256 characters, letters, digits and ``_ . / - !``, starting alphanumeric
(``!`` because RDS names the password secrets it manages ``rds!db-<uuid>``)."""

MAX_SECRET_BYTES = 64 * 1024
"""The largest value cloudcore accepts (Secrets Manager's limit; Secret Manager allows 64 KiB)."""


class SecretVersion(Model):
    """One stored version of a secret (no value).

    Attributes:
        key: The secret's name.
        version: The provider's version id.
        created_at: When it was stored (UTC), if known.
    """

    key: str
    version: str
    created_at: datetime | None = Field(default=None)


def validate_secret_key(key: object) -> str:
    """Check a secret name, raising :class:`~cloudcore.errors.ConfigurationError` if invalid."""
    from ..errors import ConfigurationError

    if not isinstance(key, str) or not SECRET_KEY_RE.fullmatch(key) or ".." in key:
        raise ConfigurationError(
            f"key: secret names are 1-256 characters of letters, digits and '_./-!', starting "
            f"with a letter or digit, without '..' (got {key!r})",
            field="key",
        )
    return key
