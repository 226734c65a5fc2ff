"""The generic list engine: filters, search, date bounds, sorting, keyset pages, counts and facets.

Every record type gets the same machinery; what differs (which fields filter,
sort and facet) is derived from its declaration in app/records/registry.py.
All SQL for lists lives here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.core.params import bad
from app.core.suggest import did_you_mean
from app.records.registry import BY_NAME, RecordType
from app.records.storage import (
    ChildTableField,
    DateField,
    RefField,
    RefListField,
    ScalarField,
    SlugOrTextField,
    StoredField,
    TypedRefField,
    TypedRefListField,
    ValueListField,
)

# Lists are filtered by the singular: ?issuer=x finds policies whose issuers include x.
SINGULAR = {
    "issuers": "issuer",
    "targets": "target",
    "tags": "tag",
    "sources": "source",
    "about_policies": "about_policy",
    "document_ids": "document_id",
}
SUGGESTION_LIMIT = 50_000  # above this many candidate ids, a miss is reported without a suggestion


@dataclass(frozen=True)
class Filter:
    """One filter parameter of a list: its name, what it matches and how."""

    name: str
    description: str
    example: str
    stored: StoredField
    choices: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()

    def condition(self, record_type: RecordType, values: list[str]) -> ColumnElement[bool]:
        """Rows matching any of `values` (a repeated parameter means OR)."""
        table, stored = record_type.table, self.stored
        if isinstance(stored, ScalarField):
            return table.c[stored.name].in_(values)
        if isinstance(stored, RefField):
            return table.c[stored.column].in_(values)
        if isinstance(stored, SlugOrTextField):
            return sa.or_(table.c[f"{stored.name}_id"].in_(values), table.c[f"{stored.name}_text"].in_(values))
        if isinstance(stored, TypedRefField):
            return _typed_match(stored, table, values)
        assert isinstance(stored, ChildTableField)
        child = stored.table
        if isinstance(stored, ValueListField):
            match: ColumnElement[bool] = child.c.value.in_(values)
        elif isinstance(stored, RefListField):
            match = child.c.target_id.in_(values)
        else:
            assert isinstance(stored, TypedRefListField)
            match = _typed_match(stored.typed, child, values)
        # IN over the child table, not a correlated EXISTS: the index on the target answers it
        # (an EXISTS per record scanned all 1M statements for one reverse link).
        return table.c.id.in_(sa.select(child.c.record_id).where(match))


def _typed_match(stored: TypedRefField, table: sa.Table, values: list[str]) -> ColumnElement[bool]:
    """`actor:x` matches that type only; a bare `x` matches any type."""
    terms: list[ColumnElement[bool]] = []
    for value in values:
        record_type, _, record_id = value.partition(":")
        if record_id:
            if record_type in stored.ref.types:
                terms.append(table.c[stored.column_for(record_type)] == record_id)
        else:
            terms.extend(table.c[stored.column_for(t)] == value for t in stored.ref.types)
    return sa.or_(*terms) if terms else sa.false()


def filters_for(record_type: RecordType) -> dict[str, Filter]:
    """The filter parameters a type's list takes, derived from its fields (worked out once per type)."""
    return _filters(record_type.name)


@cache
def _filters(type_name: str) -> dict[str, Filter]:
    record_type = BY_NAME[type_name]
    filters: dict[str, Filter] = {}
    for stored in record_type.fields:
        name = SINGULAR.get(stored.alias, stored.alias)
        if isinstance(stored, ScalarField) and stored.choices:
            description = f"{stored.alias} is one of these (repeat for OR)"
            filters[name] = Filter(name, description, stored.choices[0], stored, choices=stored.choices)
        elif isinstance(stored, ScalarField) and stored.alias in record_type.text_filters:
            filters[name] = Filter(name, f"{stored.alias} equals this text (repeat for OR)", "en", stored)
        elif isinstance(stored, RefField | RefListField | SlugOrTextField):
            target = stored.ref.types[0]
            description = f"{stored.alias} includes this {target} id (repeat for OR)"
            filters[name] = Filter(name, description, BY_NAME[target].example_id, stored, targets=(target,))
        elif isinstance(stored, TypedRefField | TypedRefListField):
            types = stored.ref.types
            description = f"{stored.alias} includes this record: type:id ({', '.join(types)}) or a bare id"
            filters[name] = Filter(
                name, description, f"{types[0]}:{BY_NAME[types[0]].example_id}", stored, targets=types
            )
        elif isinstance(stored, ValueListField):
            example = "export-controls" if name == "tag" else "87 FR 62186"
            filters[name] = Filter(name, f"{stored.alias} includes this value (repeat for OR)", example, stored)
    return filters


@dataclass(frozen=True)
class SortKey:
    """A column a list can be sorted by."""

    name: str
    column: sa.Column[Any]
    nullable: bool
    is_date: bool = False


def sort_keys_for(record_type: RecordType) -> dict[str, SortKey]:
    """The documented sort keys of a type: id, name, its dates and its enums (worked out once per type)."""
    return _sort_keys(record_type.name)


@cache
def _sort_keys(type_name: str) -> dict[str, SortKey]:
    record_type = BY_NAME[type_name]
    table = record_type.table
    keys = {"id": SortKey("id", table.c.id, False), "name": SortKey("name", table.c.name, False)}
    for stored in record_type.fields:
        if isinstance(stored, DateField):
            keys[stored.alias] = SortKey(stored.alias, table.c[stored.name], not stored.required, is_date=True)
        elif isinstance(stored, ScalarField) and stored.choices:
            keys[stored.alias] = SortKey(stored.alias, table.c[stored.name], not stored.required)
    return keys


@dataclass
class ListSpec:
    """A parsed list request."""

    filters: dict[str, list[str]] = field(default_factory=dict)
    q: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    as_of: dt.date | None = None
    sort: list[tuple[SortKey, bool]] = field(default_factory=list)  # (key, descending)
    limit: int = 50
    after: list[Any] | None = None
    count: bool = False
    facets: list[str] = field(default_factory=list)

    @property
    def sort_signature(self) -> str:
        """The sort as written, e.g. `-said_on,id`; cursors belong to one."""
        return ",".join(("-" if desc else "") + key.name for key, desc in self.sort)


def parse_sort(record_type: RecordType, text: str) -> list[tuple[SortKey, bool]]:
    """`-said_on,name` -> keys with directions; ties always end with id."""
    keys = sort_keys_for(record_type)
    chosen: list[tuple[SortKey, bool]] = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        descending, name = part.startswith("-"), part.lstrip("-")
        if name not in keys:
            raise bad("sort", f"cannot sort {record_type.plural} by '{name[:60]}'{did_you_mean(name, keys)}; "
                              f"sortable: {', '.join(keys)}")  # fmt: skip
        if any(k.name == name for k, _ in chosen):
            raise bad("sort", f"'{name}' appears twice")
        chosen.append((keys[name], descending))
    if not chosen:
        raise bad("sort", "give at least one field")
    if chosen[-1][0].name != "id":
        chosen.append((keys["id"], chosen[-1][1]))
    return chosen


def order_terms(spec: ListSpec) -> list[ColumnElement[Any]]:
    terms: list[ColumnElement[Any]] = []
    for key, descending in spec.sort:
        if key.nullable:
            terms.append(_null_flag(key).asc())  # no value sorts last, both ways
        terms.append(key.column.desc() if descending else key.column.asc())
    return terms


def _null_flag(key: SortKey) -> ColumnElement[int]:
    return sa.case((key.column.is_(None), 1), else_=0)


def _after(spec: ListSpec) -> ColumnElement[bool]:
    """Rows strictly after the cursor's row in the list order (keyset, never OFFSET)."""
    assert spec.after is not None
    pairs = list(zip(spec.sort, spec.after, strict=True))
    if all(not key.nullable for (key, _), _v in pairs) and len({desc for (_, desc), _v in pairs}) == 1:
        # One direction, no NULLs: a row-value comparison the index answers directly.
        left = sa.tuple_(*(key.column for (key, _), _v in pairs))
        right = sa.tuple_(*(sa.literal(v, key.column.type) for (key, _), v in pairs))
        return left < right if pairs[0][0][1] else left > right
    expanded: list[tuple[ColumnElement[Any], bool, Any]] = []
    for (key, descending), value in pairs:
        if key.nullable:
            expanded.append((_null_flag(key), False, 1 if value is None else 0))
        expanded.append((key.column, descending, value))
    terms: list[ColumnElement[bool]] = []
    for index, (column, descending, value) in enumerate(expanded):
        if value is None:
            continue
        equal = [c.is_(None) if v is None else c == v for c, _d, v in expanded[:index]]
        terms.append(sa.and_(*equal, column < value if descending else column > value))
    return sa.or_(*terms) if terms else sa.false()


def cursor_values(spec: ListSpec, row: sa.RowMapping) -> list[Any]:
    """The sort values of a row, as stored in a cursor."""
    values = []
    for key, _descending in spec.sort:
        value = row[key.column.name]
        values.append(value.isoformat() if isinstance(value, dt.date) else value)
    return values


def decode_values(spec: ListSpec, values: list[Any]) -> list[Any]:
    """Cursor values back to column values; a 400 when they do not fit the sort."""
    if len(values) != len(spec.sort):
        raise bad("cursor", "this cursor does not fit this list; start again without it")
    decoded: list[Any] = []
    for (key, _descending), value in zip(spec.sort, values, strict=True):
        if value is None and key.nullable:
            decoded.append(None)
        elif key.is_date and isinstance(value, str):
            try:
                decoded.append(dt.date.fromisoformat(value))
            except ValueError:
                raise bad("cursor", "this cursor does not fit this list; start again without it") from None
        elif isinstance(value, str) and not key.is_date:
            decoded.append(value)
        else:
            raise bad("cursor", "this cursor does not fit this list; start again without it")
    return decoded


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(record_type: RecordType, spec: ListSpec) -> list[ColumnElement[bool]]:
    """The WHERE terms of a list request, before paging."""
    table = record_type.table
    filters = filters_for(record_type)
    terms = [filters[name].condition(record_type, values) for name, values in spec.filters.items()]
    main = record_type.main_date
    if main is not None:
        column = table.c[main]
        if spec.date_from is not None:
            terms.append(column >= spec.date_from)
        if spec.date_to is not None:
            terms.append(column <= spec.date_to)
    terms.extend(record_type.valid_on(spec.as_of))
    if spec.q:
        pattern = f"%{_escape_like(spec.q)}%"
        columns = [table.c[name] for name in record_type.search_fields] + [
            sa.cast(table.c.aliases, sa.Text),
            sa.cast(table.c.names, sa.Text),
        ]
        terms.append(sa.or_(*(c.ilike(pattern, escape="\\") for c in columns)))
    return terms


def page_query(record_type: RecordType, spec: ListSpec, keys_only: bool = False) -> sa.Select[Any]:
    """One page of rows (one extra row tells whether another page follows); with `keys_only`, only their sort
    keys (which end with the id): all a page needs whose items are stored."""
    columns = [key.column for key, _descending in spec.sort] if keys_only else [record_type.table]
    query = sa.select(*columns).where(*conditions(record_type, spec))
    if spec.after is not None:
        query = query.where(_after(spec))
    return query.order_by(*order_terms(spec)).limit(spec.limit + 1)


def count_query(record_type: RecordType, spec: ListSpec) -> sa.Select[Any]:
    """How many records match, across all pages."""
    return sa.select(sa.func.count()).select_from(record_type.table).where(*conditions(record_type, spec))


def facet_names(record_type: RecordType) -> list[str]:
    """What `facets=` can count by: enums, single references, tags and the main date's year."""
    names = [
        SINGULAR.get(f.alias, f.alias)
        for f in record_type.fields
        if (isinstance(f, ScalarField) and f.choices) or isinstance(f, RefField) or f.alias == "tags"
    ]
    return [*names, "year"] if record_type.main_date else names


def facet_query(record_type: RecordType, spec: ListSpec, name: str) -> sa.Select[Any]:
    """Counts per value of one facet over the filtered set, largest first."""
    table = record_type.table
    matching = sa.select(table.c.id).where(*conditions(record_type, spec)).subquery()
    if name == "year":
        value: ColumnElement[Any] = sa.extract("year", table.c[record_type.main_date or ""])
        source: Any = table
    elif name == "tag":
        child = record_type.child_tables["tags"]
        value, source = child.c.value, child
    else:
        stored = next(f for f in record_type.fields if f.alias == name)
        column = stored.column if isinstance(stored, RefField) else stored.name
        value, source = table.c[column], table
    id_column = source.c.record_id if source is not table else table.c.id
    return (
        sa.select(value.label("value"), sa.func.count().label("n"))
        .select_from(source)
        .where(id_column.in_(sa.select(matching.c.id)))
        .group_by(value)
        .order_by(sa.func.count().desc(), value)
    )


def check_references(connection: sa.Connection, record_type: RecordType, spec: ListSpec) -> None:
    """A 400 naming any filter value that is not a record id, with the closest id — never an empty list by typo."""
    filters = filters_for(record_type)
    for name, values in spec.filters.items():
        flt = filters[name]
        for value in values:
            if flt.choices:
                if value not in flt.choices:
                    options = ", ".join(flt.choices)
                    raise bad(name, f"'{value[:100]}' is not one of {options}{did_you_mean(value, flt.choices)}")
                continue
            if not flt.targets or isinstance(flt.stored, SlugOrTextField):
                continue  # free text, or a publisher that may be named as text
            target_type, _, target_id = value.partition(":")
            if target_id and len(flt.targets) > 1:
                if target_type not in flt.targets:
                    raise bad(name, f"'{value[:100]}': the type must be one of {', '.join(flt.targets)}")
                candidates, what = [(target_type, target_id)], target_type
            else:
                target_id = value
                candidates = [(t, value) for t in flt.targets]
                what = flt.targets[0] if len(flt.targets) == 1 else "record"
            if not any(record_exists(connection, t, i) for t, i in candidates):
                raise bad(name, f"no {what} with id '{target_id[:100]}'{suggest_id(connection, candidates)}")


def record_exists(connection: sa.Connection, record_type: str, record_id: str) -> bool:
    table = BY_NAME[record_type].table
    return connection.execute(sa.select(table.c.id).where(table.c.id == record_id)).first() is not None


def suggest_id(connection: sa.Connection, candidates: list[tuple[str, str]]) -> str:
    """The closest id among the candidate types, when they are small enough to scan."""
    ids: list[str] = []
    for record_type, _record_id in candidates:
        table = BY_NAME[record_type].table
        if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() <= SUGGESTION_LIMIT:
            ids.extend(connection.execute(sa.select(table.c.id)).scalars())
    return did_you_mean(candidates[0][1], ids)


Batches = Iterator[list[sa.RowMapping]]


def iter_pages(
    connection: sa.Connection, record_type: RecordType, spec: ListSpec, batch: int = 1000, keys_only: bool = False
) -> Batches:
    """Every matching row (or its sort keys only), batch by batch along the keyset (exports: constant memory,
    no OFFSET)."""
    paged = ListSpec(**{**spec.__dict__, "limit": batch, "after": spec.after})
    while True:
        rows = list(connection.execute(page_query(record_type, paged, keys_only)).mappings().all())
        more = len(rows) > batch
        rows = rows[:batch]
        if rows:
            yield rows
        if not more:
            return
        paged.after = decode_values(paged, cursor_values(paged, rows[-1]))
