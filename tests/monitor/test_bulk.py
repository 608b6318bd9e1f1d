"""The bulk writes of every upload (one unnest statement on PostgreSQL, executemany on SQLite) store
exactly the rows they are given, and the upsert keeps the newer row on both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Table, delete, select

from scs_toolkit.monitor.db import Database, LatestResult, Report, Result, bulk, migrate

from .helpers import DATABASES, database_url

LATEST = cast(Table, LatestResult.__table__)
RESULTS = cast(Table, Result.__table__)
KEY = ("subject", "scope_uuid", "testcase")
T0 = dt.datetime(2026, 11, 1, 12, 0, 0, 123456)


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = database_url(request.param, tmp_path)
    migrate(url)
    database = Database(url)
    yield database
    with database.session() as session:  # leave a shared PostgreSQL clean
        for table in (Result, Report, LatestResult):
            session.execute(delete(table))
    database.close()


def _latest(database: Database) -> dict[str, tuple[int, dt.datetime, str]]:
    with database.session() as session:
        rows = session.execute(select(LatestResult).where(LatestResult.subject == "bulk-cloud")).scalars()
        return {r.testcase: (r.value, r.checked_at, r.report_uuid) for r in rows}


def _upsert(database: Database, at: dt.datetime, report: str, values: dict[str, int]) -> None:
    with database.session() as session:
        bulk.upsert_newer(
            session.connection(),
            LATEST,
            {"subject": "bulk-cloud", "scope_uuid": "scope", "checked_at": at, "report_uuid": report},
            {"testcase": list(values), "value": list(values.values())},
            KEY,
            "checked_at",
        )


def test_upsert_keeps_the_newer_row_and_takes_an_equally_new_one(database: Database) -> None:
    _upsert(database, T0, "first", {"a": 1, "b": -1})
    assert _latest(database) == {"a": (1, T0, "first"), "b": (-1, T0, "first")}
    _upsert(database, T0 - dt.timedelta(microseconds=1), "older", {"a": -1, "c": 0})
    assert _latest(database) == {
        "a": (1, T0, "first"),
        "b": (-1, T0, "first"),
        "c": (0, T0 - dt.timedelta(0, 0, 1), "older"),
    }
    _upsert(database, T0, "same-time", {"b": 1})
    later = T0 + dt.timedelta(days=1)
    _upsert(database, later, "newer", {"a": 0})
    assert _latest(database) == {
        "a": (0, later, "newer"),
        "b": (1, T0, "same-time"),
        "c": (0, T0 - dt.timedelta(0, 0, 1), "older"),
    }


def test_insert_stores_every_row_with_the_fixed_values_and_nothing_for_no_rows(database: Database) -> None:
    with database.session() as session:
        report_id = session.execute(
            Report.__table__.insert().returning(Report.__table__.c.id),
            {
                "uuid": "bulk-run",
                "subject": "bulk-cloud",
                "scope_uuid": "scope",
                "checked_at": T0,
                "received_at": T0,
                "uploader": "bulk-cloud",
                "data": "{}",
            },
        ).scalar_one()
        fixed = {"report_id": report_id, "subject": "bulk-cloud", "scope_uuid": "scope", "checked_at": T0}
        names = [f"testcase-{n}" for n in range(300)] + ["o'quote", 'd"quote', "back\\slash", "ünïcode"]
        bulk.insert_rows(session.connection(), RESULTS, fixed, {"testcase": names, "value": [1, -1, 0, 1] * 76})
        bulk.insert_rows(session.connection(), RESULTS, fixed, {"testcase": [], "value": []})
    with database.session() as session:
        rows = session.execute(select(Result.testcase, Result.value, Result.checked_at, Result.report_id)).all()
    assert sorted(rows) == sorted((name, [1, -1, 0, 1][n % 4], T0, report_id) for n, name in enumerate(names))
