"""The core every provider shares: meta (capabilities, features, reasons), the call plumbing
(validation happens in the capability mixins; here: retries, error mapping, events), and closing.

:class:`ProviderCore` is the base of every capability mixin in :mod:`cloudcore.provider`; the
public protocol methods live one capability per module beside it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, Self, TypeVar

from .._context import CallContext, current_call, enter_call, exit_call
from .._redact import mentions, redact
from ..capabilities import OPERATIONS, Capability
from ..errors import CloudcoreError, ConfigurationError, ProviderError, Unsupported
from ..events import OperationEvent
from ..models import Model
from ..retry import RetryPolicy

if TYPE_CHECKING:
    from ..protocol import CloudProvider

__all__ = ["ProviderCore", "RouterCore", "coerce"]

T = TypeVar("T")
M = TypeVar("M", bound=Model)


def coerce(model: type[M], value: Any, field: str) -> M:
    """``value`` as a ``model``: the model itself, or a mapping validated into it."""
    if isinstance(value, model):
        return value
    if isinstance(value, Mapping):
        return model.model_validate(dict(value))
    raise ConfigurationError(
        f"{field}: expected a {model.__name__} or a mapping, got {type(value).__name__}",
        field=field,
    )


class ProviderCore:
    """What every provider has besides its capabilities' methods. Subclasses set the class
    attributes below and implement the ``_`` methods of what they declare.

    Attributes:
        name: Registry name of the driver.
        capabilities: What it offers.
        features: Per capability, the features it offers (see ``cloudcore.capabilities``).
        unsupported_reasons: Why something is missing, keyed ``"dns"`` or ``"waf:geo"``.
        token_safe_operations: Non-idempotent operations this driver makes safe to retry with
            the per-call idempotency token (``cloudcore.current_call().token``).
        readback_gaps: Config fields the driver cannot read back, each with the reason, keyed
            ``"<capability>:<field path>"`` (``"compute:health_check.grace_seconds"``). A
            read-back returns such a field at its default; everything else reads back as given.

    Args:
        region: Region or location, where the provider has them.
        retry: A :class:`RetryPolicy`, a mapping of its settings, an attempt count, or ``False``.
    """

    name: str = "base"
    capabilities: frozenset[Capability] = frozenset()
    features: Mapping[Capability, frozenset[str]] = {}
    unsupported_reasons: Mapping[str, str] = {}
    token_safe_operations: frozenset[str] = frozenset()
    readback_gaps: Mapping[str, str] = {}

    def __init__(self, *, region: str | None = None, retry: Any = None) -> None:
        self._region = region
        self.retry_policy = RetryPolicy.from_options(retry)
        self._closed = False

    # ----------------------------------------------------------------- meta
    @property
    def region(self) -> str | None:
        """Region or location, or ``None``."""
        return self._region

    def supports(self, capability: Capability | str, feature: str | None = None) -> bool:
        """Whether the capability (and feature, if given) is declared."""
        try:
            cap = Capability(capability)
        except ValueError:
            return False
        if cap not in self.capabilities:
            return False
        return feature is None or feature in self.features.get(cap, frozenset())

    def unsupported_reason(self, capability: Capability | str, feature: str | None = None) -> str:
        """Why a capability or feature is missing (empty when it is supported)."""
        if self.supports(capability, feature):
            return ""
        cap = str(Capability(capability)) if capability in set(Capability) else str(capability)
        reasons = self.unsupported_reasons
        if feature is not None and cap in {str(c) for c in self.capabilities}:
            return reasons.get(f"{cap}:{feature}") or (
                f"the {self.name} driver does not declare {cap} feature {feature!r}"
            )
        return reasons.get(cap) or f"the {self.name} driver does not offer {cap}"

    def require(self, capability: Capability, *features: str) -> None:
        """Raise :class:`Unsupported` (with the reason) unless all are declared."""
        if capability not in self.capabilities:
            raise Unsupported(
                capability.value, reason=self.unsupported_reason(capability), provider=self.name
            )
        have = self.features.get(capability, frozenset())
        for feature in features:
            if feature not in have:
                raise Unsupported(
                    capability.value,
                    feature,
                    reason=self.unsupported_reason(capability, feature),
                    provider=self.name,
                )

    def close(self) -> None:
        """Release clients and connections. Safe to call twice."""
        if not self._closed:
            self._closed = True
            self._close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        where = f" region={self._region}" if self._region else ""
        return f"<{type(self).__name__} {self.name}{where}>"

    # -------------------------------------------------------------- plumbing
    def _invoke(
        self,
        operation: str,
        resource: str | None,
        fn: Callable[[], T],
        *,
        sensitive: tuple[str, ...] = (),
    ) -> T:
        info = OPERATIONS[operation]
        if info.capability is not None and info.capability not in self.capabilities:
            self.require(info.capability)
        safe = info.retry_safe or operation in self.token_safe_operations
        ctx = CallContext(self.name, operation, resource, sensitive)
        token = enter_call(ctx)
        start = time.perf_counter()
        outcome = "ok"

        def attempt() -> T:
            try:
                return fn()
            except CloudcoreError:
                raise
            except Exception as exc:
                raise self._translate(exc, ctx) from _cause(exc, sensitive)

        try:
            result, _ = self.retry_policy.run(attempt, safe=safe, on_retry=ctx.count_retry)
            return result
        except CloudcoreError as exc:
            outcome = exc.kind
            exc.with_context(provider=self.name, operation=operation, resource=resource)
            raise
        finally:
            exit_call(token)
            duration = time.perf_counter() - start
            self._emit(operation, resource, duration, outcome, 1 + ctx.retries)

    def _translate(self, exc: Exception, ctx: CallContext) -> CloudcoreError:
        mapped = self._map_error(exc)
        if mapped is None:
            mapped = ProviderError(f"{type(exc).__name__}: {exc}")
        if ctx.sensitive:
            mapped.message = redact(mapped.message, ctx.sensitive)
            mapped.args = (mapped.message,)
        return mapped.with_context(
            provider=self.name, operation=ctx.operation, resource=ctx.resource
        )

    def _emit(
        self, operation: str, resource: str | None, duration: float, outcome: str, attempts: int
    ) -> None:
        from ..registry import plugin_manager

        plugin_manager().hook.cloudcore_operation(
            event=OperationEvent(self.name, operation, resource, duration, outcome, attempts)
        )

    def call(self, fn: Callable[[], T]) -> T:
        """For drivers: run one read-only SDK call with retries and error mapping.

        Use it inside long operations (one page of a listing, a waiter poll) so one throttled
        page does not restart the whole operation.
        """
        ctx = current_call() or CallContext(self.name, "call", None, ())

        def attempt() -> T:
            try:
                return fn()
            except CloudcoreError:
                raise
            except Exception as exc:
                raise self._translate(exc, ctx) from _cause(exc, ctx.sensitive)

        return self.retry_policy.run(attempt, safe=True, on_retry=ctx.count_retry)[0]

    # ------------------------------------------------------- driver hooks
    def _missing(self, capability: str, method: str) -> NoReturn:
        raise Unsupported(
            capability,
            reason=f"the {self.name} driver declares {capability} but does not implement {method}",
            provider=self.name,
        )

    def _map_error(self, exc: Exception) -> CloudcoreError | None:
        """Translate an SDK exception into the error tree (the driver's one mapping point).
        Return ``None`` for "unknown": the core then raises ``ProviderError`` with the cause."""
        return None

    def _close(self) -> None:
        """Release clients and connections."""


class RouterCore:
    """Base of the composition's capability mixins (see :class:`cloudcore.CompositeProvider`):
    each protocol method goes to the provider routed for its capability."""

    _routes: dict[Capability, CloudProvider]
    _name: str

    def unsupported_reason(self, capability: Capability | str, feature: str | None = None) -> str:
        """Why a capability or feature is missing from this composition."""
        try:
            cap = Capability(capability)
        except ValueError:
            return f"{capability!r} is not a capability"
        prov = self._routes.get(cap)
        if prov is None:
            return (
                f"{cap.value} is not routed in this composition; add {cap.value!r} to the mapping"
            )
        return prov.unsupported_reason(cap, feature)

    def _route(self, cap: Capability) -> CloudProvider:
        prov = self._routes.get(cap)
        if prov is None:
            raise Unsupported(cap.value, reason=self.unsupported_reason(cap), provider=self._name)
        return prov

    def _providers(self) -> list[CloudProvider]:
        """Each distinct routed provider once, in routing order."""
        seen: list[CloudProvider] = []
        for prov in self._routes.values():
            if not any(prov is s for s in seen):
                seen.append(prov)
        return seen


def _cause(exc: Exception, sensitive: tuple[str, ...]) -> Exception | None:
    """The exception to chain, or ``None`` when its text would reveal a secret value."""
    if sensitive:
        text = f"{exc!s} {exc!r} {getattr(exc, 'args', '')}"
        if mentions(text, sensitive):
            return None
    return exc
