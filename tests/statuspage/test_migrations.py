"""Migration 0003 (the status page) from an empty database and from the compliance monitor's 0002,
on SQLite and PostgreSQL: the schema equals the models, the reference defaults are seeded once, and
what the monitor stored before is untouched; downgrading removes exactly the status page tables."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from scs_toolkit.monitor.db import Base, migrate
from scs_toolkit.statuspage.db import TABLES
from tests.monitor.test_migrations import empty_database  # noqa: F401 (the fixture: SQLite file or a new PostgreSQL database)


def _config(url: str) -> Config:
    from importlib import resources

    config = Config()
    config.set_main_option("script_location", str(resources.files("scs_toolkit.monitor.db").joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def test_the_status_page_tables_follow_the_monitors_and_are_seeded_once(empty_database: str) -> None:  # noqa: F811
    migrate(empty_database, "0002")
    engine = create_engine(empty_database)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO account (subject, roles) VALUES ('kept', 0)"))
    assert not set(TABLES) & set(inspect(engine).get_table_names())
    migrate(empty_database)
    migrate(empty_database)  # again: nothing happens, nothing is seeded twice
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert connection.execute(text("SELECT count(*) FROM sp_phase WHERE generation = 1")).scalar() == 5
        assert connection.execute(text("SELECT display_name, value FROM sp_severity ORDER BY value")).all() == [
            ("operational", 33),
            ("limited", 66),
            ("broken", 100),
        ]
        assert connection.execute(text("SELECT count(*) FROM sp_impact_type")).scalar() == 4
        assert connection.execute(text("SELECT subject FROM account")).scalars().all() == ["kept"]
    command.downgrade(_config(empty_database), "0002")
    left = set(inspect(engine).get_table_names())
    assert not set(TABLES) & left and {"account", "report", "certificate"} <= left
    migrate(empty_database)
    assert set(TABLES) <= set(inspect(engine).get_table_names())
    engine.dispose()
