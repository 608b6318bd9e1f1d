"""Alembic environment: migrations run against the URL the monitor was given.

Several replicas may start at once on an empty or older PostgreSQL database: a transaction-level
advisory lock makes their migrations run one after the other (the later ones find the schema at
head and do nothing) instead of racing to create the same tables. On SQLite an exclusive
transaction does the same for commands started at once on one file.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool, text

from scs_toolkit.monitor.db._models import Base

MIGRATION_LOCK = 0x5C5_0001  # any constant: the key of the advisory lock all replicas take

config = context.config
with engine_from_config(
    config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
).connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        elif connection.dialect.name == "sqlite":  # the same for two commands starting on one file
            connection.exec_driver_sql("BEGIN EXCLUSIVE")
        context.run_migrations()
