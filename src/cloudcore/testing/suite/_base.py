"""What every capability suite shares: requirements, options, names, fault and call helpers.

A test declares what it needs with :func:`requires`. The pytest plugin reads that mark: when the
provider does not declare the capability or feature, it calls the operation the requirement
guards (:data:`PROBES`), checks that it raises :class:`~cloudcore.errors.Unsupported` with a
reason, and reports the test *unsupported* (or fails it when the driver signals the gap any other
way). Tests that need fault injection on a target without an injector are reported *not testable*.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets as _secrets
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import pytest

from ...capabilities import Capability
from ...errors import CloudcoreError, RateLimited, TransientError, Unsupported
from ...models import (
    CacheConfig,
    DatabaseConfig,
    DNSRecord,
    GeoRule,
    IPRule,
    ManagedRule,
    PathRule,
    RateLimitRule,
    ServiceConfig,
    WAFRule,
)
from ...models.secrets import MAX_SECRET_BYTES
from ...retry import RetryPolicy
from ..faults import Fault, FaultInjector, injector_for
from ._wire import expect_writes, no_writes, writes

__all__ = [
    "MARK",
    "PROBES",
    "ConformanceOptions",
    "SuiteBase",
    "exhaust",
    "expect_writes",
    "fast_retries",
    "fault_injector",
    "no_writes",
    "not_testable",
    "parallel",
    "requires",
    "retried_read",
    "writes",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

MARK = "cloudcore_conformance"
"""Name of the pytest mark :func:`requires` puts on each suite test."""

OUTCOME_PROPERTY = "cloudcore_outcome"
"""``user_properties`` key the plugin sets to ``unsupported`` or ``not_testable``."""


def requires(capability: Capability | str, *features: str) -> Callable[[F], F]:
    """Mark a suite test as needing ``capability`` (and ``features`` of it).

    Args:
        capability: The capability the test exercises (it is counted under it in the report).
        features: Features the test needs; the first undeclared one makes it *unsupported*.
    """
    mark = pytest.mark.cloudcore_conformance(
        capability=str(Capability(capability)), features=features
    )

    def wrap(fn: F) -> F:
        return mark(fn)  # type: ignore[no-any-return]

    return wrap


def not_testable(reason: str) -> None:
    """Report the running test *not testable* on this target (e.g. no fault injector)."""
    raise _NotTestable(reason)


class _NotTestable(Exception):
    """Raised by :func:`not_testable`; the plugin turns it into the *not testable* outcome."""


@dataclass(frozen=True)
class ConformanceOptions:
    """Per-target parameters of the suite (set them with the ``options`` class attribute).

    Attributes:
        zone: DNS zone the DNS tests write to (it must exist on the target).
        missing_zone: A zone that does not exist (listing it must raise ``NotFound``).
        page_size: The provider's listing page size; ``None`` reads ``provider.page_size`` when
            the provider has one, else 25 items are created to cross a page.
        waf_target: The ``target`` argument of ``configure_waf`` / ``get_waf_rules``.
        secret_max_bytes: Largest secret value the round trip stores.
        name_length: Length of the longest ("edge") resource name the tests use.
        service_image: Image of the test service (drivers declaring compute feature ``images``).
        service_command: Command of the test service (drivers that run commands only).
        service_port: Port of the test service.
        concurrency: Threads used by the concurrency tests.
        services: How many services the compute listing test deploys (``0`` skips it).
        object_page_size: Objects per page of ``list_objects``; ``None`` reads the provider's
            ``object_page_size``, then its ``page_size`` (unknown: the page tests use 25 keys
            and cannot aim at exact page boundaries).
        multipart_threshold: Bytes above which the driver uploads in parts; ``None`` reads
            ``provider.multipart_threshold`` (else 8 MiB). The round trip writes an object
            just above two parts.
        presign_upload_bytes: Size of the object the presigned-upload test sends (5 MB, what
            a browser upload of a photo is).
        service_http_command: Command of a test service that must answer HTTP on ``$PORT``
            (drivers that run commands, when the test gives a health check).
        database_version: Major version the database read-back test asks for.
        cache_version: Version the cache read-back test asks for (``None``: the provider's
            default, which must read back as ``None``, not as the version it picked).
    """

    zone: str = "example.com"
    missing_zone: str = "no-such-zone-cloudcore.invalid"
    page_size: int | None = None
    waf_target: str | None = None
    secret_max_bytes: int = MAX_SECRET_BYTES
    name_length: int = 40
    service_image: str = "nginx:1.27-alpine"
    service_command: tuple[str, ...] = ("sleep", "3600")
    service_port: int = 8080
    concurrency: int = 8
    services: int | None = None
    object_page_size: int | None = None
    multipart_threshold: int | None = None
    presign_upload_bytes: int = 5 * 1024 * 1024
    service_http_command: tuple[str, ...] = (
        "python3",
        "-c",
        "import http.server as h, os; h.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), "
        "h.SimpleHTTPRequestHandler).serve_forever()",
    )
    database_version: str | None = "15"
    cache_version: str | None = None

    @classmethod
    def build(cls, values: dict[str, Any] | None) -> ConformanceOptions:
        """Options from a mapping, refusing unknown keys (typos must not pass silently)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values or {}) - known)
        if unknown:
            raise ValueError(f"unknown conformance options {unknown}; known: {sorted(known)}")
        data = dict(values or {})
        for key in ("service_command", "service_http_command"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)

    def page(self, provider: object) -> int | None:
        """The page size in effect for ``provider``."""
        if self.page_size is not None:
            return self.page_size
        size = getattr(provider, "page_size", None)
        return size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else None

    def object_page(self, provider: object) -> int | None:
        """Objects per ``list_objects`` page for ``provider`` (``None`` when unknown)."""
        if self.object_page_size is not None:
            return self.object_page_size
        size = getattr(provider, "object_page_size", None)
        if isinstance(size, int) and not isinstance(size, bool) and size > 0:
            return size
        return self.page(provider)

    def multipart(self, provider: object) -> int:
        """The multipart threshold in effect for ``provider``, in bytes."""
        if self.multipart_threshold is not None:
            return self.multipart_threshold
        size = getattr(provider, "multipart_threshold", None)
        if isinstance(size, int) and not isinstance(size, bool) and size > 0:
            return size
        return 8 * 1024 * 1024

    def past_one_page(self, provider: object) -> int:
        """How many items to create so a listing crosses at least one page boundary."""
        size = self.page(provider)
        return 2 * size + 3 if size else 25


@dataclass
class Names:
    """Unique, valid names for one test run (so runs never collide and leftovers are findable).

    Attributes:
        run: The run's prefix (``cct`` + six hex digits).
    """

    run: str = field(default_factory=lambda: "cct" + _secrets.token_hex(3))

    _count: int = 0

    def unique(self, what: str) -> str:
        """``what`` with a counter appended: a fresh name each call."""
        self._count += 1
        return f"{what}{self._count}"

    def name(self, what: str) -> str:
        """A resource name ``<run>-<what>``."""
        return f"{self.run}-{what}"

    def edge(self, length: int) -> str:
        """A valid name of exactly ``length`` characters (letters, digits, hyphens)."""
        base = f"{self.run}-e-9"
        return (base + "-x0" * 40)[: max(length, len(base))].rstrip("-")

    def secret(self, what: str) -> str:
        """A secret key under the run's prefix."""
        return f"{self.run}/{what}"

    def fqdn(self, what: str, zone: str) -> str:
        """A record name in ``zone``."""
        return f"{self.run}-{what}.{zone}"


class SuiteBase:
    """Base of the capability suites: class attributes a driver's test class sets.

    Attributes:
        target: Registered driver name (its test target is used), or ``"module:attr"`` of a
            context-manager factory yielding a connected provider. ``None`` means the class
            overrides the ``provider`` fixture itself.
        target_options: Keyword arguments for the test target.
        live: Connect with the driver's normal options (profile/env) instead of the test target.
        options: :class:`ConformanceOptions` fields (``{"zone": "example.net"}``).
    """

    target: str | None = None
    target_options: dict[str, Any] = {}
    live: bool = False
    options: dict[str, Any] = {}

    def after_suite(self, provider: Any) -> None:
        """Override for driver-specific checks after the whole suite and its cleanup ran (the
        provider is still open): e.g. that nothing is left on the stand-in under another name.
        An assertion failing here is reported as an error of the class's last test."""

    @pytest.fixture(autouse=True)
    def _cloudcore_plugin_loaded(self, request: pytest.FixtureRequest) -> None:
        """Runs before the ``provider`` fixture is looked up: without the plugin, say how to
        load it instead of pytest's bare "fixture 'provider' not found"."""
        import sys

        plugin = sys.modules.get("cloudcore.testing.pytest_plugin")
        if plugin is None or not request.config.pluginmanager.is_registered(plugin):
            pytest.fail(
                "the cloudcore pytest plugin is not loaded (plugin autoload is disabled?): run "
                "pytest with `-p cloudcore.testing.pytest_plugin`, or add it to `addopts`",
                pytrace=False,
            )


def fault_injector(provider: object) -> FaultInjector:
    """The target's fault injector; reports the test *not testable* when there is none."""
    inj = injector_for(provider)
    own = getattr(provider, "faults", None)
    if inj is None and isinstance(own, FaultInjector):
        inj = own  # a driver that offers fault injection itself (the memory driver's .faults)
    if inj is None:
        not_testable("the target attaches no fault injector (cloudcore.testing.faults.attach)")
    assert inj is not None
    return inj


@contextlib.contextmanager
def fast_retries(provider: Any) -> Iterator[None]:
    """Shrink the provider's backoff delays (not its attempts or rules) while faults are injected,
    so exhausting retries takes milliseconds, not seconds."""
    policy = getattr(provider, "retry_policy", None)
    if not isinstance(policy, RetryPolicy):
        yield
        return
    provider.retry_policy = dataclasses.replace(
        policy, initial_delay=min(policy.initial_delay, 0.002), max_delay=0.01, jitter=0.0
    )
    try:
        yield
    finally:
        provider.retry_policy = policy


def exhaust(
    provider: Any,
    kind: str,
    fn: Callable[[], Any],
    *,
    mutating: bool | None = None,
    op: str | None = None,
) -> CloudcoreError:
    """Inject ``kind`` faults on every attempt of ``fn`` and return the error it raised.

    Asserts the error is :class:`RateLimited` for ``throttle`` and :class:`TransientError` for
    ``transient`` (never ``NotFound`` or anything else: misclassification is the worst bug).
    """
    inj = fault_injector(provider)
    inj.inject(Fault(kind, operation=op, mutating=mutating, times=1000, retry_after=0.01))  # type: ignore[arg-type]
    try:
        with fast_retries(provider):
            fn()
    except CloudcoreError as exc:
        err: CloudcoreError = exc
    else:
        raise AssertionError(f"{kind} faults on every call, yet the operation succeeded")
    finally:
        inj.clear()
    want = RateLimited if kind == "throttle" else TransientError
    assert isinstance(err, want), (
        f"a {kind} fault must surface as {want.__name__}, got {type(err).__name__}: {err}"
    )
    return err


def retried_read(provider: Any, kind: str, op: str, fn: Callable[[], T]) -> T:
    """Fault the next read of ``op`` once with ``kind`` and return ``fn()``'s result.

    The read must succeed: it was retried (by the core, ``OperationEvent.attempts == 2``, or by
    the SDK). Asserts the fault really reached the stand-in, so a passing read proves a retry.
    """
    inj = fault_injector(provider)
    fault = Fault(kind, operation=op, mutating=False, retry_after=0.01)  # type: ignore[arg-type]
    inj.inject(fault)
    try:
        with fast_retries(provider):
            result = fn()
    except CloudcoreError as exc:
        raise AssertionError(f"a read failing once ({kind}) must be retried, got {exc!r}") from exc
    finally:
        inj.clear()
    assert fault.hits >= 1, (
        f"the injected {kind} fault never reached {op}: the stand-in must call "
        "FaultQueue.take() once per request"
    )
    return result


def parallel(fn: Callable[[T], Any], items: list[T], workers: int = 8) -> list[Any]:
    """Run ``fn`` over ``items`` on a thread pool; re-raises the first error."""
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        return list(pool.map(fn, items))


def _service_config(provider: Any, opts: ConformanceOptions, **kw: Any) -> ServiceConfig:
    """The suite's test service, adapted to what the driver runs (images or commands)."""
    have = provider.features.get(Capability.COMPUTE, frozenset())
    base: dict[str, Any] = {"port": opts.service_port, "cpu": 0.25, "memory": 512, "replicas": 1}
    if "images" in have:
        base["image"] = opts.service_image
    else:
        base["command"] = opts.service_command
    base.update(kw)
    return ServiceConfig.model_validate(base)


def _cache_config(provider: Any, name: str, **kw: Any) -> CacheConfig:
    auth = provider.supports(Capability.CACHE, "auth")
    return CacheConfig.model_validate({"name": name, "size": "micro", "auth": auth, **kw})


def _db_config(name: str, **kw: Any) -> DatabaseConfig:
    return DatabaseConfig.model_validate({"name": name, "size": "micro", "storage_gb": 20, **kw})


_RECORD_SAMPLES: dict[str, tuple[str, ...]] = {
    "A": ("192.0.2.10",),
    "AAAA": ("2001:db8::10",),
    "CNAME": ("target.example.net",),
    "TXT": ("v=cloudcore conformance",),
    "MX": ("10 mail.example.net",),
    "NS": ("ns1.example.net",),
    "SRV": ("10 5 443 srv.example.net",),
    "CAA": ('0 issue "letsencrypt.org"',),
}


def sample_record(rtype: str, name: str) -> DNSRecord:
    """A valid record set of ``rtype`` at ``name``."""
    return DNSRecord(name=name, type=rtype, values=_RECORD_SAMPLES[rtype], ttl=300)


def sample_rule(feature: str) -> WAFRule:
    """A rule that needs WAF ``feature``."""
    rules: dict[str, WAFRule] = {
        "ip": IPRule(name="cc-ip", cidrs=("198.51.100.0/24", "2001:db8::/32")),
        "geo": GeoRule(name="cc-geo", countries=("KP",)),
        "path": PathRule(name="cc-path", path="/admin", methods=("POST",)),
        "rate_limit": RateLimitRule(name="cc-rate", requests=100, period_seconds=60),
        "rate_limit:challenge": RateLimitRule(name="cc-rate-c", requests=50, action="challenge"),
    }
    if feature.startswith("managed"):
        which = feature.split(":", 1)[1] if ":" in feature else "core"
        return ManagedRule(name=f"cc-managed-{which}", set=which)
    return rules[feature]


def _probe_name() -> str:
    return "cct-unsupported-probe"


Probe = Callable[[Any, ConformanceOptions], Any]


def _probe(capability: str, feature: str | None) -> Probe:
    """The call that must raise ``Unsupported`` when ``capability``/``feature`` is undeclared."""
    name = _probe_name()
    c = Capability(capability)
    if c is Capability.COMPUTE:
        if feature == "logs":
            return lambda p, o: p.get_logs(name)
        if feature in ("autoscaling", "health_check", "secrets_env", "images", "commands"):
            extras: dict[str, dict[str, Any]] = {
                "autoscaling": {"autoscaling": {"min_replicas": 1, "max_replicas": 2}},
                "health_check": {"health_check": {"path": "/"}},
                "secrets_env": {"secrets": {"TOKEN": "cct/probe"}},
                "images": {"image": "nginx", "command": None},
                "commands": {"image": None, "command": ("true",)},
            }
            extra = extras[feature]
            return lambda p, o: p.deploy_service(name, _service_config(p, o, **extra))
        return lambda p, o: p.get_service_status(name)
    if c is Capability.DATABASE:
        if feature == "backups":
            return lambda p, o: p.backup_database(name)
        if feature == "restore":
            return lambda p, o: p.restore_database("cct-probe-backup", name)
        if feature == "high_availability":
            return lambda p, o: p.provision_database(_db_config(name, high_availability=True))
        return lambda p, o: p.provision_database(_db_config(name))
    if c is Capability.CACHE:
        if feature in ("high_availability", "tls", "auth"):
            return lambda p, o: p.provision_cache(CacheConfig(name=name, **{feature: True}))
        return lambda p, o: p.provision_cache(CacheConfig(name=name, auth=False))
    if c is Capability.DNS:
        if feature and feature != "batch" and feature != "proxied":
            return lambda p, o: p.upsert_dns_records([sample_record(feature, f"{name}.{o.zone}")])
        if feature == "proxied":
            return lambda p, o: p.upsert_dns_records(
                [
                    {
                        "name": f"{name}.{o.zone}",
                        "type": "A",
                        "values": ["192.0.2.1"],
                        "proxied": True,
                    }
                ]
            )
        return lambda p, o: p.list_dns_records(o.zone)
    if c is Capability.WAF:
        if feature:
            return lambda p, o: p.configure_waf([sample_rule(feature)], o.waf_target)
        return lambda p, o: p.get_waf_rules(o.waf_target)
    if c is Capability.STORAGE:
        from ...models.storage import BucketConfig, LifecycleRule

        storage_probes: dict[str, Probe] = {
            "versioning": lambda p, o: p.head_object(name, "probe", version="1"),
            "presign": lambda p, o: p.presign(name, "probe"),
            "lifecycle": lambda p, o: p.create_bucket(
                BucketConfig(name=name, lifecycle=(LifecycleRule(expire_days=1),))
            ),
            "cors": lambda p, o: p.create_bucket(
                BucketConfig(name=name, cors_origins=("https://example.com",))
            ),
            "public": lambda p, o: p.create_bucket(BucketConfig(name=name, public_read=True)),
        }
        return storage_probes.get(feature or "", lambda p, o: p.list_buckets())
    if c is Capability.QUEUES:
        from ...models.queues import QueueConfig

        queue_probes: dict[str, Probe] = {
            "dead_letter": lambda p, o: p.create_queue(QueueConfig(name=name, max_receives=5)),
            "fifo": lambda p, o: p.create_queue(QueueConfig(name=name, fifo=True)),
            "delay": lambda p, o: p.send_messages(name, [{"body": "x", "delay_seconds": 1}]),
            "redrive": lambda p, o: p.redrive(name + "-dlq"),
        }
        return queue_probes.get(feature or "", lambda p, o: p.list_queues())
    if c is Capability.JOBS:
        from ...models.jobs import JobConfig

        def job(kind: str) -> Probe:
            target = {"url": "https://example.com/"} if kind == "http" else {"command": ["true"]}
            cfg = JobConfig.model_validate({"cron": "0 0 * * *", "target": target})
            return lambda p, o: p.schedule_job(name, cfg)

        job_probes: dict[str, Probe] = {
            "command": job("command"),
            "http": job("http"),
            "runs": lambda p, o: p.list_job_runs(name),
            "run_now": lambda p, o: p.run_job(name),
        }
        return job_probes.get(feature or "", lambda p, o: p.list_jobs())
    if c is Capability.SECRETS:
        if feature == "versions":
            return lambda p, o: p.list_secret_versions("cct/probe")
        if feature == "read":
            return lambda p, o: p.get_secret("cct/probe")
        return lambda p, o: p.list_secrets()
    return lambda p, o: list(p.list_resources())


def check_unsupported(
    provider: Any, opts: ConformanceOptions, capability: str, feature: str | None
) -> str:
    """Call the guarded operation; return the ``Unsupported`` reason or fail the test."""
    what = f"{capability}:{feature}" if feature else capability
    try:
        _probe(capability, feature)(provider, opts)
    except Unsupported as exc:
        reason = exc.reason or ""
        assert reason.strip(), f"{what}: Unsupported raised without a reason"
        written = getattr(provider, "unsupported_reasons", None)
        key = what if provider.supports(capability) else capability
        if isinstance(written, Mapping) and key not in written:
            pytest.fail(
                f"the driver does not declare {what} and gives no reason of its own: add "
                f"unsupported_reasons[{key!r}] (why, and what to use instead), not the core's "
                f"default {reason!r}",
                pytrace=False,
            )
        return reason
    except Exception as exc:
        pytest.fail(
            f"the driver does not declare {what}, but calling it raised {type(exc).__name__}: "
            f"{exc} (must raise cloudcore.errors.Unsupported with a reason)",
            pytrace=False,
        )
    pytest.fail(f"the driver does not declare {what}, but calling it succeeded", pytrace=False)


PROBES = _probe
"""``PROBES(capability, feature)``: the call an undeclared requirement must refuse."""
