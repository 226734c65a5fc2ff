"""The one place SQLite and PostgreSQL differ: how a batch of rows is written.

The seed loader writes hundreds of thousands of rows. Going through
SQLAlchemy's per-row parameter processing costs more than the database
itself, so each table's INSERT is built once here and fed plain tuples whose
values were converted once per column by that column type's own bind
processor: the same values SQLAlchemy would send, without its per-row work.

- SQLite: one prepared `INSERT … VALUES (?, …)` run with executemany.
- PostgreSQL (psycopg): one `INSERT … SELECT * FROM unnest(%b::type[], …)`
  per batch, each column sent as one binary array, so a batch is one round
  trip. Other PostgreSQL drivers get SQLAlchemy's executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa

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

    def write(self, rows: Iterable[Sequence[Any]], advance: Callable[[int], None] = lambda _n: None) -> int:
        """Insert every row; return how many."""
        count = 0
        for batch in _batches(rows, BATCH):
            self._write_batch(batch)
            count += len(batch)
            advance(len(batch))
        return count

    def _write_batch(self, batch: list[Sequence[Any]]) -> None:
        processors = self.processors
        if self.style == "generic":
            self.connection.execute(self.table.insert(), [dict(zip(self.names, row, strict=True)) for row in batch])
            return
        if self.style == "sqlite" and not processors:
            self.connection.exec_driver_sql(self.sql, [tuple(row) for row in batch])
            return
        # Converted a column at a time (a row at a time cost a list and a tuple per row).
        arrays = [list(column) for column in zip(*batch, strict=True)]
        for position, processor in processors:
            arrays[position] = list(map(processor, arrays[position]))
        if self.style == "sqlite":
            self.connection.exec_driver_sql(self.sql, list(zip(*arrays, strict=True)))
            return
        self.connection.exec_driver_sql(self.sql, (*arrays,))


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
