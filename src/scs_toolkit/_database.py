"""SQLAlchemy engines as the monitor and the health monitor want them: SQLite usable from several
threads with foreign keys and WAL on every connection; PostgreSQL with a checked connection pool."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event


def database_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
