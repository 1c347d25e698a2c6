"""The shared part of the Cloudflare driver: options, the SDK client, zones, error mapping."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from cloudcore.errors import CloudcoreError, ConfigurationError, NotFound, ProviderError
from cloudcore.models import normalize_fqdn
from cloudcore.models.dns import zone_for
from cloudcore.provider import BaseProvider

from ._errors import map_error
from .plans import PlanLimits, limits_for, plan_of

__all__ = ["MARKER", "CloudflareCore", "envelope"]

T = TypeVar("T")

_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

MARKER = "managed-by=cloudcore"
"""The comment/description marker on everything cloudcore manages at Cloudflare."""


def envelope(raw: Any) -> dict[str, Any]:
    """The JSON envelope of a raw SDK response; a ``200 {"success": false}`` raises."""
    data = raw.json()
    if not isinstance(data, dict):
        raise ProviderError("Cloudflare answered with something that is not a v4 envelope")
    if data.get("success") is False:
        errors = data.get("errors") or []
        text = "; ".join(f"{e.get('message')} (code {e.get('code')})" for e in errors)
        raise ProviderError(f"Cloudflare reported failure: {text or 'no details'}")
    return data


class CloudflareCore(BaseProvider):
    """Options, the lazily built SDK client and the zone cache, shared by the capability mixins.

    Args:
        zones: Zone names this provider manages (looked up by name, cached). When omitted,
            every zone the token can see (in ``account_id``, if given) is considered.
        account_id: The account (needed for IP lists and the Secrets Store).
        base_url: API base URL (default: the SDK's, ``https://api.cloudflare.com/client/v4``).
        client: An already built ``cloudflare.Cloudflare`` client to use (its retries are
            turned off; cloudcore retries what is safe).
        batch_size: Most changes per DNS batch request: 200 on the Free plan, 3,500 on paid.
        ip_list_threshold: IP rules with more addresses than this use an account IP list.
        secrets_store_id: The Secrets Store to use (default: the account's first store, created
            as ``cloudcore`` when the account has none).
        timeout: Seconds per HTTP request.
        retry: cloudcore's retry policy (see :class:`cloudcore.retry.RetryPolicy`).
        map_to_plan: Map portable values the zone's plan does not offer (rate-limit periods and
            mitigation timeouts, DNS TTLs below the plan's minimum) to the nearest ones it does,
            instead of refusing them with ``Unsupported`` (default ``False``). See
            ``docs/drivers/cloudflare.md``.
        r2_endpoint: R2's S3 endpoint (default ``https://<account_id>.r2.cloudflarestorage.com``).
        r2_jurisdiction: ``default``, ``eu`` or ``fedramp`` (picks the endpoint).
        r2_profile: An AWS shared-config profile holding the R2 access key pair (else the
            ``R2_ACCESS_KEY_ID`` / ``R2_SECRET_ACCESS_KEY`` environment variables).
        r2_region: The signing region (``auto``; ``us-east-1`` is R2's documented alias).
        r2_session: A ``boto3.Session`` holding R2 credentials (dependency injection).
    """

    name = "cloudflare"

    def __init__(
        self,
        *,
        zones: Iterable[str] | str | None = None,
        account_id: str | None = None,
        base_url: str | None = None,
        client: Any = None,
        batch_size: int = 200,
        ip_list_threshold: int = 20,
        secrets_store_id: str | None = None,
        timeout: float = 30.0,
        retry: Any = None,
        region: str | None = None,
        map_to_plan: bool | str = False,
        r2_endpoint: str | None = None,
        r2_jurisdiction: str = "default",
        r2_profile: str | None = None,
        r2_region: str = "auto",
        r2_session: Any = None,
    ) -> None:
        super().__init__(region=region, retry=retry)
        if isinstance(zones, str):
            zones = [z for z in zones.split(",") if z.strip()]
        try:
            self._zone_names = tuple(normalize_fqdn(z) for z in zones) if zones else None
        except ValueError as exc:
            raise ConfigurationError(f"zones: {exc}", field="zones") from None
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigurationError("batch_size: a positive integer", field="batch_size")
        if account_id is not None and not isinstance(account_id, str):
            raise ConfigurationError("account_id: must be a string", field="account_id")
        if isinstance(map_to_plan, str):  # from an environment variable or a profile
            map_to_plan = _BOOLS.get(map_to_plan.strip().lower(), map_to_plan)
        if not isinstance(map_to_plan, bool):
            raise ConfigurationError("map_to_plan: true or false", field="map_to_plan")
        self.map_to_plan = map_to_plan
        self.account_id = account_id
        self.batch_size = batch_size
        self.ip_list_threshold = ip_list_threshold
        self._store_id = secrets_store_id
        self._base_url = base_url
        self._injected = client
        self._timeout = timeout
        self._client: Any = None
        self._lock = threading.RLock()
        self._zone_ids: dict[str, str] | None = None
        self._zone_plans: dict[str, str | None] = {}
        self._zone_locks: dict[str, threading.Lock] = {}
        # R2 storage (cloudcore_cloudflare.storage): the S3 endpoint and its credentials
        self._r2_options = (r2_endpoint, r2_jurisdiction, r2_profile, r2_region, r2_session)
        self._r2: Any = None
        self._r2_lock = threading.Lock()
        self._r2_known: set[str] = set()

    # ---------------------------------------------------------------- client
    @property
    def cf(self) -> Any:
        """The ``cloudflare.Cloudflare`` client (built on first use)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    from ._client import make_client

                    self._client = make_client(
                        provider=self.name,
                        client=self._injected,
                        base_url=self._base_url,
                        timeout=self._timeout,
                    )
        return self._client

    def _map_error(self, exc: Exception) -> CloudcoreError | None:
        return map_error(exc)

    def _close(self) -> None:
        if self._client is not None and self._injected is None:
            self._client.close()
        self._client = None

    def read(self, fn: Callable[[], T]) -> T:
        """One read-only API call with retries (see :meth:`BaseProvider.call`)."""
        return self.call(fn)

    def need_account(self, what: str) -> str:
        """The account id, or a ConfigurationError saying ``what`` needs it."""
        if not self.account_id:
            raise ConfigurationError(f"{what} needs the account_id option", field="account_id")
        return self.account_id

    def zone_lock(self, key: str) -> threading.Lock:
        """The lock serialising this provider's read-plan-write cycles on one zone (or secret).

        Cloudflare has no conditional writes for DNS records or entry points, so two concurrent
        syncs of the same thing could both write; within one provider they take turns.
        """
        with self._lock:
            return self._zone_locks.setdefault(key, threading.Lock())

    # ----------------------------------------------------------------- zones
    def zone_ids(self) -> dict[str, str]:
        """Zone name to zone id, for the zones this provider manages (cached)."""
        if self._zone_ids is not None:
            return self._zone_ids
        found: dict[str, str] = {}
        plans: dict[str, str | None] = {}
        if self._zone_names is not None:
            for name in self._zone_names:
                data = self.read(
                    lambda n=name: envelope(  # type: ignore[misc]
                        self.cf.zones.with_raw_response.list(name=n, per_page=50)
                    )
                )
                for z in data.get("result") or []:
                    if z.get("name") == name:
                        found[name] = z["id"]
                        plans[name] = plan_of(z)
        else:
            page = 1
            while True:
                kw: dict[str, Any] = {"per_page": 50, "page": page}
                if self.account_id:
                    kw["account"] = {"id": self.account_id}
                data = self.read(
                    lambda kw=kw: envelope(  # type: ignore[misc]
                        self.cf.zones.with_raw_response.list(**kw)
                    )
                )
                items = data.get("result") or []
                for z in items:
                    found[z["name"]] = z["id"]
                    plans[z["name"]] = plan_of(z)
                if len(items) < 50:
                    break
                page += 1
        with self._lock:
            self._zone_plans = plans
            self._zone_ids = found
        return found

    def zone_limits(self, zone: str) -> PlanLimits:
        """What the plan of ``zone`` allows, read from the zone object (``plan.legacy_id``) when
        the zones were listed; a zone whose plan is not known gets the Free plan's limits."""
        self.zone_id(zone)
        return limits_for(self._zone_plans.get(zone))

    def zone_id(self, zone: str) -> str:
        """The id of zone ``zone`` (an apex name).

        Raises:
            NotFound: the zone does not exist or is not one this provider manages.
        """
        zid = self.zone_ids().get(zone)
        if zid is None:
            raise NotFound(f"zone {zone!r} is not among the zones this provider manages")
        return zid

    def zone_of(self, name: str) -> str:
        """The managed zone holding ``name`` (longest suffix).

        Raises:
            NotFound: no managed zone holds it (as on every driver).
        """
        zone = zone_for(name, tuple(self.zone_ids()))
        if zone is None:
            raise NotFound(
                f"no managed Cloudflare zone holds {name!r} (zones: "
                f"{', '.join(sorted(self.zone_ids())) or 'none'})"
            )
        return zone

    def default_zone(self, target: str | None) -> str:
        """The zone ``target`` names (or holds); for ``None`` the first zone of the ``zones``
        option, or the only zone the token can see."""
        if target:
            try:
                return self.zone_of(target)
            except ValueError as exc:
                raise ConfigurationError(f"target: {exc}", field="target") from None
        if self._zone_names:
            return self._zone_names[0]
        names = sorted(self.zone_ids())
        if len(names) != 1:
            raise ConfigurationError(
                f"target: name one of the zones {names} (more than one is managed)",
                field="target",
            )
        return names[0]
