"""``BaseProvider``: the public protocol methods, written once, one module per capability.

Each public method validates its input (before any network call), checks the capability and the
features the input needs, runs the driver's ``_``-prefixed method under the retry policy, turns
SDK exceptions into the error tree through the driver's one mapping function, and emits one
observation event. Drivers subclass :class:`BaseProvider`, declare capabilities and features as
data, and implement the ``_`` methods of what they declare. Nothing else.

Layout: :mod:`._core` holds what every provider shares (meta, retries, error mapping, events);
each capability has one module (``compute``, ``database``, ``cache``, ``dns``, ``waf``,
``secrets``, ``storage``, ``queues``, ``jobs``,
``discovery``) holding its protocol, its public methods with the default driver
hooks, and its routing in a composition. Adding a capability adds a module and one base class
below, in :class:`cloudcore.CloudProvider` and in :class:`cloudcore.CompositeProvider`.
"""

from __future__ import annotations

from ._core import ProviderCore, RouterCore, coerce
from .cache import CacheMethods
from .compute import ComputeMethods
from .database import DatabaseMethods
from .discovery import DiscoveryMethods
from .dns import DNSMethods
from .jobs import JobsMethods
from .queues import QueuesMethods
from .secrets import SecretsMethods
from .storage import StorageMethods
from .waf import WAFMethods

__all__ = ["CAPABILITY_METHODS", "BaseProvider", "ProviderCore", "RouterCore", "coerce"]


class BaseProvider(
    ComputeMethods,
    DatabaseMethods,
    CacheMethods,
    DNSMethods,
    WAFMethods,
    SecretsMethods,
    StorageMethods,
    QueuesMethods,
    JobsMethods,
    DiscoveryMethods,
    ProviderCore,
):
    """Base class of every driver. Subclasses set the class attributes below and implement the
    ``_`` methods of what they declare (see the driver-author guide's reference of them).

    Attributes:
        name: Registry name of the driver.
        capabilities: What it offers.
        features: Per capability, the features it offers (see ``cloudcore.capabilities``).
        unsupported_reasons: Why something is missing, keyed ``"dns"`` or ``"waf:geo"``.
        token_safe_operations: Non-idempotent operations this driver makes safe to retry with
            the per-call idempotency token (``cloudcore.current_call().token``).
        readback_gaps: Config fields it cannot read back, with the reason, keyed
            ``"<capability>:<field path>"``.

    Args:
        region: Region or location, where the provider has them.
        retry: A :class:`RetryPolicy`, a mapping of its settings, an attempt count, or ``False``.
    """


CAPABILITY_METHODS: tuple[type[ProviderCore], ...] = (
    ComputeMethods,
    DatabaseMethods,
    CacheMethods,
    DNSMethods,
    WAFMethods,
    SecretsMethods,
    StorageMethods,
    QueuesMethods,
    JobsMethods,
    DiscoveryMethods,
)
"""The capability mixins of :class:`BaseProvider`, in protocol order (docs are generated
from their ``_`` hooks)."""
