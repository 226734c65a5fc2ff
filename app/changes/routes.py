"""GET /v1/changes: thin — parse, call, render."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.changes.queries import all_changes, changes_page
from app.changes.schemas import ChangesPage
from app.changes.service import ACTIONS, CURSOR_SORT, parse_changes
from app.core.deps import DatabaseDep
from app.core.pagination import encode_cursor
from app.core.render import item_cells
from app.core.responses import Export, list_response
from app.records.fields import RECORD_TYPES
from app.records.routes import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1", tags=["changes"])

CSV_COLUMNS = ["version", "type", "id", "action", "changed_at", "href"]


@router.get(
    "/changes",
    response_model=ChangesPage,
    responses={400: PROBLEM_RESPONSES[400], 200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
    summary="What changed since a version or a time",
    operation_id="list_changes",
)
async def list_changes(
    request: Request,
    database: DatabaseDep,
    since: Annotated[
        str | None,
        Query(
            description="Only changes after this: a dataset version (an integer, as in `GET /v1` or this feed's "
            "`version`) or an ISO 8601 timestamp (`2025-01-31T12:00:00Z`; without a zone it is UTC). "
            "Left out: the whole log.",
            examples=["3"],
            json_schema_extra={"maxLength": 40},
        ),
    ] = None,
    type: Annotated[
        list[str] | None,
        Query(
            description="Only records of this type (repeat for OR).",
            examples=["policy"],
            json_schema_extra={"items": {"type": "string", "enum": list(RECORD_TYPES)}},
        ),
    ] = None,
    action: Annotated[
        list[str] | None,
        Query(
            description=f"Only these actions (repeat for OR): {', '.join(ACTIONS)}.",
            examples=["deleted"],
            json_schema_extra={"items": {"type": "string", "enum": list(ACTIONS)}},
        ),
    ] = None,
    limit: Annotated[
        int | None,
        Query(
            description="Entries per page, 1 to 500 (default 50). CSV and NDJSON ignore it.",
            examples=[100],
            json_schema_extra={"minimum": 1, "maximum": 500},
        ),
    ] = None,
    cursor: Annotated[
        str | None, Query(description="The `next_cursor` of the previous page (opaque; only the API makes them).")
    ] = None,
    format: Annotated[
        str | None,
        Query(
            description="json (default), csv or ndjson; or use the Accept header.",
            examples=["ndjson"],
            json_schema_extra={"enum": ["json", "csv", "ndjson"]},
        ),
    ] = None,
) -> Response:
    """Every load and write appends to the change log: one entry per record created, updated or deleted, with
    the dataset version it produced and when (UTC). Deleted records stay in the feed as tombstones. Pages
    follow the log's order (keyset on its sequence, so entries written while you page are never skipped).

    To mirror the dataset: fetch every page once, remember `version`, then poll with `since=<version>`."""
    secret = request.app.state.settings.techsov_cursor_secret
    spec = parse_changes(request.query_params, secret)

    def page(connection: sa.Connection) -> dict[str, Any]:
        items, next_seq, version = changes_page(connection, spec)
        next_cursor = None if next_seq is None else encode_cursor(secret, CURSOR_SORT, [next_seq])
        return {"items": items, "next_cursor": next_cursor, "version": version}

    export = Export(
        filename="techsov-changes",
        columns=CSV_COLUMNS,
        csv=lambda c: item_cells(CSV_COLUMNS, set(), all_changes(c, spec)),
        ndjson=lambda c: all_changes(c, spec),
    )
    return await list_response(request, database, page, export)
