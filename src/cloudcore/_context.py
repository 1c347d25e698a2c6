"""The call in progress: which operation, on what, with which idempotency token."""

from __future__ import annotations

import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass, field

__all__ = ["CallContext", "current_call", "enter_call", "exit_call"]


@dataclass(slots=True)
class CallContext:
    """One protocol call. Retries of the call share its ``token``.

    Attributes:
        provider: Driver name.
        operation: Protocol method.
        resource: The resource's cloudcore name, if any.
        sensitive: Values that must never appear in errors (the secret being stored).
    """

    provider: str
    operation: str
    resource: str | None
    sensitive: tuple[str, ...] = field(default=(), repr=False)
    retries: int = 0
    _token: str | None = field(default=None, repr=False)

    def count_retry(self) -> None:
        """Count one retry (of the whole call or of one request inside it)."""
        self.retries += 1

    @property
    def token(self) -> str:
        """An idempotency token for this call, the same across its retries (a UUID4)."""
        if self._token is None:
            self._token = str(uuid.uuid4())
        return self._token


_current: ContextVar[CallContext | None] = ContextVar("cloudcore_call", default=None)


def current_call() -> CallContext | None:
    """The protocol call running in this thread/task, or ``None``."""
    return _current.get()


def enter_call(ctx: CallContext) -> Token[CallContext | None]:
    return _current.set(ctx)


def exit_call(token: Token[CallContext | None]) -> None:
    _current.reset(token)
