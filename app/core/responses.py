"""The shape every list-like endpoint answers in: one JSON page with a `Link` to the next, or every match
streamed as CSV or NDJSON, always with the dataset's ETag (and a 304 when the client has it).

Routes parse their own parameters and say how to read a page and how to stream an export; this module
does the rest the same way everywhere: one worker trip and one transaction for the ETag and the page,
references checked before a stream starts (a 400 then, not a cut file later), the download's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app.core.caching import cache_headers, read_fresh
from app.core.deps import Database, Lane
from app.core.render import MEDIA_TYPES, csv_rows, json_bytes, ndjson_lines, negotiate

Batches = Iterator[list[Any]]
"""Batches of items: dicts, or JSON already written (`orjson.Fragment`)."""
CellBatches = Iterator[Sequence[Sequence[str]]] | Iterator[bytes]
"""Rows of cells, batch by batch, or batches of CSV lines already written (stored rows)."""


@dataclass(frozen=True)
class Export:
    """How an endpoint streams every match: its file name, CSV columns and cells, NDJSON objects."""

    filename: str
    """Download name without the extension: `techsov-statements`."""
    columns: Sequence[str]
    csv: Callable[[sa.Connection], CellBatches]
    ndjson: Callable[[sa.Connection], Batches]
    check: Callable[[sa.Connection], None] | None = None
    """Run before streaming, in the ETag's transaction: raises the 400 a bad filter deserves."""


def next_link(base_url: str, path: str, params: QueryParams, cursor: str) -> str:
    """The URL of the next page: the same query with the new cursor, on the configured base URL."""
    kept = [(k, v) for k, v in params.multi_items() if k != "cursor"]
    return f"{base_url.rstrip('/')}{path}?{urlencode([*kept, ('cursor', cursor)])}"


def page_response(request: Request, etag: str, body: dict[str, Any]) -> Response:
    """A JSON page with its caching headers and, when there is a `next_cursor`, a `Link` to the next page."""
    headers = cache_headers(etag)
    if body.get("next_cursor"):
        base_url = request.app.state.settings.techsov_base_url
        link = next_link(base_url, request.url.path, request.query_params, body["next_cursor"])
        headers["Link"] = f'<{link}>; rel="next"'
    return Response(json_bytes(body), media_type=MEDIA_TYPES["json"], headers=headers)


async def list_response(
    request: Request,
    database: Database,
    page: Callable[[sa.Connection], dict[str, Any]],
    export: Export,
    lane: Lane = "read",
) -> Response:
    """A JSON page (`page` gives its body, with `next_cursor`, read in `lane`), or the export streamed as CSV or
    NDJSON, as `format=` or the Accept header asks."""
    fmt = negotiate(request.query_params, request.headers.get("accept"))
    if fmt == "json":
        etag, unchanged, body = await read_fresh(request, database, page, fmt, lane)
        if unchanged is not None:
            return unchanged
        assert body is not None
        return page_response(request, etag, body)
    etag, unchanged, _ = await read_fresh(request, database, export.check or _nothing, fmt)
    if unchanged is not None:
        return unchanged
    headers = cache_headers(etag)
    headers["Content-Disposition"] = f'attachment; filename="{export.filename}.{fmt}"'
    if fmt == "csv":
        body_bytes = csv_rows(export.columns, database.stream(export.csv))
    else:
        body_bytes = ndjson_lines(database.stream(export.ndjson))
    return StreamingResponse(body_bytes, media_type=MEDIA_TYPES[fmt], headers=headers)


def _nothing(_connection: sa.Connection) -> None:
    return None
