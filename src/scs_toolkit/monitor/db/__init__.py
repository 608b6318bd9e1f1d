"""The monitor's database: SQLAlchemy 2 models, sessions, Alembic migrations."""

from __future__ import annotations

from . import bulk
from ._models import (
    Account,
    ApiKey,
    Base,
    Certificate,
    Delegation,
    Generation,
    LatestResult,
    PublicKey,
    Report,
    Result,
    SubjectGeneration,
)
from ._session import Database, migrate

__all__ = [
    "Account",
    "ApiKey",
    "Base",
    "Certificate",
    "Database",
    "Delegation",
    "Generation",
    "LatestResult",
    "PublicKey",
    "Report",
    "Result",
    "SubjectGeneration",
    "bulk",
    "migrate",
]

# The status page keeps its tables in this database: registering them on `Base` (after it exists)
# keeps `Base.metadata` equal to what the migrations build, whichever package is imported first.
from ...statuspage import db as _statuspage_tables  # noqa: F401
