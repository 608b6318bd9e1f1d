"""Alembic environment: migrations run against the URL the monitor was given.

Several replicas may start at once on an empty or older database: a lock makes their migrations run
one after the other (the later ones find the schema at head and do nothing) instead of racing to
create the same tables. On PostgreSQL that is a transaction-level advisory lock. On SQLite it is an
exclusive flock(2) on the database file itself, held for the whole run: a `BEGIN EXCLUSIVE` would
not do, because Alembic commits after each migration on SQLite (no transactional DDL), which let a
waiting command in between two migrations of another one.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool, text

from scs_toolkit.monitor.db._models import Base

MIGRATION_LOCK = 0x5C5_0001  # any constant: the key of the advisory lock all replicas take


@contextmanager
def _migration_lock(connection: Connection) -> Iterator[None]:
    """Hold the lock that serializes migrations of one database across processes."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        yield
        return
    database = connection.engine.url.database
    if connection.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        yield  # an in-memory database has one process by definition
        return
    with Path(database).open("ab") as lock_file:  # SQLite locks with fcntl byte ranges: flock does not interfere
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


config = context.config
with engine_from_config(
    config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
).connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction(), _migration_lock(connection):
        context.run_migrations()
