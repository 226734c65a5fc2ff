"""Parse a timeline request strictly; flatten events for CSV."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from starlette.datastructures import QueryParams

from app.core.pagination import decode_cursor
from app.core.params import bad, parse_bool, parse_choice, parse_date_bound, parse_int, reject_unknown, split_list
from app.records.listing import record_exists, suggest_id
from app.timeline.queries import BY_KIND, EVENT_KINDS, EVENT_TYPES, TimelineSpec, timeline_page

PARAMETERS = ("from", "to", "actor", "type", "kind", "tag", "sort", "limit", "cursor", "count", "format")
SORTS = ("date", "-date")
MAX_LIMIT = 500


def _cursor_after(values: list[Any]) -> tuple[dt.date, str, str, str]:
    unfit = bad("cursor", "this cursor does not fit this timeline; start again without it")
    if len(values) != 4 or not all(isinstance(v, str) for v in values) or values[1] not in BY_KIND:
        raise unfit
    try:
        day = dt.date.fromisoformat(values[0])
    except ValueError:
        raise unfit from None
    return day, values[1], values[2], values[3]


def parse_timeline(params: QueryParams, cursor_secret: str) -> TimelineSpec:
    """A timeline request from its query string; anything unknown or malformed is a 400."""
    reject_unknown(params, PARAMETERS)
    spec = TimelineSpec()
    types = [parse_choice("type", t, EVENT_TYPES) for t in split_list(params.getlist("type"))]
    kinds = [parse_choice("kind", k, BY_KIND) for k in split_list(params.getlist("kind"))]
    for kind in kinds:
        if types and BY_KIND[kind].record_type.name not in types:
            raise bad(
                "kind", f"'{kind}' is an event of {BY_KIND[kind].record_type.plural}, not of type={','.join(types)}"
            )
    spec.kinds = [
        k.name for k in EVENT_KINDS if (not kinds or k.name in kinds) and (not types or k.record_type.name in types)
    ]
    spec.actors = split_list(params.getlist("actor"))
    spec.tags = split_list(params.getlist("tag"))
    if "from" in params:
        spec.date_from = parse_date_bound("from", params["from"])
    if "to" in params:
        spec.date_to = parse_date_bound("to", params["to"], end=True)
    if spec.date_from and spec.date_to and spec.date_from > spec.date_to:
        raise bad("to", "is before `from`")
    spec.descending = parse_choice("sort", params.get("sort", "date"), SORTS) == "-date"
    if "limit" in params:
        spec.limit = parse_int("limit", params["limit"], minimum=1, maximum=MAX_LIMIT)
    if "count" in params:
        spec.count = parse_bool("count", params["count"])
    if "cursor" in params:
        spec.after = _cursor_after(decode_cursor(cursor_secret, params["cursor"], spec.sort))
    return spec


def check_actors(connection: sa.Connection, spec: TimelineSpec) -> None:
    """A 400 naming an `actor` that is not an actor id, with the closest one."""
    for actor in spec.actors:
        if not record_exists(connection, "actor", actor):
            raise bad("actor", f"no actor with id '{actor[:100]}'{suggest_id(connection, [('actor', actor)])}")


def checked_page(
    connection: sa.Connection, spec: TimelineSpec
) -> tuple[list[dict[str, Any]], list[str] | None, int | None]:
    """One page of events, after checking the `actor` ids."""
    check_actors(connection, spec)
    return timeline_page(connection, spec)


CSV_COLUMNS = [
    "date",
    "kind",
    "type",
    "id",
    "name",
    "record_kind",
    "status",
    "purpose",
    "system",
    "jurisdiction",
    "country",
    "speaker",
    "maker",
    "dependent",
    "depends_on",
]


def flat_event(event: dict[str, Any]) -> dict[str, Any]:
    """One CSV row: the record's fields beside the event's, references as ids (`type:id` for `dependent`)."""
    context = event["context"]
    row = {
        "date": event["date"],
        "kind": event["kind"],
        **event["record"],
        "record_kind": context.get("kind"),
    }
    row.update({k: v for k, v in context.items() if k != "kind"})
    return row
