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
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from app.records.disputes import DISPUTE_COLUMNS, disputes_among
from app.records.items import ChildList
from app.records.registry import BY_NAME, DEPENDENCY, RecordType
from app.records.storage import ChildRow

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
    statement = child.query.statement
    assert isinstance(statement, sa.Select), "a child query is one SELECT"
    for from_ in statement.get_final_froms():
        for join in _joins(from_):
            target: Any = join.right
            condition: Any = join.onclause
            sides = (condition.left, condition.right)
            own = next(side for side in sides if side.table is table)
            other = next(side for side in sides if side.table is target)
            assert other.name == "id", "a child query joins a record table on its id"
            keys[target.name] = (by_table[target.element.name], own.name)
    return keys


@dataclass
class _ChildPlan:
    records: Mapping[str, tuple[dict[str, Any], str]]
    """The owner type's records, by id."""
    own: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    """The child row's own columns the query selects (at least the record's id and one more)."""
    joined: list[tuple[str, Callable[[Any], tuple[Any, ...]]]]
    """Per joined record table: the child column it is joined on, and its columns' values by that id."""
    order: list[int] | None
    """Where each selected column is in own + joined values, unless in that order already."""
    tails: dict[Any, tuple[Any, ...]] | None
    """When a row is the record's id followed by values that depend on its item alone (no position): those
    values, per item seen (a source or a tag is in the rows of thousands of records), else None."""


class InMemory:
    """Records of every type (validated data with content hashes), all written at `now`, as an
    `ItemSource` (app/records/items.py) and as their tables' rows."""

    def __init__(self, records: Mapping[str, Sequence[tuple[dict[str, Any], str]]], now: dt.datetime) -> None:
        self.data = {
            name: {data["id"]: (data, content_hash) for data, content_hash in found} for name, found in records.items()
        }
        self.now = now
        self._plans: dict[ChildList, _ChildPlan] = {}
        self._items: dict[ChildList, dict[tuple[Any, ...], Any]] = {}
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

    def _joined(self, type_name: str, columns: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
        """A joined record's values of these columns, by its id (NULLs for none), each record's kept."""
        records, nulls = self.data.get(type_name, {}), (None,) * len(columns)
        kept: dict[Any, tuple[Any, ...]] = {}

        def values(record_id: Any) -> tuple[Any, ...]:
            found = kept.get(record_id)
            if found is None:
                if record_id not in records:
                    return nulls
                row = {"name": records[record_id][0]["name"]}
                if any(c != "name" for c in columns):
                    row = self.row(BY_NAME[type_name], record_id)
                found = kept[record_id] = tuple(row[c] for c in columns)
            return found

        return values

    def _plan(self, child: ChildList) -> _ChildPlan:
        """How a child query's rows are made from the child rows of its field (kept per query)."""
        found = self._plans.get(child)
        if found is not None:
            return found
        table, keys = child.field.table, _join_keys(child)
        selected = list(child.query.statement.selected_columns)
        own = [c.name for c in selected if c.table is table]
        aliases = list(dict.fromkeys(c.table.name for c in selected if c.table is not table))
        joined = []
        for alias in aliases:
            type_name, on = keys[alias]
            columns = tuple(c.name for c in selected if c.table is not table and c.table.name == alias)
            joined.append((on, self._joined(type_name, columns)))
        made = [(table.name, c.name) if c.table is table else (c.table.name, c.name) for c in selected]
        built = [(table.name, name) for name in own] + [
            (alias, c.name) for alias in aliases for c in selected if c.table is not table and c.table.name == alias
        ]
        order = None if made == built else [built.index(key) for key in made]
        owner = next(t for t in BY_NAME.values() if t.child_tables.get(child.field.name) is table)
        pick: Any = itemgetter(*own) if len(own) > 1 else (lambda row, name=own[0]: (row[name],))
        by_item = selected[0] is table.c.record_id and "position" not in own
        plan = self._plans[child] = _ChildPlan(self.data[owner.name], pick, joined, order, {} if by_item else None)
        return plan

    def child_rows(self, child: ChildList, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        field, plan = child.field, self._plan(child)
        records, alias, tails = plan.records, field.alias, plan.tails
        rows: list[tuple[Any, ...]] = []
        for record_id in ids:
            value = records[record_id][0].get(alias)
            if not value:
                continue
            if tails is None:
                rows.extend(self._made(plan, field.to_child_rows(record_id, value)))
                continue
            for item in value:
                tail = tails.get(item) if type(item) is str else None
                if tail is None:
                    tail = self._made(plan, field.to_child_rows(record_id, [item]))[0][1:]
                    if type(item) is str:
                        tails[item] = tail
                rows.append((record_id, *tail))
        return rows

    @staticmethod
    def _made(plan: _ChildPlan, child_rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """The query's rows for these child rows: their own columns, then the joined records' (in the query's
        order)."""
        own, joined, order = plan.own, plan.joined, plan.order
        made_rows = []
        for row in child_rows:
            made = own(row)
            for on, values in joined:
                made += values(row[on])
            made_rows.append(made if order is None else tuple(made[i] for i in order))
        return made_rows

    def child_item(self, child: ChildList) -> Callable[[ChildRow], Any]:
        """`child.item`, for an embedded source made once per source and copied for each record citing it (a
        source is cited by tens of records; making its item took 20 µs, a copy takes a fraction of one). The
        embedding is made from the row without its first value, the citing record's id."""
        if not (child.expanded and child.field.alias == "sources"):
            return child.item
        made = self._items.get(child)
        if made is None:
            made = self._items[child] = {}
        kept, item = made, child.item

        def embedded(row: ChildRow) -> Any:
            key = row[1:]
            found = kept.get(key)
            if found is None:
                found = kept[key] = item(row)
            return dict(found)

        return embedded

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
