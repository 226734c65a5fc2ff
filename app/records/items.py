"""API items straight from rows: every field present, references expanded one level, sources embedded.

A page of rows becomes items with a fixed number of queries whatever its
length: one per child table (joined to the names it shows, and for `sources`
to the seven source fields an item embeds), plus one per type referenced from
the rows themselves. Child queries are compiled once per database dialect and
run through the driver, so a list request does not pay to build, compile and
type-process a dozen statements; what each query selects and how each value is
shown still comes from the declarations in app/records/storage.py.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import sqlalchemy as sa

from app.core.dates import utc
from app.core.db import direct_rows, direct_sqlite
from app.records.disputes import disputes
from app.records.registry import BY_NAME, DEPENDENCY, SOURCE, RecordType
from app.records.storage import AS_STORED, CONVERTED, LINKED, ChildRow, ChildTableField, StoredField

SOURCE_FIELDS = ("title", "publisher", "url", "retrieved_from", "published_on", "language", "kind")
"""What an item shows of each source it cites, besides id, type and name."""

Link = Callable[[str, str], dict[str, Any]]


class DriverQuery:
    """A SELECT over `record_id IN (:ids)`, compiled once per dialect and run through the driver.

    Its other parameters, if any, keep the values the statement was built with, bound by position beside the ids;
    but those named in `bound` take the values given at each run (their bind processors applied), and a statement
    may have no ids at all (`run`).
    (An array bound once, `= ANY(%s)`, would give PostgreSQL one statement whatever the number of ids, but its
    generic plan assumes ten of them, so the server plans it afresh at every run: 5–7 times the server's time
    of the IN list, whose generic plan it keeps.)
    """

    IDS = "__[POSTCOMPILE_ids]"
    _NAMED = re.compile(r"(?<!%)%\((\w+)\)s|__\[POSTCOMPILE_ids\]")

    def __init__(self, statement: sa.Select[Any] | sa.CompoundSelect[Any], bound: Collection[str] = ()) -> None:
        self.statement = statement
        self.bound = frozenset(bound)
        self._compiled: dict[str, tuple[str, str, tuple[Any, ...] | None]] = {}

    def _sql(self, dialect: sa.Dialect) -> tuple[str, str, tuple[Any, ...] | None]:
        """The statement's text for this dialect with positional marks (`IDS` where the ids go), its mark, and
        its parameters in order, `self` standing for the ids and a `_Bound` for a value given at each run (None
        when the ids are the only one)."""
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            if "ids" not in compiled.binds:  # IN lists of values it was built with: each value a parameter
                compiled = self.statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
            fixed: dict[str, Any] = {}
            processors = compiled._bind_processors
            for name, value in compiled.params.items():
                if name != "ids":
                    process = processors.get(name)
                    assert process is None or callable(process), name  # a tuple's: no statement here has one
                    if name in self.bound:
                        fixed[name] = _Bound(name, process)
                    else:
                        fixed[name] = process(value) if process else value
            text, mark = compiled.string, "?"
            names = list(compiled.positiontup or ())
            if dialect.paramstyle == "pyformat":  # psycopg: %(name)s turned into %s, their order kept
                mark, names = "%s", []

                def positional(found: re.Match[str]) -> str:
                    names.append(found.group(1) or "ids")
                    return "%s" if found.group(1) else found.group(0)

                text = self._NAMED.sub(positional, text)
            order = tuple(self if name == "ids" else fixed[name] for name in names)
            found = self._compiled[dialect.name] = (text, mark, None if order == (self,) else order)
        return found

    def rows(self, connection: sa.Connection, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """Rows (plain tuples, in the statement's column order) for these ids; none asked, none returned.

        Executed through SQLAlchemy (its events, the query time limit, error wrapping), fetched
        straight from the driver's cursor: building SQLAlchemy Row objects cost more than the query.
        """
        if not ids:
            return []
        return self.run(connection, {}, ids)

    def run(
        self, connection: sa.Connection, values: Mapping[str, Any], ids: Sequence[str] = ()
    ) -> list[tuple[Any, ...]]:
        """Rows (plain tuples) of the statement with `values` for the parameters named in `bound` (and these
        `ids`, for one that has them)."""
        text, mark, order = self._sql(connection.dialect)
        if order is None:
            params = tuple(ids)
        else:
            params = tuple(
                v
                for p in order
                for v in (ids if p is self else (p.value(values[p.name]),) if type(p) is _Bound else (p,))
            )
        return driver_rows(connection, text.replace(self.IDS, ",".join([mark] * len(ids))), params)

    @property
    def columns(self) -> list[str]:
        """The names of the statement's columns, in order."""
        return [column.name for column in self.statement.selected_columns]


@dataclass(frozen=True)
class _Bound:
    """A parameter of a `DriverQuery` given at each run, and how the dialect binds its value."""

    name: str
    process: Callable[[Any], Any] | None

    def value(self, given: Any) -> Any:
        return given if self.process is None else self.process(given)


def driver_rows(connection: sa.Connection, sql: str, params: tuple[Any, ...] | dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of SQL already compiled for this connection's dialect, its parameters bound as the driver takes
    them: executed through SQLAlchemy (its events, the query time limit, error wrapping), fetched straight from
    the driver's cursor, as plain tuples; straight through the driver when nothing but the time limit listens
    (`direct_rows` on PostgreSQL, `direct_sqlite`)."""
    if not isinstance(params, dict):
        found = direct_rows(connection, sql, params)
        if found is not None:
            return found
    driver = direct_sqlite(connection)
    if driver is not None:
        try:
            return driver.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise sa.exc.DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc
    result = connection.exec_driver_sql(sql, params)
    try:
        return list(result.cursor.fetchall())
    except connection.dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, params, exc, connection.dialect.loaded_dbapi.Error) from exc
    finally:
        result.close()


def ids_parameter() -> sa.BindParameter[Any]:
    """The one parameter of a `DriverQuery`'s statement: the ids it asks about."""
    return sa.bindparam("ids", expanding=True)


@dataclass(frozen=True)
class ChildList:
    """How one child-table field becomes its API value for a page of records."""

    field: ChildTableField
    query: DriverQuery
    item: Callable[[ChildRow], Any]
    expanded: bool
    """True when `item` gives the shown value; False when it gives the input value, expanded later."""

    def by_record(self, connection: sa.Connection, ids: Sequence[str]) -> dict[str, list[Any]]:
        return self.by_record_from(Stored(connection), ids)

    def by_record_from(self, source: ItemSource, ids: Sequence[str]) -> dict[str, list[Any]]:
        """Each record's values of this field, from `source`."""
        values: dict[str, list[Any]] = defaultdict(list)
        item = source.child_item(self)
        for row in source.child_rows(self, ids):
            values[row[0]].append(item(row))
        return values


def for_records(child: sa.Table, query: sa.Select[Any]) -> sa.Select[Any]:
    """A child-table query limited to the records of `ids`, in record and position order (for DriverQuery)."""
    return query.where(child.c.record_id.in_(ids_parameter())).order_by(child.c.record_id, child.c.position)


def _source_item(columns: list[str]) -> Callable[[ChildRow], dict[str, Any]]:
    """An embedded source from a row of the query that joins it (`columns` names the row's values)."""

    def item(row: ChildRow) -> dict[str, Any]:
        mapping = dict(zip(columns, row, strict=True))
        return {
            "id": mapping["target_id"],
            "type": "source",
            "name": mapping["name"],
            **{alias: stored.from_columns(mapping) for alias, stored in _SOURCE_SHOWN.items()},
        }

    return item


_SOURCE_SHOWN: dict[str, StoredField] = {f.alias: f for f in SOURCE.fields if f.alias in SOURCE_FIELDS}


_TABLES: dict[str, sa.Table] = {t.name: t.table for t in BY_NAME.values()}


def _child_list(field: ChildTableField, embed_sources: bool) -> ChildList:
    child = field.table
    if embed_sources and field.alias == "sources":
        target = _TABLES["source"].alias("t")
        joined = child.outerjoin(target, target.c.id == child.c.target_id)
        shown = [c for f in _SOURCE_SHOWN.values() for c in f.columns("sources")]
        columns = [child.c.record_id, child.c.target_id, target.c.name, *(target.c[c.name] for c in shown)]
        sources = DriverQuery(for_records(child, sa.select(*columns).select_from(joined)))
        return ChildList(field, sources, _source_item(sources.columns), expanded=True)
    query, item, expanded = field.item_query(_TABLES)
    return ChildList(field, DriverQuery(for_records(child, query)), item, expanded)


CHILD = LINKED + 1
"""How an item shows a child-table field: its list, read for the whole page at once (the other ways are
app/records/storage.py's AS_STORED, CONVERTED and LINKED)."""


def _slot(field: StoredField, child: ChildList | None) -> tuple[str, int, Any]:
    if child is not None:
        return (field.alias, CHILD, child)
    return (field.alias, field.shown, field.name if field.shown == AS_STORED else field)


@dataclass(frozen=True)
class Plan:
    """What building items of one type needs, worked out once."""

    children: tuple[ChildList, ...]
    slots: tuple[tuple[str, int, Any], ...]
    """(alias, how, what) per field in declaration order: the item's key order."""


@cache
def plan_for(type_name: str, embed_sources: bool) -> Plan:
    """The queries and converters for a type's items (built on first use, then reused)."""
    record_type = BY_NAME[type_name]
    children = {f.name: _child_list(f, embed_sources) for f in record_type.list_fields}
    slots = tuple(_slot(f, children.get(f.name)) for f in record_type.fields)
    return Plan(tuple(children.values()), slots)


_NAME_QUERIES: dict[str, DriverQuery] = {
    t.name: DriverQuery(sa.select(t.table.c.id, t.table.c.name).where(t.table.c.id.in_(ids_parameter())))
    for t in BY_NAME.values()
}


def display_names(connection: sa.Connection, wanted: dict[str, set[str]]) -> dict[str, dict[str, str]]:
    """Display names of the wanted records (ids per type), one query per type."""
    return {t: {row[0]: row[1] for row in _NAME_QUERIES[t].rows(connection, sorted(ids))} for t, ids in wanted.items()}


class ItemSource(Protocol):
    """Where `items_from_rows` reads what the rows of a record table do not hold: the database (`Stored`),
    or the records a load has in memory (app/records/in_memory.py), which answer the same questions with the
    same values, so that one renderer serves both."""

    def child_rows(self, child: ChildList, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """The rows `child.query` gives for these records' ids."""
        ...

    def child_item(self, child: ChildList) -> Callable[[ChildRow], Any]:
        """What makes a row of `child.query` its item: `child.item`, or one that gives the same values."""
        ...

    def names(self, wanted: dict[str, set[str]]) -> dict[str, dict[str, str]]:
        """Display names of the wanted records (ids per type)."""
        ...

    def disputes(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """For each of these dependencies, the ids of those that dispute it."""
        ...


class Stored:
    """The database as an `ItemSource`: a driver query per child table, one per type for names."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def child_rows(self, child: ChildList, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        return child.query.rows(self.connection, ids)

    def child_item(self, child: ChildList) -> Callable[[ChildRow], Any]:
        return child.item

    def names(self, wanted: dict[str, set[str]]) -> dict[str, dict[str, str]]:
        return display_names(self.connection, wanted)

    def disputes(self, ids: Sequence[str]) -> dict[str, list[str]]:
        return disputes(self.connection, ids)


def link_names(names: dict[str, dict[str, str]]) -> Link:
    """`(type, id) -> {id, type, name}` with these names (per type)."""

    def link(target_type: str, target_id: str) -> dict[str, Any]:
        return {"id": target_id, "type": target_type, "name": names.get(target_type, {}).get(target_id)}

    return link


def linker(connection: sa.Connection, wanted: dict[str, set[str]]) -> Link:
    """`(type, id) -> {id, type, name}` for the wanted records, their names read in one query per type."""
    return link_names(display_names(connection, wanted))


def cited_sources(connection: sa.Connection, record_type: RecordType, ids: Sequence[str]) -> dict[str, list[Any]]:
    """The sources each of these records cites, embedded as its item embeds them (one query)."""
    sources = next(child for child in plan_for(record_type.name, True).children if child.field.alias == "sources")
    return sources.by_record(connection, ids)


def items_from_rows(
    connection: sa.Connection | ItemSource,
    record_type: RecordType,
    rows: Sequence[Mapping[Any, Any]],
    *,
    embed_sources: bool = True,
) -> list[dict[str, Any]]:
    """API items for rows of the type's table, in their order; what the rows do not hold is read from the
    database of `connection`, or from another `ItemSource`."""
    if not rows:
        return []
    source = Stored(connection) if isinstance(connection, sa.Connection) else connection
    plan = plan_for(record_type.name, embed_sources)
    ids = [row["id"] for row in rows]
    children = {child.field.name: child.by_record_from(source, ids) for child in plan.children}

    wanted: dict[str, set[str]] = defaultdict(set)
    references = [(alias, field) for alias, how, field in plan.slots if how == LINKED]
    referenced: list[dict[str, Any]] = []
    for row in rows:
        values = {}
        for alias, field in references:
            values[alias] = value = field.from_columns(row)
            for ref in field.references(value):
                wanted[ref.target_type].add(ref.target_id)
        referenced.append(values)
    for child in plan.children:
        if not child.expanded:
            for value in children[child.field.name].values():
                for ref in child.field.references(value):
                    wanted[ref.target_type].add(ref.target_id)
    link = link_names(source.names(wanted))
    disputed = source.disputes(ids) if record_type is DEPENDENCY else {}
    # Timestamps as text once each: a page (or a load's batch, written at one moment) repeats the same few.
    stamps: dict[Any, str] = {}

    def stamp(value: Any) -> str:
        found = stamps.get(value)
        if found is None:
            found = stamps[value] = utc(value)
        return found

    shown = []
    for row, values in zip(rows, referenced, strict=True):
        record_id = row["id"]
        body: dict[str, Any] = {"type": record_type.name, "id": record_id}
        for alias, how, what in plan.slots:
            if how == AS_STORED:
                body[alias] = row[what]
            elif how == CONVERTED:
                body[alias] = what.from_columns(row)
            elif how == LINKED:
                body[alias] = what.expand(values[alias], link)
            else:
                found = children[what.field.name].get(record_id, [])
                body[alias] = found if what.expanded else what.field.expand(found, link)
        if record_type is DEPENDENCY:
            body["disputed"] = bool(disputed.get(record_id))
            body["disputed_by"] = disputed.get(record_id, [])
        body["created_at"] = stamp(row["created_at"])
        body["updated_at"] = stamp(row["updated_at"])
        shown.append(body)
    return shown
