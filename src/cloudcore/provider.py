"""``BaseProvider``: the public protocol methods, written once.

Each public method validates its input (before any network call), checks the capability and the
features the input needs, runs the driver's ``_``-prefixed method under the retry policy, turns
SDK exceptions into the error tree through the driver's one mapping function, and emits one
observation event. Drivers subclass it, declare capabilities/features as data, and implement the
``_`` methods of the capabilities they declare. Nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from pydantic import SecretStr

from ._context import CallContext, current_call, enter_call, exit_call
from ._drivercalls import DriverMethods
from .capabilities import OPERATIONS, Capability
from .errors import CloudcoreError, ConfigurationError, NotFound, ProviderError, Unsupported
from .events import OperationEvent
from .models import (
    BackupRef,
    CacheConfig,
    CacheEndpoint,
    DatabaseConfig,
    DatabaseEndpoint,
    DeploymentResult,
    DNSRecord,
    LogEntry,
    Model,
    Resource,
    ResourceSchema,
    ResourceType,
    ServiceConfig,
    ServiceStatus,
    ServiceSummary,
    WAFRule,
    WAFRuleSet,
    infer_record,
    normalize_fqdn,
    parse_resource_id,
    rule_feature,
    validate_name,
)
from .models.secrets import MAX_SECRET_BYTES, SecretVersion, validate_secret_key
from .retry import RetryPolicy

__all__ = ["BaseProvider"]

T = TypeVar("T")
M = TypeVar("M", bound=Model)


def _coerce(model: type[M], value: Any, field: str) -> M:
    if isinstance(value, model):
        return value
    if isinstance(value, Mapping):
        return model.model_validate(dict(value))
    raise ConfigurationError(
        f"{field}: expected a {model.__name__} or a mapping, got {type(value).__name__}",
        field=field,
    )


class BaseProvider(DriverMethods):
    """Base class of every driver. Subclasses set the class attributes below and implement the
    ``_`` methods of what they declare.

    Attributes:
        name: Registry name of the driver.
        capabilities: What it offers.
        features: Per capability, the features it offers (see ``cloudcore.capabilities``).
        unsupported_reasons: Why something is missing, keyed ``"dns"`` or ``"waf:geo"``.
        token_safe_operations: Non-idempotent operations this driver makes safe to retry with
            the per-call idempotency token (``cloudcore.current_call().token``).

    Args:
        region: Region or location, where the provider has them.
        retry: A :class:`RetryPolicy`, a mapping of its settings, an attempt count, or ``False``.
    """

    name: str = "base"
    capabilities: frozenset[Capability] = frozenset()
    features: Mapping[Capability, frozenset[str]] = {}
    unsupported_reasons: Mapping[str, str] = {}
    token_safe_operations: frozenset[str] = frozenset()

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
            for value in ctx.sensitive:
                if value and value in mapped.message:
                    mapped.message = mapped.message.replace(value, "**********")
        return mapped.with_context(
            provider=self.name, operation=ctx.operation, resource=ctx.resource
        )

    def _emit(
        self, operation: str, resource: str | None, duration: float, outcome: str, attempts: int
    ) -> None:
        from .registry import plugin_manager

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

    # -------------------------------------------------------------- compute
    def deploy_service(self, name: str, config: ServiceConfig) -> DeploymentResult:
        """Create or update the service ``name`` to match ``config``. Idempotent: an unchanged
        config writes nothing and returns the same revision with ``changed=False``."""
        self.require(Capability.COMPUTE)
        name = validate_name(name)
        config = _coerce(ServiceConfig, config, "config")
        self.require(Capability.COMPUTE, *_service_features(config, self))
        return self._invoke("deploy_service", name, lambda: self._deploy_service(name, config))

    def scale_service(self, name: str, replicas: int) -> ServiceStatus:
        """Set the desired replica count; returns the new status."""
        self.require(Capability.COMPUTE)
        name = validate_name(name)
        if isinstance(replicas, bool) or not isinstance(replicas, int) or not 0 <= replicas <= 1000:
            raise ConfigurationError(
                f"replicas: must be an integer from 0 to 1000 (got {replicas!r})", field="replicas"
            )
        return self._invoke("scale_service", name, lambda: self._scale_service(name, replicas))

    def get_service_status(self, name: str) -> ServiceStatus:
        """The service's state, replicas, revision and recent events.

        Raises:
            NotFound: no such service.
        """
        self.require(Capability.COMPUTE)
        name = validate_name(name)
        return self._invoke("get_service_status", name, lambda: self._get_service_status(name))

    def list_services(self) -> list[ServiceSummary]:
        """Every service cloudcore manages on this provider."""
        return self._invoke("list_services", None, self._list_services)

    def delete_service(self, name: str) -> None:
        """Delete the service; succeeds when it is already gone."""
        self.require(Capability.COMPUTE)
        name = validate_name(name)
        self._invoke("delete_service", name, lambda: self._delete_service(name))

    def get_logs(
        self, name: str, since: datetime | None = None, limit: int = 100
    ) -> list[LogEntry]:
        """Recent log lines of a service, oldest first, at most ``limit``."""
        self.require(Capability.COMPUTE, "logs")
        name = validate_name(name)
        if since is not None and (not isinstance(since, datetime) or since.tzinfo is None):
            raise ConfigurationError("since: must be a timezone-aware datetime", field="since")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
            raise ConfigurationError(f"limit: 1 to 10000 (got {limit!r})", field="limit")
        return self._invoke("get_logs", name, lambda: self._get_logs(name, since, limit))

    # ------------------------------------------------------------- database
    def provision_database(self, config: DatabaseConfig) -> DatabaseEndpoint:
        """Create the database (or return it when it exists with the same config).

        Raises:
            AlreadyExists: a database of that name exists with a different config.
        """
        self.require(Capability.DATABASE)
        config = _coerce(DatabaseConfig, config, "config")
        feats = [config.engine] + (["high_availability"] if config.high_availability else [])
        self.require(Capability.DATABASE, *feats)
        return self._invoke(
            "provision_database", config.name, lambda: self._provision_database(config)
        )

    def backup_database(self, name: str) -> BackupRef:
        """Take a backup now; returns a reference ``restore_database`` accepts."""
        self.require(Capability.DATABASE, "backups")
        name = validate_name(name)
        return self._invoke("backup_database", name, lambda: self._backup_database(name))

    def list_backups(self, name: str) -> list[BackupRef]:
        """Backups of a database, oldest first."""
        self.require(Capability.DATABASE, "backups")
        name = validate_name(name)
        return self._invoke("list_backups", name, lambda: self._list_backups(name))

    def restore_database(self, backup: BackupRef | str, new_name: str) -> DatabaseEndpoint:
        """Restore a backup into a new database named ``new_name``.

        Raises:
            NotFound: no such backup.
            AlreadyExists: ``new_name`` is taken.
        """
        self.require(Capability.DATABASE, "restore")
        new_name = validate_name(new_name, "new_name")
        if isinstance(backup, str):
            if not backup:
                raise ConfigurationError("backup: empty backup id", field="backup")
            backup_id = backup
        elif isinstance(backup, BackupRef):
            backup_id = backup.id
        else:
            raise ConfigurationError("backup: expected a BackupRef or a backup id", field="backup")
        return self._invoke(
            "restore_database", new_name, lambda: self._restore_database(backup_id, new_name)
        )

    def delete_database(self, name: str) -> None:
        """Delete a database; succeeds when already gone. Drivers keep a final backup where
        the provider offers it (documented per driver)."""
        self.require(Capability.DATABASE)
        name = validate_name(name)
        self._invoke("delete_database", name, lambda: self._delete_database(name))

    # ---------------------------------------------------------------- cache
    def provision_cache(self, config: CacheConfig) -> CacheEndpoint:
        """Create the cache (or return it when it exists with the same config)."""
        self.require(Capability.CACHE)
        config = _coerce(CacheConfig, config, "config")
        feats: list[str] = [config.engine]
        feats += ["high_availability"] if config.high_availability else []
        feats += ["tls"] if config.tls else []
        feats += ["auth"] if config.auth else []
        self.require(Capability.CACHE, *feats)
        return self._invoke("provision_cache", config.name, lambda: self._provision_cache(config))

    def delete_cache(self, name: str) -> None:
        """Delete a cache; succeeds when already gone."""
        self.require(Capability.CACHE)
        name = validate_name(name)
        self._invoke("delete_cache", name, lambda: self._delete_cache(name))

    # ------------------------------------------------------------------ dns
    def create_dns_record(self, domain: str, target: str, ttl: int = 300) -> DNSRecord:
        """Point ``domain`` at ``target``: an A or AAAA record for an address, else a CNAME.
        Replaces the record set of that name and type if it exists."""
        self.require(Capability.DNS)
        record = infer_record(domain, target, ttl)
        self.require(Capability.DNS, record.type.value)
        self._invoke("create_dns_record", record.name, lambda: self._upsert_dns_records([record]))
        return record

    def upsert_dns_records(self, records: Iterable[DNSRecord]) -> int:
        """Create or replace record sets, in as few batched calls as the provider allows.

        Returns:
            How many record sets were written (0 when every one already matched).
        """
        self.require(Capability.DNS)
        items = [_coerce(DNSRecord, r, "records[]") for r in records]
        keys = [r.key for r in items]
        if len(set(keys)) != len(keys):
            dupes = sorted({f"{n} {t}" for n, t in keys if keys.count((n, t)) > 1})
            raise ConfigurationError(f"records: duplicate record sets {dupes[:5]}", field="records")
        needed = {r.type.value for r in items} | (
            {"proxied"} if any(r.proxied for r in items) else set()
        )
        self.require(Capability.DNS, *sorted(needed))
        if not items:
            return 0
        return self._invoke("upsert_dns_records", None, lambda: self._upsert_dns_records(items))

    def list_dns_records(self, zone: str) -> list[DNSRecord]:
        """Every record set in ``zone`` (the zone apex name, e.g. ``example.com``)."""
        self.require(Capability.DNS)
        try:
            zone = normalize_fqdn(zone)
        except ValueError as exc:
            raise ConfigurationError(f"zone: {exc}", field="zone") from None
        return self._invoke("list_dns_records", zone, lambda: self._list_dns_records(zone))

    def delete_dns_record(self, record: DNSRecord) -> None:
        """Delete a record set (by name and type); succeeds when already gone."""
        self.require(Capability.DNS)
        record = _coerce(DNSRecord, record, "record")
        self._invoke("delete_dns_record", record.name, lambda: self._delete_dns_record(record))

    # ------------------------------------------------------------------ waf
    def configure_waf(self, rules: Iterable[WAFRule], target: str | None = None) -> bool:
        """Replace the whole managed rule set with ``rules`` (order = priority).

        Returns:
            Whether anything changed (``False`` when the provider already matched).
        """
        self.require(Capability.WAF)
        if isinstance(rules, WAFRuleSet):
            ruleset = rules
        else:
            # rule instances go in as they are: a dump would mark every field as given, and
            # drivers fit fields left at their defaults to what the provider allows
            ruleset = WAFRuleSet.model_validate({"rules": list(rules)})
        named = ruleset.named()
        feats: set[str] = set()
        for rule in named:
            feats.update(rule_feature(rule))
            if rule.kind == "rate_limit" and rule.action == "challenge":
                feats.add("rate_limit:challenge")
        self.require(Capability.WAF, *sorted(feats))
        return self._invoke("configure_waf", target, lambda: self._configure_waf(named, target))

    def get_waf_rules(self, target: str | None = None) -> list[WAFRule]:
        """The rule set cloudcore manages on ``target`` (or the default target), in order."""
        self.require(Capability.WAF)
        return self._invoke("get_waf_rules", target, lambda: self._get_waf_rules(target))

    # -------------------------------------------------------------- secrets
    def store_secret(self, key: str, value: str | SecretStr) -> str:
        """Store ``value`` as the new version of secret ``key``; returns the version id."""
        self.require(Capability.SECRETS)
        key = validate_secret_key(key)
        secret = value if isinstance(value, SecretStr) else None
        if secret is None:
            if not isinstance(value, str):
                raise ConfigurationError("value: must be a str or SecretStr", field="value")
            secret = SecretStr(value)
        raw = secret.get_secret_value()
        if not raw:
            raise ConfigurationError("value: empty secret", field="value")
        if len(raw.encode()) > MAX_SECRET_BYTES:
            raise ConfigurationError(f"value: larger than {MAX_SECRET_BYTES} bytes", field="value")
        return self._invoke(
            "store_secret", key, lambda: self._store_secret(key, secret), sensitive=(raw,)
        )

    def get_secret(self, key: str, version: str | None = None) -> SecretStr:
        """The secret's value (latest, or ``version``), as ``SecretStr``."""
        self.require(Capability.SECRETS, "read", *(["versions"] if version else []))
        key = validate_secret_key(key)
        if version is not None and (not isinstance(version, str) or not version):
            raise ConfigurationError("version: must be a non-empty string", field="version")
        return self._invoke("get_secret", key, lambda: self._get_secret(key, version))

    def list_secrets(self) -> list[str]:
        """Names of the secrets cloudcore manages, sorted. Never values."""
        return self._invoke("list_secrets", None, lambda: sorted(self._list_secrets()))

    def list_secret_versions(self, key: str) -> list[SecretVersion]:
        """The versions of one secret, oldest first. Never values."""
        self.require(Capability.SECRETS, "versions")
        key = validate_secret_key(key)
        return self._invoke("list_secret_versions", key, lambda: self._list_secret_versions(key))

    def delete_secret(self, key: str) -> None:
        """Delete a secret and all its versions; succeeds when already gone."""
        self.require(Capability.SECRETS)
        key = validate_secret_key(key)
        self._invoke("delete_secret", key, lambda: self._delete_secret(key))

    # ------------------------------------------------------------ discovery
    def list_resources(
        self, type: ResourceType | str | None = None, tags: Mapping[str, str] | None = None
    ) -> Iterator[Resource]:
        """What cloudcore manages here, optionally of one type and carrying all ``tags``."""
        self.require(Capability.DISCOVERY)
        try:
            rtype = ResourceType(type) if type is not None else None
        except ValueError:
            known = ", ".join(t.value for t in ResourceType)
            raise ConfigurationError(
                f"type: {type!r} is not one of {known}", field="type"
            ) from None
        want = dict(tags or {})
        items = self._invoke(
            "list_resources",
            rtype.value if rtype else None,
            lambda: list(self._list_resources(rtype, want)),
        )
        return iter(
            [
                r
                for r in items
                if (rtype is None or r.type == rtype)
                and all(r.tags.get(k) == v for k, v in want.items())
            ]
        )

    def get_resource_schema(self, id: str) -> ResourceSchema:
        """Schemas, operations and hints for one resource (or a type: ``type:service``).

        Raises:
            NotFound: no resource with that id is managed here.
        """
        self.require(Capability.DISCOVERY)
        from .schemas import resource_schema, type_schema

        if isinstance(id, str) and id.startswith("type:"):
            try:
                rtype = ResourceType(id[5:])
            except ValueError:
                raise ConfigurationError(
                    f"id: unknown resource type {id[5:]!r}", field="id"
                ) from None
            return type_schema(self, rtype)
        try:
            _, _, rtype, _ = parse_resource_id(id)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"id: {exc}", field="id") from None

        def find() -> ResourceSchema:
            for res in self._list_resources(rtype, {}):
                if res.id == id:
                    return resource_schema(self, res)
            raise NotFound(f"no {rtype.value} with id {id!r}")

        return self._invoke("get_resource_schema", id, find)


def _service_features(config: ServiceConfig, provider: BaseProvider) -> list[str]:
    feats: list[str] = []
    have = provider.features.get(Capability.COMPUTE, frozenset())
    if config.image and not config.command:
        feats.append("images")
    elif (config.command and not config.image) or "images" not in have:
        feats.append("commands")
    else:
        feats.append("images")
    if config.autoscaling is not None:
        feats.append("autoscaling")
    if config.health_check is not None:
        feats.append("health_check")
    if config.secrets:
        feats.append("secrets_env")
    return feats


def _cause(exc: Exception, sensitive: tuple[str, ...]) -> Exception | None:
    """The exception to chain, or ``None`` when its text would reveal a secret value."""
    if sensitive:
        text = f"{exc!s} {exc!r} {getattr(exc, 'args', '')}"
        if any(value and value in text for value in sensitive):
            return None
    return exc
