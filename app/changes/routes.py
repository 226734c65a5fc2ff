"""GET /v1/changes: thin — parse, call, render."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.responses import Response

from app.changes.queries import all_changes, changes_page
from app.changes.schemas import ChangesPage
from app.changes.service import CURSOR_SORT, PARAMETERS, parse_changes
from app.core.csv_twin import add_csv_twin
from app.core.deps import DatabaseDep
from app.core.openapi import LIST_RESPONSES
from app.core.pagination import encode_cursor
from app.core.render import item_cells
from app.core.responses import Export, list_response

router = APIRouter(prefix="/v1", tags=["changes"])

CSV_COLUMNS = ["version", "type", "id", "action", "changed_at", "href"]


@router.get(
    "/changes",
    response_model=ChangesPage,
    responses=LIST_RESPONSES,
    summary="What changed since a version or a time",
    operation_id="list_changes",
    openapi_extra={"parameters": PARAMETERS.openapi()},
)
async def list_changes(request: Request, database: DatabaseDep) -> Response:
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


add_csv_twin(
    router,
    "/changes",
    list_changes,
    PARAMETERS,
    what="change",
    operation_id="list_changes_csv",
    tags=["changes"],
)
