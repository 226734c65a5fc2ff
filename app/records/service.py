"""List and detail requests for any record type: parse the query string, run the queries, shape the page."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from starlette.datastructures import QueryParams

from app.core.pagination import decode_cursor, encode_cursor
from app.core.params import (
    bad,
    check_text,
    parse_bool,
    parse_date_bound,
    parse_int,
    reject_unknown,
    split_list,
)
from app.records.items import items_from_rows
from app.records.listing import (
    ListSpec,
    check_references,
    count_query,
    cursor_values,
    decode_values,
    facet_names,
    facet_query,
    filters_for,
    iter_pages,
    page_query,
    parse_sort,
)
from app.records.registry import RecordType

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


def common_parameters(record_type: RecordType) -> list[str]:
    """Parameters every list takes (as_of only where records have a validity window)."""
    names = ["q", "from", "to", "sort", "limit", "cursor", "count", "facets", "format"]
    if record_type.valid_from is not None:
        names.insert(3, "as_of")
    return names


def allowed_parameters(record_type: RecordType) -> list[str]:
    """Every parameter a type's list takes."""
    return [*filters_for(record_type), *common_parameters(record_type)]


def parse_list(record_type: RecordType, params: QueryParams, cursor_secret: str) -> ListSpec:
    """A list request from its query string; any unknown name or bad value is a 400 that says why."""
    reject_unknown(params, allowed_parameters(record_type))
    spec = ListSpec()
    for name in filters_for(record_type):
        values = split_list(params.getlist(name))
        if values:
            spec.filters[name] = values
    if "q" in params:
        spec.q = check_text("q", params["q"]).strip() or None
    if "from" in params:
        spec.date_from = parse_date_bound("from", params["from"])
    if "to" in params:
        spec.date_to = parse_date_bound("to", params["to"], end=True)
    if spec.date_from and spec.date_to and spec.date_from > spec.date_to:
        raise bad("to", "is before `from`")
    if "as_of" in params:
        spec.as_of = parse_date_bound("as_of", params["as_of"])
    spec.sort = parse_sort(record_type, params.get("sort", record_type.default_sort))
    if "limit" in params:
        spec.limit = parse_int("limit", params["limit"], minimum=1, maximum=MAX_LIMIT)
    if "count" in params:
        spec.count = parse_bool("count", params["count"])
    if "facets" in params:
        allowed = facet_names(record_type)
        for name in split_list(params.getlist("facets")):
            if name not in allowed:
                raise bad("facets", f"cannot count {record_type.plural} by '{name[:60]}'; facets: {', '.join(allowed)}")
            spec.facets.append(name)
    if "cursor" in params:
        values = decode_cursor(cursor_secret, params["cursor"], spec.sort_signature)
        spec.after = decode_values(spec, values)
    return spec


@dataclass(frozen=True)
class ItemReader:
    """How a page's rows become its items: rendered as dicts (`RENDERED`), or the stored JSON the API sends
    (`app.records.documents.STORED`)."""

    read: Callable[[sa.Connection, RecordType, Sequence[sa.RowMapping]], list[Any]]
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
    rows = list(connection.execute(page_query(record_type, spec, items.keys_only)).mappings())
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


def all_items(
    connection: sa.Connection, record_type: RecordType, spec: ListSpec, items: ItemReader = RENDERED
) -> Iterator[list[Any]]:
    """Every matching item, batch by batch (exports ignore `limit`)."""
    for rows in iter_pages(connection, record_type, spec, keys_only=items.keys_only):
        yield items.read(connection, record_type, rows)
