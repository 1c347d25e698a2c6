"""The one retry policy: exponential backoff with jitter, ``retry_after`` honoured, bounded time.

Only operations that are safe to repeat are retried: reads, idempotent writes, and writes a
driver makes safe with an idempotency token. Only retryable errors (:class:`RateLimited`,
:class:`TransientError`) trigger a retry. The first attempt costs nothing extra: tenacity is
loaded and a retry loop built only after a retryable failure.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import CloudcoreError, ConfigurationError, RateLimited

__all__ = ["RetryPolicy"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How the core retries safe operations. Configurable per connection (``retry=``).

    Attributes:
        max_attempts: Attempts in all, the first included; 1 turns retries off.
        initial_delay: Seconds before the first retry (doubles each time).
        max_delay: Upper bound of one backoff wait.
        jitter: Up to this many seconds of random jitter added to each wait.
        total_timeout: The whole operation, retries included, gives up after this many seconds.
        max_retry_after: A ``retry_after`` longer than this is not waited for: the error is raised.
        sleep: The sleep function (injectable for tests).
    """

    max_attempts: int = 5
    initial_delay: float = 0.2
    max_delay: float = 10.0
    jitter: float = 0.2
    total_timeout: float = 60.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError("retry.max_attempts must be at least 1", field="max_attempts")
        for name in ("initial_delay", "max_delay", "jitter", "total_timeout", "max_retry_after"):
            if getattr(self, name) < 0:
                raise ConfigurationError(f"retry.{name} must not be negative", field=name)

    @classmethod
    def from_options(cls, value: RetryPolicy | dict[str, Any] | int | bool | None) -> RetryPolicy:
        """Build a policy from a connection option: a policy, a mapping, an attempt count, or
        ``False`` for no retries."""
        if isinstance(value, RetryPolicy):
            return value
        if value is None or value is True:
            return cls()
        if value is False:
            return cls(max_attempts=1)
        if isinstance(value, int):
            return cls(max_attempts=value)
        if isinstance(value, dict):
            known = {
                "max_attempts",
                "initial_delay",
                "max_delay",
                "jitter",
                "total_timeout",
                "max_retry_after",
            }
            unknown = sorted(set(value) - known)
            if unknown:
                raise ConfigurationError(f"retry: unknown settings {unknown}", field="retry")
            return cls(**value)
        raise ConfigurationError(f"retry: expected a RetryPolicy, mapping or int, got {value!r}")

    def delay(self, attempt: int, error: BaseException | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        backoff: float = min(self.max_delay, self.initial_delay * 2.0 ** (attempt - 1))
        backoff += random.uniform(0, self.jitter) if self.jitter else 0.0
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return max(float(error.retry_after), 0.0)  # provider asked for this wait
        return backoff

    def run(
        self,
        fn: Callable[[], T],
        *,
        safe: bool,
        on_retry: Callable[[], None] | None = None,
    ) -> tuple[T, int]:
        """Run ``fn``, retrying retryable errors if ``safe``; returns ``(result, attempts)``.

        An error that already went through a retry loop (an inner ``run``) is not retried
        again, so nested retries never multiply. ``on_retry`` is called before each retry.
        """
        start = time.monotonic()
        try:
            return fn(), 1
        except CloudcoreError as exc:
            if not (safe and exc.retryable and self.max_attempts > 1) or _exhausted(exc):
                raise
            first = exc
        try:
            return self._retry(fn, first, start, on_retry)
        except CloudcoreError as exc:
            exc.__dict__["_cloudcore_retried"] = True
            raise

    def _retry(
        self,
        fn: Callable[[], T],
        first: CloudcoreError,
        start: float,
        on_retry: Callable[[], None] | None,
    ) -> tuple[T, int]:
        import tenacity

        attempts = 1
        last: BaseException = first

        def wait(_state: tenacity.RetryCallState) -> float:
            return self.delay(attempts, last)

        def exhausted() -> bool:
            if attempts >= self.max_attempts:
                return True
            if isinstance(last, RateLimited) and (last.retry_after or 0) > self.max_retry_after:
                return True
            return time.monotonic() - start + self.delay(attempts, last) > self.total_timeout

        def counted() -> T:
            nonlocal attempts, last
            attempts += 1
            if on_retry is not None:
                on_retry()
            try:
                return fn()
            except BaseException as exc:
                last = exc
                raise

        def retryable(exc: BaseException) -> bool:
            return isinstance(exc, CloudcoreError) and exc.retryable and not _exhausted(exc)

        if exhausted():
            raise first
        self.sleep(self.delay(1, first))
        retrying = tenacity.Retrying(
            stop=lambda _state: exhausted(),
            wait=wait,
            retry=tenacity.retry_if_exception(retryable),
            sleep=self.sleep,
            reraise=True,
        )
        result = retrying(counted)
        return result, attempts


def _exhausted(exc: CloudcoreError) -> bool:
    return bool(exc.__dict__.get("_cloudcore_retried"))
