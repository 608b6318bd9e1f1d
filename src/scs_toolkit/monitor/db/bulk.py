"""Many rows in one statement, for the writes every upload makes (its results, its newest results).

psycopg's executemany sends one statement per row (pipelined, but each is bound, executed and
answered on its own, ~10 µs of client CPU apiece); on PostgreSQL the rows go instead as one array
per varying column into a single `INSERT ... SELECT FROM unnest(...)`, with the columns that are
the same in every row (the report, its subject, its time) sent once: one statement, one compiled
text whatever the number of rows, and no per-element work for what does not vary. SQLite runs in
process, where executemany is already the fast way.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, TextClause, text
from sqlalchemy.dialects import postgresql, sqlite


def insert_rows(
    connection: Connection, table: Table, fixed: Mapping[str, Any], columns: Mapping[str, Sequence[Any]]
) -> None:
    """Insert one row per position of `columns` (equally long value lists, by column name), each with
    the `fixed` values too."""
    _write(connection, table, fixed, columns, (), "")


def upsert_newer(
    connection: Connection,
    table: Table,
    fixed: Mapping[str, Any],
    columns: Mapping[str, Sequence[Any]],
    key: Sequence[str],
    newer: str,
) -> None:
    """`insert_rows`, but where a row with the same `key` exists, take the new one's other columns if
    its `newer` column is not older (atomic: concurrent writers cannot lose the newest). The rows
    must not repeat a key (PostgreSQL refuses to update one row twice in a statement)."""
    _write(connection, table, fixed, columns, tuple(key), newer)


def _write(
    connection: Connection,
    table: Table,
    fixed: Mapping[str, Any],
    columns: Mapping[str, Sequence[Any]],
    key: tuple[str, ...],
    newer: str,
) -> None:
    count = len(next(iter(columns.values()), ()))
    if count == 0:
        return
    if connection.dialect.name == "postgresql":
        statement = _unnest_insert(table, tuple(fixed), tuple(columns), key, newer)
        connection.execute(statement, {**fixed, **{name: list(values) for name, values in columns.items()}})
        return
    rows = [{**fixed, **{name: values[index] for name, values in columns.items()}} for index in range(count)]
    if not key:
        connection.execute(table.insert(), rows)
        return
    upsert = sqlite.insert(table)
    upsert = upsert.on_conflict_do_update(
        index_elements=list(key),
        set_={c: upsert.excluded[c] for c in (*fixed, *columns) if c not in key},
        where=upsert.excluded[newer] >= table.c[newer],
    )
    connection.execute(upsert, rows)


@functools.cache
def _unnest_insert(
    table: Table, fixed: tuple[str, ...], varying: tuple[str, ...], key: tuple[str, ...], newer: str
) -> TextClause:
    """The statement's text, built once per shape from our own table metadata (never from input)."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    quote = dialect.identifier_preparer.quote

    def sql_type(column: str) -> str:
        return str(table.c[column].type.compile(dialect=dialect))

    name = quote(table.name)
    values = [f"CAST(:{c} AS {sql_type(c)})" for c in fixed] + [f"given.{quote(c)}" for c in varying]
    arrays = ", ".join(f"CAST(:{c} AS {sql_type(c)}[])" for c in varying)
    aliases = ", ".join(map(quote, varying))
    sql = (
        f"INSERT INTO {name} ({', '.join(map(quote, (*fixed, *varying)))}) "
        f"SELECT {', '.join(values)} FROM unnest({arrays}) AS given({aliases})"
    )
    if key:
        assignments = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in (*fixed, *varying) if c not in key)
        sql += f" ON CONFLICT ({', '.join(map(quote, key))}) DO UPDATE SET {assignments}"
        sql += f" WHERE excluded.{quote(newer)} >= {name}.{quote(newer)}"
    return text(sql)
