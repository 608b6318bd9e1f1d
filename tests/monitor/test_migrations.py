"""Alembic migrations from an empty database to head, on SQLite and PostgreSQL: the schema they build
equals the models, and data already stored is carried forward."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from scs_toolkit._database import throwaway_database
from scs_toolkit.monitor.db import Base, Database, LatestResult, migrate

from .helpers import DATABASES


@pytest.fixture(params=DATABASES)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables: a new SQLite file, or a new database on CI's PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with throwaway_database(os.environ["SCS_TEST_DATABASE_URL"], "scs_migration") as url:
        yield url


def test_empty_to_head_builds_exactly_the_models(empty_database: str) -> None:
    migrate(empty_database)
    engine = create_engine(empty_database)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert differences == []
    assert version == "0004"
    migrate(empty_database)  # running it again changes nothing and does not fail


def test_upgrade_fills_latest_results_from_the_history(empty_database: str) -> None:
    migrate(empty_database, "0001")
    engine = create_engine(empty_database)
    assert "latest_result" not in inspect(engine).get_table_names()
    day = dt.datetime(2026, 11, 1, 12, 0)
    with engine.begin() as connection:
        for number, (checked_at, value) in enumerate([(day, -1), (day + dt.timedelta(days=1), 1)], start=1):
            connection.execute(
                text(
                    "INSERT INTO report (id, uuid, subject, scope_uuid, checked_at, received_at, uploader, data) "
                    "VALUES (:id, :uuid, 'a', 's', :at, :at, 'a', '{}')"
                ),
                {"id": number, "uuid": f"r{number}", "at": checked_at},
            )
            connection.execute(
                text(
                    "INSERT INTO result (report_id, subject, scope_uuid, testcase, value, checked_at) "
                    "VALUES (:id, 'a', 's', 'tc', :value, :at)"
                ),
                {"id": number, "value": value, "at": checked_at},
            )
    engine.dispose()
    migrate(empty_database)
    database = Database(empty_database)
    with database.session() as session:
        rows = session.query(LatestResult).all()
        assert [(r.testcase, r.value, r.report_uuid) for r in rows] == [("tc", 1, "r2")]
    database.close()


def test_replicas_starting_at_once_migrate_one_after_the_other(empty_database: str) -> None:
    """Four processes (replicas, or serve and a management command) migrate one empty database at
    the same moment: all succeed and the schema is built once (they raced to create tables before)."""
    program = "import sys; from scs_toolkit.monitor.db import migrate; migrate(sys.argv[1])"
    processes = [
        subprocess.Popen([sys.executable, "-c", program, empty_database], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120)[1] for process in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], outputs
    engine = create_engine(empty_database)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0004"]
    engine.dispose()
