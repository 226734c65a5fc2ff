"""GET /v1/timeline: thin — parse, call, render."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.core.deps import DatabaseDep
from app.core.openapi import DATE_SCHEMA
from app.core.pagination import encode_cursor
from app.core.render import item_cells
from app.core.responses import Export, list_response
from app.records.routes import PROBLEM_RESPONSES
from app.timeline.queries import EVENT_KINDS, EVENT_TYPES, all_events
from app.timeline.schemas import TimelinePage
from app.timeline.service import CSV_COLUMNS, check_actors, checked_page, flat_event, parse_timeline

router = APIRouter(prefix="/v1", tags=["timeline"])

_KINDS = "; ".join(f"`{k.name}`: {k.description}" for k in EVENT_KINDS)


@router.get(
    "/timeline",
    response_model=TimelinePage,
    responses={400: PROBLEM_RESPONSES[400], 200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
    summary="Dated events across every type, in date order",
    operation_id="get_timeline",
)
async def get_timeline(
    request: Request,
    database: DatabaseDep,
    from_: Annotated[
        str | None,
        Query(
            alias="from",
            description="Events on or after this date: 2018, 2018-07 or 2018-07-20.",
            examples=["2018"],
            json_schema_extra=DATE_SCHEMA,
        ),
    ] = None,
    to: Annotated[
        str | None,
        Query(
            description="Events on or before this date; a partial date means its last day (2018: to 2018-12-31).",
            examples=["2018"],
            json_schema_extra=DATE_SCHEMA,
        ),
    ] = None,
    actor: Annotated[
        list[str] | None,
        Query(
            description="Events an actor takes part in, in any role: a policy it issues, targets or is the "
            "jurisdiction of, a statement it makes, hardware it makes or fabs, a dependency it has, and its own "
            "founding and dissolution (repeat for OR).",
            examples=["huawei"],
        ),
    ] = None,
    type: Annotated[
        list[str] | None,
        Query(
            description=f"Events of records of this type (repeat for OR): {', '.join(EVENT_TYPES)}.",
            examples=["policy"],
            json_schema_extra={"items": {"type": "string", "enum": list(EVENT_TYPES)}},
        ),
    ] = None,
    kind: Annotated[
        list[str] | None,
        Query(
            description=f"Events of this kind (repeat for OR). {_KINDS}.",
            examples=["policy.effective"],
            json_schema_extra={"items": {"type": "string", "enum": [k.name for k in EVENT_KINDS]}},
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        Query(description="Events of records with this tag (repeat for OR).", examples=["export-controls"]),
    ] = None,
    sort: Annotated[
        str | None,
        Query(
            description="`date` (oldest first, default) or `-date` (newest first). Events on the same day are "
            "ordered by kind, type and id, in the same direction.",
            examples=["-date"],
            json_schema_extra={"enum": ["date", "-date"]},
        ),
    ] = None,
    limit: Annotated[
        int | None,
        Query(
            description="Events per page, 1 to 500 (default 50). CSV and NDJSON ignore it.",
            examples=[50],
            json_schema_extra={"minimum": 1, "maximum": 500},
        ),
    ] = None,
    cursor: Annotated[
        str | None, Query(description="The `next_cursor` of the previous page (opaque; only the API makes them).")
    ] = None,
    count: Annotated[
        bool | None, Query(description="Add `total`, the number of matching events.", examples=[True])
    ] = None,
    format: Annotated[
        str | None,
        Query(
            description="json (default), csv or ndjson; or use the Accept header.",
            examples=["csv"],
            json_schema_extra={"enum": ["json", "csv", "ndjson"]},
        ),
    ] = None,
) -> Response:
    """Dated events merged across types: policies announced, taking effect and ending; statements made;
    hardware released; dependencies beginning and ending; actors founded and dissolved.

    Each event gives its date as the record gives it (`2023-11` stays a month; it sorts as its first day),
    its kind, the record (id, type, name) and a little context (a policy's kind, status and jurisdiction, a
    statement's speaker …). Records without the date are not events: a policy with no `effective_on` has no
    `policy.effective` event. Keyset pages as on every list; `format=csv|ndjson` streams every event."""
    secret = request.app.state.settings.techsov_cursor_secret
    spec = parse_timeline(request.query_params, secret)

    def page(connection: sa.Connection) -> dict[str, Any]:
        items, next_key, total = checked_page(connection, spec)
        next_cursor = None if next_key is None else encode_cursor(secret, spec.sort, next_key)
        return {"items": items, "next_cursor": next_cursor, "total": total}

    export = Export(
        filename="techsov-timeline",
        columns=CSV_COLUMNS,
        csv=lambda c: item_cells(CSV_COLUMNS, {"dependent"}, flat_events(all_events(c, spec))),
        ndjson=lambda c: all_events(c, spec),
        check=lambda c: check_actors(c, spec),
    )
    return await list_response(request, database, page, export)


def flat_events(batches: Iterator[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    """Events as CSV rows, batch by batch."""
    for batch in batches:
        yield [flat_event(e) for e in batch]
