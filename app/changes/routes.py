"""GET /v1/changes: thin — parse, call, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from app.changes.queries import all_changes, changes_page
from app.changes.schemas import ChangesPage
from app.changes.service import ACTIONS, CURSOR_SORT, parse_changes
from app.core.caching import cache_headers, freshness
from app.core.deps import DatabaseDep
from app.core.pagination import encode_cursor
from app.core.render import MEDIA_TYPES, Format, csv_lines, json_bytes, ndjson_lines, negotiate
from app.records.routes import PROBLEM_RESPONSES
from app.records.service import next_link

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
        ),
    ] = None,
    type: Annotated[
        list[str] | None,
        Query(description="Only records of this type (repeat for OR).", examples=["policy"]),
    ] = None,
    action: Annotated[
        list[str] | None,
        Query(description=f"Only these actions (repeat for OR): {', '.join(ACTIONS)}.", examples=["deleted"]),
    ] = None,
    limit: Annotated[
        int | None,
        Query(description="Entries per page, 1 to 500 (default 50). CSV and NDJSON ignore it.", examples=[100]),
    ] = None,
    cursor: Annotated[
        str | None, Query(description="The `next_cursor` of the previous page.", examples=["eyJ..."])
    ] = None,
    format: Annotated[
        str | None, Query(description="json (default), csv or ndjson; or use the Accept header.", examples=["ndjson"])
    ] = None,
) -> Response:
    """Every load and write appends to the change log: one entry per record created, updated or deleted, with
    the dataset version it produced and when (UTC). Deleted records stay in the feed as tombstones. Pages
    follow the log's order (keyset on its sequence, so entries written while you page are never skipped).

    To mirror the dataset: fetch every page once, remember `version`, then poll with `since=<version>`."""
    settings = request.app.state.settings
    spec = parse_changes(request.query_params, settings.techsov_cursor_secret)
    fmt: Format = negotiate(request.query_params.get("format"), request.headers.get("accept"))
    etag, unchanged = await freshness(request, database, fmt)
    if unchanged is not None:
        return unchanged
    headers = cache_headers(etag)
    if fmt != "json":
        headers["Content-Disposition"] = f'attachment; filename="techsov-changes.{fmt}"'
        batches = database.stream(lambda c: all_changes(c, spec))
        body = csv_lines(CSV_COLUMNS, set(), batches) if fmt == "csv" else ndjson_lines(batches)
        return StreamingResponse(body, media_type=MEDIA_TYPES[fmt], headers=headers)
    items, next_seq, version = await database.read(lambda c: changes_page(c, spec))
    next_cursor = None
    if next_seq is not None:
        next_cursor = encode_cursor(settings.techsov_cursor_secret, CURSOR_SORT, [next_seq])
        link = next_link(settings.techsov_base_url, request.url.path, request.query_params, next_cursor)
        headers["Link"] = f'<{link}>; rel="next"'
    page = {"items": items, "next_cursor": next_cursor, "version": version}
    return Response(json_bytes(page), media_type=MEDIA_TYPES["json"], headers=headers)
