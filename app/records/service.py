"""List and detail requests for any record type: parse the query string, run the queries, shape the page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import sqlalchemy as sa
from starlette.datastructures import QueryParams

from app.core.deps import Lane
from app.core.pagination import decode_cursor, encode_cursor
from app.core.params import (
    CURSOR,
    FROM,
    TEXT_SCHEMA,
    TO,
    Many,
    One,
    Parameters,
    bad,
    choice,
    count,
    date,
    date_range,
    page_limit,
    text,
    verbatim,
)
from app.core.render import FORMAT
from app.records.citation import CITATION_FORMATS
from app.records.history import VERSION
from app.records.items import items_from_rows
from app.records.list_parts import SortKey
from app.records.listing import (
    ListSpec,
    Row,
    check_references,
    count_query,
    cursor_values,
    decode_values,
    facet_names,
    facet_query,
    filters_for,
    iter_pages,
    page_rows,
    parse_sort,
    sort_keys_for,
)
from app.records.registry import BY_NAME, RecordType

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
LIMIT = page_limit("records", default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
COUNT = count("records")
DETAIL_FORMAT = choice(
    "format",
    ("json", *CITATION_FORMATS),
    "json (default), or the record's citation: csl (CSL-JSON, for Zotero, Pandoc and citeproc) or bibtex.",
    example="csl",
)
DETAIL_PARAMETERS = Parameters(DETAIL_FORMAT, VERSION)
"""What `GET /v1/{plural}/{id}` takes."""


@dataclass(frozen=True)
class ListParameters:
    """What a type's list takes: its filters (from its fields), then the parameters every list has."""

    filters: dict[str, Many[str]]
    q: One[str]
    date_from: One[dt.date]
    date_to: One[dt.date]
    as_of: One[dt.date] | None
    """Only where records have a validity window."""
    sort: One[list[tuple[SortKey, bool]]]
    facets: Many[str]

    @cached_property
    def all(self) -> Parameters:
        """Every declaration, in the order the documentation lists them."""
        dates = [p for p in (self.date_from, self.date_to, self.as_of) if p is not None]
        return Parameters(*self.filters.values(), self.q, *dates, self.sort, LIMIT, CURSOR, COUNT, self.facets, FORMAT)


def list_parameters(record_type: RecordType) -> ListParameters:
    """The declared parameters of a type's list (worked out once per type)."""
    return _list_parameters(record_type.name)


@cache
def _list_parameters(type_name: str) -> ListParameters:
    record_type = BY_NAME[type_name]
    filters = {}
    for name, flt in filters_for(record_type).items():
        schema, description, example = flt.documented()
        filters[name] = Many(name=name, description=description, schema=schema, example=example, parse=verbatim)
    main, sorts, facets = record_type.main_date, list(sort_keys_for(record_type)), facet_names(record_type)

    def sort(field: str, value: str) -> list[tuple[SortKey, bool]]:
        return parse_sort(record_type, value)

    def facet(field: str, value: str) -> str:
        if value not in facets:
            raise bad(field, f"cannot count {record_type.plural} by '{value[:60]}'; facets: {', '.join(facets)}")
        return value

    as_of = None
    if record_type.valid_from is not None:
        as_of = date("as_of", f"Keep records valid on this date: {record_type.valid_from} on or before it (or "
                     f"unknown) and {record_type.valid_to} after it (or unknown).", example="2023-10-17")  # fmt: skip
    sort_help = (
        f"Comma list of fields, `-` for descending; ties by id. Sortable: {', '.join(sorts)}. "
        f"Default: {record_type.default_sort}."
    )
    return ListParameters(
        filters=filters,
        q=text("q", "Text to look for in names, aliases, other-language names and text.", example="export", blank=True),
        date_from=FROM.described(f"Keep records whose {main} is on or after this date (2018, 2018-07 or 2018-07-20)."),
        date_to=TO.described(
            f"Keep records whose {main} is on or before this date; 2018 means up to 2018-12-31.", example="2019-06"
        ),
        as_of=as_of,
        sort=One(name="sort", description=sort_help, schema=TEXT_SCHEMA, example=record_type.default_sort, parse=sort),
        facets=Many(
            name="facets",
            description=f"Comma list of fields to count by: {', '.join(facets)}.",
            schema=TEXT_SCHEMA,
            example=facets[0],
            parse=facet,
        ),
    )


def parse_list(record_type: RecordType, params: QueryParams, cursor_secret: str) -> ListSpec:
    """A list request from its query string; any unknown name or bad value is a 400 that says why."""
    declared = list_parameters(record_type)
    declared.all.check(params)
    spec = ListSpec()
    filters = filters_for(record_type)
    for name, values in ((n, p.get(params)) for n, p in declared.filters.items()):
        if values:
            spec.filters[name] = filters[name].parse(values)
    spec.q = (declared.q.get(params) or "").strip() or None
    spec.date_from, spec.date_to = date_range(params, declared.date_from, declared.date_to)
    if declared.as_of is not None:
        spec.as_of = declared.as_of.get(params)
    spec.sort = declared.sort.get(params) or parse_sort(record_type, record_type.default_sort)
    spec.limit = LIMIT.get(params, spec.limit)
    spec.count = COUNT.get(params, spec.count)
    spec.facets = declared.facets.get(params)
    cursor = CURSOR.get(params)
    if cursor is not None:
        spec.after = decode_values(spec, decode_cursor(cursor_secret, cursor, spec.sort_signature))
    return spec


@dataclass(frozen=True)
class ItemReader:
    """How a page's rows become its items: rendered as dicts (`RENDERED`), or the stored JSON the API sends
    (`app.records.documents.STORED`)."""

    read: Callable[[sa.Connection, RecordType, Sequence[Row]], list[Any]]
    keys_only: bool = False
    """True when `read` needs of each row only its sort keys (and so its id), not the whole row."""


RENDERED = ItemReader(items_from_rows)


def list_page(
    connection: sa.Connection,
    record_type: RecordType,
    spec: ListSpec,
    cursor_secret: str,
    items: ItemReader = RENDERED,
) -> dict[str, Any]:
    """One page: items, the next cursor, and the total and facets when asked for."""
    check_references(connection, record_type, spec)
    rows = page_rows(connection, record_type, spec, items.keys_only)
    next_cursor = None
    if len(rows) > spec.limit:
        rows = rows[: spec.limit]
        next_cursor = encode_cursor(cursor_secret, spec.sort_signature, cursor_values(spec, rows[-1]))
    page: dict[str, Any] = {
        "items": items.read(connection, record_type, rows),
        "next_cursor": next_cursor,
        "total": connection.execute(count_query(record_type, spec)).scalar_one() if spec.count else None,
    }
    if spec.facets:
        page["facets"] = {
            name: {
                ("(none)" if value is None else str(value)): n
                for value, n in connection.execute(facet_query(record_type, spec, name)).all()
            }
            for name in spec.facets
        }
    return page


def page_lane(spec: ListSpec) -> Lane:
    """Where a page is read: on the event loop (`inline`, SQLite only, given up after INLINE_LIMIT_MS and read
    again in a thread) when it is a keyset read along an index and a join of stored items, as a record is;
    in a worker thread when it searches text (`q`) or counts (`count`, `facets`): work that grows with the
    matches."""
    return "read" if spec.q or spec.count or spec.facets else "inline"


def all_items(
    connection: sa.Connection, record_type: RecordType, spec: ListSpec, items: ItemReader = RENDERED
) -> Iterator[list[Any]]:
    """Every matching item, batch by batch (exports ignore `limit`)."""
    for rows in iter_pages(connection, record_type, spec, keys_only=items.keys_only):
        yield items.read(connection, record_type, rows)
