"""``BaremetalProvider``: Linux servers over SSH, as one cloudcore provider.

>>> cloud = cloudcore.connect("baremetal", hosts=[
...     {"address": "10.0.0.5", "user": "deploy", "roles": ["app"]},
...     {"address": "10.0.0.6", "user": "deploy", "roles": ["db", "cache"]},
... ], known_hosts="~/.ssh/known_hosts")
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from cloudcore.capabilities import Capability
from cloudcore.errors import CloudcoreError, ConfigurationError
from cloudcore.models import (
    BackupRef,
    Cache,
    CacheConfig,
    CacheEndpoint,
    Database,
    DatabaseConfig,
    DatabaseEndpoint,
    DeploymentResult,
    LogEntry,
    Resource,
    ResourceType,
    ServiceConfig,
    ServiceStatus,
    ServiceSummary,
    WAFRule,
)
from cloudcore.models.secrets import SecretVersion
from cloudcore.provider import BaseProvider

from ._checks import check_unit_text, check_user
from ._errors import map_error
from .inventory import Host, Inventory, parse_roles, postgres_settings
from .secrets import SecretStore, load_key
from .storage import ObjectStore, StorageHooks
from .transport import Transport

__all__ = ["BaremetalProvider"]

C = Capability
_PATH_RE = re.compile(r"\A/[A-Za-z0-9_./-]*\Z")

DNS_REASON = (
    "bare metal has no managed DNS; compose with cloudflare: "
    "connect({'compute': 'baremetal', 'dns': 'cloudflare'})"
)
_NOT_HTTP = (
    "nftables filters packets, not HTTP requests, so {what} cannot be enforced on the host; "
    "compose with cloudflare for the edge: connect({{'compute': 'baremetal', 'waf': 'cloudflare'}})"
)


def check_state_dir(path: str, field: str = "state_dir") -> str:
    """A state folder: absolute, only ``[A-Za-z0-9_./-]`` (it appears in manager configs)."""
    if not isinstance(path, str) or not _PATH_RE.match(path) or ".." in path or len(path) > 80:
        raise ConfigurationError(
            f"{field}: an absolute path of letters, digits and '_./-', at most 80 characters "
            f"(got {path!r})",
            field=field,
        )
    return path.rstrip("/") or "/"


def check_endpoint(bind: str, port: int, url: str | None) -> tuple[str, int, str | None]:
    """The object endpoint's options, checked (they reach a unit file and a URL)."""
    import ipaddress

    try:
        ipaddress.ip_address(bind)
    except ValueError:
        raise ConfigurationError(
            f"storage_bind: an IP address (got {bind!r})", field="storage_bind"
        ) from None
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigurationError(f"storage_port: 0-65535 (got {port!r})", field="storage_port")
    if url is not None and not re.fullmatch(
        r"https?://[A-Za-z0-9.:\[\]-]+(/[A-Za-z0-9._~/-]*)?", url
    ):
        raise ConfigurationError(
            f"storage_public_url: http(s)://host[:port][/path] (got {url!r})",
            field="storage_public_url",
        )
    return bind, port, url


class BaremetalProvider(StorageHooks, BaseProvider):
    """Services, PostgreSQL, Redis, secrets and nftables rules on your own Linux hosts.

    Args:
        hosts: The inventory: mappings with ``address`` (required), ``name``, ``port``,
            ``user``, ``roles`` (``app``/``db``/``cache``; default all), ``state_dir``,
            ``key_filename``, ``known_hosts``, ``host_key_fingerprints``, ``postgres``,
            ``firewall_netns``
            (``port``, ``socket_dir``, ``os_user``, ``bin_dir``, ``address``).
        user: Default SSH user.
        key_filename: Default private key file.
        known_hosts: Default ``known_hosts`` file pinning host keys (``~/.ssh/known_hosts``).
        host_key_fingerprints: Default accepted ``SHA256:`` fingerprints.
        accept_unknown_host_keys: Explicit opt-in to trust on first use (never default): the
            first key a host shows is pinned into ``pinned_host_keys``; a changed key is refused.
        pinned_host_keys: The known_hosts file cloudcore owns for trust on first use.
        sudo: Run host commands through ``sudo -n`` (no pty, no password).
        state_dir: cloudcore's folder on the hosts.
        secret_key: The 32-byte secrets master key, urlsafe-base64 (else
            ``CLOUDCORE_SECRET_KEY``, else ``secret_key_file``).
        secret_key_file: Where the master key lives on this machine (created if missing).
        run_as: User services run as (default: the manager's, root under sudo).
        connect_timeout: SSH connect/auth timeout in seconds.
        timeout: Default command timeout in seconds.
        tcp_nodelay: Set TCP_NODELAY on SSH sockets.
        postgres: Default PostgreSQL settings for db hosts.
        storage_bind: Address the object endpoint (presigned URLs) listens on, on the first host.
        storage_port: Its port (``0``: a free port, kept across restarts).
        storage_public_url: Base URL clients use for presigned URLs (default
            ``http://<first host address>:<port>``), e.g. behind a TLS reverse proxy.
        region: A label for resource ids (e.g. a data-centre name).
        retry: Retry policy options.
    """

    name = "baremetal"
    capabilities = frozenset(
        {C.COMPUTE, C.DATABASE, C.CACHE, C.WAF, C.SECRETS, C.DISCOVERY, C.STORAGE}
    )
    features: Mapping[Capability, frozenset[str]] = {
        C.STORAGE: frozenset({"versioning", "presign", "cors", "public", "lifecycle"}),
        C.COMPUTE: frozenset(
            {"commands", "images", "health_check", "logs", "secrets_env", "endpoint"}
        ),
        C.DATABASE: frozenset({"postgres", "backups", "restore"}),
        C.CACHE: frozenset({"redis", "auth"}),
        C.WAF: frozenset({"ip", "rate_limit"}),
        C.SECRETS: frozenset({"versions", "read"}),
        C.DISCOVERY: frozenset({"tags", "schemas"}),
    }
    unsupported_reasons: Mapping[str, str] = {
        "dns": DNS_REASON,
        "waf:geo": "the hosts have no IP-to-country database and nftables no geo match; "
        "compose with cloudflare for geo rules: connect({'compute': 'baremetal', "
        "'waf': 'cloudflare'})",
        "waf:path": _NOT_HTTP.format(what="path rules"),
        "waf:managed": _NOT_HTTP.format(what="managed rule sets (OWASP, SQLi, XSS)"),
        **{
            f"waf:managed:{s}": _NOT_HTTP.format(what=f"the managed set {s!r}")
            for s in ("core", "sqli", "xss", "known-bad-inputs", "ip-reputation")
        },
        "waf:rate_limit:challenge": _NOT_HTTP.format(what="challenges (CAPTCHA)"),
        "database:high_availability": "one PostgreSQL server per db host; streaming replication "
        "and failover are not managed by the bare-metal driver",
        "database:encryption": "encryption at rest is the host's disk encryption (LUKS), "
        "which cloudcore does not manage",
        "cache:high_availability": "one Redis instance per cache; no replica or Sentinel",
        "cache:tls": "Redis instances listen without TLS; use a private network or a tunnel",
        "compute:autoscaling": "bare-metal hosts are a fixed pool; scale with scale_service",
        "queues": "queues on remote hosts are not implemented yet (the local driver keeps them in "
        "SQLite); compose with aws: connect({'compute': 'baremetal', 'queues': 'aws'})",
        "jobs": "scheduled jobs (systemd timers) are not implemented yet; compose with aws",
    }
    object_page_size = 1000
    """Objects per ``list_objects`` page."""

    def __init__(
        self,
        *,
        hosts: Sequence[Mapping[str, Any]] | None = None,
        user: str | None = None,
        key_filename: str | None = None,
        known_hosts: str | None = None,
        host_key_fingerprints: Sequence[str] = (),
        accept_unknown_host_keys: bool = False,
        pinned_host_keys: str = "~/.config/cloudcore/known_hosts",
        sudo: bool = True,
        state_dir: str = "/var/lib/cloudcore",
        secret_key: str | bytes | None = None,
        secret_key_file: str | None = "~/.config/cloudcore/baremetal.key",  # noqa: S107
        run_as: str | None = None,
        connect_timeout: float = 10.0,
        timeout: float = 300.0,
        tcp_nodelay: bool = True,
        postgres: Mapping[str, Any] | None = None,
        storage_bind: str = "0.0.0.0",
        storage_port: int = 0,
        storage_public_url: str | None = None,
        region: str | None = None,
        retry: Any = None,
    ) -> None:
        super().__init__(region=region, retry=retry)
        self._storage_endpoint = check_endpoint(storage_bind, storage_port, storage_public_url)
        inventory = self._build_inventory(
            hosts,
            {
                "user": user,
                "key_filename": key_filename,
                "known_hosts": known_hosts,
                "host_key_fingerprints": tuple(host_key_fingerprints),
                "accept_unknown_host_keys": accept_unknown_host_keys,
                "pinned_host_keys": pinned_host_keys,
                "sudo": sudo,
                "connect_timeout": connect_timeout,
                "timeout": timeout,
                "tcp_nodelay": tcp_nodelay,
            },
            check_state_dir(state_dir),
            postgres,
        )
        self._init_engine(inventory, secret_key, secret_key_file, run_as)

    def _init_engine(
        self,
        inventory: Inventory,
        secret_key: str | bytes | None,
        secret_key_file: str | None,
        run_as: str | None,
    ) -> None:
        self.inventory = inventory
        if run_as is not None:
            check_user(run_as, "run_as")  # written into unit files (User=, user=)
        self._secret_key = secret_key
        self._secret_key_file = secret_key_file
        self.run_as = run_as
        self._store: SecretStore | None = None
        self._key_bytes: bytes | None = None
        from .cache import Caches
        from .compute import Compute
        from .database import Databases
        from .readback import Readback
        from .waf import Firewall

        self.compute = Compute(self)
        self.databases = Databases(self)
        self.caches = Caches(self)
        self.firewall = Firewall(self)
        self.readback = Readback(self)

    def _build_inventory(
        self,
        hosts: Sequence[Mapping[str, Any]] | None,
        defaults: dict[str, Any],
        state_dir: str,
        postgres: Mapping[str, Any] | None,
    ) -> Inventory:
        from .transport.ssh import SSHTransport

        if not hosts:
            raise ConfigurationError("hosts: give at least one host mapping", field="hosts")
        allowed = {
            "address",
            "name",
            "port",
            "user",
            "roles",
            "state_dir",
            "key_filename",
            "known_hosts",
            "host_key_fingerprints",
            "postgres",
            "accept_unknown_host_keys",
            "pinned_host_keys",
            "sudo",
            "firewall_netns",
        }
        out = []
        for i, spec in enumerate(hosts):
            where = f"hosts[{i}]"
            if not isinstance(spec, Mapping) or not spec.get("address"):
                raise ConfigurationError(f"{where}: a mapping with an 'address'", field=where)
            unknown = sorted(set(spec) - allowed)
            if unknown:
                raise ConfigurationError(f"{where}: unknown keys {unknown}", field=where)
            opts = {**defaults, **{k: spec[k] for k in spec if k in defaults}}
            transport = SSHTransport(
                str(spec["address"]),
                int(spec.get("port", 22)),
                opts["user"],
                key_filename=opts["key_filename"],
                known_hosts=opts["known_hosts"] or "~/.ssh/known_hosts",
                host_key_fingerprints=tuple(opts["host_key_fingerprints"] or ()),
                accept_unknown_host_keys=bool(opts["accept_unknown_host_keys"]),
                pinned_host_keys=str(opts["pinned_host_keys"]),
                connect_timeout=opts["connect_timeout"],
                timeout=opts["timeout"],
                tcp_nodelay=opts["tcp_nodelay"],
                sudo=bool(opts["sudo"]),
                provider=self.name,
            )
            check_unit_text(str(spec["address"]), f"{where}.address")
            if str(spec["address"]).startswith("-"):
                raise ConfigurationError(f"{where}.address: an address", field=f"{where}.address")
            name = str(spec.get("name") or re.sub(r"[^a-z0-9-]", "-", str(spec["address"])))
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", name):
                raise ConfigurationError(
                    f"{where}.name: 1-63 letters, digits and '_.-' (got {name!r})",
                    field=f"{where}.name",
                )
            host = self._host(
                name,
                str(spec["address"]),
                parse_roles(spec.get("roles"), where),
                transport,
                check_state_dir(str(spec.get("state_dir", state_dir)), f"{where}.state_dir"),
                {**dict(postgres or {}), **dict(spec.get("postgres") or {})},
                where,
            )
            netns = spec.get("firewall_netns")
            if netns is not None:
                if not isinstance(netns, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", netns):
                    raise ConfigurationError(f"{where}.firewall_netns: a namespace name")
                host.firewall_netns = netns
            out.append(host)
        return Inventory(out)

    @staticmethod
    def _host(
        name: str,
        address: str,
        roles: frozenset[str],
        transport: Transport,
        state_dir: str,
        postgres: Mapping[str, Any],
        where: str,
    ) -> Host:
        return Host(
            name=name,
            address=address,
            roles=roles,
            transport=transport,
            state_dir=state_dir,
            postgres=postgres_settings(postgres, where),
        )

    # ------------------------------------------------------------ plumbing
    def _object_store(self) -> ObjectStore:
        from ._dirstore import LocalFS, StoreFS
        from .transport.local import LocalTransport

        host = self.inventory.hosts[0]
        fs: StoreFS
        if isinstance(host.transport, LocalTransport):
            fs = LocalFS()
        else:
            from .sftpfs import SftpFS
            from .transport.ssh import SSHTransport

            assert isinstance(host.transport, SSHTransport)
            fs = SftpFS(host.transport)
        bind, port, url = self._storage_endpoint
        return ObjectStore(
            host, fs, bind=bind, port=port, public_url=url, page_size=self.object_page_size
        )

    @property
    def secret_store(self) -> SecretStore:
        """The secret store (on the first host of the inventory)."""
        if self._store is None:
            self._store = SecretStore(self.inventory.hosts[0], self._master_key)
        return self._store

    def _master_key(self, create: bool) -> bytes:
        """The secrets key, loaded on first use. A missing key file is created only to seal a
        value (``create``): reads never write one, so a read-only session writes nothing."""
        if self._key_bytes is None:
            given = self._secret_key or os.environ.get("CLOUDCORE_SECRET_KEY")
            path = self._secret_key_file
            if not given and not create and path and not os.path.exists(os.path.expanduser(path)):
                raise ConfigurationError(
                    f"secret_key: no key file at {path} and no CLOUDCORE_SECRET_KEY, so no "
                    "stored secret can be decrypted (the key file is created when the first "
                    "secret is stored)",
                    field="secret_key",
                )
            self._key_bytes = load_key(self._secret_key, self._secret_key_file)
        return self._key_bytes

    def _map_error(self, exc: Exception) -> CloudcoreError | None:
        return map_error(exc)

    def _close(self) -> None:
        if self._objects is not None:
            self._objects.close()
        self.inventory.close()

    # ------------------------------------------------------------ compute
    def _deploy_service(self, name: str, config: ServiceConfig) -> DeploymentResult:
        return self.compute.deploy(name, config)

    def _scale_service(self, name: str, replicas: int) -> ServiceStatus:
        return self.compute.scale(name, replicas)

    def _get_service_status(self, name: str) -> ServiceStatus:
        return self.compute.status(name)

    def _list_services(self) -> list[ServiceSummary]:
        return self.compute.summaries()

    def _delete_service(self, name: str) -> None:
        self.compute.delete(name)

    def _get_logs(self, name: str, since: datetime | None, limit: int) -> list[LogEntry]:
        return self.compute.logs(name, since, limit)

    # ------------------------------------------------------------ read-back
    def _get_service_config(self, name: str) -> ServiceConfig:
        return self.readback.service_config(name)

    def _get_database(self, name: str) -> Database:
        return self.readback.database(name)

    def _get_cache(self, name: str) -> Cache:
        return self.readback.cache(name)

    def _list_waf_targets(self) -> list[str | None]:
        return self.readback.waf_targets()

    # ------------------------------------------------------------ database
    def _provision_database(self, config: DatabaseConfig) -> DatabaseEndpoint:
        return self.databases.provision(config)

    def _backup_database(self, name: str) -> BackupRef:
        return self.databases.backup(name)

    def _list_backups(self, name: str) -> list[BackupRef]:
        return self.databases.list_backups(name)

    def _restore_database(self, backup_id: str, new_name: str) -> DatabaseEndpoint:
        return self.databases.restore(backup_id, new_name)

    def _delete_database(self, name: str) -> None:
        self.databases.delete(name)

    # ------------------------------------------------------------ cache
    def _provision_cache(self, config: CacheConfig) -> CacheEndpoint:
        return self.caches.provision(config)

    def _delete_cache(self, name: str) -> None:
        self.caches.delete(name)

    # ------------------------------------------------------------ waf
    def _configure_waf(self, rules: tuple[WAFRule, ...], target: str | None) -> bool:
        return self.firewall.configure(rules, target)

    def _get_waf_rules(self, target: str | None) -> list[WAFRule]:
        return self.firewall.rules(target)

    # ------------------------------------------------------------ secrets
    def _store_secret(self, key: str, value: SecretStr) -> str:
        return self.secret_store.store(key, value)

    def _get_secret(self, key: str, version: str | None) -> SecretStr:
        return self.secret_store.get(key, version)

    def _list_secrets(self) -> Iterable[str]:
        return self.secret_store.names()

    def _list_secret_versions(self, key: str) -> list[SecretVersion]:
        return self.secret_store.list_versions(key)

    def _delete_secret(self, key: str) -> None:
        self.secret_store.delete(key)

    # ------------------------------------------------------------ discovery
    def _list_resources(
        self, type: ResourceType | None, tags: Mapping[str, str]
    ) -> Iterator[Resource]:
        from .discovery import list_resources

        return (r for r in list_resources(self, type) if r.carries(tags))
