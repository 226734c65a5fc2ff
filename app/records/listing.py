"""The generic list engine: filters, search, date bounds, sorting, keyset pages, counts and facets.

Every record type gets the same machinery; what differs (which fields filter,
sort and facet) is derived from its declaration in app/records/registry.py.
All SQL for lists lives here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.core.caching import Memo
from app.core.params import bad
from app.core.suggest import did_you_mean
from app.records.items import display_names, driver_rows
from app.records.list_parts import Facet, FilterContext, SortKey
from app.records.list_parts import Filter as Filter  # the detail view reads reverse links through filters
from app.records.registry import BY_NAME, RecordType

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


def filters_for(record_type: RecordType) -> dict[str, Filter]:
    """The filter parameters a type's list takes, offered by its fields (worked out once per type)."""
    return _filters(record_type.name)


def filter_field(record_type: RecordType, name: str) -> str:
    """The alias of the field that offers this filter parameter of a type's list."""
    return _offered(record_type.name)[name][1]


@cache
def _filters(type_name: str) -> dict[str, Filter]:
    return {name: flt for name, (flt, _alias) in _offered(type_name).items()}


@cache
def _offered(type_name: str) -> dict[str, tuple[Filter, str]]:
    """Each filter parameter of a type's list with the alias of the field that offers it."""
    record_type = BY_NAME[type_name]
    context = FilterContext(record_type.text_filters, {t.name: t.example_id for t in BY_NAME.values()})
    return {
        flt.name: (flt, stored.alias)
        for stored in record_type.fields
        for flt in stored.filters(SINGULAR.get(stored.alias, stored.alias), context)
    }


def sort_keys_for(record_type: RecordType) -> dict[str, SortKey]:
    """The documented sort keys of a type: id, name, then each sortable field's (worked out once per type)."""
    return _sort_keys(record_type.name)


@cache
def _sort_keys(type_name: str) -> dict[str, SortKey]:
    record_type = BY_NAME[type_name]
    table = record_type.table
    keys = {"id": SortKey("id", table.c.id, False), "name": SortKey("name", table.c.name, False)}
    for stored in record_type.fields:
        key = stored.sort_key(table)
        if key is not None:
            keys[key.name] = key
    return keys


@dataclass
class ListSpec:
    """A parsed list request."""

    filters: dict[str, list[Any]] = field(default_factory=dict)
    """Parsed values per filter parameter."""
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


def cursor_values(spec: ListSpec, row: Mapping[Any, Any]) -> list[Any]:
    """The sort values of a row, as stored in a cursor."""
    return [key.to_cursor(row[key.column.name]) for key, _descending in spec.sort]


def decode_values(spec: ListSpec, values: list[Any]) -> list[Any]:
    """Cursor values back to column values; a 400 when they do not fit the sort."""
    if len(values) != len(spec.sort):
        raise bad("cursor", "this cursor does not fit this list; start again without it")
    decoded: list[Any] = []
    for (key, _descending), value in zip(spec.sort, values, strict=True):
        if value is None and key.nullable:
            decoded.append(None)
            continue
        try:
            decoded.append(key.from_cursor(value))
        except ValueError:
            raise bad("cursor", "this cursor does not fit this list; start again without it") from None
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


Row = Mapping[Any, Any]
"""A row of a page query by column name: SQLAlchemy's, or a plain dict from the driver."""
SHAPES = 512
"""Shapes of page query kept compiled (per worker); beyond, the oldest is compiled again when next asked."""
MAX_BOUND_VALUES = 10
"""A filter with more values than this is no common shape: its query is built per request."""
_SENTINEL_KINDS: dict[type, Callable[[int, int], Any]] = {
    str: lambda run, k: f"\x00{run}:{k}",
    int: lambda run, k: 10**15 + 1000 * run + k,
    float: lambda run, k: 10.0**15 + 1000 * run + k + 0.5,
    dt.date: lambda run, k: dt.date(1001 + run, 1, 1) + dt.timedelta(days=k),
}
"""Stand-ins for a request's values, distinct from each other and from any constant of a query (per run)."""


@dataclass(frozen=True)
class _Prepared:
    """A page query of one shape, compiled once: its SQL, where each parameter comes from, how its keys read."""

    sql: str
    names: tuple[str, ...]
    sources: tuple[tuple[int | None, Any], ...]
    """Per parameter: (index into the request's values, None) or (None, a constant the shape always binds)."""
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool
    columns: tuple[str, ...]
    readers: tuple[tuple[int, Callable[[Any], Any]], ...]
    """(column index, its converter) for the columns the driver does not give as SQLAlchemy would (a date read
    as text on SQLite)."""

    def rows(self, connection: sa.Connection, values: list[Any]) -> list[Row]:
        """The page's key rows for these values (as `_request_values` lists them), as dicts by column name."""
        bound = []
        for (index, constant), process in zip(self.sources, self.processors, strict=True):
            value = constant if index is None else values[index]
            bound.append(value if process is None else process(value))
        params = tuple(bound) if self.positional else dict(zip(self.names, bound, strict=True))
        fetched = driver_rows(connection, self.sql, params)
        if not self.readers:
            return [dict(zip(self.columns, row, strict=True)) for row in fetched]
        rows: list[Row] = []
        for row in fetched:
            read = list(row)
            for i, reader in self.readers:
                if read[i] is not None:
                    read[i] = reader(read[i])
            rows.append(dict(zip(self.columns, read, strict=True)))
        return rows


_PREPARED: Memo[tuple[Any, ...], tuple[_Prepared | None]] = Memo(SHAPES)


def _request_values(spec: ListSpec) -> list[Any]:
    """The values a page query binds, in a fixed order: filters', the dates, the cursor's (its NULLs aside)."""
    values = [value for values in spec.filters.values() for value in values]
    values.extend(v for v in (spec.date_from, spec.date_to, spec.as_of) if v is not None)
    values.extend(v for v in spec.after or () if v is not None)
    return values


def _kind(value: Any) -> str:
    """What of a value a query's SQL may depend on: its type, and a text's `type:` prefix (`actor:x` names a
    type of record)."""
    if isinstance(value, str) and ":" in value:
        return f"str {value.partition(':')[0]}"
    return type(value).__name__


def _stand_in(value: Any, run: int, index: int) -> Any:
    """A value of the same kind (`_kind`) as `value`, distinct for each run and index."""
    made = _SENTINEL_KINDS[type(value)](run, index)
    return f"{value.partition(':')[0]}:{made}" if isinstance(value, str) and ":" in value else made


def _shape(record_type: RecordType, spec: ListSpec, keys_only: bool, values: list[Any]) -> tuple[Any, ...] | None:
    """What a page query's SQL depends on besides its values, or None when it is no common shape (full-text
    `q`, many values to a filter, a value of a kind without stand-ins, whole rows)."""
    if spec.q or not keys_only or any(len(v) > MAX_BOUND_VALUES for v in spec.filters.values()):
        return None
    if any(type(value) not in _SENTINEL_KINDS for value in values):
        return None
    return (
        record_type.name,
        tuple((name, len(v)) for name, v in spec.filters.items()),
        tuple(_kind(value) for value in values),
        tuple(v is None for v in (spec.date_from, spec.date_to, spec.as_of)),
        spec.sort_signature,
        spec.limit,
        None if spec.after is None else tuple(v is None for v in spec.after),
    )


def _with_values(spec: ListSpec, values: list[Any]) -> ListSpec:
    """The same request with other values in the places `_request_values` lists."""
    given = iter(values)
    filters = {name: [next(given) for _ in v] for name, v in spec.filters.items()}
    date_from, date_to, as_of = (None if v is None else next(given) for v in (spec.date_from, spec.date_to, spec.as_of))
    after = None if spec.after is None else [None if v is None else next(given) for v in spec.after]
    return ListSpec(filters, None, date_from, date_to, as_of, spec.sort, spec.limit, after)


def _prepare(record_type: RecordType, spec: ListSpec, values: list[Any], dialect: sa.Dialect) -> _Prepared | None:
    """The shape's query compiled with stand-ins for its values, twice: each parameter must bind one of the
    values as it is or the same constant both times, or the shape is no common one (a filter that turns a
    value into something else: `actor:x`, a text pattern)."""
    compiled = []
    for run in (0, 1):
        stand_ins = [_stand_in(v, run, k) for k, v in enumerate(values)]
        statement = page_query(record_type, _with_values(spec, stand_ins), keys_only=True)
        found = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        compiled.append((found, stand_ins))
    (first, ins0), (second, ins1) = compiled
    if str(first) != str(second):
        return None
    names = tuple(first.positiontup) if first.positiontup is not None else tuple(first.params)
    where = {(repr(a), repr(b)): k for k, (a, b) in enumerate(zip(ins0, ins1, strict=True))}
    sources: list[tuple[int | None, Any]] = []
    for name in names:
        a, b = first.params[name], second.params[name]
        index = where.get((repr(a), repr(b)))
        if index is not None:
            sources.append((index, None))
        elif a == b and type(a) is type(b):
            sources.append((None, a))
        else:
            return None
    if {index for index, _ in sources if index is not None} != set(range(len(values))):
        return None
    processors: list[Callable[[Any], Any] | None] = []
    for name in names:
        process = first._bind_processors.get(name)
        if process is not None and not callable(process):
            return None  # a tuple's processors: no shape this engine makes
        processors.append(process)
    columns = [key.column for key, _descending in spec.sort]
    readers = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
    return _Prepared(
        sql=str(first),
        names=names,
        sources=tuple(sources),
        processors=tuple(processors),
        positional=first.positiontup is not None,
        columns=tuple(c.name for c in columns),
        readers=tuple((i, reader) for i, reader in enumerate(readers) if reader is not None),
    )


def page_rows(connection: sa.Connection, record_type: RecordType, spec: ListSpec, keys_only: bool = False) -> list[Row]:
    """The rows of `page_query`. A common shape of question (which filters with how many values, the dates, the
    sort, the limit, a cursor or not) runs as SQL compiled once and its values bound through the driver: building,
    compiling and executing the statement through SQLAlchemy cost ten times the keyset query itself."""
    values = _request_values(spec)
    shape = _shape(record_type, spec, keys_only, values)
    if shape is not None:
        dialect = connection.dialect
        (prepared,) = _PREPARED.get((dialect.name, *shape), lambda: (_prepare(record_type, spec, values, dialect),))
        if prepared is not None:
            return prepared.rows(connection, values)
    return list(connection.execute(page_query(record_type, spec, keys_only)).mappings())


def count_query(record_type: RecordType, spec: ListSpec) -> sa.Select[Any]:
    """How many records match, across all pages."""
    return sa.select(sa.func.count()).select_from(record_type.table).where(*conditions(record_type, spec))


def facets_for(record_type: RecordType) -> dict[str, Facet]:
    """What `facets=` can count by: what the fields offer (enums, single references, tags), then the main
    date's year (worked out once per type)."""
    return _facets(record_type.name)


@cache
def _facets(type_name: str) -> dict[str, Facet]:
    record_type = BY_NAME[type_name]
    table = record_type.table
    facets: dict[str, Facet] = {}
    for stored in record_type.fields:
        facet = stored.facet(table)
        if facet is not None:
            facets[SINGULAR.get(stored.alias, stored.alias)] = facet
    if record_type.main_date:
        facets["year"] = Facet(sa.extract("year", table.c[record_type.main_date]), table, table.c.id)
    return facets


def facet_names(record_type: RecordType) -> list[str]:
    """The names `facets=` takes."""
    return list(facets_for(record_type))


def facet_query(record_type: RecordType, spec: ListSpec, name: str) -> sa.Select[Any]:
    """Counts per value of one facet over the filtered set, largest first."""
    table = record_type.table
    matching = sa.select(table.c.id).where(*conditions(record_type, spec)).subquery()
    facet = facets_for(record_type)[name]
    return (
        sa.select(facet.value.label("value"), sa.func.count().label("n"))
        .select_from(facet.source)
        .where(facet.record_id.in_(sa.select(matching.c.id)))
        .group_by(facet.value)
        .order_by(sa.func.count().desc(), facet.value)
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
            if not flt.targets or flt.text_allowed:
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
    """Whether a record of this type has this id (asked of every filter value that names a record): through
    the names' look-up compiled once per type, not a statement built and compiled per request (three times the
    indexed look-up)."""
    return record_id in display_names(connection, {record_type: {record_id}})[record_type]


def suggest_id(connection: sa.Connection, candidates: list[tuple[str, str]]) -> str:
    """The closest id among the candidate types, when they are small enough to scan."""
    ids: list[str] = []
    for record_type, _record_id in candidates:
        table = BY_NAME[record_type].table
        if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() <= SUGGESTION_LIMIT:
            ids.extend(connection.execute(sa.select(table.c.id)).scalars())
    return did_you_mean(candidates[0][1], ids)


Batches = Iterator[list[Row]]


def iter_pages(
    connection: sa.Connection, record_type: RecordType, spec: ListSpec, batch: int = 1000, keys_only: bool = False
) -> Batches:
    """Every matching row (or its sort keys only), batch by batch along the keyset (exports: constant memory,
    no OFFSET)."""
    paged = ListSpec(**{**spec.__dict__, "limit": batch, "after": spec.after})
    while True:
        rows = page_rows(connection, record_type, paged, keys_only)
        more = len(rows) > batch
        rows = rows[:batch]
        if rows:
            yield rows
        if not more:
            return
        paged.after = decode_values(paged, cursor_values(paged, rows[-1]))
