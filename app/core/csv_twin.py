"""`GET <list>.csv`: a list's CSV at an address of its own, one operation per list in the OpenAPI document.

`format=csv` (or `Accept: text/csv`) on a list gives every match as CSV, but it is the same operation as the
JSON page: a client generated from the OpenAPI document (openapi-python-client) reads the first content type a
200 declares and never the response's `Content-Type`, so it could only ever parse JSON. The twin is an
operation whose one answer is `text/csv`, which such a client returns as text; and an address a spreadsheet's
"import from the web" or a newsroom's link can name without a query string (Datasette's `.csv` likewise).

It answers exactly what the list answers with `format=csv` (the same body, ETag and download name) and takes the
list's parameters but those that only shape the JSON page (`format`, `limit`, `cursor` …): those are refused with
a 400 that says so, rather than ignored, as an export ignores them, so a `limit=10` never silently gives every row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.core.deps import Database, get_database
from app.core.openapi import PROBLEM_RESPONSES
from app.core.params import Parameters, bad

Endpoint = Callable[[Request, Database], Awaitable[Response]]
"""A list's endpoint, given its request and the app's database (resolved here, as FastAPI would)."""

CSV_ONLY: dict[int | str, dict[str, Any]] = {
    400: PROBLEM_RESPONSES[400],
    200: {
        "description": "Every match as CSV (UTF-8, a header line, CRLF line ends), streamed.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    },
}
"""The twin's answers: CSV alone, or a problem."""
PAGE_ONLY = ("format", "limit", "cursor", "count", "facets")
"""What shapes a list's JSON page, not its export: a twin takes none of these its list takes."""


class CsvResponse(Response):
    """Only for the OpenAPI document: the twin's 200 is `text/csv` (the list's own response is streamed)."""

    media_type = "text/csv"


def add_csv_twin(
    router: APIRouter,
    path: str,
    endpoint: Endpoint,
    parameters: Parameters,
    *,
    what: str,
    operation_id: str,
    tags: Sequence[str],
    left_out: Collection[str] = PAGE_ONLY,
) -> None:
    """Route `<path>.csv` to `endpoint` (the list at `path`, on `router`) as if asked with `format=csv`.

    `parameters` are the list's; the twin documents and takes them all but those in `left_out`, and refuses
    those with a 400 naming them. `what` is what a row is (`statements`)."""
    left_out = {p.name for p in parameters.declared if p.name in left_out}
    taken = Parameters(*(p for p in parameters.declared if p.name not in left_out))
    address = f"{router.prefix}{path}"

    async def twin(request: Request) -> Response:
        for name in sorted(left_out & set(request.query_params)):
            if name == "format":
                raise bad(name, f"{address}.csv is always CSV: leave `format` out, or ask {address}?format=…")
            raise bad(name, f"{address}.csv gives every match: leave `{name}` out (it shapes {address}'s JSON pages)")
        taken.check(request.query_params)
        scope = dict(request.scope)
        query = request.scope.get("query_string", b"")
        scope["query_string"] = query + (b"&" if query else b"") + b"format=csv"
        return await endpoint(Request(scope, request.receive), get_database(request))

    twin.__doc__ = (
        f"Every matching {what} as CSV, at an address of its own: what `{address}?format=csv` answers, with the "
        "same filters. A client generated from this document gets the CSV as text."
    )
    router.add_api_route(
        f"{path}.csv",
        twin,
        methods=["GET"],
        response_class=CsvResponse,
        responses=CSV_ONLY,
        summary=f"Every matching {what}, as CSV",
        operation_id=operation_id,
        openapi_extra={"parameters": taken.openapi()},
        tags=list[str | Enum](tags),
    )
