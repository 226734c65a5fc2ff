"""Reading records back out of the database, set-based: a fixed number of queries per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from app.records.items import display_names
from app.records.registry import RecordType

BATCH = 500


def _rebuild(record_type: RecordType, row: sa.RowMapping, children: dict[str, list[sa.RowMapping]]) -> dict[str, Any]:
    """One record in its input shape (by alias, empties dropped), from its row and child rows."""
    record: dict[str, Any] = {"id": row["id"]}
    for field in record_type.fields:
        if field.has_child_table:
            value = field.from_child_rows(children.get(field.name, []))
        else:
            value = field.from_columns(row)
        if value is not None and value != [] and value != {}:
            record[field.alias] = value
    return record


Pair = tuple[dict[str, Any], sa.RowMapping]


def records_from_rows(connection: sa.Connection, record_type: RecordType, rows: Sequence[sa.RowMapping]) -> list[Pair]:
    """Records (input shape) for rows of the type's table: one query per child table, whatever the count."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    children: dict[str, dict[str, list[sa.RowMapping]]] = defaultdict(lambda: defaultdict(list))
    for field in record_type.list_fields:
        child = field.table
        query = sa.select(child).where(child.c.record_id.in_(ids)).order_by(child.c.record_id, child.c.position)
        for child_row in connection.execute(query).mappings():
            children[child_row["record_id"]][field.name].append(child_row)
    return [(_rebuild(record_type, row, children[row["id"]]), row) for row in rows]


def fetch_records(connection: sa.Connection, record_type: RecordType, ids: Sequence[str]) -> list[Pair]:
    """The records with these ids (in the given order) and their raw rows; missing ids are skipped."""
    if not ids:
        return []
    table = record_type.table
    rows = {r["id"]: r for r in connection.execute(sa.select(table).where(table.c.id.in_(ids))).mappings()}
    return records_from_rows(connection, record_type, [rows[i] for i in ids if i in rows])


def iter_records(connection: sa.Connection, record_type: RecordType) -> Iterator[dict[str, Any]]:
    """Every record of a type in id order, read in batches (constant memory)."""
    table = record_type.table
    after: str | None = None
    while True:
        query = sa.select(table.c.id).order_by(table.c.id).limit(BATCH)
        if after is not None:
            query = query.where(table.c.id > after)
        ids = list(connection.execute(query).scalars())
        if not ids:
            return
        for record, _row in fetch_records(connection, record_type, ids):
            yield record
        after = ids[-1]


def names_of(connection: sa.Connection, record_type: RecordType, ids: set[str]) -> dict[str, str]:
    """Display names of the given records, for expanding references."""
    return display_names(connection, {record_type.name: ids}).get(record_type.name, {})
