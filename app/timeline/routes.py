"""GET /v1/timeline: thin — parse, call, render."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.responses import Response

from app.core.csv_twin import add_csv_twin
from app.core.deps import DatabaseDep
from app.core.openapi import LIST_RESPONSES
from app.core.pagination import encode_cursor
from app.core.render import item_cells
from app.core.responses import Export, list_response
from app.timeline.queries import all_events
from app.timeline.schemas import TimelinePage
from app.timeline.service import CSV_COLUMNS, PARAMETERS, check_actors, checked_page, flat_event, parse_timeline

router = APIRouter(prefix="/v1", tags=["timeline"])


@router.get(
    "/timeline",
    response_model=TimelinePage,
    responses=LIST_RESPONSES,
    summary="Dated events across every type, in date order",
    operation_id="get_timeline",
    openapi_extra={"parameters": PARAMETERS.openapi()},
)
async def get_timeline(request: Request, database: DatabaseDep) -> Response:
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


add_csv_twin(
    router,
    "/timeline",
    get_timeline,
    PARAMETERS,
    what="event of the timeline",
    operation_id="get_timeline_csv",
    tags=["timeline"],
)
