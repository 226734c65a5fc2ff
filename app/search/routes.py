"""GET /v1/search: thin — parse, then read the ETag and the page in one worker trip, render."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.core.caching import read_fresh
from app.core.deps import DatabaseDep, Lane, get_database
from app.core.openapi import PROBLEM_RESPONSES
from app.core.responses import page_response
from app.records.routes import NamedRoute
from app.search.schemas import SearchPage
from app.search.service import PARAMETERS, parse_search, search

router = APIRouter(prefix="/v1", tags=["search"])


@router.get(
    "/search",
    response_model=SearchPage,
    responses={400: PROBLEM_RESPONSES[400]},
    summary="Search every record type",
    operation_id="search",
    openapi_extra={"parameters": PARAMETERS.openapi()},
)
async def search_records(request: Request, database: DatabaseDep) -> Response:
    """Ranked search across actors, policies, statements, hardware, dependencies and sources.

    Order: an exact full name or alias first, then records whose names hold every word, then aliases, then
    names by prefix, then mentions in summaries and texts; within each, the engine's relevance, then type and
    id (on SQLite, a level of more than 2,048 matches is ranked 1,024 at a time, in the index's order, shortest
    documents first; a one-word query's names level that large, on both databases, by bm25 over a fixed average
    length, then the index's order). Nothing found: `items` is empty and `did_you_mean` lists close names.
    """
    secret = request.app.state.settings.techsov_cursor_secret
    spec = parse_search(request.query_params, secret)
    # A one-word search's work is bounded (its names level read in order from an index, other levels in blocks):
    # a few ms, less than the hop to a worker thread and back costs in CPU (~0.3 ms of a 2 ms search at 100k).
    lane: Lane = "inline-search" if len(spec.terms.terms) == 1 else "search"
    etag, unchanged, page = await read_fresh(request, database, lambda c: search(c, spec, secret), lane=lane)
    if unchanged is not None:
        return unchanged
    assert page is not None
    return page_response(request, etag, page)


def hot_route() -> BaseRoute:
    """The same endpoint as a plain Starlette route, put before every other route (app/main.py), as the records'
    lists and pages are (`hot_routes`): FastAPI's route would resolve the database dependency and be found after
    trying every route before it, about 80 µs of each search; the documented route stays for /docs."""

    async def endpoint(request: Request) -> Response:
        return await search_records(request, get_database(request))

    return NamedRoute("/v1/search", endpoint)
