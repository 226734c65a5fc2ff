"""The one place SQLite and PostgreSQL differ: how a batch of rows is written.

The seed loader writes hundreds of thousands of rows. Going through
SQLAlchemy's per-row parameter processing costs more than the database
itself, so each table's INSERT is built once here and fed plain tuples whose
values were converted once per column by that column type's own bind
processor: the same values SQLAlchemy would send, without its per-row work.

- SQLite: one prepared `INSERT … VALUES (?, …)` run with executemany.
- PostgreSQL (psycopg): one binary `COPY … FROM STDIN` a write, each value
  sent as its column's type (`COPY_TYPES`), where the driver may be used
  directly (app/core/db.py, `direct_copy`); else (something listens to the
  engine's statements, or a column of another type) one
  `INSERT … SELECT * FROM unnest(%b::type[], …)` per batch, each column sent
  as one binary array, so a batch is one round trip. Other PostgreSQL
  drivers get SQLAlchemy's executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from app.core.db import direct_copy

Row = tuple[Any, ...]
Processor = Callable[[Any], Any]

BATCH = 5000
"""Rows per statement (PostgreSQL) or per executemany call (SQLite)."""


def _processors(dialect: sa.Dialect, columns: Sequence[sa.Column[Any]]) -> list[tuple[int, Processor]]:
    """(position, bind processor) for the columns whose type converts values before they reach the driver."""
    found: list[tuple[int, Processor]] = []
    for position, column in enumerate(columns):
        processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is None:
            continue
        immutable = isinstance(column.type, (sa.Date, sa.DateTime, sa.Time))
        found.append((position, _remembering(processor) if immutable else processor))
    return found


def _remembering(processor: Processor) -> Processor:
    """A processor that converts each date object once: a load stamps every row with the same time object,
    and partial dates come from a cache, so the same few objects recur hundreds of thousands of times.

    Keyed by identity, not equality: 10:00+08:00 equals 02:00 UTC, yet SQLite stores them differently.
    Each entry keeps its object alive, so its id is never reused while the entry exists.
    """
    converted: dict[int, tuple[Any, Any]] = {}

    def process(value: Any) -> Any:
        entry = converted.get(id(value))
        if entry is None:
            entry = converted[id(value)] = (value, processor(value))
        return entry[1]

    return process


def _array_item_type(column: sa.Column[Any], dialect: sa.Dialect) -> str:
    """The PostgreSQL type a column's values are sent as, like SQLAlchemy's own bind casts.

    Text goes as TEXT, never VARCHAR(n): a cast to VARCHAR(n) would silently
    cut a value too long for the column, where an insert refuses it.
    """
    if isinstance(column.type, sa.String):
        return "TEXT"
    return column.type.compile(dialect)


COPY_TYPES = {
    "INTEGER": "int4",
    "BIGINT": "int8",
    "SMALLINT": "int2",
    "FLOAT": "float8",
    "DOUBLE PRECISION": "float8",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "TIMESTAMP WITHOUT TIME ZONE": "timestamp",
    "BYTEA": "bytea",
    "BOOLEAN": "bool",
    "JSON": "json",
    "TEXT": "text",
}
"""PostgreSQL: the type a binary COPY sends a column's values as, by the column's type (as SQLAlchemy compiles it).
Text of any length goes as `text`, whose binary form is VARCHAR's too (the column's length is still checked)."""


def _copy_type(column: sa.Column[Any], dialect: sa.Dialect) -> str | None:
    """The type named in `COPY_TYPES` for a column, or None for a type not there."""
    if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum):
        return "text"
    return COPY_TYPES.get(column.type.compile(dialect).upper())


class BulkInsert:
    """Insert rows of plain Python values (tuples in `columns` order) into one table, in batches."""

    def __init__(self, connection: sa.Connection, table: sa.Table, columns: Sequence[str]) -> None:
        self.connection = connection
        self.table = table
        self.columns = [table.c[name] for name in columns]
        self.names = list(columns)
        dialect = connection.dialect
        self.processors = _processors(dialect, self.columns)
        self.style = "sqlite" if dialect.name == "sqlite" else "unnest" if dialect.driver == "psycopg" else "generic"
        if self.style == "sqlite":
            self.sql = str(table.insert().compile(dialect=dialect, column_keys=self.names))
        elif self.style == "unnest":
            quote = dialect.identifier_preparer.quote
            names = ", ".join(quote(c.name) for c in self.columns)
            arrays = ", ".join(f"%b::{_array_item_type(c, dialect)}[]" for c in self.columns)
            self.sql = f"INSERT INTO {quote(table.name)} ({names}) SELECT * FROM unnest({arrays})"
        else:
            self.sql = ""
        types = [_copy_type(c, dialect) for c in self.columns] if self.style == "unnest" else [None]
        self.copy_types = [t for t in types if t is not None] if None not in types else None
        if self.copy_types is not None:
            quote = dialect.identifier_preparer.quote
            names = ", ".join(quote(c.name) for c in self.columns)
            self.copy_sql = f"COPY {quote(table.name)} ({names}) FROM STDIN (FORMAT BINARY)"

    def write(self, rows: Iterable[Sequence[Any]], advance: Callable[[int], None] = lambda _n: None) -> int:
        """Insert every row; return how many."""
        count = 0
        if self.copy_types is not None:
            counted: list[int] = []
            if direct_copy(self.connection, self.copy_sql, self.copy_types, self._converted(rows, advance, counted)):
                return sum(counted)
        for batch in _batches(rows, BATCH):
            self._write_batch(batch)
            count += len(batch)
            advance(len(batch))
        return count

    def _converted(
        self, rows: Iterable[Sequence[Any]], advance: Callable[[int], None], counted: list[int]
    ) -> Iterator[Sequence[Any]]:
        """The rows with each value converted by its column's bind processor, a batch at a time (`advance` told
        after each, and the batch's size added to `counted`)."""
        processors = self.processors
        for batch in _batches(rows, BATCH):
            if processors:
                yield from zip(*_converted_columns(batch, processors), strict=True)
            else:
                yield from batch
            counted.append(len(batch))
            advance(len(batch))

    def _write_batch(self, batch: list[Sequence[Any]]) -> None:
        processors = self.processors
        if self.style == "generic":
            self.connection.execute(self.table.insert(), [dict(zip(self.names, row, strict=True)) for row in batch])
            return
        if self.style == "sqlite" and not processors:
            self.connection.exec_driver_sql(self.sql, [tuple(row) for row in batch])
            return
        arrays = _converted_columns(batch, processors)
        if self.style == "sqlite":
            self.connection.exec_driver_sql(self.sql, list(zip(*arrays, strict=True)))
            return
        self.connection.exec_driver_sql(self.sql, (*arrays,))


BULK_BUILD_MEMORY = "256MB"
"""PostgreSQL's `maintenance_work_mem` while a load builds the indexes it dropped (its default, 64 MB, makes a GIN
index of a million documents spill to disk in many passes)."""


def drop_for_bulk_load(connection: sa.Connection, table_name: str) -> list[str]:
    """PostgreSQL: drop an empty table's secondary indexes, keys and foreign keys before a bulk insert; return
    the statements that make them again, exactly as they were (`pg_get_indexdef`, `pg_get_constraintdef`).

    Inside the load's transaction, so a failed load leaves them as they were. Built once over the table's rows,
    an index costs one sort instead of an insert per row (a GIN index's pending list merged again and again,
    a key over words or targets written in no order), and a foreign key one join instead of a deferred check
    per row at the commit. A primary or unique key that a foreign key still refers to stays. The DROP holds
    the table's ACCESS EXCLUSIVE lock until the commit: readers of the table wait for the load instead of
    seeing it empty.
    """
    quote = _quoted(connection, table_name)
    if connection.exec_driver_sql(f"SELECT 1 FROM {quote} LIMIT 1").first() is not None:
        return []
    indexes = connection.exec_driver_sql(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
        "AND k.conrelid = i.indrelid) ORDER BY c.relname",
        (quote,),
    ).all()
    keys = connection.exec_driver_sql(
        "SELECT k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.conrelid = %s::regclass "
        "AND (k.contype = 'f' OR k.contype IN ('p', 'u') AND NOT EXISTS (SELECT 1 FROM pg_constraint f "
        "WHERE f.contype = 'f' AND f.conindid = k.conindid)) ORDER BY k.contype = 'f', k.conname",
        (quote,),
    ).all()
    restore: list[str] = []
    for name, definition in indexes:
        connection.exec_driver_sql(f"DROP INDEX {_quoted(connection, name)}")
        restore.append(definition)
    for name, definition in keys:
        connection.exec_driver_sql(f"ALTER TABLE {quote} DROP CONSTRAINT {_quoted(connection, name)}")
        restore.append(f"ALTER TABLE {quote} ADD CONSTRAINT {_quoted(connection, name)} {definition}")
    return restore


def restore_after_bulk_load(connection: sa.Connection, statements: Sequence[str]) -> None:
    """PostgreSQL: run what `drop_for_bulk_load` returned, with more memory: the indexes, then the keys, then
    the foreign keys (which need the keys they refer to)."""
    if not statements:
        return
    connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{BULK_BUILD_MEMORY}'")
    for statement in sorted(statements, key=_restore_order):
        connection.exec_driver_sql(statement)


def _restore_order(statement: str) -> int:
    if not statement.startswith("ALTER TABLE "):
        return 0
    return 2 if " FOREIGN KEY " in statement else 1


def _quoted(connection: sa.Connection, name: str) -> str:
    return str(connection.dialect.identifier_preparer.quote(name))


def update_by_arrays(
    connection: sa.Connection, table: sa.Table, column: str, keys: Sequence[str], rows: Iterable[Sequence[Any]]
) -> bool:
    """PostgreSQL (psycopg): `UPDATE <table> SET <column>` for rows of (value, *keys), one statement per batch
    joined to the batch's arrays (`unnest`), instead of a statement per row; the keys must be unique in a batch.
    False, having written nothing, for any other database or driver (the caller updates the ordinary way)."""
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        return False
    quote = dialect.identifier_preparer.quote
    columns = [table.c[column], *(table.c[key] for key in keys)]
    processors = _processors(dialect, columns)
    arrays = ", ".join(f"%b::{_array_item_type(c, dialect)}[]" for c in columns)
    names = ", ".join(f"u{position}" for position in range(len(columns)))
    matched = " AND ".join(f"t.{quote(key)} = u{position}" for position, key in enumerate(keys, 1))
    sql = (
        f"UPDATE {quote(table.name)} AS t SET {quote(column)} = u0 FROM unnest({arrays}) AS u({names}) WHERE {matched}"
    )
    for batch in _batches(rows, BATCH):
        connection.exec_driver_sql(sql, (*_converted_columns(batch, processors),))
    return True


def _converted_columns(batch: list[Sequence[Any]], processors: list[tuple[int, Processor]]) -> list[list[Any]]:
    """A batch of rows as its columns, each converted by its column's bind processor where it has one: a column
    at a time (a row at a time cost a list and a tuple per row)."""
    columns = [list(column) for column in zip(*batch, strict=True)]
    for position, processor in processors:
        columns[position] = list(map(processor, columns[position]))
    return columns


def _batches(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def drop_secondary_indexes(connection: sa.Connection, table_name: str) -> list[str]:
    """SQLite: drop the indexes CREATE INDEX made on a table of the main database (a key's own stays) and
    return the SQL SQLite stored for each, which makes it again exactly as the migrations made it.

    Before a bulk insert into an empty table, in the same transaction (SQLite's DDL is transactional, and
    readers keep their snapshot, indexes included, until the commit): each index is then built by one sort
    after the rows instead of a B-tree insert per row, at random pages once it outgrows the page cache."""
    found = connection.exec_driver_sql(
        "SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL "
        "ORDER BY name",
        (table_name,),
    ).all()
    quote = connection.dialect.identifier_preparer.quote
    for name, _sql in found:
        connection.exec_driver_sql(f"DROP INDEX main.{quote(name)}")
    return [str(sql) for _name, sql in found]
