"""Capabilities and features as data, and the table of protocol operations.

A driver declares ``capabilities`` (a set of :class:`Capability`) and ``features`` (per
capability, a set of strings from :data:`KNOWN_FEATURES`), plus a reason for everything it leaves
out. The core checks these before calling a driver, so asking for something undeclared raises
:class:`~cloudcore.errors.Unsupported` with the reason, and no driver code runs.

:data:`OPERATIONS` describes every protocol method once: its capability, whether it only reads,
whether it may destroy data, whether repeating it is harmless, and whether the core may retry it.
The base provider, composition, the CLI and the tool manifests all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "KNOWN_FEATURES",
    "OPERATIONS",
    "Capability",
    "OperationInfo",
]


class Capability(StrEnum):
    """What a provider can do, one member per group of protocol methods."""

    COMPUTE = "compute"
    DATABASE = "database"
    CACHE = "cache"
    DNS = "dns"
    WAF = "waf"
    SECRETS = "secrets"
    DISCOVERY = "discovery"
    STORAGE = "storage"
    QUEUES = "queues"
    JOBS = "jobs"


KNOWN_FEATURES: dict[Capability, frozenset[str]] = {
    Capability.COMPUTE: frozenset(
        {"images", "commands", "autoscaling", "health_check", "logs", "secrets_env", "endpoint"}
    ),
    Capability.DATABASE: frozenset(
        {"postgres", "high_availability", "backups", "restore", "encryption"}
    ),
    Capability.CACHE: frozenset({"redis", "high_availability", "tls", "auth"}),
    Capability.DNS: frozenset(
        {"A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "CAA", "proxied", "batch"}
    ),
    Capability.WAF: frozenset(
        {
            "ip",
            "geo",
            "path",
            "rate_limit",
            "rate_limit:challenge",
            "managed",
            "managed:core",
            "managed:sqli",
            "managed:xss",
            "managed:known-bad-inputs",
            "managed:ip-reputation",
        }
    ),
    Capability.SECRETS: frozenset({"versions", "read"}),
    Capability.DISCOVERY: frozenset({"tags", "schemas"}),
    Capability.STORAGE: frozenset({"versioning", "presign", "lifecycle", "cors", "public"}),
    Capability.QUEUES: frozenset({"dead_letter", "fifo", "delay", "redrive"}),
    Capability.JOBS: frozenset({"command", "http", "runs", "run_now"}),
}
"""Every feature name the core knows, per capability. Drivers declare a subset."""


@dataclass(frozen=True, slots=True)
class OperationInfo:
    """What the core knows about one protocol operation.

    Attributes:
        name: Method name.
        capability: The capability it belongs to, or ``None`` for meta operations.
        summary: One line for docs, CLIs and tool manifests.
        read_only: Changes nothing.
        destructive: May delete or overwrite data.
        idempotent: Repeating it with the same input leaves the same state.
        retry_safe: The core may repeat it after a transient failure. True for reads and
            idempotent writes; a driver may add operations it makes safe with an idempotency
            token (``BaseProvider.token_safe_operations``).
        mutating: Writes something (for counting and for read-only modes).
    """

    name: str
    capability: Capability | None
    summary: str
    read_only: bool
    destructive: bool
    idempotent: bool
    retry_safe: bool

    @property
    def mutating(self) -> bool:
        return not self.read_only


def _op(
    name: str,
    cap: Capability,
    summary: str,
    *,
    read: bool = False,
    destructive: bool = False,
    idempotent: bool = True,
    safe: bool | None = None,
) -> OperationInfo:
    retry_safe = (read or idempotent) if safe is None else safe
    return OperationInfo(name, cap, summary, read, destructive, idempotent, retry_safe)


C = Capability
OPERATIONS: dict[str, OperationInfo] = {
    op.name: op
    for op in (
        _op("deploy_service", C.COMPUTE, "Create or update a container service to match a config"),
        _op("scale_service", C.COMPUTE, "Set a service's desired replica count"),
        _op(
            "get_service_status",
            C.COMPUTE,
            "Read a service's replicas, revision and events",
            read=True,
        ),
        _op("list_services", C.COMPUTE, "List the services cloudcore manages", read=True),
        _op(
            "delete_service",
            C.COMPUTE,
            "Delete a service (succeeds if already gone)",
            destructive=True,
        ),
        _op("get_logs", C.COMPUTE, "Read a service's recent log lines", read=True),
        _op(
            "get_service_config",
            C.COMPUTE,
            "Read a service's config back, as deploy_service takes it",
            read=True,
        ),
        _op(
            "provision_database",
            C.DATABASE,
            "Create a PostgreSQL database (or return the existing one)",
        ),
        _op("backup_database", C.DATABASE, "Take a backup of a database now", idempotent=False),
        _op("list_backups", C.DATABASE, "List a database's backups", read=True),
        _op(
            "get_database",
            C.DATABASE,
            "Read a database's config back, with its endpoint and status",
            read=True,
        ),
        _op(
            "restore_database",
            C.DATABASE,
            "Restore a backup into a new database",
            idempotent=False,
        ),
        _op(
            "delete_database",
            C.DATABASE,
            "Delete a database (succeeds if already gone)",
            destructive=True,
        ),
        _op("provision_cache", C.CACHE, "Create a Redis cache (or return the existing one)"),
        _op("delete_cache", C.CACHE, "Delete a cache (succeeds if already gone)", destructive=True),
        _op(
            "get_cache",
            C.CACHE,
            "Read a cache's config back, with its endpoint and status",
            read=True,
        ),
        _op("create_dns_record", C.DNS, "Point a name at an address or host (A, AAAA or CNAME)"),
        _op("upsert_dns_records", C.DNS, "Create or replace many DNS record sets in batches"),
        _op("list_dns_records", C.DNS, "List the record sets of a zone", read=True),
        _op("list_dns_zones", C.DNS, "List the DNS zones the provider hosts", read=True),
        _op(
            "delete_dns_record",
            C.DNS,
            "Delete a DNS record set (succeeds if already gone)",
            destructive=True,
        ),
        _op(
            "configure_waf",
            C.WAF,
            "Replace the whole WAF rule set (declarative, converges)",
            destructive=True,
        ),
        _op("get_waf_rules", C.WAF, "Read the WAF rule set cloudcore manages", read=True),
        _op(
            "list_waf_targets",
            C.WAF,
            "List the targets holding a WAF rule set cloudcore manages",
            read=True,
        ),
        _op("store_secret", C.SECRETS, "Store a new version of a secret", idempotent=False),
        _op(
            "get_secret", C.SECRETS, "Read a secret's value (latest or a given version)", read=True
        ),
        _op("list_secrets", C.SECRETS, "List secret names (never values)", read=True),
        _op(
            "list_secret_versions", C.SECRETS, "List a secret's versions (never values)", read=True
        ),
        _op(
            "delete_secret",
            C.SECRETS,
            "Delete a secret and its versions (succeeds if gone)",
            destructive=True,
        ),
        _op(
            "list_resources",
            C.DISCOVERY,
            "List what cloudcore manages, by type and tags",
            read=True,
        ),
        _op("create_bucket", C.STORAGE, "Create a bucket, or bring a managed one to a config"),
        _op("get_bucket", C.STORAGE, "Read a bucket's configuration back", read=True),
        _op(
            "delete_bucket",
            C.STORAGE,
            "Delete a bucket (refused when not empty unless forced; succeeds if gone)",
            destructive=True,
        ),
        _op("list_buckets", C.STORAGE, "List the buckets cloudcore manages", read=True),
        _op("put_object", C.STORAGE, "Write an object (streamed, checksummed)", destructive=True),
        _op("get_object", C.STORAGE, "Read an object (streamed, verified)", read=True),
        _op("download_object", C.STORAGE, "Read an object into a local file", read=True),
        _op("head_object", C.STORAGE, "Read an object's metadata", read=True),
        _op("list_objects", C.STORAGE, "List the objects of a bucket", read=True),
        _op(
            "delete_object",
            C.STORAGE,
            "Delete an object (succeeds if already gone)",
            destructive=True,
        ),
        _op("copy_object", C.STORAGE, "Copy an object server-side", destructive=True),
        _op("presign", C.STORAGE, "Make a URL that reads or writes one object without credentials"),
        _op("create_queue", C.QUEUES, "Create a queue (and its dead-letter queue), or converge it"),
        _op("get_queue", C.QUEUES, "Read a queue's configuration back", read=True),
        _op(
            "delete_queue",
            C.QUEUES,
            "Delete a queue and its dead-letter queue (succeeds if gone)",
            destructive=True,
        ),
        _op("list_queues", C.QUEUES, "List the queues cloudcore manages", read=True),
        _op("send_messages", C.QUEUES, "Send messages to a queue (batched)", idempotent=False),
        _op(
            "receive_messages",
            C.QUEUES,
            "Receive messages, hiding them for the visibility timeout",
            idempotent=False,
            safe=True,
        ),
        _op("ack", C.QUEUES, "Delete received messages by receipt (done with them)"),
        _op("release", C.QUEUES, "Give a received message back to the queue, optionally delayed"),
        _op("extend_visibility", C.QUEUES, "Keep a received message hidden for longer"),
        _op(
            "queue_stats",
            C.QUEUES,
            "Read a queue's depth: visible, in flight, oldest age",
            read=True,
        ),
        _op("purge_queue", C.QUEUES, "Delete every message of a managed queue", destructive=True),
        _op(
            "redrive",
            C.QUEUES,
            "Move a dead-letter queue's messages back to their queue",
            idempotent=False,
        ),
        _op("schedule_job", C.JOBS, "Create or update a scheduled job to match a config"),
        _op("get_job", C.JOBS, "Read a job's configuration, next and last run", read=True),
        _op("list_jobs", C.JOBS, "List the jobs cloudcore manages", read=True),
        _op("delete_job", C.JOBS, "Delete a scheduled job (succeeds if gone)", destructive=True),
        _op("run_job", C.JOBS, "Start a run of a job now", idempotent=False),
        _op("list_job_runs", C.JOBS, "List a job's recent runs, newest first", read=True),
        _op(
            "get_resource_schema",
            C.DISCOVERY,
            "Describe a resource: schemas, operations, hints",
            read=True,
        ),
    )
}
del C
