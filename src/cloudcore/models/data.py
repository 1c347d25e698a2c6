"""Database and cache models. Passwords never travel here: endpoints name the secret holding them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from ._base import Extras, Model, Name, Port, SizeClass, Tags, utcnow


class DatabaseConfig(Model):
    """A managed PostgreSQL database.

    Attributes:
        name: cloudcore name of the database (and of its instance where the provider has one).
        engine: Only ``"postgres"`` is portable today.
        version: Major version (``"16"``); ``None`` for the provider's default.
        size: Portable size class; ``extras`` may name an explicit provider class instead.
        storage_gb: Allocated storage in GiB.
        high_availability: Standby in another zone (RDS Multi-AZ, Cloud SQL REGIONAL).
        backup_retention_days: Automated backup retention; 0 disables automated backups.
        encrypted: Encryption at rest.
        database: The logical database to create inside.
        username: The owner role to create; its password is generated and kept as a secret.
        tags: User tags.
        extras: Provider-specific options.
    """

    name: Name
    engine: Literal["postgres"] = "postgres"
    version: Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)?$")] | None = None
    size: SizeClass = SizeClass.SMALL
    storage_gb: Annotated[int, Field(ge=1, le=65_536)] = 20
    high_availability: bool = False
    backup_retention_days: Annotated[int, Field(ge=0, le=35)] = 7
    encrypted: bool = True
    database: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$")] = "app"
    username: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$")] = "app"
    tags: Tags = Field(default_factory=dict)
    extras: Extras = Field(default_factory=dict)


class DatabaseEndpoint(Model):
    """Where a database answers and how to log in.

    Attributes:
        name: cloudcore name.
        engine: ``"postgres"``.
        host: Host name or address.
        port: TCP port.
        database: Logical database name.
        username: Owner role.
        password_secret: Name of the cloudcore secret holding the password (never the password).
        status: The provider's status, verbatim (``available``, ``RUNNABLE``...).
        high_availability: Whether a standby exists.
        provider_id: The provider's identifier.
    """

    name: str
    engine: str = "postgres"
    host: str
    port: Port
    database: str
    username: str
    password_secret: str | None = None
    status: str = "available"
    high_availability: bool = False
    provider_id: str | None = None


class BackupRef(Model):
    """A backup of a database, as ``restore_database`` takes it.

    Attributes:
        id: Provider-unique backup id (snapshot id, backup run id, dump file name).
        database: The cloudcore name of the database it was taken from.
        created_at: When it was taken (UTC).
        status: ``available`` when it can be restored; otherwise the provider's status.
        size_bytes: Size, if known.
        checksum: Content checksum (``sha256:...``), where the driver computes one.
        provider: The driver that holds it.
    """

    id: Annotated[str, Field(min_length=1, max_length=512)]
    database: str
    created_at: datetime = Field(default_factory=utcnow)
    status: str = "available"
    size_bytes: int | None = None
    checksum: str | None = None
    provider: str | None = None


class CacheConfig(Model):
    """A managed Redis cache.

    Attributes:
        name: cloudcore name.
        engine: Only ``"redis"``.
        version: Major version; ``None`` for the default.
        size: Portable size class.
        high_availability: A replica with automatic failover.
        tls: In-transit encryption.
        auth: Require a password (generated and kept as a secret).
        tags: User tags.
        extras: Provider-specific options.
    """

    name: Name
    engine: Literal["redis"] = "redis"
    version: Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)?$")] | None = None
    size: SizeClass = SizeClass.SMALL
    high_availability: bool = False
    tls: bool = False
    auth: bool = True
    tags: Tags = Field(default_factory=dict)
    extras: Extras = Field(default_factory=dict)


class CacheEndpoint(Model):
    """Where a cache answers.

    Attributes:
        name: cloudcore name.
        host: Host name or address.
        port: TCP port.
        tls: Whether clients must use TLS.
        auth_secret: Name of the cloudcore secret holding the password, if auth is on.
        status: The provider's status, verbatim.
        high_availability: Whether a replica with failover exists.
        provider_id: The provider's identifier.
    """

    name: str
    host: str
    port: Port
    tls: bool = False
    auth_secret: str | None = None
    status: str = "available"
    high_availability: bool = False
    provider_id: str | None = None


class DatabaseSummary(Model):
    """A database as listed: name and endpoint, for tools that enumerate."""

    name: Name
    endpoint: DatabaseEndpoint
    created_at: datetime = Field(default_factory=utcnow)
