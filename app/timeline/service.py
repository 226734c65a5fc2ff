"""Parse a timeline request strictly; flatten events for CSV."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from starlette.datastructures import QueryParams

from app.core.pagination import decode_cursor
from app.core.params import (
    CURSOR,
    FROM,
    TO,
    Parameters,
    bad,
    choice,
    choices,
    count,
    date_range,
    page_limit,
    texts,
)
from app.core.render import FORMAT
from app.records.listing import record_exists, suggest_id
from app.timeline.queries import BY_KIND, EVENT_KINDS, EVENT_TYPES, TimelineSpec, timeline_page

SORTS = ("date", "-date")
MAX_LIMIT = 500
_KINDS = "; ".join(f"`{k.name}`: {k.description}" for k in EVENT_KINDS)

DATE_FROM = FROM.described("Events on or after this date: 2018, 2018-07 or 2018-07-20.")
DATE_TO = TO.described("Events on or before this date; a partial date means its last day (2018: to 2018-12-31).")
ACTOR = texts(
    "actor",
    "Events an actor takes part in, in any role: a policy it issues, targets or is the jurisdiction of, a statement "
    "it makes, hardware it makes or fabs, a dependency it has, and its own founding and dissolution (repeat for OR).",
    example="huawei",
)
TYPE = choices(
    "type", EVENT_TYPES, f"Events of records of this type (repeat for OR): {', '.join(EVENT_TYPES)}.", example="policy"
)
KIND = choices("kind", BY_KIND, f"Events of this kind (repeat for OR). {_KINDS}.", example="policy.effective")
TAG = texts("tag", "Events of records with this tag (repeat for OR).", example="export-controls")
SORT = choice(
    "sort",
    SORTS,
    "`date` (oldest first, default) or `-date` (newest first). Events on the same day are ordered by kind, type "
    "and id, in the same direction.",
    example="-date",
)
LIMIT = page_limit("events", default=50, maximum=MAX_LIMIT)
COUNT = count("events")
PARAMETERS = Parameters(DATE_FROM, DATE_TO, ACTOR, TYPE, KIND, TAG, SORT, LIMIT, CURSOR, COUNT, FORMAT)


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
    PARAMETERS.check(params)
    spec = TimelineSpec()
    types, kinds = TYPE.get(params), KIND.get(params)
    for kind in kinds:
        if types and BY_KIND[kind].record_type.name not in types:
            raise bad(
                "kind", f"'{kind}' is an event of {BY_KIND[kind].record_type.plural}, not of type={','.join(types)}"
            )
    spec.kinds = [
        k.name for k in EVENT_KINDS if (not kinds or k.name in kinds) and (not types or k.record_type.name in types)
    ]
    spec.actors = ACTOR.get(params)
    spec.tags = TAG.get(params)
    spec.date_from, spec.date_to = date_range(params, DATE_FROM, DATE_TO)
    spec.descending = SORT.get(params, "date") == "-date"
    spec.limit = LIMIT.get(params, spec.limit)
    spec.count = COUNT.get(params, spec.count)
    cursor = CURSOR.get(params)
    if cursor is not None:
        spec.after = _cursor_after(decode_cursor(cursor_secret, cursor, spec.sort))
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
