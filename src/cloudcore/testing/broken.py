"""Deliberately broken variants of the memory driver: how the conformance suite tests itself.

Each variant breaks exactly one promise of the protocol. ``tests/testing/test_broken_variants.py``
runs the suite on each (only the capability concerned) and asserts that it fails, and which
tests fail. A variant is selected by name through :func:`broken_target`::

    run_suite("cloudcore.testing.broken:broken_target", target_options={"variant": "stale_read"})
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from ..capabilities import Capability
from . import broken_dimensions as bd
from . import broken_queues as bq
from . import broken_storage as bs
from . import broken_wire as bw
from .broken_core import (
    DeleteFailsWhenGone,
    DiscoveryIgnoresTags,
    DiscoveryMissesType,
    DNSRewritesUnchanged,
    DropsLastPage,
    InventedReason,
    LostUpdate,
    NonIdempotentDeploy,
    NotImplementedWAF,
    RepeatsUnsafeBackup,
    RestoresWrongData,
    RotationIgnored,
    SecretInError,
    SecretInListing,
    SecretInLog,
    SecretInRepr,
    StaleRead,
    StaleStatus,
    ThrottleAsNotFound,
    WAFDoesNotConverge,
    WriteOnlyRepeatsStore,
)
from .broken_readback import READBACK_VARIANTS
from .faults import FaultQueue, attach
from .memory import MemoryProvider
from .memory.target import MemoryProbe, MemoryStorageProbe, attach_queue_probes
from .probes import attach_bucket_seeder, attach_corrupter, attach_probe
from .wire import attach_wire_counter

__all__ = ["CONTROLS", "VARIANTS", "Variant", "broken_target"]

log = logging.getLogger("cloudcore.testing.broken")
T = TypeVar("T")


@dataclass(frozen=True)
class Variant:
    """One broken variant.

    Attributes:
        cls: The provider class.
        capability: The capability whose tests must catch it.
        promise: The promise it breaks.
        fails: The suite tests that must fail on it (exactly these, in that capability).
    """

    cls: type[MemoryProvider]
    capability: str
    promise: str
    fails: frozenset[str]


def _v(cls: type[MemoryProvider], capability: str, promise: str, *fails: str) -> Variant:
    return Variant(cls, capability, promise, frozenset(fails))


VARIANTS: dict[str, Variant] = {
    "stale_read": _v(
        StaleRead,
        "secrets",
        "read after update",
        "test_secrets_read_after_update",
        "test_secrets_versions_past_nine",
    ),
    "stale_status": _v(
        StaleStatus,
        "compute",
        "read after update",
        "test_compute_update_read_after_write",
        "test_compute_error_mapping_and_retries",  # a cached read never reaches the API
    ),
    "non_idempotent_deploy": _v(
        NonIdempotentDeploy,
        "compute",
        "idempotent deploy",
        "test_compute_deploy_is_idempotent",
        "test_readback_service_round_trip",  # the config read back, deployed again, writes
        "test_compute_env_order_is_no_change_one_value_is",
        "test_compute_secret_rotation_then_redeploy_rolls_the_service",
    ),
    "rotation_ignored": _v(
        RotationIgnored,
        "compute",
        "a secret rotation then redeploy rolls the service",
        "test_compute_secret_rotation_then_redeploy_rolls_the_service",
    ),
    "throttle_as_not_found": _v(
        ThrottleAsNotFound,
        "secrets",
        "throttling maps to RateLimited and is retried",
        "test_secrets_error_mapping",
        "test_secrets_read_retried",
        "test_secrets_retry_after_is_what_was_injected",
    ),
    "secret_in_error": _v(
        SecretInError, "secrets", "no secret value in errors", "test_secrets_hygiene_errors"
    ),
    "secret_in_repr": _v(
        SecretInRepr,
        "secrets",
        "no secret value in reprs",
        "test_secrets_hygiene_logs_reprs_events",
    ),
    "secret_in_log": _v(
        SecretInLog,
        "secrets",
        "no secret value in logs",
        "test_secrets_hygiene_logs_reprs_events",
        "test_secrets_hygiene_errors",
    ),
    "secret_in_listing": _v(
        SecretInListing,
        "secrets",
        "no secret value in listings",
        "test_secrets_hygiene_listings_and_schemas",
    ),
    "drops_last_page": _v(
        DropsLastPage,
        "secrets",
        "listings cross pages",
        "test_secrets_list_past_one_page",
        "test_secrets_listing_of_exactly_k_pages",
    ),
    "delete_fails_when_gone": _v(
        DeleteFailsWhenGone,
        "secrets",
        "delete of something gone succeeds",
        "test_secrets_delete_when_gone",
        "test_secrets_missing_is_not_found",
        "test_secrets_hygiene_errors",
        "test_secrets_delete_survives_a_failed_read",  # its cleanup deletes a deleted secret
    ),
    "lost_update": _v(
        LostUpdate,
        "secrets",
        "parallel writes lose nothing",
        "test_secrets_concurrent_writes",
        "test_secrets_list_past_one_page",
    ),
    "restores_wrong_data": _v(
        RestoresWrongData,
        "database",
        "a restore holds the data at backup time",
        "test_database_backup_restores_the_data",
        "test_database_two_backups_each_restore_their_own_data",
    ),
    "repeats_unsafe_backup": _v(
        RepeatsUnsafeBackup,
        "database",
        "unsafe writes are not repeated",
        "test_database_backup_not_repeated",
    ),
    "discovery_misses_type": _v(
        DiscoveryMissesType,
        "discovery",
        "discovery lists everything created",
        "test_discovery_lists_what_was_created",
        "test_discovery_filters_on_tags",
    ),
    "discovery_ignores_tags": _v(
        DiscoveryIgnoresTags,
        "discovery",
        "discovery filters on tags",
        "test_discovery_filters_on_tags",
    ),
    "waf_does_not_converge": _v(
        WAFDoesNotConverge, "waf", "configure_waf replaces the set", "test_waf_converges"
    ),
    "dns_rewrites_unchanged": _v(
        DNSRewritesUnchanged,
        "dns",
        "idempotent upsert",
        "test_dns_upsert_is_idempotent",
        "test_dns_one_field_at_a_time",
    ),
    "write_only_repeats_store": _v(
        WriteOnlyRepeatsStore,
        "secrets",
        "an unsafe write is not repeated (checked without reading values)",
        "test_secrets_store_not_repeated",
    ),
    "invented_reason": _v(
        InventedReason,
        "waf",
        "an undeclared capability has a reason written by the driver",
        "test_waf_round_trip",
        "test_waf_configure_is_idempotent",
        "test_waf_converges",
        "test_waf_error_mapping_and_retries",
        "test_waf_only_the_order_changes",
        "test_readback_waf_targets",
    ),
    "not_implemented_waf": _v(
        NotImplementedWAF,
        "waf",
        "undeclared capabilities raise Unsupported",
        "test_waf_round_trip",
        "test_waf_configure_is_idempotent",
        "test_waf_converges",
        "test_waf_error_mapping_and_retries",
        "test_readback_waf_targets",
        "test_waf_only_the_order_changes",
    ),
    # ------------------------------------- writes the driver does not report (the wire)
    "deploy_touches_unchanged": _v(
        bw.DeployTouchesUnchanged,
        "compute",
        "an unchanged deploy writes nothing (on the wire)",
        "test_compute_deploy_is_idempotent",
        "test_compute_env_order_is_no_change_one_value_is",
        "test_readback_service_round_trip",
    ),
    "scale_same_rewrites": _v(
        bw.ScaleSameRewrites,
        "compute",
        "scaling to the current count writes nothing (on the wire)",
        "test_compute_update_read_after_write",
    ),
    "cache_provision_refreshes": _v(
        bw.CacheProvisionRefreshes,
        "cache",
        "provisioning an unchanged cache writes nothing (on the wire)",
        "test_cache_provision_idempotent",
        "test_cache_only_tls_changed_is_a_conflict",
        "test_readback_cache_round_trip",
    ),
    "database_provision_refreshes": _v(
        bw.DatabaseProvisionRefreshes,
        "database",
        "provisioning an unchanged database writes nothing (on the wire)",
        "test_database_provision_idempotent",
        "test_database_whose_name_extends_another_survives",
        "test_readback_database_round_trip",
    ),
    "secret_writes_reported_as_reads": _v(
        bw.SecretWritesReportedAsReads,
        "secrets",
        "the driver's own count of writes agrees with the wire",
        "test_secrets_read_after_update",
        "test_secrets_delete_when_gone",
        "test_secrets_store_not_repeated",  # counts the reported writes of one store
    ),
    "dns_reports_nothing": _v(
        bw.DNSReportsNothing,
        "dns",
        "every API call is reported (emit_api_call)",
        "test_dns_round_trip",
        "test_dns_read_after_update",
        "test_dns_delete_when_gone",
        "test_dns_one_field_at_a_time",
    ),
    # ------------------------------------------- one thing at a time (suite.dimensions)
    "dns_ttl_change_ignored": _v(
        bd.DNSTTLChangeIgnored,
        "dns",
        "a TTL-only change is written",
        "test_dns_one_field_at_a_time",
    ),
    "dns_value_order_is_a_change": _v(
        bd.DNSValueOrderIsAChange,
        "dns",
        "values are a set: another order writes nothing",
        "test_dns_one_field_at_a_time",
    ),
    "dns_delete_takes_the_whole_name": _v(
        bd.DNSDeleteTakesTheWholeName,
        "dns",
        "another record type at the same name survives",
        "test_dns_sibling_type_at_the_same_name_survives",
    ),
    "env_order_redeploys": _v(
        bd.EnvOrderRedeploys,
        "compute",
        "env vars in another order are no change",
        "test_compute_env_order_is_no_change_one_value_is",
    ),
    "latest_version_by_text": _v(
        bd.LatestVersionByText,
        "secrets",
        "the latest of 11 versions is the 11th",
        "test_secrets_versions_past_nine",
    ),
    "strips_secret_values": _v(
        bd.StripsSecretValues,
        "secrets",
        "values round-trip byte for byte",
        "test_secrets_values_round_trip_byte_exact",
    ),
    "waf_order_ignored": _v(
        bd.WAFOrderIgnored,
        "waf",
        "rule order is priority: a new order is a change",
        "test_waf_only_the_order_changes",
    ),
    "cache_tls_change_ignored": _v(
        bd.CacheTLSChangeIgnored,
        "cache",
        "an existing cache with only TLS changed is a conflict",
        "test_cache_only_tls_changed_is_a_conflict",
    ),
    "database_delete_by_prefix": _v(
        bd.DatabaseDeleteByPrefix,
        "database",
        "a database whose name extends another survives its delete",
        "test_database_whose_name_extends_another_survives",
    ),
    "database_password_in_sdk_log": _v(
        bd.DatabasePasswordInSDKLog,
        "database",
        "a database password never appears in logs, SDK loggers at DEBUG included",
        "test_database_password_is_a_secret_gone_after_delete",
    ),
    "cache_password_left_behind": _v(
        bd.CachePasswordLeftBehind,
        "cache",
        "a cache's password secret is gone after the delete",
        "test_cache_password_is_a_secret_gone_after_delete",
    ),
    "restores_latest_backup": _v(
        bd.RestoresLatestBackup,
        "database",
        "each backup restores its own data",
        "test_database_two_backups_each_restore_their_own_data",
    ),
    "listing_stale_replicas": _v(
        bd.ListingStaleReplicas,
        "compute",
        "status and listing agree after scale",
        "test_compute_status_and_listing_agree_after_scale",
    ),
    "delete_gives_up_on_read_error": _v(
        bd.DeleteGivesUpOnReadError,
        "secrets",
        "a 5xx on a read inside a delete still ends with the thing deleted",
        "test_secrets_delete_survives_a_failed_read",
    ),
    "throttle_drops_retry_after": _v(
        bd.ThrottleDropsRetryAfter,
        "secrets",
        "RateLimited.retry_after is what the provider asked for",
        "test_secrets_retry_after_is_what_was_injected",
    ),
    "repeats_unsafe_restore": _v(
        bd.RepeatsUnsafeRestore,
        "database",
        "restore_database is not repeated after a 5xx",
        "test_database_restore_not_repeated",
    ),
    "repeats_page_at_exact_boundary": _v(
        bd.RepeatsPageAtExactBoundary,
        "secrets",
        "a listing of exactly k pages holds each name once",
        "test_secrets_listing_of_exactly_k_pages",
    ),
    # ---------------------------------------------------------------- storage
    "object_list_drops_last_page": _v(
        bs.ObjectListDropsLastPage,
        "storage",
        "object listings cross pages",
        "test_storage_list_pages",
        "test_storage_error_mapping_and_retries",  # a listing resumed after a page loses keys
    ),
    "prefix_leaks_siblings": _v(
        bs.PrefixLeaksSiblings,
        "storage",
        "a prefix matches only keys starting with it",
        "test_storage_list_sibling_prefixes",
    ),
    "no_checksum_verification": _v(
        bs.NoChecksumVerification,
        "storage",
        "corrupted data is an IntegrityError, never data",
        "test_storage_integrity_corruption_is_an_error",
    ),
    "bucket_create_not_idempotent": _v(
        bs.BucketCreateNotIdempotent,
        "storage",
        "create_bucket with an unchanged config writes nothing",
        "test_storage_create_bucket_is_idempotent",
        "test_storage_get_bucket_round_trip",
    ),
    "deletes_non_empty_bucket": _v(
        bs.DeletesNonEmptyBucket,
        "storage",
        "a non-empty bucket is deleted only with force",
        "test_storage_delete_bucket_refuses_non_empty",
    ),
    "presign_never_expires": _v(
        bs.PresignNeverExpires,
        "storage",
        "a presigned URL is refused after it expires",
        "test_storage_presign_expired_refused",
    ),
    "lists_unmanaged_buckets": _v(
        bs.ListsUnmanagedBuckets,
        "storage",
        "buckets cloudcore does not manage are never listed",
        "test_storage_unmanaged_buckets_untouched",
    ),
    "versions_overwritten": _v(
        bs.VersionsOverwritten,
        "storage",
        "a versioned bucket keeps every version",
        "test_storage_versions",
    ),
    "delete_missing_object_fails": _v(
        bs.DeleteMissingObjectFails,
        "storage",
        "delete of a missing object succeeds",
        "test_storage_delete_missing_object_succeeds",
    ),
    "swallows_list_errors": _v(
        bs.SwallowsListErrors,
        "storage",
        "a failed listing page is an error or retried, never a short listing",
        "test_storage_error_mapping_and_retries",
    ),
    "copy_loses_metadata": _v(
        bs.CopyLosesMetadata,
        "storage",
        "a copy keeps content type and metadata",
        "test_storage_copy_object",
    ),
    "visibility_timeout_ignored": _v(
        bq.VisibilityTimeoutIgnored,
        "queues",
        "a received message stays hidden for its visibility timeout",
        "test_queues_fifo_order_and_dedup",
        "test_queues_redelivery_after_visibility_timeout",
        "test_queues_release_and_extend",
        "test_queues_send_receive_ack",
    ),
    "receive_count_stuck": _v(
        bq.ReceiveCountStuck,
        "queues",
        "each delivery counts one more receive",
        "test_queues_dead_letter_after_max_receives",
        "test_queues_redelivery_after_visibility_timeout",
        "test_queues_release_and_extend",
    ),
    "dead_letter_never": _v(
        bq.DeadLetterNever,
        "queues",
        "after max_receives a message moves to the dead-letter queue",
        "test_queues_dead_letter_after_max_receives",
    ),
    "dead_letter_drops_attributes": _v(
        bq.DeadLetterDropsAttributes,
        "queues",
        "a dead-lettered message keeps its body and attributes",
        "test_queues_dead_letter_after_max_receives",
    ),
    "ack_ignored": _v(
        bq.AckIgnored,
        "queues",
        "an acked message never comes back",
        "test_queues_fifo_order_and_dedup",
        "test_queues_redelivery_after_visibility_timeout",
        "test_queues_send_receive_ack",
    ),
    "stale_ack_fails": _v(
        bq.StaleAckFails,
        "queues",
        "ack of a receipt already acked succeeds",
        "test_queues_send_receive_ack",
    ),
    "queue_create_not_idempotent": _v(
        bq.QueueCreateNotIdempotent,
        "queues",
        "create_queue with an unchanged config writes nothing",
        "test_queues_create_is_idempotent",
    ),
    "lists_unmanaged_queues": _v(
        bq.ListsUnmanagedQueues,
        "queues",
        "queues cloudcore does not manage are never listed",
        "test_queues_unmanaged_untouched",
    ),
    "purges_unmanaged_queue": _v(
        bq.PurgesUnmanagedQueue,
        "queues",
        "purge_queue acts only on managed queues",
        "test_queues_unmanaged_untouched",
    ),
    "job_schedule_not_idempotent": _v(
        bq.JobScheduleNotIdempotent,
        "jobs",
        "schedule_job with an unchanged config writes nothing",
        "test_jobs_schedule_is_idempotent",
    ),
    "job_retries_ignored": _v(
        bq.JobRetriesIgnored,
        "jobs",
        "a failed run is retried up to retries times",
        "test_jobs_failed_run_is_retried",
    ),
    "disabled_job_fires": _v(
        bq.DisabledJobFires,
        "jobs",
        "a disabled job does not fire",
        "test_jobs_disabled_does_not_fire",
    ),
}
VARIANTS.update(
    {name: _v(cls, cap, why, *fails) for name, (cls, cap, why, fails) in READBACK_VARIANTS.items()}
)
"""Every broken variant by name."""


class SecretsOnly(MemoryProvider):
    """Not broken: an honest partial driver (secrets without versions, and discovery), the
    control case for the *unsupported* outcome."""

    capabilities = frozenset({Capability.SECRETS, Capability.DISCOVERY})
    features = {
        Capability.SECRETS: frozenset({"read"}),
        Capability.DISCOVERY: frozenset({"tags", "schemas"}),
    }
    unsupported_reasons = {
        **dict.fromkeys(("compute", "database", "cache", "dns"), "secrets-only control driver"),
        **dict.fromkeys(("waf", "storage", "queues", "jobs"), "secrets-only control driver"),
        "secrets:versions": "this control keeps only the latest value",
    }


class _NoFaults:
    """A stand-in without fault injection: never faults, offers no ``inject``."""

    def take(self, *args: Any) -> None:
        return None

    def clear(self) -> None:
        """Nothing to clear."""


class NoFaultInjection(MemoryProvider):
    """Not broken: a correct driver whose stand-in cannot inject faults (the control case for
    the *not testable* outcome)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.faults = _NoFaults()  # type: ignore[assignment]


CONTROLS: dict[str, type[MemoryProvider]] = {
    "secrets_only": SecretsOnly,
    "no_fault_injection": NoFaultInjection,
}
"""Correct drivers the self-test also runs (they must pass, with honest unsupported tests)."""


@contextmanager
def broken_target(
    variant: str, *, storage_probes: bool = True, **options: Any
) -> Iterator[MemoryProvider]:
    """Yield a fresh provider of the broken ``variant`` (a test target, like the memory one);
    ``storage_probes=False`` leaves out the bucket seeder and object corrupter."""
    options.setdefault("zones", ("example.com", "example.org"))
    options.setdefault("page_size", 10)
    options.setdefault("retry", {"initial_delay": 0.01, "max_delay": 0.05, "jitter": 0.0})
    options.setdefault("multipart_threshold", 64 * 1024)
    cls = CONTROLS[variant] if variant in CONTROLS else VARIANTS[variant].cls
    provider = cls(**options)
    if isinstance(provider.faults, FaultQueue):
        attach(provider, provider.faults)
    attach_wire_counter(provider, provider.wire)
    attach_probe(provider, MemoryProbe(provider))
    if storage_probes:
        storage = MemoryStorageProbe(provider)
        attach_bucket_seeder(provider, storage)
        attach_corrupter(provider, storage)
    attach_queue_probes(provider)
    try:
        yield provider
    finally:
        provider.close()
