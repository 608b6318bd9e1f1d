"""The change counter every replica's cache is checked against (tables `generation`, `subject_generation`).

A write that changes what the public pages show calls `record` in its own transaction, as its last
statement before the commit: readers then either see the write and the new counter together, or
neither. Last, because on PostgreSQL the counter's row stays locked until the commit: taken at the
end, concurrent uploads wait for each other only for the commit itself, and always in the same
order (their other rows first, then the counter), so they cannot deadlock on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import cast

from sqlalchemy import Engine, Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..db import Generation, SubjectGeneration


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def record(db: Session, subjects: Iterable[str] = ()) -> int:
    """Bump the counter (and stamp `subjects`, which now count as reporting ones); the new value."""
    connection = db.connection()  # Core statements: this runs in every upload, ORM bookkeeping is not needed
    table = cast(Table, Generation.__table__)
    value = connection.execute(
        update(table)
        .where(table.c.id == 1)
        .values(value=table.c.value + 1, changed_at=_utcnow())
        .returning(table.c.value)
    ).scalar()
    if value is None:  # the row is seeded by migration 0004; only a hand-emptied table lacks it
        value = 1
        connection.execute(insert(table).values(id=1, value=value, changed_at=_utcnow()))
    rows = [{"subject": subject, "generation": value} for subject in sorted(set(subjects))]
    if rows:  # sorted: two writers stamping the same subjects lock their rows in the same order
        dialect = db.get_bind().dialect.name
        upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = upsert(cast(Table, SubjectGeneration.__table__))
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["subject"], set_={"generation": statement.excluded.generation}
            ),
            rows,
        )
    return int(value)


_CURRENT = select(Generation.value).where(Generation.id == 1)


def current(db: Session) -> int:
    """The counter now: one primary-key read (0 before migration 0004's seed row exists)."""
    return int(db.scalar(_CURRENT) or 0)


def current_quickly(engine: Engine) -> int:
    """`current` on an autocommit connection of its own (`Database.quick_reads`): one round trip, and
    a request whose page is cached needs no transaction at all. Read before anything else the request
    reads, it is never newer than what follows. One retry: a pooled connection is not pinged first."""
    for attempt in (1, 2):
        try:
            with engine.connect() as connection:
                return int(connection.scalar(_CURRENT) or 0)
        except DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise
    raise AssertionError("unreachable")


def subject_generations(db: Session) -> dict[str, int]:
    """Every subject that reported, with the counter value of its last change."""
    return {
        subject: int(generation)
        for subject, generation in db.execute(select(SubjectGeneration.subject, SubjectGeneration.generation))
    }


def reported(db: Session, subject: str) -> bool:
    """Whether `subject` ever reported (one primary-key read)."""
    return db.scalar(select(SubjectGeneration.subject).where(SubjectGeneration.subject == subject)) is not None
