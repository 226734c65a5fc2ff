"""GET /v1/stats: thin — parse, call, render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.responses import Response

from app.core.caching import cache_headers, read_fresh
from app.core.csv_twin import PAGE_ONLY, add_csv_twin
from app.core.deps import Database, DatabaseDep
from app.core.openapi import LIST_RESPONSES
from app.core.render import MEDIA_TYPES, Format, csv_lines, json_bytes, ndjson_lines, negotiate
from app.stats.crosstab import columns, crosstab
from app.stats.queries import counts, ordered
from app.stats.schemas import CrossTab, Stats, StatsRow
from app.stats.service import PARAMETERS, crosstab_body, long_rows, parse_by, parse_shape, parse_stats, stats_body

R = TypeVar("R")

router = APIRouter(prefix="/v1", tags=["stats"])

CSV_COLUMNS = ["dimension", "value", "count", "label"]


@router.get(
    "/stats",
    response_model=Stats | CrossTab | list[StatsRow],
    responses=LIST_RESPONSES,
    summary="Counts by type, kind, status, year, jurisdiction and country",
    operation_id="get_stats",
    openapi_extra={"parameters": PARAMETERS.openapi()},
)
async def get_stats(request: Request, database: DatabaseDep) -> Response:
    """How many records there are per type and, within each type, per kind, status, purpose, year of its main
    date, jurisdiction (policies) and country (actors), plus per year and per tag across the chosen types.

    JSON groups rows by dimension (`counts["policy.kind"]` is a ready bar chart); CSV is the long format a
    spreadsheet pivots or Datawrapper plots as is. Values that are not set count as `null` (an empty CSV cell).

    `by=year,jurisdiction` (any one or two dimensions) counts by both at once: "policies per year by
    jurisdiction" in one call, as long-format rows (JSON `rows`, CSV or NDJSON). `shape=rows` answers JSON as a
    bare array of flat rows, the table Grafana's Infinity plug-in reads as is."""
    spec = parse_stats(request.query_params)
    by = parse_by(request.query_params, spec)
    shape = parse_shape(request.query_params)
    fmt: Format = negotiate(request.query_params, request.headers.get("accept"))
    if by:
        table = Table(
            read=lambda c: crosstab(c, spec, by),
            body=lambda total, rows: crosstab_body(spec, by, total, rows),
            rows=lambda rows: rows,
            columns=columns(by),
            filename=f"techsov-stats-by-{'-'.join(by)}",
        )
        return await _counted(request, database, table, shape, fmt)
    counts_table = Table(
        read=lambda c: counts(c, spec),
        body=lambda total, rows: stats_body(spec, total, ordered(rows)),
        rows=lambda rows: long_rows(ordered(rows)),
        columns=CSV_COLUMNS,
        filename="techsov-stats",
    )
    return await _counted(request, database, counts_table, shape, fmt)


@dataclass(frozen=True)
class Table(Generic[R]):
    """One way to count: the read (total and rows), the JSON object, the bare rows, the CSV columns."""

    read: Callable[[sa.Connection], tuple[int, list[R]]]
    body: Callable[[int, list[R]], dict[str, Any]]
    rows: Callable[[list[R]], list[dict[str, Any]]]
    columns: list[str]
    filename: str


async def _counted(request: Request, database: Database, table: Table[R], shape: str, fmt: Format) -> Response:
    """The counts as JSON (object or bare rows), CSV or NDJSON rows."""
    etag, unchanged, counted = await read_fresh(request, database, table.read, fmt)
    if unchanged is not None:
        return unchanged
    assert counted is not None
    total, rows = counted
    headers = cache_headers(etag)
    if fmt == "json":
        body = table.body(total, rows) if shape == "object" else table.rows(rows)
        return Response(json_bytes(body), media_type=MEDIA_TYPES["json"], headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{table.filename}.{fmt}"'
    flat = table.rows(rows)
    lines = csv_lines(table.columns, set(), [flat]) if fmt == "csv" else ndjson_lines([flat])
    return Response(b"".join(lines), media_type=MEDIA_TYPES[fmt], headers=headers)


add_csv_twin(
    router,
    "/stats",
    get_stats,
    PARAMETERS,
    what="count",
    operation_id="get_stats_csv",
    tags=["stats"],
    left_out=(*PAGE_ONLY, "shape"),
)
