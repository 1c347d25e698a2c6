"""The fake GCP APIs and the driver's test target.

:class:`FakeGCP` is one stateful HTTP server on 127.0.0.1 (a free port) serving the REST surfaces
the ``gcp`` driver uses: Cloud Run v2 (with long-running operations), Secret Manager, Memorystore
Redis, Cloud SQL Admin v1beta4 (with ``sql#operation`` polling), Cloud DNS (changes that stay
``pending`` for ``operation_polls`` polls), Cloud Armor and Cloud Logging ``entries:list``.

It is as strict as Google's documentation: every request is validated against the official
discovery document of its API (:mod:`._discovery`: path template, query parameters, body fields
recursively with types, formats, enums and patterns; unknown fields refused) and against the
documented value rules (:mod:`._rules`: id patterns and lengths, Cloud Run CPU/memory and what
fractional CPU requires, Cloud SQL edition x tier and disk minimum, Redis versions, label and
secret formats, Cloud Armor limits, Cloud DNS change limits). Errors are ``google.rpc.Status``
bodies with the HTTP code of ``code.proto``; enums are answered as names unless the request asked
``$alt=json;enum-encoding=int`` (as the GAPIC REST clients do); long-running operations carry
``metadata``. Page tokens are real (pages are capped small so pagination is always exercised).
``fake.wire`` counts every request on the server side (a
:class:`~cloudcore.testing.wire.WireTally`), and ``fake.faults`` (a
:class:`~cloudcore.testing.faults.FaultQueue`) makes the next matching request answer 429 (with
``Retry-After``), 503, or slowly.

Use it in your own tests::

    from cloudcore_gcp.testing import fake_target

    with fake_target() as cloud:          # a connected GCPProvider against a fresh fake
        cloud.store_secret("api-key", "s3cret")

or keep one server for a session and call :meth:`FakeGCP.reset` between tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cloudcore.models import DatabaseEndpoint

from ._armor import ArmorAPI
from ._secrets_redis import SecretsRedisAPI
from ._server import ApiError, Request
from ._sql_dns import SqlDnsAPI

__all__ = [
    "DEFAULT_ZONES",
    "ApiError",
    "FakeGCP",
    "FakeSQLProbe",
    "Request",
    "connect_to",
    "fake_target",
]

DEFAULT_ZONES = ("example.com", "example.org")
"""Zones every fresh fake holds (Cloud DNS zones are the user's; cloudcore only finds them)."""


class FakeSQLProbe:
    """The data probe of the fake's Cloud SQL: marker rows kept per instance and database,
    carried by backup runs and restores (the conformance suite checks restores with it)."""

    def __init__(self, fake: FakeGCP) -> None:
        self._fake = fake

    def write_marker(self, endpoint: DatabaseEndpoint, marker: str) -> None:
        with self._fake.lock:
            if endpoint.database not in self._fake.sql_databases.get(endpoint.name, {}):
                raise KeyError(f"no database {endpoint.database!r} on {endpoint.name!r}")
            rows = self._fake.sql_rows.setdefault(endpoint.name, {})
            rows.setdefault(endpoint.database, []).append(marker)

    def read_markers(self, endpoint: DatabaseEndpoint) -> list[str]:
        with self._fake.lock:
            return list(self._fake.sql_rows.get(endpoint.name, {}).get(endpoint.database, []))


class FakeGCP(SecretsRedisAPI, SqlDnsAPI, ArmorAPI):
    """A stateful fake of the Google Cloud REST APIs the ``gcp`` driver uses.

    Args:
        project: Project id served.
        region: Region served.
        page_size: Largest page returned by any list call.
        zones: DNS zones to create at start (and after each :meth:`reset`).
        operation_polls: Polls each long-running operation answers "not done" before "done"
            (0: done at once). Set ``fake.operation_polls`` to change it for one test.
    """

    def __init__(
        self,
        project: str = "fake-project",
        region: str = "us-central1",
        page_size: int = 5,
        zones: tuple[str, ...] = DEFAULT_ZONES,
        operation_polls: int = 0,
    ) -> None:
        super().__init__(project, region, page_size)
        self.default_zones = zones
        self.default_operation_polls = operation_polls
        self._register_run()
        self._register_secrets_redis()
        self._register_sql_dns()
        self._register_armor()
        self.reset()

    def reset(self) -> None:
        """Forget every resource and queued fault; recreate the default DNS zones."""
        with self.lock:
            self._reset_run()
            self._reset_secrets_redis()
            self._reset_sql_dns()
            self._reset_armor()
            self.faults.clear()
            self.log.clear()
            self.requests.clear()
            self.operation_polls = self.default_operation_polls
            for zone in self.default_zones:
                self.add_zone(zone)

    def __enter__(self) -> FakeGCP:
        return self.start()  # type: ignore[return-value]

    def __exit__(self, *exc: object) -> None:
        self.stop()


def connect_to(fake: FakeGCP, **options: Any) -> Any:
    """A :class:`~cloudcore_gcp.provider.GCPProvider` connected to ``fake`` (anonymous
    credentials, fast operation polling, the fake's fault queue and SQL data probe attached)."""
    from google.auth.credentials import AnonymousCredentials

    from cloudcore.testing.faults import attach
    from cloudcore.testing.probes import attach_probe
    from cloudcore.testing.wire import attach_wire_counter

    from ..provider import GCPProvider

    options.setdefault("retry", {"initial_delay": 0.01, "max_delay": 0.2, "jitter": 0.01})
    # Cloud Storage is served by its own stand-in (see fake_target); without one this provider
    # does not offer storage, rather than calling an endpoint that does not serve it.
    has_storage = "storage_endpoint" in options
    provider = GCPProvider(
        project=options.pop("project", fake.project),
        region=options.pop("region", fake.region),
        credentials=options.pop("credentials", None) or AnonymousCredentials(),  # type: ignore[no-untyped-call]
        api_endpoint=options.pop("api_endpoint", fake.url),
        poll_interval=options.pop("poll_interval", 0.01),
        **options,
    )
    if not has_storage:
        from cloudcore.capabilities import Capability

        provider.capabilities = provider.capabilities - {Capability.STORAGE}
    attach(provider, fake.faults)
    attach_probe(provider, FakeSQLProbe(fake))
    attach_wire_counter(provider, fake.wire)
    return provider


@contextmanager
def fake_target(**options: Any) -> Iterator[Any]:
    """The ``gcp`` test target: start a fresh :class:`FakeGCP`, yield a connected provider with
    the fake's fault injector attached, and tear both down.

    Keyword options go to the provider (``retry=...``), except ``page_size``, ``zones`` and
    ``operation_polls``, which configure the fake.
    """
    fake_kw = {k: options.pop(k) for k in ("page_size", "zones", "operation_polls") if k in options}
    fake_kw.setdefault("operation_polls", 1)  # every operation is polled once, as in real life
    fake = FakeGCP(**fake_kw).start()
    gcs = None
    try:
        from ._gcs import GcsStandIn, signing_credentials

        signer, public_key = signing_credentials()
        gcs = GcsStandIn(fake.faults, fake.wire, public_key)
        options.setdefault("storage_endpoint", gcs.url)
        provider = connect_to(fake, signing_credentials=signer, **options)  # type: ignore[arg-type]
        provider.fake = fake
        provider.gcs = gcs
        provider.page_size = fake.page_size  # the fake caps every page at this
        _storage_target(provider, gcs, fake.project)
        plane = _data_plane(provider)
        try:
            yield provider
        finally:
            provider.close()
            if plane is not None:
                plane.close()
    finally:
        if gcs is not None:
            gcs.stop()
        fake.stop()


def _data_plane(provider: Any) -> Any:
    """A real PostgreSQL behind the Cloud SQL fake's endpoints (started on first use; root
    only), so a migration's data moves are real (``cloudcore.migrate.reach``)."""
    import os

    if os.geteuid() != 0:
        return None
    try:
        from cloudcore_baremetal.dataplane import PostgresDataPlane
    except ImportError:  # the baremetal extra is not installed
        return None
    from cloudcore.migrate.reach import attach_data_plane

    plane = PostgresDataPlane()
    attach_data_plane(provider, plane)
    return plane


def _storage_target(provider: Any, gcs: Any, project: str) -> None:
    """Storage on the emulator: small pages (pagination is exercised), no versioning (the
    emulator has no object generations), the seeder and corrupter attached."""
    from cloudcore.capabilities import Capability
    from cloudcore.testing.probes import attach_bucket_seeder, attach_corrupter

    from ._gcs_probe import GcsProbe

    provider.object_page_size = 10
    feats = dict(provider.features)
    feats[Capability.STORAGE] = feats[Capability.STORAGE] - {"versioning"}
    provider.features = feats
    provider.unsupported_reasons = {
        **provider.unsupported_reasons,
        "storage:versioning": "the test stand-in (gcp-storage-emulator) keeps no object "
        "generations; the driver maps versions to generations on real Cloud Storage",
    }
    probe = GcsProbe(gcs, project)
    attach_bucket_seeder(provider, probe)
    attach_corrupter(provider, probe)
