"""The records a load holds in memory as the rows their tables would give, so their forms render without
reading them back.

A first load (into a database without records) renders every record's stored forms
(app/records/documents.py). Every record it wrote is then in memory, validated: the rows of its table
and of its child tables are what the loader itself inserts (`RecordType.row_values`,
`ChildTableField.to_child_rows`), and the joins of a child query are looked up here by the very
statement the database would run. So `items_from_rows`, the one renderer, is fed either from the
database (`Stored`) or from here, and cannot drift: on PostgreSQL the read-back was a round trip per
child table per batch.
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from app.records.disputes import DISPUTE_COLUMNS, disputes_among
from app.records.items import ChildList
from app.records.registry import BY_NAME, DEPENDENCY, RecordType

Getter = Callable[[Mapping[str, Any]], Any]
"""One value of a child query's row, from a child row (as `to_child_rows` makes it)."""
_DisputeRow = namedtuple("_DisputeRow", DISPUTE_COLUMNS)  # type: ignore[misc]


def _joins(found: Any) -> Iterator[sa.Join]:
    if isinstance(found, sa.Join):
        yield from _joins(found.left)
        yield from _joins(found.right)
        yield found


@cache
def _join_keys(child: ChildList) -> dict[str, tuple[str, str]]:
    """Per joined alias (by name): the record type it is a table of and the child column it is joined on."""
    table = child.field.table
    by_table = {t.table.name: t.name for t in BY_NAME.values()}
    keys: dict[str, tuple[str, str]] = {}
    for from_ in child.query.statement.get_final_froms():
        for join in _joins(from_):
            target: Any = join.right
            condition: Any = join.onclause
            sides = (condition.left, condition.right)
            own = next(side for side in sides if side.table is table)
            other = next(side for side in sides if side.table is target)
            assert other.name == "id", "a child query joins a record table on its id"
            keys[target.name] = (by_table[target.element.name], own.name)
    return keys


class InMemory:
    """Records of every type (validated data with content hashes), all written at `now`, as an
    `ItemSource` (app/records/items.py) and as their tables' rows."""

    def __init__(self, records: Mapping[str, Sequence[tuple[dict[str, Any], str]]], now: dt.datetime) -> None:
        self.data = {
            name: {data["id"]: (data, content_hash) for data, content_hash in found} for name, found in records.items()
        }
        self.now = now
        self._rows: dict[str, dict[str, dict[str, Any]]] = {}
        self._disputes: list[Any] | None = None

    @property
    def count(self) -> int:
        """How many records."""
        return sum(len(found) for found in self.data.values())

    def row(self, record_type: RecordType, record_id: str) -> dict[str, Any]:
        """The row of the type's table for this record, as the loader writes it."""
        data, content_hash = self.data[record_type.name][record_id]
        row = record_type.row_values(data)
        row["content_hash"] = content_hash
        row["created_at"] = row["updated_at"] = self.now
        return row

    def batches(self, record_type: RecordType, size: int) -> Iterator[list[dict[str, Any]]]:
        """Every row of the type's table, in id order, `size` at a time."""
        ids = sorted(self.data.get(record_type.name, {}))
        for start in range(0, len(ids), size):
            yield [self.row(record_type, record_id) for record_id in ids[start : start + size]]

    def _joined(self, type_name: str, record_id: str) -> Mapping[str, Any]:
        """A record's row, for a child query's join: kept (only sources are joined for more than a name)."""
        rows = self._rows.setdefault(type_name, {})
        found = rows.get(record_id)
        if found is None:
            found = rows[record_id] = self.row(BY_NAME[type_name], record_id)
        return found

    def _getters(self, child: ChildList) -> list[Getter]:
        table, keys = child.field.table, _join_keys(child)
        getters: list[Getter] = []
        for column in child.query.statement.selected_columns:
            if column.table is table:
                getters.append(itemgetter(column.name))
            else:
                type_name, on = keys[column.table.name]
                getters.append(self._joined_getter(type_name, on, column.name))
        return getters

    def _joined_getter(self, type_name: str, on: str, name: str) -> Getter:
        """A joined record's column: its name, or (kept per record) any other."""
        records = self.data.get(type_name, {})

        def get(row: Mapping[str, Any]) -> Any:
            found = records.get(row[on])
            if found is None:
                return None
            return found[0]["name"] if name == "name" else self._joined(type_name, row[on])[name]

        return get

    def child_rows(self, child: ChildList, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        field = child.field
        owner = next(t for t in BY_NAME.values() if t.child_tables.get(field.name) is field.table)
        records, getters = self.data[owner.name], self._getters(child)
        rows: list[tuple[Any, ...]] = []
        for record_id in ids:
            value = records[record_id][0].get(field.alias)
            if value:
                rows.extend(tuple(get(row) for get in getters) for row in field.to_child_rows(record_id, value))
        return rows

    def names(self, wanted: dict[str, set[str]]) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for type_name, ids in wanted.items():
            records = self.data.get(type_name, {})
            found[type_name] = {i: records[i][0]["name"] for i in ids if i in records}
        return found

    def disputes(self, ids: Sequence[str]) -> dict[str, list[str]]:
        if self._disputes is None:
            rows = (self.row(DEPENDENCY, record_id) for record_id in self.data.get(DEPENDENCY.name, {}))
            self._disputes = [_DisputeRow(*(row[c] for c in DISPUTE_COLUMNS)) for row in rows]
        own = set(ids)
        return disputes_among([row for row in self._disputes if row.id in own], self._disputes)
