"""CSV rows straight from the tables: one cell per field, references as ids, lists joined with `;`.

A CSV export does not show names or embed sources, so it skips the item
shape entirely: each batch of rows along the list's keyset gets one driver
query per child table, and every field turns into its cell by a converter
worked out once per type from its declaration (app/records/storage.py). The
cells are the ones `app.core.render.cell` gives for the JSON item's values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from itertools import groupby
from operator import itemgetter
from typing import Any

import orjson
import sqlalchemy as sa

from app.core.dates import utc
from app.core.render import FORMULA_STARTS, cell, safe_cell
from app.records.disputes import disputes
from app.records.items import DriverQuery, for_records, linker
from app.records.listing import ListSpec, iter_pages
from app.records.registry import BY_NAME, DEPENDENCY, RecordType
from app.records.storage import (
    ChildTableField,
    DateField,
    JsonField,
    RefField,
    RefListField,
    ScalarField,
    SlugOrTextField,
    StoredField,
    TypedRefField,
    TypedRefListField,
    ValueListField,
)

Cells = Sequence[str]
Column = Callable[[Sequence[sa.RowMapping]], list[str]]
"""A batch of rows -> one column of cells."""


def csv_columns(record_type: RecordType) -> list[str]:
    """The stable CSV columns of a type."""
    columns = ["type", "id", *(f.alias for f in record_type.fields)]
    if record_type is DEPENDENCY:
        columns += ["disputed", "disputed_by"]
    return [*columns, "created_at", "updated_at"]


def _texts(values: Iterable[Any]) -> list[str]:
    """Scalars' cells: empty for none, true/false, numbers as written, text made formula-safe (as `cell`)."""
    return [
        ("'" + v if v.startswith(FORMULA_STARTS) else v) if type(v) is str else ("" if v is None else cell(v))
        for v in values
    ]


def _column(field: StoredField) -> Column:
    """How a field kept on the record's row becomes its column of cells, a batch at a time."""
    if isinstance(field, ScalarField):
        name = field.name
        return lambda rows: _texts([row[name] for row in rows])
    if isinstance(field, JsonField):
        name = field.name
        return lambda rows: [cell(row[name]) for row in rows]
    if isinstance(field, DateField | RefField | TypedRefField | SlugOrTextField):
        # A partial date as given; a reference as its id (`type:id` when it may point at several
        # types); a publisher named as text as that text: the input value is the cell.
        return lambda rows: _texts([field.from_columns(row) for row in rows])
    raise TypeError(f"no CSV cell for {type(field).__name__}")


_RECORD, _VALUE = itemgetter(0), itemgetter(1)


class ChildCells:
    """One child-table field's cells for a batch of records: its items joined with `;`."""

    def __init__(self, field: ChildTableField) -> None:
        self.field = field
        child = field.table
        if isinstance(field, ValueListField):
            columns = [child.c.value]
        elif isinstance(field, RefListField):
            columns = [child.c.target_id]
        elif isinstance(field, TypedRefListField):
            columns = [child.c[field.typed.column_for(t)] for t in field.ref.types]
        else:
            columns = list(child.c)[2:]
        self.query = DriverQuery(for_records(child, sa.select(child.c.record_id, *columns)))

    def by_record(self, connection: sa.Connection, ids: Sequence[str]) -> dict[str, str]:
        rows = self.query.rows(connection, ids)
        field = self.field
        if isinstance(field, ValueListField | RefListField):
            # Rows come in record and position order: each record's values are one run of rows.
            return {record_id: safe_cell(";".join(map(_VALUE, run))) for record_id, run in groupby(rows, _RECORD)}
        items: dict[str, list[Any]] = defaultdict(list)
        if isinstance(field, TypedRefListField):
            types = field.ref.types
            for row in rows:
                index = next(i for i, target in enumerate(row[1:]) if target is not None)
                items[row[0]].append(f"{types[index]}:{row[1 + index]}")
        else:
            names = self.query.columns
            for row in rows:
                items[row[0]].append(field.item_from_row(dict(zip(names, row, strict=True))))
            return self._objects(connection, items)
        return {record_id: safe_cell(";".join(values)) for record_id, values in items.items()}

    def _objects(self, connection: sa.Connection, items: dict[str, list[Any]]) -> dict[str, str]:
        """Lists of small objects (an actor's roles) as the JSON of their expanded items."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for value in items.values():
            for ref in self.field.references(value):
                wanted[ref.target_type].add(ref.target_id)
        link = linker(connection, wanted)
        return {record_id: orjson.dumps(self.field.expand(v, link)).decode() for record_id, v in items.items()}


@cache
def _columns(type_name: str) -> tuple[Column | ChildCells, ...]:
    record_type = BY_NAME[type_name]
    return tuple(ChildCells(f) if isinstance(f, ChildTableField) else _column(f) for f in record_type.fields)


def csv_batches(connection: sa.Connection, record_type: RecordType, spec: ListSpec) -> Iterator[list[Cells]]:
    """Every matching record as CSV cells, batch by batch along the list's keyset (constant memory).

    Built a column at a time (one comprehension per field over the batch), then turned into rows."""
    for rows in iter_pages(connection, record_type, spec):
        yield csv_cells(connection, record_type, rows)


def csv_cells(connection: sa.Connection, record_type: RecordType, rows: Sequence[sa.RowMapping]) -> list[Cells]:
    """The CSV cells of these rows of the type's table, in their order (one driver query per child table)."""
    ids = [row["id"] for row in rows]
    cells: list[list[str]] = [[record_type.name] * len(rows), ids]
    for column in _columns(record_type.name):
        if isinstance(column, ChildCells):
            found = column.by_record(connection, ids)
            cells.append([found.get(i, "") for i in ids])
        else:
            cells.append(column(rows))
    if record_type is DEPENDENCY:
        disputed = disputes(connection, ids)
        cells.append(["true" if disputed.get(i) else "false" for i in ids])
        cells.append([safe_cell(";".join(disputed.get(i, []))) for i in ids])
    cells.append([utc(row["created_at"]) for row in rows])
    cells.append([utc(row["updated_at"]) for row in rows])
    return list(zip(*cells, strict=True))
