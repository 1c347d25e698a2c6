"""Moving a whole running system between providers, data included: export, translate, plan,
apply, move secrets (every version), database rows and objects, cut DNS over last, verify. The
source is only read; a journal makes every run resumable. See ``docs/migration.md``.
"""

from __future__ import annotations

from .data import copy_database, copy_objects, copy_secret, table_digests
from .journal import Journal
from .run import (
    MigrationPlan,
    MigrationRefused,
    MigrationReport,
    migrate,
    plan_migration,
    verify,
)
from .translate import Gap, translate

__all__ = [
    "Gap",
    "Journal",
    "MigrationPlan",
    "MigrationRefused",
    "MigrationReport",
    "copy_database",
    "copy_objects",
    "copy_secret",
    "migrate",
    "plan_migration",
    "table_digests",
    "translate",
    "verify",
]
