"""Every record's rendered forms, stored beside it when a load or a write commits, read by the hot routes.

The data changes only when a load or a write commits, so the expansion, the
embedding and the serialisation are done then, once, instead of on every
request. Per record, as the bytes the API sends:

- `record_documents.item`: its list item (app/records/items.py), which is
  also its NDJSON export line;
- `record_documents.referenced_by`: its detail's `referenced_by`
  (app/records/detail.py). The detail is the item with `referenced_by` added
  as its last key, so it is composed from the two (`detail_bytes`) rather
  than keeping the item twice;
- `record_csv_rows.csv_row`: its CSV line (app/records/flat.py), CRLF
  included. A table of its own: an export reads only these, packed many to a
  page, and the items pack more densely without them.

Forms depend on other records, and `refresh_documents` renders again exactly
what a change touches, in the writer's transaction:

- an item and a CSV row show the names of the records it refers to, a cited
  source's fields, and a dependency's disputes: a record whose name (or, for
  a source, an embedded field) changed is rendered again in every record that
  refers to it, and a dependency's dispute partners (old and new) with it;
- `referenced_by` counts the records that refer to this one and shows the
  first few in their list's order, each as its referrer form (type, id, name
  and its type's `item_fields`, taken from its item): it is rendered again for
  every record a touched record refers to or referred to, and for every record
  referred to by a record whose referrer form changed.

What a record referred to before the change is read from its stored item
(every reference is expanded there as `{id, type, name}`), so writers only say
which records they wrote. A database with records but no documents (migrated
before they existed) gets all of them rendered by the first refresh; until
then, and for any record without a document, the routes render live.
"""

from __future__ import annotations

import os
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateTable
from sqlalchemy.sql.elements import ColumnElement

from app.core.dialect import BulkInsert, update_by_arrays
from app.core.forked import SideProcess
from app.core.render import csv_row_lines, json_bytes
from app.core.state import metadata
from app.records.detail import REFERENCED_BY_ITEMS, record_detail, referrer_keys, reverse_filters
from app.records.disputes import dispute_partners
from app.records.flat import csv_cells
from app.records.in_memory import InMemory
from app.records.items import SOURCE_FIELDS, DriverQuery, ItemSource, ids_parameter, items_from_rows
from app.records.listing import Filter, ListSpec, filter_field, iter_pages, order_terms, parse_sort
from app.records.registry import BY_NAME, DEPENDENCY, RECORD_TYPE_LIST, SOURCE, RecordType
from app.records.service import ItemReader


def _keyed(name: str, *columns: sa.Column[Any]) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("record_type", sa.String(20), primary_key=True),
        sa.Column("record_id", sa.String(80), primary_key=True),
        *columns,
    )


record_documents = _keyed(
    "record_documents",
    sa.Column("item", sa.LargeBinary(), nullable=False),
    sa.Column("referenced_by", sa.LargeBinary(), nullable=False),
)
record_csv_rows = _keyed("record_csv_rows", sa.Column("csv_row", sa.LargeBinary(), nullable=False))
TABLES = (record_documents, record_csv_rows)

BATCH = 2000
"""Records rendered (and ids asked for in one IN list) at a time."""
EMPTY = b"{}"
RENDER_ALL_SHARE = 0.2
"""A change that touches this share of the records or more renders every record (in bulk, a batch at a time)
rather than working out what it touched."""
Key = tuple[str, str]
"""(record type, record id)."""
Forms = dict[str, dict[str, bytes]]
"""Referrer forms (what `referenced_by` shows of a record), per type and id."""


@cache
def _is_type(table: sa.Table, type_name: str) -> ColumnElement[bool]:
    """Rows of `table` for records of this type. The type is a literal, not a parameter: a DriverQuery binds only
    the ids (type names are declared constants, looked up here)."""
    return table.c.record_type == sa.literal_column(f"'{BY_NAME[type_name].name}'")


@cache
def _stored_query(table_name: str, type_name: str, *columns: str) -> DriverQuery:
    """`record_id, <columns>` of the stored forms of these ids of one type, compiled once."""
    table = record_documents if table_name == record_documents.name else record_csv_rows
    selected = sa.select(table.c.record_id, *(table.c[c] for c in columns))
    return DriverQuery(selected.where(_is_type(table, type_name), table.c.record_id.in_(ids_parameter())))


def _by_type(keys: Iterable[Key]) -> dict[str, list[str]]:
    """Record ids per type, sorted."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for type_name, record_id in keys:
        by_type[type_name].append(record_id)
    return {type_name: sorted(ids) for type_name, ids in by_type.items()}


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _stored(
    connection: sa.Connection, table: sa.Table, record_type: RecordType, ids: Sequence[str], *columns: str
) -> dict[str, Any]:
    """The stored forms (one value, or a tuple of several) of those of these ids that have them."""
    query = _stored_query(table.name, record_type.name, *columns)
    found: dict[str, Any] = {}
    for chunk in _chunks(ids):
        for row in query.rows(connection, chunk):
            found[row[0]] = row[1] if len(columns) == 1 else tuple(row[1:])
    return found


# --- What the routes read ---------------------------------------------------------------------------------


def detail_bytes(item: bytes, referenced_by: bytes) -> bytes:
    """The detail document from its stored parts: the item with `referenced_by` added as its last key."""
    return b"".join((item[:-1], b',"referenced_by":', referenced_by, b"}"))


@cache
def _record_query(type_name: str) -> DriverQuery:
    """`id, content_hash, item, referenced_by` of one record joined with its stored document (NULLs when it has
    none), compiled once."""
    table = BY_NAME[type_name].table
    of_record = sa.and_(_is_type(record_documents, type_name), record_documents.c.record_id == table.c.id)
    columns = (table.c.id, table.c.content_hash, record_documents.c.item, record_documents.c.referenced_by)
    joined = sa.select(*columns).select_from(table.outerjoin(record_documents, of_record))
    return DriverQuery(joined.where(table.c.id.in_(ids_parameter())))


def stored_record(connection: sa.Connection, record_type: RecordType, record_id: str) -> tuple[str, bytes] | None:
    """One record's content hash (its ETag's) and its detail as the API sends it (`record_detail`, serialised):
    one indexed read of the record joined with its document, or the detail rendered live when it has none;
    None when there is no such record."""
    found = _record_query(record_type.name).rows(connection, [record_id])
    if not found:
        return None
    _id, content_hash, item, referenced_by = found[0]
    if item is not None:
        return content_hash, detail_bytes(item, referenced_by)
    body = record_detail(connection, record_type, record_id)
    assert body is not None  # the record was just read, in this same transaction
    return content_hash, json_bytes(body)


def stored_items(connection: sa.Connection, record_type: RecordType, ids: Sequence[str]) -> list[bytes]:
    """The JSON items of these records, in this order: stored, or rendered live for any without one."""
    found = _stored(connection, record_documents, record_type, ids, "item")
    missing = [record_id for record_id in ids if record_id not in found]
    for item in items_from_rows(connection, record_type, _rows_by_id(connection, record_type, missing)):
        found[item["id"]] = json_bytes(item)
    return [found[record_id] for record_id in ids]


def _item_fragments(
    connection: sa.Connection, record_type: RecordType, rows: Sequence[Mapping[Any, Any]]
) -> list[orjson.Fragment]:
    # Fragments: a page built with them serialises to the very bytes it would with the items as dicts.
    return [orjson.Fragment(item) for item in stored_items(connection, record_type, [row["id"] for row in rows])]


STORED = ItemReader(_item_fragments, keys_only=True)
"""A page's items as stored, for lists and NDJSON exports (app/records/service.py)."""


def stored_csv(connection: sa.Connection, record_type: RecordType, spec: ListSpec) -> Iterator[bytes]:
    """Every matching record's CSV line (no header), a batch at a time along the list's keyset."""
    for rows in iter_pages(connection, record_type, spec, keys_only=True):
        ids = [row["id"] for row in rows]
        found = _stored(connection, record_csv_rows, record_type, ids, "csv_row")
        missing = _rows_by_id(connection, record_type, [record_id for record_id in ids if record_id not in found])
        if missing:
            lines = csv_row_lines(csv_cells(connection, record_type, missing))
            found.update(zip([row["id"] for row in missing], lines, strict=True))
        yield b"".join(found[record_id] for record_id in ids)


# --- How records refer to each other ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Link:
    """A column through which records of `owner` refer to records of `target`, read from the foreign keys."""

    owner: RecordType
    alias: str
    """The owner's field the column belongs to."""
    table: sa.Table
    record: sa.Column[Any]
    """The owner's id: `id` on its own table, `record_id` on a child table."""
    column: sa.Column[Any]
    target: RecordType


@cache
def _links() -> tuple[_Link, ...]:
    by_table = {t.table.name: t for t in RECORD_TYPE_LIST}
    found: list[_Link] = []
    for owner in RECORD_TYPE_LIST:
        for field in owner.fields:
            if field.has_child_table:
                table = owner.child_tables[field.name]
                record = table.c.record_id
                columns = [c for c in table.c if c is not record]
            else:
                table, record = owner.table, owner.table.c.id
                columns = [table.c[c.name] for c in field.columns(owner.plural)]
            for column in columns:
                for key in column.foreign_keys:
                    target = by_table.get(key.column.table.name)
                    if target is not None:
                        found.append(_Link(owner, field.alias, table, record, column, target))
    return tuple(found)


@cache
def _reverse_links(type_name: str) -> tuple[tuple[Filter, _Link], ...]:
    """What a type's `referenced_by` lists, in its order: each reverse filter with the column behind it."""
    target = BY_NAME[type_name]
    return tuple(
        (flt, next(k for k in _links() if k.owner is other and k.alias == alias and k.target is target))
        for other, flt in reverse_filters(target)
        for alias in (filter_field(other, flt.name),)
    )


def _references(value: Any, found: set[Key]) -> None:
    """Every record a rendered item shows as a reference (`{id, type, name}`, a cited source, a role's actor)."""
    if isinstance(value, dict):
        record_id, record_type = value.get("id"), value.get("type")
        if isinstance(record_id, str) and record_type in BY_NAME:
            found.add((record_type, record_id))
        for inner in value.values():
            if isinstance(inner, dict | list):
                _references(inner, found)
    elif isinstance(value, list):
        for inner in value:
            if isinstance(inner, dict | list):
                _references(inner, found)


def _referred(item: dict[str, Any]) -> set[Key]:
    """The records an item refers to (itself excluded)."""
    found: set[Key] = set()
    _references(item, found)
    found.discard((item["type"], item["id"]))
    return found


def _shown_elsewhere(record_type: RecordType, item: dict[str, Any]) -> tuple[Any, ...]:
    """What other records' items show of this one: its name, and a source's embedded fields."""
    if record_type is SOURCE:
        return (item["name"], *(item.get(name) for name in SOURCE_FIELDS))
    return (item["name"],)


def _referrers(connection: sa.Connection, targets: Collection[Key]) -> set[Key]:
    """Every record that refers to one of these records, through any field."""
    by_type = _by_type(targets)
    found: set[Key] = set()
    for link in _links():
        ids = by_type.get(link.target.name)
        for chunk in _chunks(ids or []):
            query = sa.select(link.record).where(link.column.in_(chunk)).distinct()
            found.update((link.owner.name, record_id) for record_id in connection.execute(query).scalars())
    return found


# --- Rendering ----------------------------------------------------------------------------------------------


@dataclass
class _Forms:
    """A record's freshly rendered item (as data and as bytes) and CSV line."""

    data: dict[str, Any]
    item: bytes
    csv_row: bytes


def _render_rows(
    source: sa.Connection | ItemSource, record_type: RecordType, rows: Sequence[Mapping[Any, Any]]
) -> list[_Forms]:
    """The forms of these rows of the type's table, the rest read from the database (a fixed number of
    queries for the batch) or from the records in memory."""
    items = items_from_rows(source, record_type, rows)
    lines = csv_row_lines(csv_cells(source if isinstance(source, sa.Connection) else None, record_type, rows, items))
    # The items' bytes as orjson gives them: a batch's forms are written and dropped, never kept (`_exact`).
    return [_Forms(item, json_bytes(item), line) for item, line in zip(items, lines, strict=True)]


def _exact(data: bytes) -> bytes:
    """A copy that holds exactly its bytes, for what is kept beyond a batch (referrer forms). orjson's output
    keeps the whole buffer it was written in (8 KB for a 1.4 KB item, 4 KB for a 150-byte referrer form):
    forms kept so would hold all of them (a load of 100k records grew by 300 MB)."""
    return bytes(memoryview(data))


def _shown_in_referenced_by(record_type: RecordType, item: Mapping[str, Any]) -> dict[str, Any]:
    """What a record shows in another's `referenced_by`, from its item. Taken from the item with its sources
    embedded: no type shows `sources` there, where they are not (tests/records/test_documents.py checks it)."""
    return {k: item[k] for k in referrer_keys(record_type) if k in item}


def _referrer(record_type: RecordType, item: Mapping[str, Any]) -> bytes:
    return _exact(json_bytes(_shown_in_referenced_by(record_type, item)))


def _rows_by_id(connection: sa.Connection, record_type: RecordType, ids: Sequence[str]) -> list[sa.RowMapping]:
    table = record_type.table
    rows: list[sa.RowMapping] = []
    for chunk in _chunks(ids):
        rows.extend(connection.execute(sa.select(table).where(table.c.id.in_(chunk))).mappings())
    return rows


Tops = dict[str, list[Any]]
"""Per target id: [how many records refer to it through one link, the ids of the first `REFERENCED_BY_ITEMS`]."""


def _referring_rows(
    connection: sa.Connection, link: _Link, columns: Sequence[sa.ColumnElement[Any]], ids: Sequence[str] | None
) -> Iterable[Sequence[Any]]:
    """`(owner id, *columns)` of the owner's records (a row per child row, for a child table), in the owner's
    list order, streamed; only those whose `link` column holds one of `ids`, when given."""
    owner = link.owner
    table = owner.table
    source = table if link.table is table else table.join(link.table, link.record == table.c.id)
    order = order_terms(ListSpec(sort=parse_sort(owner, owner.default_sort)))
    query = sa.select(table.c.id, *columns).select_from(source).order_by(*order)
    if ids is not None:
        query = query.where(link.column.in_(ids))
    elif connection.dialect.name == "sqlite":
        # Every row of a table (a first load's `_all_tops`: millions): straight from the driver's cursor, which
        # SQLite steps through as it is read (a sqlite3 cursor iterates its rows); SQLAlchemy's rows cost more
        # than counting them.
        compiled = query.compile(dialect=connection.dialect)
        if not compiled.params:
            return cast("Iterable[Sequence[Any]]", connection.exec_driver_sql(str(compiled)).cursor)
    return connection.execute(query.execution_options(yield_per=BATCH))


def _collect(rows: Iterable[Sequence[Any]], links: Sequence[_Link]) -> dict[_Link, Tops]:
    """Count the referrers of each target per link, keeping the first few: the rows come in list order, so the
    first seen are the first shown. A record listing the same target twice counts once (its rows are adjacent,
    the order ending with its id), as the list filter counts it."""
    tops: list[Tops] = [{} for _ in links]
    current: Any = None
    if len(links) == 1:
        return {links[0]: _collect_one(rows)}
    seen: set[tuple[int, str]] = set()
    for row in rows:
        record_id = row[0]
        if record_id != current:
            current, seen = record_id, set()
        for index, target in enumerate(row[1:]):
            if target is None or (index, target) in seen:
                continue
            seen.add((index, target))
            found = tops[index].get(target)
            if found is None:
                tops[index][target] = [1, [record_id]]
            else:
                found[0] += 1
                if found[0] <= REFERENCED_BY_ITEMS:
                    found[1].append(record_id)
    return dict(zip(links, tops, strict=True))


def _collect_one(rows: Iterable[Sequence[Any]]) -> Tops:
    """`_collect` of one link: rows of (owner id, target), the same counts and firsts."""
    tops: Tops = {}
    current: Any = None
    seen: set[str] = set()
    for record_id, target in rows:
        if record_id != current:
            current, seen = record_id, set()
        if target is None or target in seen:
            continue
        seen.add(target)
        found = tops.get(target)
        if found is None:
            tops[target] = [1, [record_id]]
        else:
            found[0] += 1
            if found[0] <= REFERENCED_BY_ITEMS:
                found[1].append(record_id)
    return tops


def _all_tops(connection: sa.Connection) -> dict[_Link, Tops]:
    """The referrers of every record through every link `referenced_by` shows: one pass over each table."""
    groups: dict[sa.Table, list[_Link]] = defaultdict(list)
    for record_type in RECORD_TYPE_LIST:
        for _flt, link in _reverse_links(record_type.name):
            groups[link.table].append(link)
    tops: dict[_Link, Tops] = {}
    for links in groups.values():
        tops.update(_collect(_referring_rows(connection, links[0], [k.column for k in links], None), links))
    return tops


def _tops_of(connection: sa.Connection, record_type: RecordType, ids: Sequence[str]) -> dict[_Link, Tops]:
    """The referrers of these records of one type, through each link its `referenced_by` shows."""
    tops: dict[_Link, Tops] = {}
    for _flt, link in _reverse_links(record_type.name):
        tops.update(_collect(_referring_rows(connection, link, [link.column], ids), [link]))
    return tops


def _wanted(record_type: RecordType, ids: Iterable[str], tops: Mapping[_Link, Tops]) -> dict[str, set[str]]:
    """Per referring type, the ids shown in these records' `referenced_by`."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for _flt, link in _reverse_links(record_type.name):
        found = tops[link]
        for target_id in ids:
            top = found.get(target_id)
            if top is not None:
                wanted[link.owner.name].update(top[1])
    return wanted


def _referrer_forms(connection: sa.Connection, wanted: Mapping[str, Collection[str]]) -> dict[str, dict[str, bytes]]:
    """The referrer forms of these records (ids per type), from their stored items; any without one is rendered."""
    forms: dict[str, dict[str, bytes]] = {}
    for type_name, ids in wanted.items():
        record_type = BY_NAME[type_name]
        ordered = sorted(ids)
        found = {
            record_id: _referrer(record_type, orjson.loads(item))
            for record_id, item in _stored(connection, record_documents, record_type, ordered, "item").items()
        }
        missing = [i for i in ordered if i not in found]
        for rendered in _render_rows(connection, record_type, _rows_by_id(connection, record_type, missing)):
            found[rendered.data["id"]] = _referrer(record_type, rendered.data)
        forms[type_name] = found
    return forms


def _referenced_by(
    record_type: RecordType,
    ids: Sequence[str],
    tops: Mapping[_Link, Tops],
    forms: Mapping[str, Mapping[str, bytes]],
) -> dict[str, bytes]:
    """The `referenced_by` JSON of each of these records, as `record_detail` serialises it (`forms`: the
    referrer forms of the records shown, per type)."""
    links = _reverse_links(record_type.name)
    rendered: dict[str, bytes] = {}
    for target_id in ids:
        parts = []
        for flt, link in links:
            top = tops[link].get(target_id)
            if top is None:
                continue
            owner = link.owner
            value = f"{record_type.name}:{target_id}" if len(flt.targets) > 1 else target_id
            shown = forms[owner.name]
            parts.append(
                b"".join(
                    (
                        json_bytes(f"{owner.plural}.{flt.name}"),
                        b':{"total":',
                        str(top[0]).encode(),
                        b',"items":[',
                        b",".join(shown[r] for r in top[1]),
                        b'],"href":',
                        json_bytes(f"/v1/{owner.plural}?{flt.name}={value}"),
                        b"}",
                    )
                )
            )
        rendered[target_id] = b"{" + b",".join(parts) + b"}"
    return rendered


# --- Writing ------------------------------------------------------------------------------------------------


def _update(connection: sa.Connection, table: sa.Table, column: str, rows: Iterable[tuple[bytes, str, str]]) -> None:
    """`UPDATE <table> SET <column>` for rows of (value, record_type, record_id): on PostgreSQL one statement a
    batch (app/core/dialect.py)."""
    if update_by_arrays(connection, table, column, ("record_type", "record_id"), rows):
        return
    statement = (
        table.update()
        .where(table.c.record_type == sa.bindparam("b_type"), table.c.record_id == sa.bindparam("b_id"))
        .values({column: sa.bindparam("b_value")})
    )
    for chunk in _chunks(list(rows)):
        connection.execute(statement, [{"b_value": v, "b_type": t, "b_id": i} for v, t, i in chunk])


def _write_referenced_by(connection: sa.Connection, keys: Collection[Key]) -> None:
    """Render and store `referenced_by` for these records (those that exist and can be referred to)."""
    for type_name, ids in _by_type(keys).items():
        record_type = BY_NAME[type_name]
        if not _reverse_links(type_name):
            continue
        table = record_type.table
        for chunk in _chunks(ids):
            existing = list(connection.execute(sa.select(table.c.id).where(table.c.id.in_(chunk))).scalars())
            tops = _tops_of(connection, record_type, existing)
            forms = _referrer_forms(connection, _wanted(record_type, existing, tops))
            rendered = _referenced_by(record_type, existing, tops, forms)
            _update(connection, record_documents, "referenced_by", ((v, type_name, i) for i, v in rendered.items()))


class _Inserts:
    """Stores the forms of records that had none: their item (with an empty `referenced_by`, rendered after)
    and their CSV line."""

    def __init__(self, connection: sa.Connection) -> None:
        self.documents = BulkInsert(connection, record_documents, ["record_type", "record_id", "item", "referenced_by"])
        self.lines = BulkInsert(connection, record_csv_rows, ["record_type", "record_id", "csv_row"])

    def write(self, type_name: str, forms: Sequence[_Forms]) -> None:
        self.add([(type_name, f.data["id"], f.item, f.csv_row) for f in forms])

    def add(self, rows: Sequence[tuple[str, str, bytes, bytes]]) -> None:
        """Forms as (type, id, item, CSV line)."""
        self.documents.write((t, i, item, EMPTY) for t, i, item, _line in rows)
        self.lines.write((t, i, line) for t, i, _item, line in rows)


def _render_all(connection: sa.Connection, written: InMemory | SideForms | None = None) -> None:
    """Every record's forms, from scratch, in bulk: who refers to whom first (from the record tables), then
    every item and CSV row, keeping the referrer forms `referenced_by` will show, then `referenced_by`.
    `written`: every record, as the load that wrote them holds them (read from there, not read back), or
    already rendered from there by a second process."""
    for table in TABLES:
        connection.execute(table.delete())
    tops = _all_tops(connection)
    wanted: dict[str, set[str]] = defaultdict(set)
    for link, found in tops.items():
        for _total, referrers in found.values():
            wanted[link.owner.name].update(referrers)
    forms: dict[str, dict[str, bytes]] = {record_type.name: {} for record_type in RECORD_TYPE_LIST}
    if isinstance(written, SideForms):
        written.take(connection, wanted, forms)
    else:
        inserts = _Inserts(connection)
        for record_type in RECORD_TYPE_LIST:
            name = record_type.name
            shown, kept = wanted.get(name, set()), forms[name]
            batches = (
                _batches_by_id(connection, record_type) if written is None else written.batches(record_type, BATCH)
            )
            for rows in batches:
                rendered = _render_rows(connection if written is None else written, record_type, rows)
                inserts.write(name, rendered)
                kept.update((f.data["id"], _referrer(record_type, f.data)) for f in rendered if f.data["id"] in shown)
    for record_type in RECORD_TYPE_LIST:
        referred = sorted({target for _flt, link in _reverse_links(record_type.name) for target in tops[link]})
        for chunk in _chunks(referred):
            rendered_by = _referenced_by(record_type, chunk, tops, forms)
            _update(
                connection,
                record_documents,
                "referenced_by",
                ((v, record_type.name, i) for i, v in rendered_by.items()),
            )


SIDE_FORMS_FROM = 50_000
"""Records a first load must write for their forms to be rendered by a second process."""
SIDE_FORMS = "techsov_side_forms"
"""The scratch file's schema name while a SQLite database takes its rows."""


REFERRERS = (
    "CREATE TABLE referrers (record_type TEXT NOT NULL, record_id TEXT NOT NULL, referrer BLOB NOT NULL, "
    "PRIMARY KEY (record_type, record_id)) WITHOUT ROWID"
)
"""The scratch file's table of referrer forms (what `referenced_by` shows of a record), looked up by key."""


def _definitions(connection: sa.Connection) -> list[str]:
    """The SQL that makes `TABLES` and their indexes: on SQLite the very statements this database stored (so the
    scratch tables are defined as its own and `SideForms` can copy them raw), elsewhere as SQLite makes them from
    the metadata."""
    if connection.dialect.name != "sqlite":
        dialect = sqlite.dialect()
        return [str(CreateTable(table).compile(dialect=dialect)) for table in TABLES]
    names = [table.name for table in TABLES]
    found = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type IN ('table', 'index') AND tbl_name IN (?, ?) AND sql IS NOT NULL "
        "ORDER BY type = 'index'",
        tuple(names),
    )
    return [str(sql) for (sql,) in found]


def _taken_referrers(
    rows: Callable[[str, Sequence[str]], Iterable[Sequence[Any]]],
    schema: str,
    wanted: Mapping[str, Collection[str]],
    forms: Forms,
) -> None:
    """Keep in `forms` the referrer forms of the `wanted` records (ids per type), looked up by key in the
    scratch file's `referrers` (`rows` runs a query on it, its tables prefixed with `schema`)."""
    for type_name, ids in wanted.items():
        kept = forms[type_name]
        for chunk in _chunks(sorted(ids)):
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT record_id, referrer FROM {schema}referrers WHERE record_type = ? AND record_id IN ({marks})"
            kept.update((record_id, referrer) for record_id, referrer in rows(sql, (type_name, *chunk)))


class SideForms(SideProcess):
    """Every record's forms of a first large load, rendered from the records in memory by a forked process
    while the parent writes them (app/core/forked.py), into a scratch file: `_render_all` takes them from
    there. The same renderer as in the parent (`_render_rows` from `InMemory`), so the same bytes.

    The scratch file holds `record_documents` and `record_csv_rows` as the parent's database defines them
    (`referenced_by` empty, rendered after), filled in key order so that their primary keys' B-trees grow
    by appending, and the referrer forms in a table of their own (`REFERRERS`)."""

    what = "rendering the stored documents"

    def __init__(self, connection: sa.Connection, written: InMemory) -> None:
        super().__init__()
        self.written = written
        self.schema = _definitions(connection)

    def build(self, path: Path) -> None:
        scratch = sqlite3.connect(path)
        try:
            scratch.execute("PRAGMA journal_mode = OFF")
            scratch.execute("PRAGMA synchronous = OFF")
            for sql in (*self.schema, REFERRERS):
                scratch.execute(sql)
            documents = "INSERT INTO record_documents (record_type, record_id, item, referenced_by) VALUES (?, ?, ?, ?)"
            lines = "INSERT INTO record_csv_rows (record_type, record_id, csv_row) VALUES (?, ?, ?)"
            referrers = "INSERT INTO referrers (record_type, record_id, referrer) VALUES (?, ?, ?)"
            for record_type in sorted(RECORD_TYPE_LIST, key=lambda t: t.name):  # key order: (type, id)
                name = record_type.name
                for rows in self.written.batches(record_type, BATCH):
                    rendered = _render_rows(self.written, record_type, rows)
                    scratch.executemany(documents, [(name, f.data["id"], f.item, EMPTY) for f in rendered])
                    scratch.executemany(lines, [(name, f.data["id"], f.csv_row) for f in rendered])
                    scratch.executemany(
                        referrers, [(name, f.data["id"], _referrer(record_type, f.data)) for f in rendered]
                    )
            scratch.commit()
        finally:
            scratch.close()

    def take(self, connection: sa.Connection, wanted: Mapping[str, Collection[str]], forms: Forms) -> None:
        """Wait for the child, then store every record's item (with an empty `referenced_by`) and CSV line,
        and keep in `forms` the referrer forms of the `wanted` records (ids per type). On SQLite the scratch
        file is attached and its tables are copied raw (`SideProcess.transfer`); elsewhere they are read and
        inserted."""
        self.wait()
        if connection.dialect.name == "sqlite":
            self.attach(connection, SIDE_FORMS)
            for table in TABLES:  # copied raw: the tables are defined alike, the destination's are empty
                self.transfer(connection, SIDE_FORMS, table.name)
            _taken_referrers(
                lambda sql, params: connection.exec_driver_sql(sql, tuple(params)), f"{SIDE_FORMS}.", wanted, forms
            )
            return
        scratch = sqlite3.connect(self.path)
        try:
            for table in TABLES:
                columns = [column.name for column in table.c]
                cursor = scratch.execute(f"SELECT {', '.join(columns)} FROM {table.name}")
                BulkInsert(connection, table, columns).write(cursor)
            _taken_referrers(scratch.execute, "", wanted, forms)
        finally:
            scratch.close()


def side_forms(connection: sa.Connection, written: InMemory) -> SideForms | None:
    """The second process that renders the forms of a first large load, where one may be forked."""
    if not hasattr(os, "fork") or written.count < SIDE_FORMS_FROM:
        return None
    return SideForms(connection, written)


def _batches_by_id(
    connection: sa.Connection, record_type: RecordType, columns: Sequence[sa.ColumnElement[Any]] | None = None
) -> Iterator[list[sa.RowMapping]]:
    """Every row of a type's table in id order, a batch at a time (keyset on the primary key)."""
    table = record_type.table
    after: str | None = None
    while True:
        query = (sa.select(*columns) if columns else sa.select(table)).order_by(table.c.id).limit(BATCH)
        if after is not None:
            query = query.where(table.c.id > after)
        rows = list(connection.execute(query).mappings())
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]


def _has_documents(connection: sa.Connection) -> bool:
    return connection.execute(sa.select(sa.literal(1)).select_from(record_documents).limit(1)).first() is not None


def _record_count(connection: sa.Connection) -> int:
    return sum(
        connection.execute(sa.select(sa.func.count()).select_from(t.table)).scalar_one() for t in RECORD_TYPE_LIST
    )


def _write_forms(
    connection: sa.Connection, type_name: str, fresh: Sequence[_Forms], stored: Collection[str], gone: Sequence[str]
) -> None:
    """Store a batch of freshly rendered forms of one type: updated where the record had them, inserted (with
    an empty `referenced_by`, rendered after) where not; and delete the forms of the records that are gone."""
    for table in TABLES:
        if gone:
            connection.execute(table.delete().where(table.c.record_type == type_name, table.c.record_id.in_(gone)))
    _Inserts(connection).write(type_name, [f for f in fresh if f.data["id"] not in stored])
    kept = [f for f in fresh if f.data["id"] in stored]
    _update(connection, record_documents, "item", ((f.item, type_name, f.data["id"]) for f in kept))
    _update(connection, record_csv_rows, "csv_row", ((f.csv_row, type_name, f.data["id"]) for f in kept))


@dataclass
class _Effects:
    """What rendering records again showed must follow: records whose items show what changed in them, dispute
    partners, and records whose `referenced_by` may change."""

    shown_changed: list[Key]
    partners: set[Key]
    referred: set[Key]


def _render_again(connection: sa.Connection, keys: Collection[Key], touched: bool, effects: _Effects) -> None:
    """Render these records again and store their forms, a batch at a time, noting in `effects` what follows.

    `touched`: they were written (their references, sort keys or existence may have changed); otherwise
    they are rendered again only for what they show of others."""
    for type_name, ids in _by_type(keys).items():
        record_type = BY_NAME[type_name]
        for chunk in _chunks(ids):
            old = {
                record_id: orjson.loads(item)
                for record_id, item in _stored(connection, record_documents, record_type, chunk, "item").items()
            }
            fresh = _render_rows(connection, record_type, _rows_by_id(connection, record_type, chunk))
            present = {f.data["id"] for f in fresh}
            gone = [record_id for record_id in chunk if record_id not in present]
            _write_forms(connection, type_name, fresh, old.keys(), gone)
            for forms in fresh:
                key, before = (type_name, forms.data["id"]), old.get(forms.data["id"])
                if before is None:
                    effects.referred.add(key)
                elif _shown_elsewhere(record_type, before) != _shown_elsewhere(record_type, forms.data):
                    effects.shown_changed.append(key)
                # Who shows this record in `referenced_by`: whoever it refers to, now and before.
                if touched or before is None or _referrer(record_type, before) != _referrer(record_type, forms.data):
                    effects.referred |= _referred(forms.data)
                    if before is not None:
                        effects.referred |= _referred(before)
            for record_id in gone:
                if record_id in old:
                    effects.referred |= _referred(old[record_id])
            if touched:
                effects.referred.update((type_name, record_id) for record_id in present)
                if record_type is DEPENDENCY:
                    partners = dispute_partners(connection, present)
                    for before in old.values():
                        partners.update(before.get("disputed_by") or ())
                    effects.partners.update((type_name, record_id) for record_id in partners)


def refresh_documents(
    connection: sa.Connection, touched: Mapping[str, Collection[str]], written: InMemory | SideForms | None = None
) -> None:
    """Bring the stored documents up to date after records were written, in the writer's transaction.

    `touched` names, per record type (`"actor"`), the ids of every record created, updated or deleted since
    the documents were last brought up to date; the records are read as they are now. Renders those records
    and every record whose forms show them (see the module's docstring) and deletes the forms of records that
    are gone, a batch at a time. When no document is stored yet, or the change touched a good share of the
    records, it renders every record instead. Call it once per transaction, after the last write of records
    and before the commit; both databases.

    `written`: when the change is a first load, every record it wrote (app/records/in_memory.py); their forms
    are then rendered from there instead of read back from the database, or were rendered by a second
    process (`SideForms`, started before the records were written).
    """
    keys = {(type_name, record_id) for type_name, ids in touched.items() for record_id in ids}
    if not _has_documents(connection) or (
        len(keys) > BATCH and len(keys) >= RENDER_ALL_SHARE * _record_count(connection)
    ):
        _render_all(connection, written)
        return
    effects = _Effects([], set(), set())
    _render_again(connection, keys, True, effects)
    extra = (_referrers(connection, effects.shown_changed) | effects.partners) - keys
    _render_again(connection, extra, False, effects)
    _write_referenced_by(connection, effects.referred)
