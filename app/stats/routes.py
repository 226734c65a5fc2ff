"""GET /v1/stats: thin — parse, call, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.core.caching import cache_headers, read_fresh
from app.core.deps import DatabaseDep
from app.core.openapi import DATE_SCHEMA
from app.core.render import MEDIA_TYPES, Format, csv_lines, json_bytes, ndjson_lines, negotiate
from app.records.fields import RECORD_TYPES
from app.records.routes import PROBLEM_RESPONSES
from app.stats.queries import counts, ordered
from app.stats.schemas import Stats
from app.stats.service import long_rows, parse_stats, stats_body

router = APIRouter(prefix="/v1", tags=["stats"])

CSV_COLUMNS = ["dimension", "value", "count", "label"]


@router.get(
    "/stats",
    response_model=Stats,
    responses={400: PROBLEM_RESPONSES[400], 200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
    summary="Counts by type, kind, status, year, jurisdiction and country",
    operation_id="get_stats",
)
async def get_stats(
    request: Request,
    database: DatabaseDep,
    type: Annotated[
        list[str] | None,
        Query(
            description="Count only these types (repeat or comma list for several). Default: all.",
            examples=["policy"],
            json_schema_extra={"items": {"type": "string", "enum": list(RECORD_TYPES)}},
        ),
    ] = None,
    from_: Annotated[
        str | None,
        Query(
            alias="from",
            description="Only records whose main date (effective_on, said_on, released_on, "
            "valid_from, founded_on, published_on) is on or after this date: 2018, 2018-07 or 2018-07-20. "
            "Records without that date are then left out.",
            examples=["2018"],
            json_schema_extra=DATE_SCHEMA,
        ),
    ] = None,
    to: Annotated[
        str | None,
        Query(
            description="Only records whose main date is on or before this date; 2019 means up to 2019-12-31.",
            examples=["2019"],
            json_schema_extra=DATE_SCHEMA,
        ),
    ] = None,
    tag: Annotated[
        list[str] | None, Query(description="Only records with this tag (repeat for OR).", examples=["export-controls"])
    ] = None,
    format: Annotated[
        str | None,
        Query(
            description="json (default); csv or ndjson give long-format rows `dimension,value,count,label`.",
            examples=["csv"],
            json_schema_extra={"enum": ["json", "csv", "ndjson"]},
        ),
    ] = None,
) -> Response:
    """How many records there are per type and, within each type, per kind, status, purpose, year of its main
    date, jurisdiction (policies) and country (actors), plus per year and per tag across the chosen types.

    JSON groups rows by dimension (`counts["policy.kind"]` is a ready bar chart); CSV is the long format a
    spreadsheet pivots or Datawrapper plots as is. Values that are not set count as `null` (an empty CSV cell)."""
    spec = parse_stats(request.query_params)
    fmt: Format = negotiate(request.query_params.get("format"), request.headers.get("accept"))
    etag, unchanged, counted = await read_fresh(request, database, lambda c: counts(c, spec), fmt)
    if unchanged is not None:
        return unchanged
    assert counted is not None
    total, rows = counted
    rows = ordered(rows)
    headers = cache_headers(etag)
    if fmt == "json":
        return Response(json_bytes(stats_body(spec, total, rows)), media_type=MEDIA_TYPES["json"], headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="techsov-stats.{fmt}"'
    lines = csv_lines(CSV_COLUMNS, set(), [long_rows(rows)]) if fmt == "csv" else ndjson_lines([long_rows(rows)])
    return Response(b"".join(lines), media_type=MEDIA_TYPES[fmt], headers=headers)
