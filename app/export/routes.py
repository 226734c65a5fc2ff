"""GET /v1/export: thin — parse, call, stream."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import Response, StreamingResponse

from app.core.caching import cache_headers, read_fresh
from app.core.config import Settings
from app.core.dates import utc
from app.core.deps import DatabaseDep
from app.core.openapi import PROBLEM_RESPONSES
from app.core.params import Parameters, choice
from app.core.render import csv_rows, ndjson_lines
from app.core.state import current_version
from app.dataset.routes import CREDITS
from app.export.package import descriptor
from app.export.zipstream import zip_stream
from app.records.documents import STORED, stored_csv
from app.records.flat import csv_columns
from app.records.registry import RECORD_TYPE_LIST
from app.records.service import all_items, parse_list

router = APIRouter(prefix="/v1", tags=["dataset"])

FORMATS = ("ndjson", "zip")
MEDIA_TYPES = {"ndjson": "application/x-ndjson", "zip": "application/zip"}
OCTET_STREAM = "application/octet-stream"
FORMAT = choice(
    "format",
    FORMATS,
    "ndjson (default): every record, one JSON object a line with its `type`; zip: one CSV per type (as the lists "
    "give them) and a Frictionless `datapackage.json` describing them. Or use the Accept header "
    "(application/x-ndjson, application/zip).",
    example="zip",
)
PARAMETERS = Parameters(FORMAT)
_ACCEPTED = {"application/x-ndjson": "ndjson", "application/ndjson": "ndjson", "application/jsonl": "ndjson",
             "application/zip": "zip"}  # fmt: skip


def _format(params: QueryParams, accept: str | None) -> tuple[str, str]:
    """The format and the media type to label it with: `format=` wins; otherwise the first Accept type served
    here; otherwise NDJSON. `Accept: application/octet-stream` (what generated clients take as bytes) labels
    the chosen format's bytes with it."""
    fmt = FORMAT.get(PARAMETERS.check(params))
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media == OCTET_STREAM:
            return fmt or "ndjson", OCTET_STREAM
        if media in _ACCEPTED and fmt is None:
            return _ACCEPTED[media], MEDIA_TYPES[_ACCEPTED[media]]
    chosen = fmt or "ndjson"
    return chosen, MEDIA_TYPES[chosen]


def _ndjson(connection: sa.Connection, secret: str) -> Iterator[list[Any]]:
    """Every record of every type, batch by batch, in the lists' default order."""
    for record_type in RECORD_TYPE_LIST:
        yield from all_items(connection, record_type, parse_list(record_type, QueryParams(""), secret), STORED)


def _zip_members(connection: sa.Connection, settings: Settings) -> Iterator[tuple[str, Iterator[bytes]]]:
    """`datapackage.json` first, then one CSV per type, the same CSV the type's list gives."""
    version, changed_at = current_version(connection)
    package = descriptor(settings, version, utc(changed_at) if changed_at else None, CREDITS)
    yield "datapackage.json", iter([orjson.dumps(package, option=orjson.OPT_INDENT_2) + b"\n"])
    secret = settings.techsov_cursor_secret
    for record_type in RECORD_TYPE_LIST:
        spec = parse_list(record_type, QueryParams(""), secret)
        lines = stored_csv(connection, record_type, spec)
        yield f"{record_type.plural}.csv", csv_rows(csv_columns(record_type), lines)


@router.get(
    "/export",
    response_model=None,
    response_class=StreamingResponse,  # no application/json in the document: the answer never is JSON
    responses={
        400: PROBLEM_RESPONSES[400],
        200: {
            "description": "The whole dataset",
            "content": {
                # First, so that generated clients (openapi-python-client) read the download as bytes.
                OCTET_STREAM: {
                    "schema": {
                        "type": "string",
                        "format": "binary",
                        "description": "The chosen format's bytes, when asked with Accept: application/octet-stream",
                    }
                },
                "application/x-ndjson": {"schema": {"type": "string", "description": "One record a line"}},
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
            },
        },
    },
    summary="The whole dataset in one download: NDJSON, or a zip of CSVs with a data package",
    operation_id="export_dataset",
    openapi_extra={"parameters": PARAMETERS.openapi()},
)
async def export(request: Request, database: DatabaseDep) -> Response:
    """Everything, streamed in constant memory from one database connection: every actor, policy, statement,
    hardware, dependency and source, in that order. The ETag names the dataset version; ask again with
    `If-None-Match` and a 304 says nothing changed.

    The zip is a Frictionless data package (`frictionless validate datapackage.json` checks it): each CSV's
    columns, types and the licences the data is under (the curated data's, and Epoch AI's CC BY 4.0 for
    the records imported from it)."""
    fmt, media_type = _format(request.query_params, request.headers.get("accept"))
    etag, unchanged, _ = await read_fresh(request, database, _nothing, f"{fmt}|{media_type}")
    if unchanged is not None:
        return unchanged
    headers = cache_headers(etag)
    headers["Content-Disposition"] = f'attachment; filename="techsov.{fmt}"'
    settings: Settings = request.app.state.settings
    if fmt == "ndjson":
        body = ndjson_lines(database.stream(lambda c: _ndjson(c, settings.techsov_cursor_secret)))
    else:
        body = zip_stream(database.stream(lambda c: _zip_members(c, settings)))
    return StreamingResponse(body, media_type=media_type, headers=headers)


def _nothing(_connection: sa.Connection) -> None:
    return None
