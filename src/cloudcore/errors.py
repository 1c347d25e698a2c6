"""The one error tree of cloudcore.

Every error a caller sees from cloudcore or any of its drivers is a :class:`CloudcoreError`::

    CloudcoreError
    ├── ConfigurationError        bad input or config, raised before any network call
    ├── DriverNotFound            no driver registered under that name (lists the known ones)
    ├── DriverNotInstalled        driver known, its SDK missing (names: pip install 'cloudcore[aws]')
    ├── Unsupported               capability or feature not offered, with the reason
    ├── NotFound
    ├── AlreadyExists
    ├── Conflict                  concurrent change, precondition failed, or state that forbids it
    ├── AuthenticationError
    ├── PermissionDenied
    ├── RateLimited               (retry_after)   ┐ retryable
    ├── TransientError            (5xx, timeouts) ┘
    ├── OperationTimeout          a waiter gave up
    ├── IntegrityError            data read back does not match its checksum (never returned)
    └── ProviderError             anything else, with the cause attached

Each driver translates its SDK's errors in exactly one module (``raise ... from exc``), so the
original exception is always available as ``__cause__``. Every error carries ``provider``,
``operation``, ``resource`` and ``retryable``; its ``str()`` names them.

Misclassifying an outage as :class:`NotFound` makes callers delete or recreate things, so drivers
map only the codes they are sure of to ``NotFound`` and anything unknown to :class:`ProviderError`.
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "AuthenticationError",
    "CloudcoreError",
    "ConfigurationError",
    "Conflict",
    "DriverNotFound",
    "DriverNotInstalled",
    "IntegrityError",
    "NotFound",
    "OperationTimeout",
    "PermissionDenied",
    "ProviderError",
    "RateLimited",
    "TransientError",
    "Unsupported",
]


class CloudcoreError(Exception):
    """Base of every cloudcore error.

    Args:
        message: What went wrong, in words a user can act on. Never a secret value.
        provider: The driver name (``"aws"``), when known.
        operation: The protocol operation (``"deploy_service"``), when known.
        resource: The cloudcore name or id of the resource concerned, when known.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str = "",
        *,
        provider: str | None = None,
        operation: str | None = None,
        resource: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.operation = operation
        self.resource = resource

    def with_context(
        self,
        *,
        provider: str | None = None,
        operation: str | None = None,
        resource: str | None = None,
    ) -> CloudcoreError:
        """Fill in provider/operation/resource where they are still unset; returns ``self``."""
        self.provider = self.provider or provider
        self.operation = self.operation or operation
        self.resource = self.resource or resource
        return self

    @property
    def kind(self) -> str:
        """The error's class name, e.g. ``"NotFound"``: a stable, machine-readable kind."""
        return type(self).__name__

    def __str__(self) -> str:
        where = [
            part
            for part in (
                self.provider,
                self.operation,
                repr(self.resource) if self.resource else None,
            )
            if part
        ]
        prefix = f"[{' '.join(where)}] " if where else ""
        return f"{prefix}{self.message or self.kind}"

    def __repr__(self) -> str:
        return f"{self.kind}({str(self)!r})"


class ConfigurationError(CloudcoreError, ValueError):
    """Bad input or configuration, found before any network call.

    Also a :class:`ValueError`, so code written against plain validation keeps working.

    Args:
        field: The dotted path of the offending field (``"config.memory"``), when there is one.
    """

    def __init__(self, message: str = "", *, field: str | None = None, **kw: str | None) -> None:
        super().__init__(message, **kw)
        self.field = field


class DriverNotFound(CloudcoreError):
    """No driver is registered under the requested name.

    Args:
        name: The name asked for.
        known: The names that are registered.
    """

    def __init__(self, name: str, known: list[str] | tuple[str, ...] = ()) -> None:
        self.name = name
        self.known = tuple(sorted(known))
        listing = ", ".join(self.known) or "none"
        super().__init__(f"no driver named {name!r}; registered drivers: {listing}")


class DriverNotInstalled(CloudcoreError):
    """The driver is registered but its SDK is not installed.

    Args:
        name: The driver's name.
        extra: The extra that installs it, e.g. ``"aws"``.
        missing: The module that failed to import.
    """

    def __init__(self, name: str, extra: str | None, missing: str | None = None) -> None:
        self.name = name
        self.extra = extra
        self.missing = missing
        self.install_command = f"pip install 'cloudcore[{extra}]'" if extra else None
        what = f" (missing module {missing!r})" if missing else ""
        how = f"; install it with: {self.install_command}" if self.install_command else ""
        super().__init__(f"driver {name!r} is not installed{what}{how}", provider=name)


class Unsupported(CloudcoreError):
    """The provider does not offer this capability or feature.

    Args:
        capability: The capability asked for (``"dns"``).
        feature: The feature within it, if that is what is missing (``"proxied"``).
        reason: Why, and what to do instead (``"compose with cloudflare"``).
    """

    def __init__(
        self,
        capability: str,
        feature: str | None = None,
        reason: str | None = None,
        **kw: str | None,
    ) -> None:
        self.capability = capability
        self.feature = feature
        self.reason = reason
        what = f"{capability} feature {feature!r}" if feature else f"capability {capability!r}"
        why = f": {reason}" if reason else ""
        super().__init__(f"{what} is not supported{why}", **kw)


class NotFound(CloudcoreError):
    """The resource does not exist (and the provider said so unambiguously)."""


class AlreadyExists(CloudcoreError):
    """A resource with that name exists already, with a different configuration."""


class Conflict(CloudcoreError):
    """A concurrent change, a failed precondition, or a state that forbids the operation."""


class AuthenticationError(CloudcoreError):
    """The credentials were missing, invalid or expired."""


class PermissionDenied(CloudcoreError):
    """The credentials are valid but not allowed to do this."""


class RateLimited(CloudcoreError):
    """The provider throttled the call. Retryable, after ``retry_after`` seconds when given.

    Args:
        retry_after: Seconds the provider asked to wait, if it said.
    """

    retryable = True

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kw: str | None):
        super().__init__(message or "rate limited", **kw)
        self.retry_after = retry_after


class TransientError(CloudcoreError):
    """A passing failure: 5xx, timeout, connection reset. Retryable when the operation is safe."""

    retryable = True


class OperationTimeout(CloudcoreError):
    """A waiter gave up before the resource reached the expected state.

    Args:
        waited: Seconds waited.
    """

    def __init__(self, message: str = "", *, waited: float | None = None, **kw: str | None):
        super().__init__(message, **kw)
        self.waited = waited


class IntegrityError(CloudcoreError):
    """Data read back does not match the checksum (or size) it was stored with.

    Raised instead of returning the data: corrupted or truncated bytes are never handed out
    silently. Reading again may succeed when the corruption happened in transit.
    """


class ProviderError(CloudcoreError):
    """Any other provider failure; the SDK's exception is attached as ``__cause__``.

    Args:
        code: The provider's own error code, when it gave one.
    """

    def __init__(self, message: str = "", *, code: str | None = None, **kw: str | None):
        super().__init__(message, **kw)
        self.code = code
