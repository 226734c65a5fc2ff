"""Every record's rendered forms, stored beside it when a load or a write commits, read by the hot routes.

The data changes only when a load or a write commits, so the expansion, the
embedding and the serialisation are done then, once, instead of on every
request. `record_documents` keeps, per record, the bytes the API sends:

- `item`: its list item (app/records/items.py): a page's items and an NDJSON
  export's lines;
- `referenced_by`: its detail's `referenced_by` (app/records/detail.py). The
  detail is the item with `referenced_by` added as its last key, so it is
  composed from the two (`detail_bytes`) instead of storing the item twice;
- `csv_row`: its CSV line (app/records/flat.py), CRLF included;
- `referrer`: what it shows in another record's `referenced_by` (type, id,
  name, its type's `item_fields`, and a dependency's dispute flags).

Forms depend on other records, and `refresh_documents` renders again exactly
what a change touches, in the writer's transaction:

- an item and a CSV row show the names of the records it refers to, a cited
  source's fields, and a dependency's disputes: a record whose name (or, for
  a source, an embedded field) changed is rendered again in every record that
  refers to it, and a dependency's dispute partners (old and new) with it;
- `referenced_by` lists the records that refer to this one (how many, the
  first few by their list order, each as its `referrer` form): it is rendered
  again for every record a touched record refers to or referred to, and for
  every record referred to by a record whose `referrer` form changed.

What a record referred to before the change is read from its stored item
(every reference is expanded there as `{id, type, name}`), so writers only say
which records they wrote. A database with records but no documents (migrated
before they existed) gets all of them rendered by the first refresh; until
then, and for any record without a document, the routes render live.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa

from app.core.dialect import BulkInsert
from app.core.render import csv_row_lines, json_bytes
from app.core.state import metadata
from app.records.detail import REFERENCED_BY_ITEMS, record_detail, referrer_keys, reverse_filters
from app.records.disputes import dispute_partners
from app.records.flat import csv_cells
from app.records.items import SOURCE_FIELDS, DriverQuery, items_from_rows
from app.records.listing import Filter, ListSpec, iter_pages, order_terms, parse_sort
from app.records.registry import BY_NAME, DEPENDENCY, RECORD_TYPE_LIST, SOURCE, RecordType

record_documents = sa.Table(
    "record_documents",
    metadata,
    sa.Column("record_type", sa.String(20), primary_key=True),
    sa.Column("record_id", sa.String(80), primary_key=True),
    sa.Column("item", sa.LargeBinary(), nullable=False),
    sa.Column("referenced_by", sa.LargeBinary(), nullable=False),
    sa.Column("csv_row", sa.LargeBinary(), nullable=False),
    sa.Column("referrer", sa.LargeBinary(), nullable=False),
)

BATCH = 2000
"""Records rendered (and ids asked for in one IN list) at a time."""
EMPTY = b"{}"
FORMS = ("item", "csv_row", "referrer")
Key = tuple[str, str]
"""(record type, record id)."""


def _ids() -> sa.BindParameter[Any]:
    return sa.bindparam("ids", expanding=True)


def _of_type(record_type: RecordType) -> sa.ColumnElement[bool]:
    # A literal, not a parameter: DriverQuery binds only the ids (type names are declared constants).
    return record_documents.c.record_type == sa.literal_column(f"'{record_type.name}'")


@cache
def _stored_query(type_name: str, *columns: str) -> DriverQuery:
    """`record_id, <columns>` of the stored documents of these ids of one type, compiled once."""
    docs = record_documents.c
    return DriverQuery(
        sa.select(docs.record_id, *(docs[c] for c in columns)).where(
            _of_type(BY_NAME[type_name]), docs.record_id.in_(_ids())
        )
    )


def _by_type(keys: Iterable[Key]) -> dict[str, list[str]]:
    """Record ids per type, sorted."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for type_name, record_id in keys:
        by_type[type_name].append(record_id)
    return {type_name: sorted(ids) for type_name, ids in by_type.items()}


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stored(connection: sa.Connection, record_type: RecordType, ids: Sequence[str], *columns: str) -> dict[str, Any]:
    """The stored forms (one value, or a tuple of several) of those of these ids that have a document."""
    query = _stored_query(record_type.name, *columns)
    found: dict[str, Any] = {}
    for chunk in _chunks(ids):
        for row in query.rows(connection, chunk):
            found[row[0]] = row[1] if len(columns) == 1 else tuple(row[1:])
    return found


# --- What the routes read ---------------------------------------------------------------------------------


def detail_bytes(item: bytes, referenced_by: bytes) -> bytes:
    """The detail document from its stored parts: the item with `referenced_by` added as its last key."""
    return b"".join((item[:-1], b',"referenced_by":', referenced_by, b"}"))


def stored_detail(connection: sa.Connection, record_type: RecordType, record_id: str) -> bytes | None:
    """One record's detail as the API sends it (`record_detail`, serialised): one indexed read of its document,
    or rendered live when it has none; None when there is no such record."""
    found = _stored_query(record_type.name, "item", "referenced_by").rows(connection, [record_id])
    if found:
        return detail_bytes(found[0][1], found[0][2])
    body = record_detail(connection, record_type, record_id)
    return None if body is None else json_bytes(body)


def stored_items(connection: sa.Connection, record_type: RecordType, rows: Sequence[sa.RowMapping]) -> list[bytes]:
    """The JSON items of these rows of the type's table, in their order: stored, or rendered live if missing."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    found = _stored(connection, record_type, ids, "item")
    missing = [row for row in rows if row["id"] not in found]
    for item in items_from_rows(connection, record_type, missing):
        found[item["id"]] = json_bytes(item)
    return [found[record_id] for record_id in ids]


def item_fragments(
    connection: sa.Connection, record_type: RecordType, rows: Sequence[sa.RowMapping]
) -> list[orjson.Fragment]:
    """The stored items as JSON fragments: a page built with them serialises to the same bytes as with dicts."""
    return [orjson.Fragment(item) for item in stored_items(connection, record_type, rows)]


def stored_csv(connection: sa.Connection, record_type: RecordType, spec: ListSpec) -> Iterator[bytes]:
    """Every matching record's CSV line (no header), a batch at a time along the list's keyset."""
    for rows in iter_pages(connection, record_type, spec):
        ids = [row["id"] for row in rows]
        found = _stored(connection, record_type, ids, "csv_row")
        missing = [row for row in rows if row["id"] not in found]
        if missing:
            lines = csv_row_lines(csv_cells(connection, record_type, missing))
            found.update(zip([row["id"] for row in missing], lines, strict=True))
        yield b"".join(found[record_id] for record_id in ids)


# --- How records refer to each other ------------------------------------------------------------------------


@dataclass(frozen=True)
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
        (flt, next(k for k in _links() if k.owner is other and k.alias == flt.stored.alias and k.target is target))
        for other, flt in reverse_filters(target)
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
    """A record's freshly rendered item (and its bytes), CSV line and referrer form."""

    data: dict[str, Any]
    item: bytes
    csv_row: bytes
    referrer: bytes


def _render_rows(connection: sa.Connection, record_type: RecordType, rows: Sequence[sa.RowMapping]) -> list[_Forms]:
    """The forms of these rows of the type's table (a fixed number of queries for the batch)."""
    items = items_from_rows(connection, record_type, rows)
    lines = csv_row_lines(csv_cells(connection, record_type, rows))
    # Taken from the item with its sources embedded: no type shows `sources` in `referenced_by`, where they
    # are not embedded (tests/records/test_documents.py checks it).
    keys = referrer_keys(record_type)
    return [
        _Forms(item, json_bytes(item), line, json_bytes({k: item[k] for k in keys if k in item}))
        for item, line in zip(items, lines, strict=True)
    ]


def _rows_by_id(connection: sa.Connection, record_type: RecordType, ids: Sequence[str]) -> list[sa.RowMapping]:
    table = record_type.table
    rows: list[sa.RowMapping] = []
    for chunk in _chunks(ids):
        rows.extend(connection.execute(sa.select(table).where(table.c.id.in_(chunk))).mappings())
    return rows


def _render(connection: sa.Connection, keys: Collection[Key]) -> dict[Key, _Forms]:
    """The forms of these records (those that exist)."""
    by_type = _by_type(keys)
    rendered: dict[Key, _Forms] = {}
    for type_name, ids in by_type.items():
        record_type = BY_NAME[type_name]
        for chunk in _chunks(ids):
            rows = _rows_by_id(connection, record_type, chunk)
            for forms in _render_rows(connection, record_type, rows):
                rendered[(type_name, forms.data["id"])] = forms
    return rendered


def _top_referrers(connection: sa.Connection, link: _Link, ids: Sequence[str]) -> dict[str, tuple[int, list[str]]]:
    """For each of these target ids that has any: how many records refer to it through `link`, and the ids of
    the first `REFERENCED_BY_ITEMS` of them in their list's default order."""
    owner = link.owner
    table = owner.table
    if link.table is table:
        target: sa.ColumnElement[Any] = link.column
        source: Any = table
        where: list[sa.ColumnElement[bool]] = [link.column.in_(ids)]
    else:
        # A record that lists the same target twice is counted once, as the list filter counts it.
        pairs = (
            sa.select(link.record.label("record_id"), link.column.label("target"))
            .where(link.column.in_(ids))
            .distinct()
            .subquery()
        )
        target, source, where = pairs.c.target, pairs.join(table, table.c.id == pairs.c.record_id), []
    order = order_terms(ListSpec(sort=parse_sort(owner, owner.default_sort)))
    ranked = (
        sa.select(
            target.label("target"),
            table.c.id.label("referrer"),
            sa.func.count().over(partition_by=target).label("total"),
            sa.func.row_number().over(partition_by=target, order_by=order).label("position"),
        )
        .select_from(source)
        .where(*where)
        .subquery()
    )
    query = (
        sa.select(ranked.c.target, ranked.c.referrer, ranked.c.total)
        .where(ranked.c.position <= REFERENCED_BY_ITEMS)
        .order_by(ranked.c.target, ranked.c.position)
    )
    found: dict[str, tuple[int, list[str]]] = {}
    for target_id, referrer_id, total in connection.execute(query):
        found.setdefault(target_id, (total, []))[1].append(referrer_id)
    return found


def _referrer_forms(connection: sa.Connection, record_type: RecordType, ids: Collection[str]) -> dict[str, bytes]:
    """The stored referrer forms of these records; any without a document is rendered."""
    wanted = sorted(ids)
    found = _stored(connection, record_type, wanted, "referrer")
    missing = [i for i in wanted if i not in found]
    if missing:
        for forms in _render_rows(connection, record_type, _rows_by_id(connection, record_type, missing)):
            found[forms.data["id"]] = forms.referrer
    return found


def _referenced_by(connection: sa.Connection, record_type: RecordType, ids: Sequence[str]) -> dict[str, bytes]:
    """The `referenced_by` JSON of each of these records, as `record_detail` serialises it."""
    parts: dict[str, list[bytes]] = defaultdict(list)
    for flt, link in _reverse_links(record_type.name):
        tops = _top_referrers(connection, link, ids)
        if not tops:
            continue
        shown = _referrer_forms(connection, link.owner, {r for _total, referrers in tops.values() for r in referrers})
        key = json_bytes(f"{link.owner.plural}.{flt.name}")
        typed = len(flt.targets) > 1
        for target_id in ids:
            if target_id not in tops:
                continue
            total, referrers = tops[target_id]
            value = f"{record_type.name}:{target_id}" if typed else target_id
            parts[target_id].append(
                b"".join(
                    (
                        key,
                        b':{"total":',
                        str(total).encode(),
                        b',"items":[',
                        b",".join(shown[r] for r in referrers),
                        b'],"href":',
                        json_bytes(f"/v1/{link.owner.plural}?{flt.name}={value}"),
                        b"}",
                    )
                )
            )
    return {i: b"{" + b",".join(parts[i]) + b"}" if i in parts else EMPTY for i in ids}


# --- Writing ------------------------------------------------------------------------------------------------


def _update(connection: sa.Connection, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """`UPDATE record_documents SET <columns>` for rows of (*values, record_type, record_id)."""
    if not rows:
        return
    docs = record_documents.c
    statement = (
        record_documents.update()
        .where(docs.record_type == sa.bindparam("b_type"), docs.record_id == sa.bindparam("b_id"))
        .values({c: sa.bindparam(f"b_{c}") for c in columns})
    )
    names = [f"b_{c}" for c in columns] + ["b_type", "b_id"]
    for chunk in _chunks(rows):
        connection.execute(statement, [dict(zip(names, row, strict=True)) for row in chunk])


def _write_referenced_by(connection: sa.Connection, keys: Collection[Key]) -> None:
    """Render and store `referenced_by` for these records (those that exist and can be referred to)."""
    for type_name, ids in _by_type(keys).items():
        record_type = BY_NAME[type_name]
        if not _reverse_links(type_name):
            continue
        table = record_type.table
        for chunk in _chunks(ids):
            existing = list(connection.execute(sa.select(table.c.id).where(table.c.id.in_(chunk))).scalars())
            rendered = _referenced_by(connection, record_type, existing)
            _update(connection, ["referenced_by"], [(v, type_name, i) for i, v in rendered.items()])


def _render_all(connection: sa.Connection) -> None:
    """Every record's documents, from scratch: items, CSV rows and referrer forms first, then `referenced_by`
    (which shows other records' referrer forms) for every record something refers to."""
    connection.execute(record_documents.delete())
    columns = ["record_type", "record_id", "item", "referenced_by", "csv_row", "referrer"]
    insert = BulkInsert(connection, record_documents, columns)
    for record_type in RECORD_TYPE_LIST:
        name = record_type.name
        for rows in _batches_by_id(connection, record_type):
            insert.write(
                (name, f.data["id"], f.item, EMPTY, f.csv_row, f.referrer)
                for f in _render_rows(connection, record_type, rows)
            )
    for record_type in RECORD_TYPE_LIST:
        if not _reverse_links(record_type.name):
            continue
        for rows in _batches_by_id(connection, record_type, columns=[record_type.table.c.id]):
            rendered = _referenced_by(connection, record_type, [row["id"] for row in rows])
            _update(
                connection, ["referenced_by"], [(v, record_type.name, i) for i, v in rendered.items() if v != EMPTY]
            )


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


def _old_forms(connection: sa.Connection, keys: Collection[Key]) -> dict[Key, tuple[bytes, bytes]]:
    """The stored (item, referrer) of these records, where they have a document."""
    by_type = _by_type(keys)
    found: dict[Key, tuple[bytes, bytes]] = {}
    for type_name, ids in by_type.items():
        for record_id, forms in _stored(connection, BY_NAME[type_name], ids, "item", "referrer").items():
            found[(type_name, record_id)] = forms
    return found


def _dispute_partners(
    connection: sa.Connection, touched: Collection[Key], old: Mapping[Key, tuple[bytes, bytes]]
) -> set[Key]:
    """The dependencies whose disputes may change with the touched ones: their partners now and before."""
    ids = [record_id for record_type, record_id in touched if record_type == DEPENDENCY.name]
    if not ids:
        return set()
    partners = set(dispute_partners(connection, ids))
    for record_id in ids:
        before = old.get((DEPENDENCY.name, record_id))
        if before is not None:
            partners.update(orjson.loads(before[0]).get("disputed_by") or ())
    return {(DEPENDENCY.name, record_id) for record_id in partners}


def refresh_documents(connection: sa.Connection, touched: Mapping[str, Collection[str]]) -> None:
    """Bring the stored documents up to date after records were written, in the writer's transaction.

    `touched` names, per record type (`"actor"`), the ids of every record created, updated or deleted since
    the documents were last brought up to date; the records are read as they are now. Renders those records
    and every record whose forms show them (see the module's docstring), deletes the documents of records
    that are gone, and, when no document is stored yet, renders every record. Call it once per transaction,
    after the last write of records and before the commit; both databases.
    """
    if not _has_documents(connection):
        _render_all(connection)
        return
    keys = {(record_type, record_id) for record_type, ids in touched.items() for record_id in ids}
    if not keys:
        return
    old = _old_forms(connection, keys)
    fresh = _render(connection, keys)
    gone = keys - fresh.keys()

    # Items that show a touched record: its referrers when what they show of it changed; dispute partners.
    shown_changed = [
        key
        for key, forms in fresh.items()
        if key in old
        and _shown_elsewhere(BY_NAME[key[0]], orjson.loads(old[key][0]))
        != _shown_elsewhere(BY_NAME[key[0]], forms.data)
    ]
    extra = (_referrers(connection, shown_changed) | _dispute_partners(connection, fresh.keys() | gone, old)) - keys
    old.update(_old_forms(connection, extra))
    fresh.update(_render(connection, extra))

    docs = record_documents.c
    for type_name, ids in _by_type(gone).items():
        for chunk in _chunks(ids):
            connection.execute(
                record_documents.delete().where(docs.record_type == type_name, docs.record_id.in_(chunk))
            )
    insert = BulkInsert(connection, record_documents, ["record_type", "record_id", *FORMS, "referenced_by"])
    insert.write((*key, f.item, f.csv_row, f.referrer, EMPTY) for key, f in fresh.items() if key not in old)
    _update(connection, FORMS, [(f.item, f.csv_row, f.referrer, *key) for key, f in fresh.items() if key in old])

    # `referenced_by` of every record whose list of referrers, or a referrer's form, may have changed.
    referred: set[Key] = {key for key in fresh if key in keys or key not in old}
    for key, forms in fresh.items():
        before = old.get(key)
        if key in keys or before is None or before[1] != forms.referrer:
            referred |= _referred(forms.data)
            if before is not None:
                referred |= _referred(orjson.loads(before[0]))
    for key in gone:
        if key in old:
            referred |= _referred(orjson.loads(old[key][0]))
    _write_referenced_by(connection, referred - gone)
