"""GET /v1/stats: thin — parse, call, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.core.caching import cache_headers, read_fresh
from app.core.deps import Database, DatabaseDep
from app.core.openapi import DATE_SCHEMA
from app.core.render import MEDIA_TYPES, Format, csv_lines, json_bytes, ndjson_lines, negotiate
from app.records.fields import RECORD_TYPES
from app.records.routes import PROBLEM_RESPONSES
from app.stats.crosstab import DIMENSIONS, columns, crosstab
from app.stats.queries import StatsSpec, counts, ordered
from app.stats.schemas import CrossTab, Stats, StatsRow
from app.stats.service import SHAPES, crosstab_body, long_rows, parse_by, parse_shape, parse_stats, stats_body

router = APIRouter(prefix="/v1", tags=["stats"])

CSV_COLUMNS = ["dimension", "value", "count", "label"]


@router.get(
    "/stats",
    response_model=Stats | CrossTab | list[StatsRow],
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
    by: Annotated[
        str | None,
        Query(
            description="One or two dimensions, comma-separated, to count by at once (a cross-tab in long "
            f"format: one row per combination of values): {', '.join(DIMENSIONS)}. Counts are summed over the "
            "chosen types that have every dimension (`by=year,jurisdiction` counts policies); add `type` to keep "
            "types apart. CSV columns: each dimension, `<dimension>_label` after jurisdiction and country, `count`.",
            examples=["year,jurisdiction"],
            json_schema_extra={"pattern": rf"^({'|'.join(DIMENSIONS)})(,({'|'.join(DIMENSIONS)}))?$"},
        ),
    ] = None,
    shape: Annotated[
        str | None,
        Query(
            description="JSON shape: `object` (default) or `rows`, a bare array of flat rows that Grafana's "
            "Infinity plug-in and Datawrapper read as a table without transformation (the cross-tab's rows with "
            "`by`, else `dimension,value,count,label` rows).",
            examples=["rows"],
            json_schema_extra={"enum": list(SHAPES)},
        ),
    ] = None,
) -> Response:
    """How many records there are per type and, within each type, per kind, status, purpose, year of its main
    date, jurisdiction (policies) and country (actors), plus per year and per tag across the chosen types.

    JSON groups rows by dimension (`counts["policy.kind"]` is a ready bar chart); CSV is the long format a
    spreadsheet pivots or Datawrapper plots as is. Values that are not set count as `null` (an empty CSV cell).

    `by=year,jurisdiction` (any one or two dimensions) counts by both at once: "policies per year by
    jurisdiction" in one call, as long-format rows (JSON `rows`, CSV or NDJSON). `shape=rows` answers JSON as a
    bare array of flat rows, the table Grafana's Infinity plug-in reads as is."""
    spec = parse_stats(request.query_params)
    cross = parse_by(request.query_params, spec)
    shape = parse_shape(request.query_params)
    fmt: Format = negotiate(request.query_params.get("format"), request.headers.get("accept"))
    if cross:
        return await _crosstab(request, database, spec, cross, shape, fmt)
    etag, unchanged, counted = await read_fresh(request, database, lambda c: counts(c, spec), fmt)
    if unchanged is not None:
        return unchanged
    assert counted is not None
    total, rows = counted
    rows = ordered(rows)
    headers = cache_headers(etag)
    if fmt == "json":
        body = stats_body(spec, total, rows) if shape == "object" else long_rows(rows)
        return Response(json_bytes(body), media_type=MEDIA_TYPES["json"], headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="techsov-stats.{fmt}"'
    lines = csv_lines(CSV_COLUMNS, set(), [long_rows(rows)]) if fmt == "csv" else ndjson_lines([long_rows(rows)])
    return Response(b"".join(lines), media_type=MEDIA_TYPES[fmt], headers=headers)


async def _crosstab(
    request: Request, database: Database, spec: StatsSpec, by: list[str], shape: str, fmt: Format
) -> Response:
    """The cross-tab of `by=`: JSON (object or bare rows), CSV or NDJSON rows."""
    etag, unchanged, counted = await read_fresh(request, database, lambda c: crosstab(c, spec, by), fmt)
    if unchanged is not None:
        return unchanged
    assert counted is not None
    total, rows = counted
    headers = cache_headers(etag)
    if fmt == "json":
        body = crosstab_body(spec, by, total, rows) if shape == "object" else rows
        return Response(json_bytes(body), media_type=MEDIA_TYPES["json"], headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="techsov-stats-by-{"-".join(by)}.{fmt}"'
    lines = csv_lines(columns(by), set(), [rows]) if fmt == "csv" else ndjson_lines([rows])
    return Response(b"".join(lines), media_type=MEDIA_TYPES[fmt], headers=headers)
