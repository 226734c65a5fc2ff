"""CSV rows straight from the tables: one cell per field, references as ids, lists joined with `;`.

A CSV export does not show names or embed sources, so it skips the item
shape entirely: each batch of rows along the list's keyset gets one driver
query per child table, and every field turns into its cell by a converter
worked out once per type from its declaration (app/records/storage.py). The
cells are the ones `app.core.render.cell` gives for the JSON item's values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from itertools import groupby
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from app.core.dates import utc
from app.core.render import safe_cell
from app.records.disputes import disputes
from app.records.items import DriverQuery, for_records, linker
from app.records.listing import ListSpec, iter_pages
from app.records.registry import BY_NAME, DEPENDENCY, RecordType
from app.records.storage import LINKED, LIST_SEPARATOR, ChildTableField, CsvColumn

Cells = Sequence[str]


def csv_columns(record_type: RecordType) -> list[str]:
    """The stable CSV columns of a type."""
    columns = ["type", "id", *(f.alias for f in record_type.fields)]
    if record_type is DEPENDENCY:
        columns += ["disputed", "disputed_by"]
    return [*columns, "created_at", "updated_at"]


_RECORD = itemgetter(0)


class ChildCells:
    """One child-table field's cells for a batch of records, as the field makes them from its items."""

    def __init__(self, field: ChildTableField) -> None:
        self.field = field
        child = field.table
        self.query = DriverQuery(for_records(child, sa.select(child.c.record_id, *field.csv_columns())))
        self.item = field.csv_item(self.query.columns)

    def by_record(self, connection: sa.Connection, ids: Sequence[str]) -> dict[str, str]:
        """Each record's cell; records without items are left out."""
        field = self.field
        # Rows come in record and position order: each record's items are one run of rows.
        items = {
            record_id: list(map(self.item, run))
            for record_id, run in groupby(self.query.rows(connection, ids), _RECORD)
        }
        wanted: dict[str, set[str]] = defaultdict(set)
        for values in items.values():
            for ref in field.csv_references(values):
                wanted[ref.target_type].add(ref.target_id)
        link = linker(connection, wanted)
        return {record_id: field.csv_cell(values, link) for record_id, values in items.items()}


@cache
def _columns(type_name: str) -> tuple[CsvColumn | ChildCells, ...]:
    record_type = BY_NAME[type_name]
    return tuple(ChildCells(child) if (child := f.child) is not None else f.csv_column() for f in record_type.fields)


def csv_batches(connection: sa.Connection, record_type: RecordType, spec: ListSpec) -> Iterator[list[Cells]]:
    """Every matching record as CSV cells, batch by batch along the list's keyset (constant memory).

    Built a column at a time (one comprehension per field over the batch), then turned into rows."""
    for rows in iter_pages(connection, record_type, spec):
        yield csv_cells(connection, record_type, rows)


def csv_cells(
    connection: sa.Connection | None,
    record_type: RecordType,
    rows: Sequence[Mapping[Any, Any]],
    items: Sequence[Mapping[str, Any]] | None = None,
) -> list[Cells]:
    """The CSV cells of these rows of the type's table, in their order (one driver query per child table).

    `items`: the rows' API items, in the same order, when the caller has them (rendering the stored forms):
    the list fields' cells and a dependency's disputes are then taken from them instead of queried again, and
    no `connection` is needed."""
    ids = [row["id"] for row in rows]
    cells: list[list[str]] = [[record_type.name] * len(rows), ids]
    for field, column in zip(record_type.fields, _columns(record_type.name), strict=True):
        if items is not None and isinstance(column, ChildCells):
            of_shown, alias = column.field.csv_cell_of_shown, field.alias
            cells.append([of_shown(item[alias]) for item in items])
        elif items is not None and field.shown != LINKED:  # the item shows the input value itself
            alias = field.alias
            cells.append(field.csv_of_values([item[alias] for item in items]))
        elif isinstance(column, ChildCells):
            found = column.by_record(_connected(connection), ids)
            cells.append([found.get(i, "") for i in ids])
        else:
            cells.append(column(rows))
    if record_type is DEPENDENCY:
        disputed = (
            {item["id"]: item["disputed_by"] for item in items}
            if items is not None
            else disputes(_connected(connection), ids)
        )
        cells.append(["true" if disputed.get(i) else "false" for i in ids])
        cells.append([safe_cell(LIST_SEPARATOR.join(disputed.get(i, []))) for i in ids])
    for moment in ("created_at", "updated_at"):
        cells.append([item[moment] for item in items] if items is not None else [utc(row[moment]) for row in rows])
    return list(zip(*cells, strict=True))


def _connected(connection: sa.Connection | None) -> sa.Connection:
    assert connection is not None, "without items, the cells of child tables and disputes are read"
    return connection
