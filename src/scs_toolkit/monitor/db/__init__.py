"""The monitor's database: SQLAlchemy 2 models, sessions, Alembic migrations."""

from __future__ import annotations

from ._models import Account, ApiKey, Base, Delegation, PublicKey, Report, Result
from ._session import Database, migrate

__all__ = ["Account", "ApiKey", "Base", "Database", "Delegation", "PublicKey", "Report", "Result", "migrate"]
