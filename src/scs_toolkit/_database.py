"""SQLAlchemy engines as the monitor and the health monitor want them: SQLite usable from several
threads with foreign keys and WAL on every connection; PostgreSQL with a checked connection pool.
Also a throwaway PostgreSQL database, for migration tests and benchmarks that need an empty one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url


def database_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def quick_read_engine(url: str) -> Engine | None:
    """For one-statement reads on every request (the monitor's change counter): autocommit, so a read
    is one round trip instead of ping, BEGIN, SELECT and ROLLBACK; no ping on checkout, so the caller
    retries once when a pooled connection turns out dead. None on SQLite (a local file: no round trips
    to save, and a second connection would not see the session's own writes)."""
    if url.startswith("sqlite"):
        return None
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_size=4, max_overflow=16)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@contextmanager
def throwaway_database(server_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new, empty database on the PostgreSQL server `server_url` names; dropped (also
    with connections still open) when the block ends."""
    server = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
